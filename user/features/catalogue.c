// SPDX-License-Identifier: GPL-2.0
/* Facts per kernel: ../shared/KERNELS.md "Hooks for diagnosis"; rendered in docs/diagnosis.md. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "catalogue.h"
#include "errnames.h"

#define REBIND "bind every blocking device to vfio-pci (echo vfio-pci > /sys/bus/pci/devices/DEV/driver_override; " \
	       "echo DEV > /sys/bus/pci/devices/DEV/driver/unbind; echo DEV > /sys/bus/pci/drivers_probe), " \
	       "or leave it unbound; every device of an IOMMU group must be, to assign any of them"

static const char *const step_names[NR_STEPS] = {
	[STEP_NONE] = "none",
	[STEP_UNKNOWN] = "unknown",
	[STEP_DOMAIN_ALLOC] = "domain_alloc",
	[STEP_ATTACH_GROUP] = "iommu_attach_group",
	[STEP_DRIVER_ATTACH] = "iommu_driver_attach",
	[STEP_MSI] = "msi_isolation",
	[STEP_MSI_COOKIE] = "msi_cookie",
	[STEP_DMA_OWNER] = "dma_ownership",
	[STEP_VIABLE] = "viability",
	[STEP_GROUP_OPEN] = "group_open",
	[STEP_TYPE1_ATTACH] = "type1_attach",
	[STEP_DMA_REQUEST] = "dma_request",
	[STEP_DMA_OVERLAP] = "dma_overlap",
	[STEP_DMA_LIMIT] = "dma_entry_limit",
	[STEP_DMA_IOVA_RANGE] = "dma_iova_range",
	[STEP_DMA_PIN] = "dma_pin",
	[STEP_POWER_UP] = "power_up",
	[STEP_POWER] = "power_transition",
	[STEP_RESET] = "reset",
	[STEP_RESET_REFUSED] = "reset_refused",
	[STEP_DMA_PIN_USER] = "dma_pin_user",
};

static const char *const op_names[NR_OPS] = {
	[OP_ATTACH] = "attach",
	[OP_SET_CONTAINER] = "set_container",
	[OP_GET_DEVICE_FD] = "get_device_fd",
	[OP_GROUP_OPEN] = "group_open",
	[OP_DMA_MAP] = "dma_map",
	[OP_DEVICE_OPEN] = "device_open",
	[OP_RESET] = "reset",
	[OP_HOT_RESET] = "hot_reset",
	[OP_POWER] = "power",
};

#define D3_REMEDY "load vfio-pci with disable_idle_d3=1 so that idle devices stay in D0, and keep D3cold off " \
	"for it (echo 0 > /sys/bus/pci/devices/DEV/d3cold_allowed); a device that stays inaccessible (config " \
	"space reads all ones) needs its slot power-cycled or the host rebooted"

/* Order matters: the first match wins, so specific rows precede general ones. */
static const struct diag_entry table[] = {
	/* device open, resets, power (issue 23; docs/diagnosis.md "Resets and power") */
	{ OP_DEVICE_OPEN, STEP_POWER_UP, ANY, 0, 0,
	  "the device did not come back to D0 when vfio-pci enabled it (dmesg: \"Unable to change power state from "
	  "D3cold to D0, device inaccessible\")", D3_REMEDY },
	{ OP_DEVICE_OPEN, ANY, ANY, 0, 0,
	  "vfio-pci could not enable the device (pci_enable_device, saving its config space, BAR or interrupt setup)",
	  "read dmesg (vfio-pci lines) from the time of the failure; check that its BARs are assigned (lspci -vv)" },
	{ OP_RESET, STEP_RESET_REFUSED, EINVAL, 0, 0,
	  "vfio-pci has no function reset for this device (no FLR, no PM reset, not alone on its bus): "
	  "VFIO_DEVICE_RESET is refused and state can leak from one user of the device to the next",
	  "reset it with VFIO_DEVICE_PCI_HOT_RESET, passing every group of its bus (QEMU does when it owns them all); "
	  "for GPUs with a known reset bug use vendor-reset; `vfiotrace diagnose` lists its reset methods" },
	{ OP_RESET, STEP_RESET_REFUSED, EAGAIN, 0, 0,
	  "the device's lock is held by another task (a concurrent reset, a sysfs access, a driver probing)",
	  "retry; vfiotrace snoop shows the concurrent reset or open" },
	{ OP_RESET, ANY, ENOTTY, 0, 0,
	  "no reset method applied: every method the kernel tried declined, or the device did not answer after the "
	  "reset in time (dmesg: \"not ready 65535ms after FLR; giving up\")",
	  "read dmesg; a device that does not come back from FLR needs a device-specific reset (vendor-reset) or a "
	  "bus reset; from 5.15 the methods tried can be chosen in /sys/bus/pci/devices/DEV/reset_method" },
	{ OP_RESET, ANY, ANY, 0, 0,
	  "the reset method failed", "read dmesg from the time of the failure (pci lines of the device)" },
	{ OP_HOT_RESET, STEP_RESET_REFUSED, EINVAL, 0, 0,
	  "the caller did not pass a group of a device this bus reset would also reset (5.10 also refuses a passed "
	  "group that is not in one of the caller's containers)",
	  "pass an fd of every group VFIO_DEVICE_GET_PCI_HOT_RESET_INFO lists; a group another process holds must be "
	  "released by it (missing_group_holders names it)" },
	{ OP_HOT_RESET, STEP_RESET_REFUSED, ENODEV, 0, 0,
	  "the device cannot be reset by its bus: it sits on a root bus (no bridge above it) and has no reset slot",
	  "use VFIO_DEVICE_RESET (a function reset) instead; `vfiotrace diagnose` lists its reset methods" },
	{ OP_HOT_RESET, ANY, ANY, 0, 0,
	  "the bus reset failed or was refused", "read dmesg from the time of the failure" },
	{ OP_POWER, STEP_POWER_UP, ANY, 0, 0,
	  "the device did not come back to D0 (D3cold without platform power, or a device that stopped answering)",
	  D3_REMEDY },
	{ OP_POWER, ANY, ANY, 0, 0,
	  "the D-state change failed", "read dmesg from the time of the failure" },
	/* type1 attach (VFIO_SET_IOMMU, or SET_CONTAINER on a container with an IOMMU) */
	{ OP_ATTACH, STEP_MSI, EPERM, 0, 0,
	  "no interrupt remapping: the platform cannot isolate this group's MSIs (interrupt remapping off or "
	  "unsupported) and vfio_iommu_type1.allow_unsafe_interrupts=0",
	  "enable interrupt remapping (firmware VT-d/AMD-Vi with IR; no intremap=off on the kernel command line; "
	  "in a VM: -device intel-iommu,intremap=on), or, accepting that the device can forge interrupts, "
	  "load vfio_iommu_type1 with allow_unsafe_interrupts=1" },
	{ OP_ATTACH, STEP_DRIVER_ATTACH, EPERM, 0, KV(6, 11),
	  "the Intel IOMMU refuses a device with an RMRR (firmware-reserved DMA region) for a VFIO domain "
	  "(intel_iommu_attach_device: \"ineligible for IOMMU domain attach due to platform RMRR requirement\")",
	  "this device cannot be assigned as the firmware describes it: update the firmware or ask the vendor to "
	  "drop the RMRR, or assign another device" },
	{ OP_ATTACH, STEP_DRIVER_ATTACH, ANY, 0, 0,
	  "the IOMMU driver refused to attach the device to the new domain (address width, device scope, or a domain "
	  "type the device cannot use)",
	  "read dmesg (DMAR / AMD-Vi lines) from the time of the failure" },
	{ OP_ATTACH, STEP_ATTACH_GROUP, EBUSY, 0, 0,
	  "iommu_attach_group: the group already has a non-default domain (another user, e.g. iommufd, set one)",
	  "stop the other user of the group first" },
	{ OP_ATTACH, STEP_ATTACH_GROUP, ANY, 0, 0,
	  "iommu_attach_group failed: the group could not be attached to the new IOMMU domain",
	  "read dmesg from the time of the failure" },
	{ OP_ATTACH, STEP_DOMAIN_ALLOC, ANY, 0, KV(6, 10),
	  "IOMMU domain allocation returned NULL (type1 returns EIO): the bus has no IOMMU driver, or it refused an "
	  "unmanaged domain",
	  "check that the IOMMU is on (intel_iommu=on / amd_iommu=on, dmesg DMAR/AMD-Vi) and the device is behind it" },
	{ OP_ATTACH, STEP_DOMAIN_ALLOC, ENODEV, KV(6, 11), 0,
	  "iommu_paging_domain_alloc: the device has no IOMMU driver",
	  "enable the IOMMU on the kernel command line and check dmesg for DMAR/IOMMU errors" },
	{ OP_ATTACH, STEP_DOMAIN_ALLOC, ANY, KV(6, 11), 0,
	  "iommu_paging_domain_alloc failed: the IOMMU driver cannot allocate a paging domain for this device "
	  "(EOPNOTSUPP) or ran out of memory (ENOMEM)",
	  "read dmesg; check memory pressure" },
	{ OP_ATTACH, STEP_MSI_COOKIE, ANY, 0, 0,
	  "iommu_get_msi_cookie failed: reserving the MSI doorbell IOVA (IOMMUs that translate MSIs, e.g. ARM SMMU)",
	  "read dmesg; check the group's reserved regions (/sys/kernel/iommu_groups/N/reserved_regions)" },
	/* set-container: the DMA-ownership claim (6.0+) */
	{ OP_SET_CONTAINER, STEP_DMA_OWNER, EPERM, KV(5, 19), 0,
	  "group not viable: a member device is bound to a host driver, which owns the group's DMA "
	  "(iommu_group_claim_dma_owner; blocking_devices names it), or another user already claimed the group",
	  REBIND },
	{ OP_SET_CONTAINER, STEP_DMA_OWNER, EBUSY, KV(5, 19), 0,
	  "the group has a non-default IOMMU domain attached by another user (iommufd or a kernel driver)",
	  "stop the other user of the group" },
	{ OP_SET_CONTAINER, STEP_TYPE1_ATTACH, ANY, 0, 0,
	  "the container already has an IOMMU, and attaching this group to it failed (see that attach's failure)",
	  "fix the attach failure reported for this group" },
	{ OP_SET_CONTAINER, STEP_UNKNOWN, EINVAL, 0, 0,
	  "the group already has a container, or the fd passed is not a VFIO container (no observed step failed)",
	  "unset the group's container first; pass an fd of /dev/vfio/vfio" },
	{ OP_SET_CONTAINER, STEP_UNKNOWN, EPERM, 0, 0,
	  "a no-IOMMU group needs CAP_SYS_RAWIO, or (6.0+) the DMA-ownership claim failed where it is not observable",
	  "run with CAP_SYS_RAWIO for noiommu groups; run `vfiotrace diagnose` for drivers of the group's members" },
	/* get-device-fd: the viability check (up to 5.19) */
	{ OP_GET_DEVICE_FD, STEP_VIABLE, EINVAL, 0, KV(5, 19),
	  "group not viable: a member device is bound to a host driver (vfio_dev_viable; blocking_devices names the "
	  "first one the kernel rejected)",
	  REBIND },
	{ OP_GET_DEVICE_FD, STEP_UNKNOWN, EINVAL, 0, 0,
	  "no container with an IOMMU set on the group yet (VFIO_SET_IOMMU must come first), or the group is not viable",
	  "call VFIO_GROUP_SET_CONTAINER and VFIO_SET_IOMMU before GET_DEVICE_FD; run `vfiotrace diagnose`" },
	{ OP_GET_DEVICE_FD, STEP_UNKNOWN, ENODEV, 0, 0,
	  "no device of that name in the group, or it is not bound to vfio-pci",
	  "check the name against /sys/kernel/iommu_groups/N/devices and bind the device to vfio-pci" },
	/* open of /dev/vfio/N */
	{ OP_GROUP_OPEN, STEP_GROUP_OPEN, EBUSY, 0, 0,
	  "another process holds /dev/vfio/N open (a running VM, a leftover QEMU); a group opens once at a time",
	  "stop the holder (holder names it) or wait until it closes the group" },
	{ OP_GROUP_OPEN, STEP_GROUP_OPEN, EPERM, 0, 0,
	  "a no-IOMMU group (/dev/vfio/noiommu-N) can only be opened with CAP_SYS_RAWIO",
	  "run the VFIO client with CAP_SYS_RAWIO" },
	{ OP_GROUP_OPEN, STEP_GROUP_OPEN, ENODEV, 0, 0,
	  "the group is going away (its devices are being unbound from vfio-pci)",
	  "rebind the devices to vfio-pci and retry" },
	/* VFIO_IOMMU_MAP_DMA (--dma): the step is told apart in user/features/dma_explain.c */
	{ OP_DMA_MAP, STEP_DMA_PIN, ENOMEM, 0, 0,
	  "memlock: pinning would exceed the task's RLIMIT_MEMLOCK (no CAP_IPC_LOCK)",
	  "raise the VMM's locked-memory limit to at least guest RAM plus the mappings "
	  "(ulimit -l, LimitMEMLOCK= in its unit, libvirt <memoryBacking><locked/>) or give it CAP_IPC_LOCK" },
	{ OP_DMA_MAP, STEP_DMA_PIN_USER, ENOMEM, 0, 0,
	  "memlock, iommufd: the pages every process of this user pinned through iommufd, plus this map, "
	  "would exceed the RLIMIT_MEMLOCK of the process mapping (iommufd accounts per user, not per "
	  "process; no CAP_IPC_LOCK)",
	  "raise the VMM's locked-memory limit to cover every VM of its user (ulimit -l, LimitMEMLOCK= in its "
	  "unit), run each VM as its own user, or give the VMM CAP_IPC_LOCK (iommufd then accounts nothing)" },
	{ OP_DMA_MAP, STEP_DMA_PIN, EFAULT, 0, 0,
	  "the user address range is not mapped in the task (pinning its pages faulted)",
	  "map the whole buffer before VFIO_IOMMU_MAP_DMA and keep it mapped; check the VMM's memory backend" },
	{ OP_DMA_MAP, STEP_DMA_PIN, ANY, 0, 0,
	  "pinning the user pages failed", "read dmesg from the time of the failure" },
	{ OP_DMA_MAP, STEP_DMA_LIMIT, ENOSPC, 0, 0,
	  "the container's mapping entries are used up: vfio_iommu_type1.dma_entry_limit (default 65535, copied "
	  "into a container when it is opened) mappings exist",
	  "use fewer, larger mappings, or raise vfio_iommu_type1.dma_entry_limit before the VMM opens its container" },
	{ OP_DMA_MAP, STEP_DMA_OVERLAP, EEXIST, 0, 0,
	  "the IOVA range overlaps an existing mapping of this container",
	  "unmap the overlapping range first; check the VMM's IOVA layout" },
	{ OP_DMA_MAP, STEP_DMA_IOVA_RANGE, EINVAL, 0, 0,
	  "the IOVA range is outside the container's valid IOVA ranges: the IOMMU aperture minus reserved regions "
	  "(the MSI window, RMRRs; /sys/kernel/iommu_groups/N/reserved_regions)",
	  "map only inside the ranges VFIO_IOMMU_GET_INFO reports (capability IOVA_RANGE); valid_iova_ranges lists them" },
	{ OP_DMA_MAP, STEP_DMA_REQUEST, EINVAL, 0, 0,
	  "the request is malformed: argsz, flags, a zero size, size/IOVA/vaddr not aligned to the IOMMU page size, or "
	  "a range that wraps",
	  "align size, IOVA and vaddr to the smallest page size VFIO_IOMMU_GET_INFO reports (iova_pgsizes); "
	  "set READ and/or WRITE" },
	{ OP_DMA_MAP, STEP_DMA_REQUEST, EFAULT, 0, 0,
	  "the request could not be read (bad user pointer passed to the ioctl)",
	  "pass a valid struct vfio_iommu_type1_dma_map" },
	{ OP_DMA_MAP, STEP_UNKNOWN, EINVAL, 0, 0,
	  "the IOVA range is outside the valid ranges, or the request is malformed (not told apart: type1 has no BTF "
	  "on this kernel)",
	  "check VFIO_IOMMU_GET_INFO's IOVA ranges and page sizes; align size, IOVA and vaddr" },
	{ OP_DMA_MAP, STEP_UNKNOWN, ENOMEM, 0, 0,
	  "out of memory for the mapping's bookkeeping", "free memory on the host" },
};

