// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <sys/utsname.h>
#include "kversion.h"

unsigned int kernel_version_code(const char *release)
{
	unsigned int maj, min;

	if (!release || sscanf(release, "%u.%u", &maj, &min) != 2 || maj > 255 || min > 255)
		return 0;
	return KV(maj, min);
}

unsigned int running_kernel(void)
{
	struct utsname u;

	return uname(&u) ? 0 : kernel_version_code(u.release);
}
