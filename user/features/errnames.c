// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include "errnames.h"

struct errinfo {
	int err;
	const char *name;
	const char *cause;	/* in vfio_iommu_type1_attach_group (KERNELS.md) */
	const char *remedy;
};

static const struct errinfo table[] = {
	{ EPERM, "EPERM",
	  "no interrupt (MSI) remapping on this platform and vfio_iommu_type1.allow_unsafe_interrupts=0",
	  "enable interrupt remapping (intel_iommu=on with an IR-capable IOMMU, e.g. QEMU intel-iommu,intremap=on), or accept the risk: modprobe vfio_iommu_type1 allow_unsafe_interrupts=1" },
	{ EINVAL, "EINVAL",
	  "group already attached to this container, IOVA aperture or reserved-region conflict, or (before 6.0) a group spanning several bus types",
	  "check for a second VFIO_SET_IOMMU on the same container and for reserved regions in /sys/kernel/iommu_groups/N/reserved_regions" },
	{ EBUSY, "EBUSY",
	  "the container has DMA mappings whose vaddr is invalidated (VFIO_DMA_UNMAP_FLAG_VADDR in progress)",
	  "finish the live-update vaddr replacement (VFIO_DMA_MAP_FLAG_VADDR) before attaching more groups" },
	{ ENOMEM, "ENOMEM", "memory allocation failed during the attach", "check memory pressure and the memlock limit" },
	{ EIO, "EIO",
	  "IOMMU domain allocation returned NULL (5.10-6.10): the bus has no IOMMU driver or it refused an unmanaged domain",
	  "check that the IOMMU is enabled (intel_iommu=on / amd_iommu=on) and the device is behind it" },
	{ ENODEV, "ENODEV", "the device has no IOMMU driver (iommu_paging_domain_alloc, 6.11+)",
	  "enable the IOMMU on the kernel command line and check dmesg for DMAR/IOMMU errors" },
	{ EOPNOTSUPP, "EOPNOTSUPP", "the IOMMU driver cannot allocate a paging domain for this device",
	  "the IOMMU driver does not support VFIO for this device; check dmesg" },
	{ EEXIST, "EEXIST", "the group is already attached", "do not attach the same group twice" },
	{ EFAULT, "EFAULT", "bad user pointer", "a bug in the VFIO client" },
	{ ENOSPC, "ENOSPC", "no free IOVA space or domain id", "reduce mappings or domains in use" },
	{ EACCES, "EACCES", "permission denied", "check permissions of /dev/vfio/N" },
	{ ENXIO, "ENXIO", "no such device or address", "check the device is still present" },
};

static const struct errinfo *lookup(int err)
{
	unsigned int i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].err == err)
			return &table[i];
	return NULL;
}

const char *errno_name(int err)
{
	static char buf[16];
	const struct errinfo *e = lookup(err);

	if (e)
		return e->name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

const char *attach_cause(int err)
{
	const struct errinfo *e = lookup(err);

	return e ? e->cause : NULL;
}

const char *attach_remedy(int err)
{
	const struct errinfo *e = lookup(err);

	return e ? e->remedy : NULL;
}
