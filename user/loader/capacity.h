/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How large the in-kernel tables are: sized from --max-groups and
 * --max-inflight before load,
 * the tables of features not in use (--dma, -v stacks, the event ring buffer
 * of stat and hist) shrunk to nothing, and hash maps allocated on use where
 * the kernel allows it safely. Updates beyond a table's size are counted
 * (map_full).
 */
#ifndef VFIOTRACE_CAPACITY_H
#define VFIOTRACE_CAPACITY_H

#include <stdbool.h>
#include "options.h"

struct vfiotrace_bpf;

/*
 * Before load. alloc_on_use: hash maps allocated on use are safe in kprobe
 * programs (6.1+; before, such a map triggers a kernel WARN, a taint, or is
 * refused on PREEMPT_RT). 0, or -1 with errno.
 */
int capacity_apply(struct vfiotrace_bpf *skel, const struct options *o, bool emit_events,
		   bool alloc_on_use);

#endif