#define N_ENTRIES (sizeof(table) / sizeof(table[0]))

const struct diag_entry *catalogue_entries(int *n)
{
	*n = N_ENTRIES;
	return table;
}

const struct diag_entry *catalogue_lookup(int op, int step, int err, unsigned int kver)
{
	unsigned int i;

	for (i = 0; i < N_ENTRIES; i++) {
		const struct diag_entry *e = &table[i];

		if ((e->op != ANY && e->op != op) || (e->step != ANY && e->step != step) ||
		    (e->err != ANY && e->err != err))
			continue;
		/* an unknown kernel matches only rows valid on every kernel */
		if ((e->kmin || e->kmax) && !kver)
			continue;
		if ((e->kmin && kver < e->kmin) || (e->kmax && kver > e->kmax))
			continue;
		return e;
	}
	return NULL;
}

static const struct attach_errno {
	int err;
	const char *cause;	/* in vfio_iommu_type1_attach_group (KERNELS.md) */
	const char *remedy;
} attach_errnos[] = {
	{ EPERM,
	  "no interrupt (MSI) remapping on this platform and vfio_iommu_type1.allow_unsafe_interrupts=0",
	  "enable interrupt remapping (intel_iommu=on with an IR-capable IOMMU, e.g. QEMU intel-iommu,intremap=on), or accept the risk: modprobe vfio_iommu_type1 allow_unsafe_interrupts=1" },
	{ EINVAL,
	  "group already attached to this container, IOVA aperture or reserved-region conflict, or (before 6.0) a group spanning several bus types",
	  "check for a second VFIO_SET_IOMMU on the same container and for reserved regions in /sys/kernel/iommu_groups/N/reserved_regions" },
	{ EBUSY,
	  "the container has DMA mappings whose vaddr is invalidated (VFIO_DMA_UNMAP_FLAG_VADDR in progress)",
	  "finish the live-update vaddr replacement (VFIO_DMA_MAP_FLAG_VADDR) before attaching more groups" },
	{ ENOMEM, "memory allocation failed during the attach", "check memory pressure and the memlock limit" },
	{ EIO,
	  "IOMMU domain allocation returned NULL (5.10-6.10): the bus has no IOMMU driver or it refused an unmanaged domain",
	  "check that the IOMMU is enabled (intel_iommu=on / amd_iommu=on) and the device is behind it" },
	{ ENODEV, "the device has no IOMMU driver (iommu_paging_domain_alloc, 6.11+)",
	  "enable the IOMMU on the kernel command line and check dmesg for DMAR/IOMMU errors" },
	{ EOPNOTSUPP, "the IOMMU driver cannot allocate a paging domain for this device",
	  "the IOMMU driver does not support VFIO for this device; check dmesg" },
	{ EEXIST, "the group is already attached", "do not attach the same group twice" },
	{ EFAULT, "bad user pointer", "a bug in the VFIO client" },
	{ ENOSPC, "no free IOVA space or domain id", "reduce mappings or domains in use" },
	{ EACCES, "permission denied", "check permissions of /dev/vfio/N" },
	{ ENXIO, "no such device or address", "check the device is still present" },
};

