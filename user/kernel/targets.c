// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "targets.h"
#include "../../bpf/vfiotrace.h"

/*
 * An allocation happens once per attach: fentry's cheaper call never pays for
 * its trampoline, whose attach took 0.15-0.2 s of a 1.5 s start-up on 6.1 in
 * the guest, against some 0.03 s for a kprobe (docs/benchmarks.md, run 7).
 */
#define ALLOC_KPROBE "preferred: a rare call, and a kprobe attaches faster than an fentry trampoline"

/* Facts per kernel version: ../docs/kernels.md and shared/KERNELS.md. */
const struct target targets[NR_HOOKS] = {
	[HOOK_ATTACH] = {
		.hook = "attach", .purpose = "VFIO type1 group attach",
		.module = "vfio_iommu_type1",
		.candidates = { "vfio_iommu_type1_attach_group" },
		.kprobe_prog = "kp_attach", .kretprobe_prog = "krp_attach",
		.fentry_prog = "fe_attach",
		.fexit_progs = { [2] = "fx_attach2", [3] = "fx_attach3" },
		.kprobe_unrolled = "kp_attach_unrolled", .fentry_unrolled = "fe_attach_unrolled",
		.required = true,
		.missing_hint = "load VFIO (modprobe vfio-pci vfio_iommu_type1) and retry",
		.backend = "type1",
	},
	/*
	 * 6.13+: _flags (the short name became an inline wrapper);
	 * 6.11-6.12: iommu_paging_domain_alloc, which type1 calls although
	 * iommu_domain_alloc still exists there. Both rows attach when both exist.
	 */
	[HOOK_ALLOC_DEV] = {
		.hook = "domain_alloc", .purpose = "IOMMU paging domain allocation (by device)",
		.candidates = { "iommu_paging_domain_alloc_flags", "iommu_paging_domain_alloc" },
		.kprobe_prog = "kp_alloc_dev", .kretprobe_prog = "krp_alloc",
		.fentry_prog = "fe_alloc_dev",
		.fexit_progs = { [1] = "fx_alloc_dev1", [2] = "fx_alloc_dev2" },
		.required = true,
		.missing_hint = "kernel without CONFIG_IOMMU_API?",
		.kprobe_preferred = ALLOC_KPROBE,
	},
	/* 5.10-6.12; what type1 calls up to 6.10 */
	[HOOK_ALLOC_BUS] = {
		.hook = "domain_alloc", .purpose = "IOMMU domain allocation (by bus)",
		.candidates = { "iommu_domain_alloc" },
		.kprobe_prog = "kp_alloc_bus", .kretprobe_prog = "krp_alloc",
		.fentry_prog = "fe_alloc_bus",
		.fexit_progs = { [1] = "fx_alloc_bus1" },
		.required = true,
		.missing_hint = "kernel without CONFIG_IOMMU_API?",
		.kprobe_preferred = ALLOC_KPROBE,
	},
	/* 6.1+: vfio_device_put_registration; 5.10-6.0: vfio_device_put */
	[HOOK_PUT] = {
		.hook = "device_put", .purpose = "VFIO device reference drop",
		.module = "vfio",
		.candidates = { "vfio_device_put_registration", "vfio_device_put" },
		.kprobe_prog = "kp_put", .fentry_prog = "fe_put",
		.required = true,
		.missing_hint = "load VFIO (modprobe vfio-pci vfio_iommu_type1) and retry",
		/*
		 * The put's caller is the point of this hook, and stacks taken under
		 * an fentry trampoline stop at the trampoline (seen on 6.1); puts are
		 * rare, so the kprobe's cost does not matter.
		 */
		.kprobe_preferred = "preferred: its stacks reach the caller (fentry stacks stop at the BPF trampoline)",
	},
	/*
	 * Gets. 6.2+: vfio_device_try_get_registration is out of line (static
	 * and inlined on 6.1; 5.13-6.0 vfio_device_try_get). Where it cannot be
	 * probed, the gets are seen where the reference is taken: 5.10's
	 * lookups that return a held device, and the GET_DEVICE_FD ioctl.
	 */
	[HOOK_GET] = {
		.hook = "device_get", .purpose = "VFIO device reference take",
		.module = "vfio",
		.candidates = { "vfio_device_try_get_registration" },
		.kprobe_prog = "kp_get", .kretprobe_prog = "krp_get",
		.absent_why = "inlined before 6.2: gets are seen where taken (device_fd, 5.10 lookups)",
		.kprobe_preferred = "kprobe only: its stacks reach the caller",
	},
	[HOOK_GET_LOOKUP] = {	/* 5.10: returns the group's device with a kref taken */
		.hook = "device_get", .purpose = "VFIO device lookup that takes a reference (5.10)",
		.module = "vfio",
		.candidates = { "vfio_group_get_device" },
		.kprobe_prog = "kp_get", .kretprobe_prog = "krp_lookup",
		.absent_why = "5.10-5.x only",
		.kprobe_preferred = "kprobe only: its stacks reach the caller",
	},
	[HOOK_GET_FROM_DEV] = {	/* exported up to 5.19 */
		.hook = "device_get", .purpose = "VFIO device lookup by struct device (up to 5.19)",
		.module = "vfio",
		.candidates = { "vfio_device_get_from_dev" },
		.kprobe_prog = "kp_get", .kretprobe_prog = "krp_lookup",
		.absent_why = "up to 5.19 only",
		.kprobe_preferred = "kprobe only: its stacks reach the caller",
	},
	/*
	 * GET_DEVICE_FD: the device name user space asked for (names devices
	 * where no BTF describes struct vfio_device), and the fd's reference as
	 * a get where HOOK_GET is missing (inlined into this ioctl on 5.10, 6.1).
	 */
	[HOOK_GET_FD] = {
		.hook = "device_fd", .purpose = "VFIO_GROUP_GET_DEVICE_FD (device name; its get where inlined)",
		.module = "vfio",
		.candidates = { "vfio_group_fops_unl_ioctl" },
		.kprobe_prog = "kp_devfd_ioctl", .kretprobe_prog = "krp_devfd_ioctl",
		.kprobe_preferred = "kprobe only: reads the new fd at return",
	},
	/* all four kernels (Debian 5.10 has the 5.13 backport): waits for the last put */
	[HOOK_UNREG] = {
		.hook = "unregister", .purpose = "VFIO device unregistration (waits for references: hung unbind)",
		.module = "vfio",
		.candidates = { "vfio_unregister_group_dev" },
		.kprobe_prog = "kp_unreg", .kretprobe_prog = "krp_unreg",
		.kprobe_preferred = "kprobe only: entry and return of a long wait",
	},
	/*
	 * DMA (--dma). The map/unmap chain (vfio_dma_do_map and below) is
	 * inlined into vfio_iommu_type1_ioctl on 5.10, 6.1, 6.12 and 7.2: the
	 * ioctl with its cmd is the one place a map's result is seen.
	 */
	[HOOK_DMA_IOCTL] = {
		.hook = "dma", .purpose = "VFIO_IOMMU_MAP_DMA / UNMAP_DMA (type1 ioctl)",
		.module = "vfio_iommu_type1",
		.candidates = { "vfio_iommu_type1_ioctl" },
		.kprobe_prog = "kp_dma_ioctl", .kretprobe_prog = "krp_dma_ioctl",
		.kprobe_preferred = "kprobe only: the request is read at entry, the result at return",
		.opt_in = "--dma",
		.backend = "type1",
	},
	[HOOK_DMA_PIN] = {	/* pages pinned; its -ENOMEM is the RLIMIT_MEMLOCK check */
		.hook = "dma_pin", .purpose = "DMA page pinning (memlock accounting)",
		.module = "vfio_iommu_type1",
		.candidates = { "vfio_pin_pages_remote" },
		.kprobe_prog = "kp_dma_pin", .kretprobe_prog = "krp_dma_pin",
		.kprobe_preferred = "kprobe only: reads its limit argument and the task's locked_vm",
		.opt_in = "--dma",
		.backend = "type1",
	},
	[HOOK_DMA_ATTACH] = {	/* which container (struct vfio_iommu) a group is attached to */
		.hook = "dma_container", .purpose = "group to container, for DMA per group",
		.module = "vfio_iommu_type1",
		.candidates = { "vfio_iommu_type1_attach_group" },
		.kprobe_prog = "kp_dma_attach",
		.kprobe_preferred = "kprobe only: a second probe on the attach, loaded with --dma",
		.opt_in = "--dma",
		.backend = "type1",
	},
	[HOOK_DMA_RELEASE] = {	/* the container is freed: its address may come back as another */
		.hook = "dma_container", .purpose = "container release, for DMA per group",
		.module = "vfio_iommu_type1",
		.candidates = { "vfio_iommu_type1_release" },
		.kprobe_prog = "kp_dma_release",
		.kprobe_preferred = "kprobe only: loaded with --dma",
		.opt_in = "--dma",
		.backend = "type1",
	},
	/*
	 * Attach-failure diagnosis: kprobes only (rare calls; one program fits
	 * every signature; 5.10 has no module BTF). A step whose function is
	 * absent on a kernel is not observed there, and reported as unknown.
	 */
	[HOOK_GROUP_OPEN] = {
		.hook = "group_open", .purpose = "open of /dev/vfio/N (EBUSY: held; holders)",
		.module = "vfio", .candidates = { "vfio_group_fops_open" },
		.kprobe_prog = "kp_group_open", .kretprobe_prog = "krp_group_open",
	},
	[HOOK_GROUP_RELEASE] = {
		.hook = "group_release", .purpose = "last close of /dev/vfio/N (holder gone)",
		.module = "vfio", .candidates = { "vfio_group_fops_release" },
		.kprobe_prog = "kp_group_release",
	},
	/* set_container / get_device_fd are inlined into it on every kernel tested */
	[HOOK_GROUP_IOCTL] = {
		.hook = "group_ioctl", .purpose = "VFIO_GROUP_SET_CONTAINER / GET_DEVICE_FD result",
		.module = "vfio", .candidates = { "vfio_group_fops_unl_ioctl" },
		.kprobe_prog = "kp_group_ioctl", .kretprobe_prog = "krp_group_ioctl",
	},
	/* 6.0+ (5.19 for the function): a group with a member bound to a host driver fails here */
	[HOOK_DMA_OWNER] = {
		.kernels = "5.19+",
		.hook = "step_dma_owner", .purpose = "DMA-ownership claim at set-container (not viable)",
		.candidates = { "iommu_group_claim_dma_owner" },
		.kprobe_prog = "kp_dma_owner", .kretprobe_prog = "krp_dma_owner",
	},
	/* up to 5.19: the viability check (at GET_DEVICE_FD on 5.10) */
	[HOOK_VIABLE] = {
		.kernels = "up to 5.19",
		.hook = "step_viable", .purpose = "group viability check per member (not viable)",
		.module = "vfio", .candidates = { "vfio_dev_viable" },
		.kprobe_prog = "kp_viable", .kretprobe_prog = "krp_viable",
	},
	/* 6.4+: iommu_group_has_isolated_msi; up to 6.3: irq_domain_check_msi_remap() || ... */
	[HOOK_MSI] = {
		.kernels = "all (irq_domain_check_msi_remap up to 6.3, iommu_group_has_isolated_msi 6.4+)",
		.hook = "step_msi", .purpose = "interrupt remapping / MSI isolation check in type1",
		.candidates = { "iommu_group_has_isolated_msi", "irq_domain_check_msi_remap" },
		.kretprobe_prog = "krp_msi",
	},
	/* the other half of the check up to 6.3: iommu_capable (<= 5.19), device_iommu_capable (6.0+) */
	[HOOK_MSI_CAP] = {
		.kernels = "up to 6.3",
		.hook = "step_msi", .purpose = "IOMMU interrupt-remapping capability (MSI check)",
		.candidates = { "iommu_capable", "device_iommu_capable" },
		.kprobe_prog = "kp_msi_cap", .kretprobe_prog = "krp_msi_cap",
		.superseded_by = "iommu_group_has_isolated_msi",
	},
	[HOOK_ATTACH_GROUP] = {
		.hook = "step_attach_group", .purpose = "iommu_attach_group in type1 attach",
		.candidates = { "iommu_attach_group" },
		.kretprobe_prog = "krp_attach_group",
	},
	/* Intel only; refuses RMRR devices up to 6.1 */
	[HOOK_DRIVER_ATTACH] = {
		.kernels = "all (Intel VT-d)",
		.hook = "step_driver_attach", .purpose = "IOMMU driver attach_dev (Intel VT-d)",
		.candidates = { "intel_iommu_attach_device" },
		.kretprobe_prog = "krp_driver_attach",
	},
	[HOOK_MSI_COOKIE] = {
		.hook = "step_msi_cookie", .purpose = "MSI IOVA cookie (IOMMUs that translate MSIs)",
		.candidates = { "iommu_get_msi_cookie" },
		.kretprobe_prog = "krp_msi_cookie",
	},
	/* 6.0-6.10: type1 allocates by dev->bus in this per-device callback: names the device */
	[HOOK_ALLOC_CB] = {
		.kernels = "6.0+",
		.hook = "alloc_device", .purpose = "device a type1 domain is allocated for (6.0+)",
		.module = "vfio_iommu_type1", .candidates = { "vfio_iommu_domain_alloc" },
		.kprobe_prog = "kp_alloc_cb",
	},
	/*
	 * Device open, close and reset ioctls (issue 23): who asked for a reset.
	 * 6.1+ the callbacks take a struct vfio_device; 5.10 vfio-pci's private
	 * struct vfio_pci_device: a program per layout. Kprobes: rare calls in
	 * modules (PINS_MODULE), one program fits both return types.
	 */
	[HOOK_DEV_OPEN] = {
		.kernels = "6.1+",
		.hook = "device_open", .purpose = "vfio-pci open of a device (enable: power-up, reset)",
		.module = "vfio_pci", .candidates = { "vfio_pci_open_device" },
		.kprobe_prog = "kp_vopen", .kretprobe_prog = "krp_vopen",
		.absent_why = "5.14+ (vfio_pci_open before)",
	},
	[HOOK_DEV_OPEN_510] = {
		.kernels = "up to 5.13",
		.hook = "device_open", .purpose = "vfio-pci open of a device (up to 5.13)",
		.module = "vfio_pci", .candidates = { "vfio_pci_open" },
		.kprobe_prog = "kp_vopen_510", .kretprobe_prog = "krp_vopen",
		.absent_why = "up to 5.13 (vfio_pci_open_device since)",
	},
	[HOOK_DEV_CLOSE] = {
		.kernels = "6.1+",
		.hook = "device_close", .purpose = "vfio-pci last close of a device (disable: reset)",
		.module = "vfio_pci_core", .candidates = { "vfio_pci_core_close_device" },
		.kprobe_prog = "kp_vclose", .kretprobe_prog = "krp_vclose",
		.absent_why = "5.15+ (vfio_pci_release before)",
	},
	[HOOK_DEV_CLOSE_510] = {
		.kernels = "up to 5.13",
		.hook = "device_close", .purpose = "vfio-pci release of a device (up to 5.13)",
		.module = "vfio_pci", .candidates = { "vfio_pci_release" },
		.kprobe_prog = "kp_vclose_510", .kretprobe_prog = "krp_vclose",
		.absent_why = "up to 5.13",
	},
	[HOOK_DEV_IOCTL] = {
		.kernels = "6.1+",
		.hook = "device_ioctl", .purpose = "VFIO_DEVICE_RESET / PCI_HOT_RESET (who asked; refusals)",
		.module = "vfio_pci_core", .candidates = { "vfio_pci_core_ioctl" },
		.kprobe_prog = "kp_vioctl", .kretprobe_prog = "krp_vioctl",
		.kprobe_unrolled = "kp_vioctl_unrolled",
		.absent_why = "5.15+ (vfio_pci_ioctl before)",
	},
	[HOOK_DEV_IOCTL_510] = {
		.kernels = "up to 5.13",
		.hook = "device_ioctl", .purpose = "VFIO_DEVICE_RESET / PCI_HOT_RESET (up to 5.13)",
		.module = "vfio_pci", .candidates = { "vfio_pci_ioctl" },
		.kprobe_prog = "kp_vioctl_510", .kretprobe_prog = "krp_vioctl",
		.absent_why = "up to 5.13",
	},
	/*
	 * Resets, in the PCI core: every function reset (vfio's open, close and
	 * VFIO_DEVICE_RESET, sysfs) passes __pci_reset_function_locked; bus and
	 * slot resets (hot reset, close of the last device of a set) pci_reset_bus.
	 * Kprobes only: a vendor-reset module replaces pci_dev_specific_reset by
	 * ftrace (IPMODIFY), which kprobes share and an fentry trampoline would not.
	 */
	[HOOK_RESET_FN] = {
		.hook = "reset", .purpose = "PCI function reset (result, latency, methods tried)",
		.candidates = { "__pci_reset_function_locked" },
		.kprobe_prog = "kp_reset_fn", .kretprobe_prog = "krp_reset_fn",
		.absent_why = "kernel without PCI?",
		.pci_shared = true,
	},
	[HOOK_RM_SPECIFIC] = {
		.hook = "reset_method", .purpose = "reset method device_specific (quirks, vendor-reset)",
		.candidates = { "pci_dev_specific_reset" }, .kretprobe_prog = "krp_rm_specific",
		.absent_why = "kernel without PCI quirks",
		.pci_shared = true,
	},
	[HOOK_RM_ACPI] = {
		.kernels = "5.15+",
		.hook = "reset_method", .purpose = "reset method acpi (_RST)",
		.candidates = { "pci_dev_acpi_reset" }, .kretprobe_prog = "krp_rm_acpi",
		.absent_why = "5.15+ with ACPI",
		.pci_shared = true,
	},
	[HOOK_RM_FLR] = {
		.hook = "reset_method", .purpose = "reset method flr (PCIe Function Level Reset)",
		.candidates = { "pcie_flr" }, .kretprobe_prog = "krp_rm_flr",
		.pci_shared = true,
	},
	[HOOK_RM_AF_FLR] = {
		.hook = "reset_method", .purpose = "reset method af_flr (Advanced Features FLR)",
		.candidates = { "pci_af_flr" }, .kretprobe_prog = "krp_rm_af_flr",
		.absent_why = "inlined",
		.pci_shared = true,
	},
	/* inlined on 5.10: a PM reset is inferred there (reset_unhooked) */
	[HOOK_RM_PM] = {
		.hook = "reset_method", .purpose = "reset method pm (D3hot and back)",
		.candidates = { "pci_pm_reset" }, .kretprobe_prog = "krp_rm_pm",
		.absent_why = "inlined (5.10): a PM reset is inferred from the order",
		.pci_shared = true,
	},
	[HOOK_RM_BUS] = {
		.hook = "reset_method", .purpose = "reset method bus (slot or parent bus, device alone on it)",
		.candidates = { "pci_reset_bus_function", "pci_parent_bus_reset" }, .kretprobe_prog = "krp_rm_bus",
		.absent_why = "inlined",
		.pci_shared = true,
	},
	[HOOK_RM_CXL] = {
		.kernels = "6.7+",
		.hook = "reset_method", .purpose = "reset method cxl_bus (CXL secondary bus reset)",
		.candidates = { "cxl_reset_bus_function" }, .kretprobe_prog = "krp_rm_cxl",
		.absent_why = "6.7+",
		.pci_shared = true,
	},
	[HOOK_RESET_BUS] = {
		.hook = "reset_bus", .purpose = "PCI bus or slot reset (hot reset; every device below)",
		.candidates = { "pci_reset_bus" },
		.kprobe_prog = "kp_reset_bus", .kretprobe_prog = "krp_reset_bus",
		.absent_why = "kernel without PCI?",
		.pci_shared = true,
	},
	/*
	 * What a bus reset did: a hotplug slot's reset, or the bridge's secondary
	 * bus reset. pci_bridge_secondary_bus_reset is exported but inlined into
	 * __pci_reset_bus (seen on 6.1): the reset itself is hooked. The slot's
	 * row is not pci_shared: its argument 1 is the slot, not a struct pci_dev.
	 */
	[HOOK_SLOT_RESET] = {
		.hook = "reset_bus", .purpose = "hotplug slot reset (a bus reset done by its slot)",
		.candidates = { "pci_reset_hotplug_slot" }, .kprobe_prog = "kp_slot_reset",
		.absent_why = "inlined",
	},
	[HOOK_SBR] = {
		.hook = "reset_bus", .purpose = "secondary bus reset (a bus reset that ran)",
		.candidates = { "pci_reset_secondary_bus" }, .kprobe_prog = "kp_sbr",
		.absent_why = "inlined",
		.pci_shared = true,
	},
	/*
	 * D-states: vfio-pci's D0 at open and its idle D3hot after the last close
	 * (runtime suspend, in a kworker, from 5.19). __pci_set_power_state is
	 * where both the plain and the _locked setter end (upstream 6.9, and
	 * Debian's 6.1 backport, where pci_finish_runtime_suspend calls it
	 * directly); 5.10 has only pci_set_power_state.
	 */
	[HOOK_POWER] = {
		.hook = "power", .purpose = "PCI D-state change of a VFIO device",
		.candidates = { "__pci_set_power_state", "pci_set_power_state" },
		.kprobe_prog = "kp_power", .kretprobe_prog = "krp_power",
		.absent_why = "kernel without PCI?",
		.pci_shared = true,
	},
	[HOOK_POWER_LOCKED] = {
		.hook = "power", .purpose = "PCI D-state change, caller holds the device lock",
		.candidates = { "pci_set_power_state_locked" },
		.kprobe_prog = "kp_power", .kretprobe_prog = "krp_power",
		.superseded_by = "__pci_set_power_state",
		.absent_why = "6.9+ and stable backports",
		.pci_shared = true,
	},
	[HOOK_POWER_UP] = {
		.hook = "power", .purpose = "PCI power-up to D0 (runtime resume)",
		.candidates = { "pci_power_up" },
		.kprobe_prog = "kp_power_up", .kretprobe_prog = "krp_power",
		.absent_why = "inlined",
		.pci_shared = true,
	},
	/*
	 * IOMMU faults (issue 24). VT-d's per-fault function dmar_fault_do_one is inlined into
	 * dmar_fault on 5.10, 6.1, 6.12 and 7.2, and both skip a rate-limited fault: the fault
	 * recording registers are read at the interrupt handler's entry, before it clears them.
	 */
	[HOOK_DMAR_FAULT] = {
		.hook = "iommu_fault", .purpose = "VT-d fault interrupt (every recorded fault, rate limit or not)",
		.candidates = { "dmar_fault" },
		.kprobe_prog = "kp_dmar_fault", .fentry_prog = "fe_dmar_fault",
		.absent_why = "no Intel IOMMU support (CONFIG_INTEL_IOMMU / DMAR_TABLE)",
		/* fentry first: a kprobe misses faults that land inside a bpf() map syscall (storms) */
	},
	/* AMD-Vi, Arm SMMU and others; VT-d never calls it for DMA remapping faults */
	[HOOK_REPORT_FAULT] = {
		.hook = "iommu_fault", .purpose = "report_iommu_fault (AMD-Vi, Arm SMMU faults)",
		.candidates = { "report_iommu_fault" },
		.kprobe_prog = "kp_report_fault",
		.absent_why = "kernel without CONFIG_IOMMU_API?",
		.kprobe_preferred = "kprobe only: a rare call",
	},
	/*
	 * The iommufd backend, 6.2+ with CONFIG_IOMMUFD (none of Debian's kernels
	 * through 7.2): VFIO attaches a device (its cdev, 6.6+, or a group
	 * through iommufd's /dev/vfio/vfio) to an IOAS or HWPT here, and type1's
	 * attach is never called. Counted as the group's attach.
	 */
	[HOOK_IOMMUFD_ATTACH] = {
		.hook = "attach", .purpose = "iommufd device attach (to an IOAS or HWPT)",
		.module = "vfio",
		.candidates = { "vfio_iommufd_physical_attach_ioas" },
		.kprobe_prog = "kp_iommufd_attach", .kretprobe_prog = "krp_attach",
		.absent_why = "VFIO built without CONFIG_IOMMUFD: attaches go through type1",
		.kprobe_preferred = "kprobe only: a rare call",
		.kernels = "6.2+",
		.backend = "iommufd",
	},
	/*
	 * The paging domain of an iommufd attach: the IOMMU driver's
	 * domain_alloc_user (VT-d's), not iommu_paging_domain_alloc, so the
	 * domain_alloc rows above do not see it.
	 */
	[HOOK_IOMMUFD_HWPT] = {
		.hook = "domain_alloc", .purpose = "iommufd paging domain (HWPT) allocation",
		.module = "iommufd",
		.candidates = { "iommufd_hwpt_paging_alloc" },
		.kprobe_prog = "kp_alloc_hwpt", .kretprobe_prog = "krp_alloc_hwpt",
		.absent_why = "kernel without CONFIG_IOMMUFD",
		.kprobe_preferred = ALLOC_KPROBE,
		.kernels = "6.2+",
		.backend = "iommufd",
	},
	/* a device bound to an iommufd (its cdev's VFIO_DEVICE_BIND_IOMMUFD), and detached */
	[HOOK_IOMMUFD_BIND] = {
		.hook = "iommufd_bind", .purpose = "iommufd device bind",
		.module = "vfio",
		.candidates = { "vfio_iommufd_physical_bind" },
		.kprobe_prog = "kp_iommufd_bind", .kretprobe_prog = "krp_iommufd_bind",
		.absent_why = "VFIO built without CONFIG_IOMMUFD",
		.kprobe_preferred = "kprobe only: a rare call",
		.kernels = "6.2+",
		.backend = "iommufd",
	},
	[HOOK_IOMMUFD_DETACH] = {
		.hook = "iommufd_detach", .purpose = "iommufd device detach (from its IOAS or HWPT)",
		.module = "vfio",
		.candidates = { "vfio_iommufd_physical_detach_ioas" },
		.kprobe_prog = "kp_iommufd_detach",
		.absent_why = "VFIO without CONFIG_IOMMUFD, or before 6.6 (no detach: the unbind detaches)",
		.kprobe_preferred = "kprobe only: a rare call",
		.kernels = "6.6+",
		.backend = "iommufd",
	},
	/* --dma through iommufd: an IOAS's io_pagetable stands for the container (bpf/dma.bpf.c) */
	[HOOK_IOAS_MAP] = {
		.hook = "dma", .purpose = "IOMMU_IOAS_MAP (iommufd)",
		.module = "iommufd",
		.candidates = { "iopt_map_user_pages" },
		.kprobe_prog = "kp_ioas_map", .kretprobe_prog = "krp_ioas",
		.absent_why = "kernel without CONFIG_IOMMUFD",
		.kprobe_preferred = "kprobe only: the request is read at entry, the result at return",
		.opt_in = "--dma",
		.kernels = "6.2+",
		.backend = "iommufd",
	},
	[HOOK_IOAS_UNMAP] = {
		.hook = "dma", .purpose = "IOMMU_IOAS_UNMAP (iommufd)",
		.module = "iommufd",
		.candidates = { "iopt_unmap_iova" },
		.kprobe_prog = "kp_ioas_unmap", .kretprobe_prog = "krp_ioas",
		.absent_why = "kernel without CONFIG_IOMMUFD",
		.kprobe_preferred = "kprobe only: the request is read at entry, the result at return",
		.opt_in = "--dma",
		.kernels = "6.2+",
		.backend = "iommufd",
	},
	[HOOK_IOAS_ATTACH] = {	/* each device attached to a paging HWPT of the IOAS */
		.hook = "dma_container", .purpose = "device to IOAS, for DMA per group (iommufd)",
		.module = "iommufd",
		.candidates = { "iopt_table_enforce_dev_resv_regions" },
		.kprobe_prog = "kp_ioas_attach",
		.absent_why = "kernel without CONFIG_IOMMUFD",
		.kprobe_preferred = "kprobe only: loaded with --dma",
		.opt_in = "--dma",
		.kernels = "6.2+",
		.backend = "iommufd",
	},
	[HOOK_IOAS_RELEASE] = {
		.hook = "dma_container", .purpose = "IOAS destroyed, for DMA per group (iommufd)",
		.module = "iommufd",
		.candidates = { "iopt_destroy_table" },
		.kprobe_prog = "kp_ioas_release",
		.absent_why = "kernel without CONFIG_IOMMUFD",
		.kprobe_preferred = "kprobe only: loaded with --dma",
		.opt_in = "--dma",
		.kernels = "6.2+",
		.backend = "iommufd",
	},
};

