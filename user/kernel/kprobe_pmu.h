/* SPDX-License-Identifier: GPL-2.0 */
/* The kprobe PMU's perf event type and its retprobe bit (sysfs), for perf_event_open. */
#ifndef VFIOTRACE_KPROBE_PMU_H
#define VFIOTRACE_KPROBE_PMU_H

/* /sys/bus/event_source/devices/kprobe/type, or -1 where the kernel has no kprobe PMU. */
int kprobe_pmu_type(void);
/* The config bit that makes it a kretprobe (format/retprobe "config:N"), or -1. */
int kprobe_pmu_retprobe_bit(void);

#endif
