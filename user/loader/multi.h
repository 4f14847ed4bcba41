/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kprobe.multi rows (targets.h STYLE_KPROBE_MULTI: vmlinux's hooks on a
 * kernel with fprobe) attached as two links, every entry program in one and
 * every return program in the other, through the dispatchers of
 * bpf/multi.bpf.c: the kernel arms each link's functions in one ftrace
 * update, and releases each link with one wait for RCU grace periods, where
 * a perf kprobe costs one of each per probe (docs/benchmarks.md, run 12).
 */
#ifndef VFIOTRACE_MULTI_H
#define VFIOTRACE_MULTI_H

#include "targets.h"
#include "vfiotrace.h"

struct bpf_object;
struct bpf_link;

/* Before load: the rows' programs are loaded as kprobe.multi programs, with the dispatchers they need. */
void multi_configure(struct bpf_object *obj, const struct resolved res[NR_HOOKS]);
/*
 * After load: the rows' programs in their dispatch slots, then the links
 * (links[1]: the return link; NULL where no row has such a program).
 * 0, or -1 with what the kernel said in msg and nothing attached.
 */
int multi_attach(struct bpf_object *obj, const struct resolved res[NR_HOOKS], struct bpf_link *links[2],
		 char *msg, int len);
/*
 * The gates of the links (bpf/multi.bpf.c) for the rows that have one (targets.h .gate), by
 * their functions' addresses in ks; a function without one (kallsyms shows zeros without
 * CAP_SYSLOG) is not gated, its hits dispatched as before. Returns the gates set.
 */
int multi_gates(const struct resolved res[NR_HOOKS], const struct kallsyms *ks,
		struct gate_ip gates[2][GATE_IPS]);
/* "FUNC entry|return N, ...": the hits each gate ended, "" without gates. */
void multi_gates_report(const struct resolved res[NR_HOOKS], const struct gate_ip gates[2][GATE_IPS], char *buf,
			int len);
/*
 * Hits the links' fprobe skipped: recursion, and returns without a free
 * instance (6.7+ reports them; 0 before).
 */
long long multi_missed(struct bpf_link *const links[2]);

#endif
