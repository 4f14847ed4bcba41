/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-workload --iommufd: the calls a VMM makes through /dev/iommu and the VFIO device
 * cdev (/dev/vfio/devices/vfioN, 6.6+) instead of the type1 container (tools/vfio-iommufd.c).
 * Each returns 0 or -1 with errno set by the kernel, as the ioctl did.
 */
#ifndef VFIO_IOMMUFD_H
#define VFIO_IOMMUFD_H

/* /dev/iommu opened and one IOAS allocated in it: the iommufd, or -1. */
int iommufd_ioas_open(unsigned int *ioas);
/* The IOAS destroyed and the iommufd closed. */
void iommufd_ioas_close(int iommufd, unsigned int ioas);
/* The cdev of PCI device bdf (its vfio-dev/vfioN in sysfs) opened: the fd, or -1 (ENODEV: none). */
int iommufd_device_open(const char *bdf);
int iommufd_bind(int devfd, int iommufd, unsigned int *devid);
/* The device attached to the IOAS; *hwpt: the paging domain's object the kernel chose. */
int iommufd_attach(int devfd, unsigned int ioas, unsigned int *hwpt);
int iommufd_detach(int devfd);
int iommufd_map(int iommufd, unsigned int ioas, unsigned long long iova, unsigned long long size,
		void *buf);
/* *unmapped: the bytes the kernel says it unmapped. */
int iommufd_unmap(int iommufd, unsigned int ioas, unsigned long long iova, unsigned long long size,
		  unsigned long long *unmapped);

#endif
