/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Return probes with room for every caller. A kretprobe holds one instance
 * per task inside the function and misses the return when none is free. The
 * kernel's default is max(10, 2 * CPUs) with CONFIG_PREEMPTION and just
 * num_possible_cpus() without it (Debian 5.10: one on a 1-CPU guest, where
 * the second of two processes in a VFIO ioctl at once went unseen, 3 of 3
 * returns missed in kprobe_profile). The perf kprobe PMU libbpf uses cannot
 * ask for more; tracefs can ("r64:EVENT FUNC"): on such kernels the return
 * probes are made there and attached as tracepoint perf events, and removed
 * when their link is.
 */
#ifndef VFIOTRACE_RETPROBE_H
#define VFIOTRACE_RETPROBE_H

#include <stdbool.h>

struct bpf_link;
struct bpf_program;

/*
 * How many instances vfiotrace's return probes get on this kernel: 0 for the
 * kernel's default (a preemptible kernel: uname -v says PREEMPT; or no
 * writable tracefs), else
 * max(64, 4 * CPUs). VFIOTRACE_RETPROBE_MAXACTIVE=N overrides it (0: default).
 */
int retprobe_maxactive(void);
/* A return probe of func running p: with maxactive instances via tracefs, else libbpf's. */
struct bpf_link *retprobe_attach(struct bpf_program *p, const char *func, int maxactive);
/*
 * retprobe_attach in two steps, the first before the program is loaded: the
 * tracefs event of a return probe on func (maxactive > 0), as a disabled perf
 * event: its fd, or -1 (no tracefs, maxactive 0, or refused: said with -v);
 * *slot is the tracefs event, given to the second step or to the close.
 */
int retprobe_event_open(const char *func, int maxactive, int *slot);
/* p on an event of retprobe_event_open(), or on a perf kprobe (slot -1); pfd is consumed either way. */
struct bpf_link *retprobe_event_attach(struct bpf_program *p, int pfd, int slot);
void retprobe_event_close(int pfd, int slot);
/* Destroys a link of retprobe_attach() or bpf_program__attach*(), removing its tracefs event. */
void retprobe_link_destroy(struct bpf_link *l);
/*
 * Returns this process's tracefs return probes missed (kprobe_profile), -1 when it has none;
 * with report, a dbg line for each probe that missed.
 */
long long retprobe_missed(bool report);

#endif
