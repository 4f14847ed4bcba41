// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "clock.h"
#include "log.h"
#include "profile.h"

static long hwm_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			sscanf(line + 6, "%ld", &kib);
	if (f)
		fclose(f);
	return kib;
}

void profile(const char *phase)
{
	static double last;
	double now;

	if (!verbose)
		return;
	now = mono_s();
	dbg("profile: %-14s +%.3f s, VmHWM %ld KiB", phase, last ? now - last : 0, hwm_kib());
	last = now;
}