/* Why vfio_iommu_type1_attach_group returns -err and what to do; NULL if unknown. */
static const struct attach_errno *attach_errno(int err)
{
	unsigned int i;

	for (i = 0; i < sizeof(attach_errnos) / sizeof(attach_errnos[0]); i++)
		if (attach_errnos[i].err == err)
			return &attach_errnos[i];
	return NULL;
}

const char *attach_cause(int err)
{
	return attach_errno(err) ? attach_errno(err)->cause : NULL;
}

const char *attach_remedy(int err)
{
	return attach_errno(err) ? attach_errno(err)->remedy : NULL;
}

void catalogue_explain(int op, int step, int err, unsigned int kver, const char **cause,
		       const char **remedy)
{
	const struct diag_entry *e = catalogue_lookup(op, step, err, kver);

	if (e) {
		*cause = e->cause;
		*remedy = e->remedy;
	} else if (op == OP_ATTACH && attach_cause(err)) {
		/* no step observed: the errno's possible causes inside type1 attach */
		*cause = attach_cause(err);
		*remedy = attach_remedy(err);
	} else {
		*cause = "unknown: no observed step explains this errno";
		*remedy = "read dmesg from the time of the failure";
	}
}

const char *step_name(int step)
{
	return step >= 0 && step < NR_STEPS && step_names[step] ? step_names[step] : "unknown";
}

const char *op_name(int op)
{
	return op > 0 && op < NR_OPS && op_names[op] ? op_names[op] : "unknown";
}
