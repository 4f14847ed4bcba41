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
struct bpf_map;
struct bpf_object;

#define CAPACITY_ROWS 40

struct capacity_row {
	struct bpf_map *map;
	unsigned int entries;
};

/* The size of every map that grows with what is traced, for these options; how many rows. */
int capacity_rows(struct vfiotrace_bpf *skel, const struct options *o, bool emit_events,
		  struct capacity_row *rows, int max);
/* A map that grows (hash, ring buffer, stacks) but has no row: its name; NULL when none. */
const char *capacity_unsized(const struct bpf_object *obj, const struct capacity_row *rows, int n);

/*
 * Before load. alloc_on_use: hash maps allocated on use are safe in kprobe
 * programs (6.1+; before, such a map triggers a kernel WARN, a taint, or is
 * refused on PREEMPT_RT). 0, or -1 with errno.
 */
int capacity_apply(struct vfiotrace_bpf *skel, const struct options *o, bool emit_events,
		   bool alloc_on_use);

#endif
