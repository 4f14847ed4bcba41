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
 * hits of devices not traced before dispatching them (run 14). Where the
 * kernel has kprobe.session links (6.10+), a class's entries and returns are
 * one link, armed and released once (run 19).
 */
#ifndef VFIOTRACE_MULTI_H
#define VFIOTRACE_MULTI_H

#include "targets.h"
#include "vfiotrace.h"

struct bpf_object;
struct bpf_link;

/*
 * Before load: the rows' programs are loaded as kprobe.multi programs (with session: as
 * kprobe.session programs), with the dispatchers they need.
 */
void multi_configure(struct bpf_object *obj, const struct resolved res[NR_HOOKS], bool session);
/*
 * After load: the rows' programs in their dispatch slots, then the links' fds
 * (links[class * 2 + 1]: a return link, none with session; 0 where no row has
 * such a program). ks: kallsyms as read, whose addresses spare the kernel its
 * walk of every symbol for the names (NULL: by name). 0, or -1 with what the
 * kernel said in msg and nothing attached.
 */
int multi_attach(struct bpf_object *obj, const struct resolved res[NR_HOOKS], bool session,
		 const struct kallsyms *ks, int links[MULTI_LINKS], char *msg, int len);
/*
 * Hits the links' fprobe skipped: recursion, and returns without a free
 * instance (6.7+ reports them; 0 before); with report, a dbg line for each link that missed.
 */
long long multi_missed(const int links[MULTI_LINKS], bool report);

#endif
