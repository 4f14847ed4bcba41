// SPDX-License-Identifier: GPL-2.0
/* errno values by name: the ones VFIO and the IOMMU layer return. */
#include <errno.h>
#include <stdio.h>
#include "errnames.h"

static const struct {
	int err;
	const char *name;
} table[] = {
	{ EPERM, "EPERM" },
	{ EINVAL, "EINVAL" },
	{ EBUSY, "EBUSY" },
	{ ENOMEM, "ENOMEM" },
	{ EIO, "EIO" },
	{ ENODEV, "ENODEV" },
	{ EOPNOTSUPP, "EOPNOTSUPP" },
	{ EEXIST, "EEXIST" },
	{ EFAULT, "EFAULT" },
	{ ENOSPC, "ENOSPC" },
	{ EACCES, "EACCES" },
	{ ENXIO, "ENXIO" },
	{ ENOTTY, "ENOTTY" },		/* a reset method that does not apply */
	{ EAGAIN, "EAGAIN" },
	{ ETIMEDOUT, "ETIMEDOUT" },
};

const char *errno_name(int err)
{
	static char buf[16];
	unsigned int i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].err == err)
			return table[i].name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}
