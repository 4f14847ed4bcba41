/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel stacks kept by their frames, for user space to read by id.
 *
 * Not a BPF_MAP_TYPE_STACK_TRACE map: it refuses a stack whose hash bucket
 * holds another one (EEXIST), and BPF_F_REUSE_STACKID would overwrite a stack
 * an event still names. A failure then came without its stack (CI, 5.10 diag:
 * three stacks in 1024 buckets, about one run in 500; every run with two
 * buckets). Here a hash from frames to id gives a stack seen before its
 * first id, and a new stack takes an id no other has: ids never collide, and
 * they stay valid as long as the tracer runs.
 */
#ifndef VFIOTRACE_STACKS_BPF_H
#define VFIOTRACE_STACKS_BPF_H

#include "common.bpf.h"

/* One CPU's frames being looked up: too large for the BPF stack. */
struct stack_frames {
	__u64 ip[FAIL_STACK_DEPTH];
};

typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_frames);
} stack_scratch_map;
extern stack_scratch_map stack_scratch SEC(".maps");

/* The per-CPU part of the next id (stack_keep). */
typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} stack_next_map;
extern stack_next_map stack_next SEC(".maps");

/* id: CPU << 20 | that CPU's count, below 2^31 (a fetch-add has no result on 5.10) */
#define STACK_ID_CPU_SHIFT 20

/*
 * The id of the current kernel stack, its first depth frames, in the store
 * (ids: frames -> id, a hash whose key is depth frames; frames: id -> frames);
 * -1 if the kernel gave no stack or the store is full (counted in map_full).
 * Both inserts are BPF_NOEXIST: two CPUs that find the same new stack at once
 * keep the first one's id, and a nested program that took the same count
 * fails rather than overwrite.
 */
static __always_inline int stack_keep(void *ctx, void *ids, void *frames, const __u32 depth)
{
	struct stack_frames *buf;
	__u32 zero = 0, *found, *count, id, cpu = bpf_get_smp_processor_id();

	buf = bpf_map_lookup_elem(&stack_scratch, &zero);
	count = bpf_map_lookup_elem(&stack_next, &zero);
	/* the kernel zeroes the frames after the last one */
	if (!buf || !count || bpf_get_stack(ctx, buf, depth * sizeof(__u64), 0) <= 0)
		return -1;
	found = bpf_map_lookup_elem(ids, buf);
	if (found)
		return *found;
	if (*count >= 1U << STACK_ID_CPU_SHIFT || cpu >= 1U << (31 - STACK_ID_CPU_SHIFT))
		goto full;
	id = cpu << STACK_ID_CPU_SHIFT | (*count)++;
	if (bpf_map_update_elem(frames, &id, buf, BPF_NOEXIST))
		goto full;
	if (bpf_map_update_elem(ids, buf, &id, BPF_NOEXIST)) {
		bpf_map_delete_elem(frames, &id);
		found = bpf_map_lookup_elem(ids, buf);
		if (found)
			return *found;
		goto full;
	}
	return id;
full:
	__sync_fetch_and_add(&map_full, 1);
	return -1;
}

#endif
