/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the VFIO features (attach, diag, dma, refs) read the same way: the
 * VFIO ioctl numbers, the errno values they test, the names of a device and
 * its bus, and the walk over the devices of an IOMMU group. Reads of the
 * CO-RE flavours (struct vfio_device and the like) are in core_fixes.bpf.h,
 * beside the flavours.
 */
#ifndef VFIOTRACE_VFIO_SHARED_BPF_H
#define VFIOTRACE_VFIO_SHARED_BPF_H

#include "common.bpf.h"

/*
 * include/uapi/linux/vfio.h, stable UAPI: _IO(VFIO_TYPE ';', VFIO_BASE 100 + n),
 * _IO(type, nr) being type << 8 | nr.
 */
#define VFIO_IO(n) ((';' << 8) | (100 + (n)))
#define VFIO_GROUP_SET_CONTAINER VFIO_IO(4)	/* 0x3b68 */
#define VFIO_GROUP_GET_DEVICE_FD VFIO_IO(6)	/* 0x3b6a */
#define VFIO_IOMMU_MAP_DMA VFIO_IO(13)		/* 0x3b71 */
#define VFIO_IOMMU_UNMAP_DMA VFIO_IO(14)	/* 0x3b72 */

/* include/uapi/asm-generic/errno-base.h; MAX_ERRNO: include/linux/err.h (ERR_PTR range). */
#define EPERM 1
#define EIO 5
#define EBUSY 16
#define EEXIST 17
#define EINVAL 22
#define MAX_ERRNO 4095

static __always_inline void read_dev_name(struct device *dev, char *buf)
{
	const char *name = BPF_CORE_READ(dev, kobj.name);

	bpf_probe_read_kernel_str(buf, NAME_LEN, name);
}

static __always_inline void read_bus_name(const struct bus_type *bus, char *buf)
{
	const char *name = BPF_CORE_READ(bus, name);

	if (name)
		bpf_probe_read_kernel_str(buf, BUS_LEN, name);
}

/* The name of the bus dev is on; buf is left as it is when the bus has none. */
static __always_inline void read_dev_bus_name(struct device *dev, char *buf)
{
	read_bus_name(BPF_CORE_READ(dev, bus), buf);
}

/*
 * The devices of an IOMMU group, as the IOMMU core lists them (struct
 * group_device on grp->devices):
 *
 *	struct list_head *head = group_devs_head(grp), *pos = group_devs_first(grp);
 *
 *	for (i = 0; i < max; i++) {
 *		if (group_devs_end(head, pos))
 *			break;
 *		... group_dev_at(pos) ...
 *		pos = group_devs_next(pos);
 *	}
 *
 * Where the kernel has bpf_loop (5.17+), the loop's body is its callback, with
 * head and pos in the context (attach.bpf.c member_step, diag.bpf.c owner_cb):
 * the verifier checks it once instead of once per member.
 */
static __always_inline struct list_head *group_devs_head(struct iommu_group *grp)
{
	return __builtin_preserve_access_index(&grp->devices);
}

static __always_inline struct list_head *group_devs_first(struct iommu_group *grp)
{
	return BPF_CORE_READ(grp, devices.next);
}

static __always_inline bool group_devs_end(struct list_head *head, struct list_head *pos)
{
	return !pos || pos == head;
}

static __always_inline struct list_head *group_devs_next(struct list_head *pos)
{
	return BPF_CORE_READ(pos, next);
}

/* The struct device of the member at pos. */
static __always_inline struct device *group_dev_at(struct list_head *pos)
{
	struct group_device *gd = (void *)pos - bpf_core_field_offset(struct group_device, list);

	return BPF_CORE_READ(gd, dev);
}

#endif