unsigned int targets_reset_unhooked(const struct resolved out[NR_HOOKS])
{
	static const int rows[NR_RESET_METHODS] = {
		[RM_DEVICE_SPECIFIC] = HOOK_RM_SPECIFIC, [RM_ACPI] = HOOK_RM_ACPI, [RM_FLR] = HOOK_RM_FLR,
		[RM_AF_FLR] = HOOK_RM_AF_FLR, [RM_PM] = HOOK_RM_PM, [RM_BUS] = HOOK_RM_BUS,
		[RM_CXL_BUS] = HOOK_RM_CXL,
	};
	unsigned int mask = 0;
	int m;

	for (m = RM_NONE + 1; m < NR_RESET_METHODS; m++)
		if (rows[m] && !out[rows[m]].func)
			mask |= 1u << m;
	return mask;
}

bool has_return_probe(const struct target *t)
{
	return t->kretprobe_prog != NULL;
}

const char *fexit_prog(const struct target *t, int nargs)
{
	return nargs >= 0 && nargs <= MAX_NARGS ? t->fexit_progs[nargs] : NULL;
}

static bool bpf_loop = true;

void targets_set_bpf_loop(bool has)
{
	bpf_loop = has;
}

void target_programs(const struct target *t, const struct resolved *r, const char *names[2])
{
	const char *unrolled = r->style == STYLE_FENTRY ? t->fentry_unrolled : t->kprobe_unrolled;

	names[0] = !bpf_loop && unrolled ? unrolled : r->style == STYLE_FENTRY ? t->fentry_prog : t->kprobe_prog;
	names[1] = r->style == STYLE_FENTRY ? fexit_prog(t, r->nargs) : t->kretprobe_prog;
}

