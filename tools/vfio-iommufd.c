// SPDX-License-Identifier: GPL-2.0
/* The iommufd and VFIO cdev ioctls of vfio-workload --iommufd (vfio-iommufd.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/types.h>
#include <linux/vfio.h>

#include "vfio-iommufd.h"

/*
 * The uapi this needs, where the build host's headers predate it (Debian 12's are 6.1):
 * include/uapi/linux/iommufd.h (6.2) and the cdev ioctls of include/uapi/linux/vfio.h (6.6).
 * An ABI: the numbers and layouts cannot change.
 */
#define IOMMUFD_TYPE ';'
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, 0x80)
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, 0x81)
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, 0x85)
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, 0x86)
#define IOMMU_IOAS_MAP_FIXED_IOVA (1 << 0)
#define IOMMU_IOAS_MAP_WRITEABLE (1 << 1)
#define IOMMU_IOAS_MAP_READABLE (1 << 2)
#define VFIO_DEVICE_BIND_IOMMUFD_NR _IO(VFIO_TYPE, VFIO_BASE + 18)
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT_NR _IO(VFIO_TYPE, VFIO_BASE + 19)
#define VFIO_DEVICE_DETACH_IOMMUFD_PT_NR _IO(VFIO_TYPE, VFIO_BASE + 20)

struct iommu_destroy_arg { __u32 size, id; };
struct iommu_ioas_alloc_arg { __u32 size, flags, out_ioas_id; };
struct iommu_ioas_map_arg {
	__u32 size, flags, ioas_id, reserved;
	__aligned_u64 user_va, length, iova;
};
struct iommu_ioas_unmap_arg {
	__u32 size, ioas_id;
	__aligned_u64 iova, length;
};
struct vfio_bind_arg { __u32 argsz, flags; __s32 iommufd; __u32 out_devid; };
struct vfio_attach_arg { __u32 argsz, flags, pt_id; };
struct vfio_detach_arg { __u32 argsz, flags; };

int iommufd_ioas_open(unsigned int *ioas)
{
	struct iommu_ioas_alloc_arg a = { .size = sizeof(a) };
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC), e;

	if (fd < 0)
		return -1;
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &a)) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	*ioas = a.out_ioas_id;
	return fd;
}

void iommufd_ioas_close(int iommufd, unsigned int ioas)
{
	struct iommu_destroy_arg d = { .size = sizeof(d), .id = ioas };

	ioctl(iommufd, IOMMU_DESTROY, &d);
	close(iommufd);
}

int iommufd_device_open(const char *bdf)
{
	char path[160];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(path);
	if (!d) {
		errno = ENODEV;		/* not bound to a VFIO driver (or no cdev in this kernel) */
		return -1;
	}
	path[0] = 0;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "vfio", 4))
			snprintf(path, sizeof(path), "/dev/vfio/devices/%.32s", e->d_name);
	closedir(d);
	if (!path[0]) {
		errno = ENODEV;
		return -1;
	}
	return open(path, O_RDWR | O_CLOEXEC);
}

int iommufd_bind(int devfd, int iommufd, unsigned int *devid)
{
	struct vfio_bind_arg b = { .argsz = sizeof(b), .iommufd = iommufd };

	if (ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD_NR, &b))
		return -1;
	*devid = b.out_devid;
	return 0;
}

int iommufd_attach(int devfd, unsigned int ioas, unsigned int *hwpt)
{
	struct vfio_attach_arg a = { .argsz = sizeof(a), .pt_id = ioas };

	if (ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT_NR, &a))
		return -1;
	*hwpt = a.pt_id;
	return 0;
}

int iommufd_detach(int devfd)
{
	struct vfio_detach_arg d = { .argsz = sizeof(d) };

	return ioctl(devfd, VFIO_DEVICE_DETACH_IOMMUFD_PT_NR, &d);
}

int iommufd_map(int iommufd, unsigned int ioas, unsigned long long iova, unsigned long long size,
		void *buf)
{
	struct iommu_ioas_map_arg m = { .size = sizeof(m), .ioas_id = ioas, .user_va = (unsigned long)buf,
		.length = size, .iova = iova,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE };

	return ioctl(iommufd, IOMMU_IOAS_MAP, &m);
}

int iommufd_unmap(int iommufd, unsigned int ioas, unsigned long long iova, unsigned long long size,
		  unsigned long long *unmapped)
{
	struct iommu_ioas_unmap_arg u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = size };

	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &u))
		return -1;
	*unmapped = u.length;
	return 0;
}
