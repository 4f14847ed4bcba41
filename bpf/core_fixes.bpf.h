/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CO-RE type flavours for kernel types that vmlinux/x86/vmlinux.h does not
 * describe, or that changed shape across the kernels vfiotrace supports.
 * Every field access through these types is relocated against the running
 * kernel's BTF (vmlinux plus module BTF); a field the kernel lacks is tested
 * with bpf_core_field_exists() before it is read, never assumed.
 */
#ifndef VFIOTRACE_CORE_FIXES_BPF_H
#define VFIOTRACE_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "vfiotrace.h"

/*
 * struct vfio_device lives in vfio.ko, which the machine that generated
 * vmlinux.h does not build, so it is declared here with only the fields read.
 * 5.13+: refcount_t refcount + struct completion comp replaced the kref
 * (vfio_device lifetime rework, v5.13); refcount was never renamed through
 * v6.18. `dev` exists in every version.
 */
struct vfio_device {
	struct device *dev;
	refcount_t refcount;
} __attribute__((preserve_access_index));

/*
 * 5.10-5.12: struct vfio_device was private to drivers/vfio/vfio.c and counted
 * with a kref. Debian's 5.10 kernel has no module BTF
 * (CONFIG_DEBUG_INFO_BTF_MODULES unset), so this flavour only relocates when
 * the user passes --btf with BTF that describes vfio.ko; otherwise neither
 * flavour exists and the put is reported without device or refcount.
 */
struct vfio_device___kref {
	struct kref kref;
	struct device *dev;
} __attribute__((preserve_access_index));

/*
 * The struct device and the refcount of a struct vfio_device, through the
 * flavour the running kernel's BTF describes; NULL and REFCOUNT_UNAVAILABLE
 * where BTF describes neither.
 */
static __always_inline struct device *vdev_read(void *vdev, long long *refcount)
{
	*refcount = REFCOUNT_UNAVAILABLE;
	if (bpf_core_field_exists(((struct vfio_device *)0)->refcount)) {
		struct vfio_device *d = vdev;

		*refcount = BPF_CORE_READ(d, refcount.refs.counter);
		return BPF_CORE_READ(d, dev);
	}
	if (bpf_core_field_exists(((struct vfio_device___kref *)0)->kref)) {
		struct vfio_device___kref *d = vdev;

		*refcount = BPF_CORE_READ(d, kref.refcount.refs.counter);
		return BPF_CORE_READ(d, dev);
	}
	return NULL;
}

/* The driver a device is bound to (every version); kept apart from vmlinux.h's struct device. */
struct device___diag {
	struct device_driver *driver;
} __attribute__((preserve_access_index));

/* The driver dev is bound to; NULL when unbound. */
static __always_inline struct device_driver *dev_driver(struct device *dev)
{
	struct device___diag *dd = (void *)dev;

	return BPF_CORE_READ(dd, driver);
}

/*
 * struct pci_dev: the machine that generated vmlinux.h builds no PCI, so it is
 * declared here with only the fields read; all exist in every version.
 * current_state is a pci_power_t (typedef int).
 */
struct pci_dev {
	struct device dev;
	int current_state;
	__u8 pm_cap;		/* 0: no PM capability, the device stays in D0 */
} __attribute__((preserve_access_index));

/*
 * 5.19+ (device DMA ownership, "bus: platform,amba,fsl-mc,PCI: Add device DMA
 * ownership management"): a PCI driver without driver_managed_dma takes the
 * group's DMA ownership when it binds (pci_dma_configure ->
 * iommu_device_use_default_domain), which makes VFIO's claim fail with EPERM.
 * Absent before 5.19: test with bpf_core_field_exists().
 */
struct pci_driver___dma {
	struct device_driver driver;
	bool driver_managed_dma;
} __attribute__((preserve_access_index));

/* drv (the driver of a PCI device) manages DMA itself; false where the field is absent (before 5.19). */
static __always_inline bool pci_driver_managed_dma(struct device_driver *drv)
{
	struct pci_driver___dma *pd;

	if (!bpf_core_field_exists(((struct pci_driver___dma *)0)->driver_managed_dma))
		return false;
	pd = (void *)drv - bpf_core_field_offset(struct pci_driver___dma, driver);
	return BPF_CORE_READ(pd, driver_managed_dma);
}

/*
 * enum iommu_cap: IOMMU_CAP_INTR_REMAP is what type1 asks iommu_capable()
 * (up to 5.19) and device_iommu_capable() (6.0-6.3) for; removed in 6.4 when
 * the check became iommu_group_has_isolated_msi(). Matched by name, so its
 * value comes from the running kernel.
 */
enum iommu_cap___diag {
	IOMMU_CAP_INTR_REMAP___diag = 1,
};

/* cap is IOMMU_CAP_INTR_REMAP of the running kernel; false where the kernel has none (6.4+). */
static __always_inline bool iommu_cap_is_intr_remap(int cap)
{
	return bpf_core_enum_value_exists(enum iommu_cap___diag, IOMMU_CAP_INTR_REMAP___diag) &&
	       cap == bpf_core_enum_value(enum iommu_cap___diag, IOMMU_CAP_INTR_REMAP___diag);
}

/*
 * type1's container and mappings (vfio_iommu_type1.ko; module BTF on 6.1+, none
 * on Debian 5.10, where a failed map is explained from its errno alone).
 * iova_list: v5.4 ("vfio/type1: Introduce iova list and add iommu aperture
 * validity check"); dma_avail: v5.1 ("vfio/type1: Limit DMA mappings per
 * container"); pgsize_bitmap: v5.8 ("vfio iommu: Cache pgsize_bitmap in struct
 * vfio_iommu"). Each is tested with bpf_core_field_exists() before it is read.
 */
struct vfio_iommu {
	struct list_head domain_list;
	struct rb_root dma_list;
	unsigned int dma_avail;
	__u64 pgsize_bitmap;
	struct list_head iova_list;
} __attribute__((preserve_access_index));

struct vfio_dma {
	struct rb_node node;
	__u64 iova;		/* dma_addr_t */
	__u64 size;		/* size_t */
} __attribute__((preserve_access_index));

struct vfio_iova {
	struct list_head list;
	__u64 start;		/* dma_addr_t */
	__u64 end;
} __attribute__((preserve_access_index));

#endif
