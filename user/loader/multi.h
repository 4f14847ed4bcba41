/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kprobe.multi rows (targets.h STYLE_KPROBE_MULTI: vmlinux's hooks on a
 * kernel with fprobe) attached as up to four links (bpf/vfiotrace.h enum
 * multi_class), the entry programs of a class in one and its return
 * programs in another, through the dispatchers of bpf/multi.bpf.c: the
 * kernel arms each link's functions in one ftrace update, and releases each
 * link with one wait for RCU grace periods, where a perf kprobe costs one of
 * each per probe (docs/benchmarks.md, run 12). The PCI core's functions
 * (targets.h .pci_shared) have links of their own, whose dispatchers end the
 * hits of devices not traced before dispatching them (run 14).
 */
#ifndef VFIOTRACE_MULTI_H
#define VFIOTRACE_MULTI_H

#include <pthread.h>
#include <stdbool.h>
#include "targets.h"
#include "vfiotrace.h"

struct bpf_object;
struct bpf_link;

/* Before load: the rows' programs are loaded as kprobe.multi programs, with the dispatchers they need. */
void multi_configure(struct bpf_object *obj, const struct resolved res[NR_HOOKS]);
/*
 * The links armed while the object loads: libbpf loads the programs in the
 * order of their sections, the dispatchers' (bpf/multi.bpf.c, linked second:
 * the Makefile) first, and before the next program's load a thread makes the
 * links (one ftrace registration each: 0.14-0.16 s on 7.2, docs/benchmarks.md
 * run 16) while the rest verify. Until multi_attach fills their dispatch
 * slots, a hit finds an empty slot and returns. Should libbpf load in
 * another order, the links are made after the load, as without this.
 */
struct multi_early {
	struct bpf_object *obj;
	const struct resolved *res;
	pthread_t thread;
	bool started;			/* the thread runs */
	bool joined;			/* its result waits for multi_attach */
	int err;			/* 0: links made; -1: msg says why not */
	struct bpf_link *links[MULTI_LINKS];
	unsigned long long ns;		/* how long they took */
	char msg[192];
};

/* Before any BPF object is opened (a handler of the "kprobe" and "kretprobe" sections). 0, or -1: no early links. */
int multi_early_register(void);
/* Before the load of obj, whose kprobe.multi rows res names (e zeroed, or used before). */
void multi_early_arm(struct multi_early *e, struct bpf_object *obj, const struct resolved res[NR_HOOKS]);
/* After the load: the thread ended; its links kept for multi_attach, or (the load failed) destroyed. */
void multi_early_join(struct multi_early *e, bool keep);
/*
 * After load: the links (early's, if it made them: links[class * 2 + 1] is a
 * return link; NULL where no row has such a program), then the rows' programs
 * in their dispatch slots. 0, or -1 with what the kernel said in msg and
 * nothing attached.
 */
int multi_attach(struct bpf_object *obj, const struct resolved res[NR_HOOKS], struct multi_early *early,
		 struct bpf_link *links[MULTI_LINKS], char *msg, int len);
/*
 * Hits the links' fprobe skipped: recursion, and returns without a free
 * instance (6.7+ reports them; 0 before).
 */
long long multi_missed(struct bpf_link *const links[MULTI_LINKS]);

#endif
