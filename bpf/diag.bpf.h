/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attach-failure diagnosis shared by attach.bpf.c (the type1 attach and its
 * domain allocation) and diag.bpf.c (the other steps, group open and ioctls).
 * While an operation is in flight on a task, each step hook records its result
 * in the task's diag_op; when the operation returns an error, the first step
 * that failed with that errno (else the MSI verdict, else the first failing
 * step) is the failed step. Nothing observed: STEP_UNKNOWN, never a guess.
 */
#ifndef VFIOTRACE_DIAG_BPF_H
#define VFIOTRACE_DIAG_BPF_H

#include "vfio_shared.bpf.h"
#include "stacks.bpf.h"

enum { LEVEL_GROUP = 0, LEVEL_ATTACH = 1 };	/* a type1 attach can nest in a group ioctl */
enum { MSI_UNSEEN = 0, MSI_ISOLATED, MSI_NOT_ISOLATED };

struct op_state {
	__u64 ts;
	__u64 key;		/* its key in diag_ops: op_key_of */
	int op;
	int group;
	int fail_step;		/* first step that returned an error */
	int fail_ret;		/* its return: -errno, or 1 for a NULL domain */
	int fail_stack;		/* kernel stack at that step's return (-v), <0: none */
	int msi_stack;		/* stack of the last "not isolated" verdict */
	int msi;		/* verdict of the last interrupt-remapping check call */
	int msi_cap_pending;	/* an iommu_capable(INTR_REMAP) call is in flight */
	int nested_attach_ret;	/* a type1 attach inside this group ioctl failed with this */
	__u64 arg;		/* pointer saved at a step's entry for its return probe */
	int entry_stack;	/* stack at that entry: on 5.10 a return probe's stack is only the trampoline */
	__u64 file;		/* struct file * of a group open */
	char alloc_dev[NAME_LEN];
	struct culprit c;
};

typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u64);	/* tid << 1 | level */
	__type(value, struct op_state);
} diag_ops_map;
extern diag_ops_map diag_ops SEC(".maps");
CALL_VALUE(struct op_state);
CALL_SLOT_TYPE(op_state);
extern __u64 diag_ops_slots[CALL_SLOT_WORDS(op_state)];

typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, struct fail_key);
	__type(value, __u64);
} failures_map;
extern failures_map failures SEC(".maps");

/* group -> the process holding /dev/vfio/N open (seeded from /proc by the loader) */
typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, int);
	__type(value, struct holder);
} holders_map;
extern holders_map holders SEC(".maps");

/* every open, for user space to read (vfiotrace.h) */
extern struct opener opener_ring[OPENER_CPUS * OPENER_SLOTS];
extern __u64 opener_heads[OPENER_CPUS];

/* group -> culprit of its last failure */
typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, int);
	__type(value, struct culprit);
} culprits_map;
extern culprits_map group_culprit SEC(".maps");

/* kernel stacks of failing steps, printed with -v (stacks.bpf.h): id -> frames, frames -> id */
typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct stack_frames);
} fail_stacks_map;
extern fail_stacks_map fail_stacks SEC(".maps");

typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, struct stack_frames);
	__type(value, __u32);
} fail_stack_ids_map;
extern fail_stack_ids_map fail_stack_ids SEC(".maps");

/* The id of the current stack among the failing steps' stacks, -1 if none. */
#define fail_stack(ctx) stack_keep(ctx, &fail_stack_ids, &fail_stacks, FAIL_STACK_DEPTH)
/* The same with -v, else -1 (none). */
#define fail_stack_if_deep(ctx) (deep_stacks ? fail_stack(ctx) : -1)

/* The current thread, for op_key_of and op_at_of: asked once where a program looks up both levels. */
static __always_inline __u64 op_thread(void)
{
	return (__u64)(__u32)bpf_get_current_pid_tgid() << 1;
}

static __always_inline __u64 op_key_of(__u64 thread, int level)
{
	return thread | level;
}

static __always_inline struct op_state *op_at_of(__u64 thread, int level)
{
	return call_find(CALLS(diag_ops), op_key_of(thread, level));
}

static __always_inline struct op_state *op_at(int level)
{
	return op_at_of(op_thread(), level);
}

/* d (op_at's, or NULL) ended */
static __always_inline void op_done(struct op_state *d)
{
	if (d)
		call_end(CALLS(diag_ops), d->key, d);
}

static __always_inline struct op_state *op_begin(int level, int op, int group)
{
	static const struct op_state zero_op;
	__u64 th = op_thread(), k = op_key_of(th, level);
	struct op_state *d;

	/* an attach nests in a group op, never around one: an attach entry here is stale (missed return) */
	if (level == LEVEL_GROUP)
		op_done(op_at_of(th, LEVEL_ATTACH));
	d = call_begin(CALLS(diag_ops), k, &zero_op, sizeof(zero_op));
	if (!d)
		return NULL;
	d->ts = bpf_ktime_get_ns();
	d->key = k;
	d->op = op;
	d->group = group;
	d->fail_stack = -1;
	d->msi_stack = -1;
	d->entry_stack = -1;
	return d;
}

/* The innermost operation in flight on this task: steps are recorded there. */
static __always_inline struct op_state *op_current(void)
{
	__u64 th = op_thread();
	struct op_state *d = op_at_of(th, LEVEL_ATTACH);

	return d ? d : op_at_of(th, LEVEL_GROUP);
}

/* A step returned ret (< 0, or 1 for a NULL domain): the first failure is kept, with stack. */
static __always_inline void step_failed_at(struct op_state *d, int step, int ret, int stack)
{
	if (d && !d->fail_step) {
		d->fail_step = step;
		d->fail_ret = ret;
		d->fail_stack = stack;
	}
}

/* The same from a return probe: the stack is taken there. */
static __always_inline void step_failed(void *ctx, struct op_state *d, int step, int ret)
{
	if (d && !d->fail_step)
		step_failed_at(d, step, ret, fail_stack(ctx));
}

/* The stack to show for a failure attributed to step. */
static __always_inline int failed_stack(const struct op_state *d, int step)
{
	if (step == STEP_MSI)
		return d->msi_stack;
	return step == d->fail_step ? d->fail_stack : -1;
}

static __always_inline int failed_step(const struct op_state *d, int ret)
{
	if (d->fail_step && d->fail_ret == ret)
		return d->fail_step;
	if (d->msi == MSI_NOT_ISOLATED && ret == -EPERM)
		return STEP_MSI;
	if (d->nested_attach_ret && d->nested_attach_ret == ret)
		return STEP_TYPE1_ATTACH;
	if (d->fail_step)
		return d->fail_step;
	return STEP_UNKNOWN;
}

static __always_inline void count_failure(int group, int op, int step, int ret)
{
	static const __u64 zero;
	struct fail_key k = { .group = group, .op = op, .step = step, .err = -ret };
	__u64 *n = lookup_or_init(&failures, &k, &zero);

	if (n)
		__sync_fetch_and_add(n, 1);
}

#endif
