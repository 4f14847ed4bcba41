// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "kprobe_pmu.h"

/* An int from the first line of a sysfs file, after prefix; -1 if it has none. */
static int sysfs_int(const char *path, const char *prefix)
{
	char buf[64];
	int v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f) && !strncmp(buf, prefix, strlen(prefix)) &&
	    sscanf(buf + strlen(prefix), "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int kprobe_pmu_type(void)
{
	return sysfs_int("/sys/bus/event_source/devices/kprobe/type", "");
}

int kprobe_pmu_retprobe_bit(void)
{
	return sysfs_int("/sys/bus/event_source/devices/kprobe/format/retprobe", "config:");
}