int target_programs_check(bool (*has)(void *ctx, const char *name), void *ctx, char *msg, int len)
{
	int i, k;

	for (i = 0; i < NR_HOOKS; i++) {
		const struct target *t = &targets[i];
		const char *names[5 + MAX_NARGS + 1] = { t->kprobe_prog, t->kretprobe_prog, t->fentry_prog,
							  t->kprobe_unrolled, t->fentry_unrolled };

		for (k = 0; k <= MAX_NARGS; k++)
			names[5 + k] = t->fexit_progs[k];
		for (k = 0; k < (int)(sizeof(names) / sizeof(names[0])); k++) {
			if (!names[k] || has(ctx, names[k]))
				continue;
			snprintf(msg, len, "the BPF object has no program %s, which the target table names "
				 "for %s (%s): vfiotrace was built from user/ and bpf/ that disagree; "
				 "rebuild it from one source tree", names[k], t->hook, t->candidates[0]);
			return -1;
		}
	}
	return 0;
}

const char *style_name(enum style s)
{
	return s == STYLE_FENTRY ? "fentry" : s == STYLE_KPROBE ? "kprobe" :
	       s == STYLE_KPROBE_MULTI ? "kprobe.multi" : "none";
}

bool resolved_has_style(const struct resolved res[NR_HOOKS], enum style style)
{
	int i;

	for (i = 0; i < NR_HOOKS; i++)
		if (res[i].func && res[i].style == style)
			return true;
	return false;
}
