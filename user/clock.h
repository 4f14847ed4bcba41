/* SPDX-License-Identifier: GPL-2.0 */
/* CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns(): kernel and user times compare. */
#ifndef VFIOTRACE_CLOCK_H
#define VFIOTRACE_CLOCK_H

#include <time.h>

static inline unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline double mono_s(void)
{
	return mono_ns() / 1e9;
}

#endif
