/* SPDX-License-Identifier: GPL-2.0 */
/* Everything one summary shows, copied out of the BPF maps at one moment. */
#ifndef VFIOTRACE_SNAPSHOT_H
#define VFIOTRACE_SNAPSHOT_H

#include <stdbool.h>
#include "../bpf/vfiotrace.h"
#include "kallsyms.h"

#define MAX_ERRS 8
#define CALLER_LEN 64

struct group_row {
	int group;			/* NO_GROUP: activity outside any VFIO attach */
	struct group_stats st;
	struct group_members mem;
	bool has_mem;
	int nerrs;
	struct { int err; unsigned long long n; } errs[MAX_ERRS];
};

struct put_row {
	struct put_key key;
	struct put_val val;
	char caller[CALLER_LEN];	/* function that dropped the reference */
};

struct snapshot {
	struct group_row *groups;	/* sorted by group, NO_GROUP first */
	int ngroups;
	struct put_row *puts;		/* sorted by group, device, caller */
	int nputs;
	unsigned long long drops;	/* snoop events lost: ring buffer full */
	unsigned long long map_full;	/* aggregate updates lost: a BPF map was full */
	bool refcount_known;		/* this kernel's BTF lets the put hook read refcounts */
};

struct bpf_maps {
	int group_stats, group_members, errors, puts, stacks;
};

struct symbolizer {
	const struct kallsyms *ks;
	const char *hooked[3];		/* frames to skip: the hooked function(s) */
};

int snapshot_collect(struct snapshot *s, const struct bpf_maps *m, const struct symbolizer *sym);
void snapshot_free(struct snapshot *s);
/* First frame of ips[0..n) that is not BPF/ftrace machinery or the hooked function. */
const char *pick_caller(const unsigned long long *ips, int n, const struct symbolizer *sym,
			char *buf, int len);
/* pick_caller on the stack stack_id of the stacks map; "" when it is gone. */
const char *stack_caller(int stacks_fd, int stack_id, const struct symbolizer *sym,
			 char *buf, int len);
struct group_row *snapshot_group(struct snapshot *s, int group);

#endif
