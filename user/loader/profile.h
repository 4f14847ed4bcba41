/* SPDX-License-Identifier: GPL-2.0 */
/* -v: where start-up time and memory go, one line per phase (docs/benchmarks.md). */
#ifndef VFIOTRACE_PROFILE_H
#define VFIOTRACE_PROFILE_H

/* "profile: PHASE +SECONDS since the last phase, VmHWM KiB" when verbose. */
void profile(const char *phase);

#endif
