/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every vfiotrace BPF source shares: the loader's configuration, the
 * loss counters, the maps more than one feature writes, and small helpers.
 * The maps and globals are defined once, in common.bpf.c, and declared
 * extern here; `bpftool gen object` links the feature objects into one.
 */
#ifndef VFIOTRACE_COMMON_BPF_H
#define VFIOTRACE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "vfiotrace.h"
#include "core_fixes.bpf.h"
#include "call_slot.h"

/* Set by the loader before load. */
extern const volatile int target_group;
extern const volatile __u32 target_tgid;
extern const volatile bool emit_events;
#ifdef VFIOTRACE_NO_EVENTS
/* the object for the commands that emit no event (Makefile: vfiotrace_quiet): their code compiled out */
#define emit_events false
#endif
/*
 * -v: kernel stacks (put callers' call chains, failing steps). Unwinding is
 * most of a hook's run time, and only -v prints them.
 */
extern const volatile bool deep_stacks;
/*
 * What the entry program of a function without a return program returns: 1 where
 * the kprobe rows ride kprobe.session links (6.10+, bpf/multi.bpf.c), so that the
 * session does not run the function's return for nothing; else 0 (a perf kprobe's
 * program that returns 1 has the kernel write a perf record).
 */
extern const volatile int entry_only_ret;

/*
 * What every hit reads (the counts of calls in progress, multi.bpf.c's row cache), in a section
 * of its own: one map, within one page. Under TCG the first touch of a page in a program run
 * walks the page tables (the guest CPU has no PCID: every context switch empties QEMU's TLB),
 * and in .bss they were spread over four pages among the slots (docs/benchmarks.md, run 22).
 */
#define HOT SEC(".data.hot")

extern __u64 ringbuf_drops;	/* snoop events lost: ring buffer full */
extern __u64 map_full;		/* aggregate updates lost: a map was full */
/*
 * Processes that entered a map user space names them from (a DMA client, a
 * group's holder): user space reads their VM identity while they still live.
 */
extern __u64 new_clients;

typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, int);
	__type(value, struct group_stats);
} group_stats_map;
extern group_stats_map group_stats SEC(".maps");

typedef struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events_map;
extern events_map events SEC(".maps");

#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "+r"(var))
#endif

static __always_inline void hist_add(unsigned long long *hist, __u64 v)
{
	unsigned int slot = hist_slot(v);

	/* clang folds the clamp in hist_slot into a form the verifier cannot bound */
	barrier_var(slot);
	if (slot < HIST_SLOTS)
		__sync_fetch_and_add(&hist[slot], 1);
}

static __always_inline bool task_selected(void)
{
	return !target_tgid || (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

static __always_inline bool group_selected(int group)
{
	return target_group < 0 || group == target_group;
}

/* Insert or replace; a full map is counted. */
static __always_inline void update_counted(void *map, const void *key, const void *val)
{
	if (bpf_map_update_elem(map, key, val, BPF_ANY))
		__sync_fetch_and_add(&map_full, 1);
}

/* The value under key, inserted as zero first if absent; NULL (counted) when the map is full. */
static __always_inline void *lookup_or_init(void *map, const void *key, const void *zero)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	v = bpf_map_lookup_elem(map, key);
	if (!v)
		__sync_fetch_and_add(&map_full, 1);
	return v;
}

/*
 * Calls in progress, one per thread and kind (or per thread, kind and level): a value begins
 * with the call's start (__u64 ts; 0: no call in progress). A call is kept in its kind's .bss
 * slots (call_slot.h), and in its kind's map only when another thread holds its slot: a map's
 * insert or delete takes the bucket's lock with interrupts off, and even a lookup is a jhash, a
 * bucket walk and a memcmp (docs/benchmarks.md, runs 15 and 21). A map keeps no entry without
 * a call, so that a kind whose calls all fit in slots never searches its map. Each kind has its
 * map, its struct tid_counts (vfiotrace.h; calls_n[KIND_kind], below) and its slots: CALLS(kind)
 * passes the three (pci_dev.bpf.h PCI_CALLS(kind): the PCI kinds' slots are fields of a record).
 * id: the map's key, unique among the calls in progress (a thread's id, or (id << 1) | level);
 * its low 32 bits pick the slot.
 */
#define CALL_VALUE(type) _Static_assert(__builtin_offsetof(type, ts) == 0 && sizeof(((type *)0)->ts) == 8, \
					#type ": a call map's value begins with __u64 ts")
#define CALLS(kind) &kind, &calls_n[KIND_##kind], (void *)kind##_slots, sizeof(kind##_slots) / CALL_SLOTS

/* The kinds, by their maps' names: the PCI hooks' four first, side by side (multi.bpf.c reads them). */
enum call_kind {
	KIND_vfio_calls, KIND_fn_resets, KIND_bus_resets, KIND_power_calls,
	KIND_inflight_attach, KIND_inflight_alloc, KIND_inflight_get, KIND_inflight_ioctl,
	KIND_inflight_unreg, KIND_diag_ops, KIND_inflight_dma, KIND_inflight_pin, CALL_KINDS
};
extern struct tid_counts calls_n[CALL_KINDS];

/* VFIOTRACE_NO_CALL_SLOTS=1: every call in the maps, so that the tests run that path too */
extern const volatile bool call_slots_off;
/* calls begun in a slot [0] and in a map [1]: -v reports them at exit */
extern __u64 call_begins[2];

/* id's call in progress, or NULL */
static __always_inline void *call_find(void *map, const struct tid_counts *n, void *slots, __u32 stride,
				       __u64 id)
{
	struct call_slot *s = call_slot_at(slots, stride, id);
	__u64 *v;

	if (s->owner == ((__u32)id | CALL_OWNED)) {
		v = (void *)(s + 1);
		return *v ? v : NULL;
	}
	if (!*(const volatile __u32 *)&n->kept)
		return NULL;
	v = bpf_map_lookup_elem(map, &id);
	return v && *v ? v : NULL;
}

/*
 * id's call, set to val (size bytes): in progress once its ts is set (val's, or the caller's
 * at once). NULL (counted) when it goes to the map and the map is full.
 */
static __always_inline void *call_begin(void *map, struct tid_counts *n, void *slots, __u32 stride,
					__u64 id, const void *val, __u32 size)
{
	struct call_slot *s = call_slot_at(slots, stride, id);
	__u32 mark = (__u32)id | CALL_OWNED;
	__u64 *v = (void *)(s + 1);

	if (!call_slots_off && (s->owner == mark || call_slot_claim(s, mark))) {
		__sync_fetch_and_add(&call_begins[0], 1);
	} else {
		__sync_fetch_and_add(&call_begins[1], 1);
		v = bpf_map_lookup_elem(map, &id);
		if (!v) {
			if (bpf_map_update_elem(map, &id, val, BPF_NOEXIST) || !(v = bpf_map_lookup_elem(map, &id))) {
				__sync_fetch_and_add(&map_full, 1);
				return NULL;
			}
			__sync_fetch_and_add(&n->kept, 1);
			__sync_fetch_and_add(&n->inflight, 1);
			return v;
		}
	}
	if (!*v)
		__sync_fetch_and_add(&n->inflight, 1);
	__builtin_memcpy(v, val, size);
	return v;
}

/* v: id's call in progress (call_find), ended: its slot freed, or its map entry deleted */
static __always_inline void call_end(void *map, struct tid_counts *n, void *slots, __u32 stride,
				     __u64 id, void *v)
{
	struct call_slot *s = call_slot_at(slots, stride, id);

	*(__u64 *)v = 0;
	__sync_fetch_and_add(&n->inflight, -1);
	if (s->owner == ((__u32)id | CALL_OWNED))
		call_slot_free(s);
	else if (!bpf_map_delete_elem(map, &id))
		__sync_fetch_and_add(&n->kept, -1);
}

/* id's call in progress moved into out (size bytes) and ended; false when there was none */
static __always_inline bool call_take(void *map, struct tid_counts *n, void *slots, __u32 stride,
				      __u64 id, void *out, __u32 size)
{
	void *v = call_find(map, n, slots, stride, id);

	if (!v)
		return false;
	__builtin_memcpy(out, v, size);
	call_end(map, n, slots, stride, id, v);
	return true;
}

/*
 * Room for one record of size bytes in the events ring buffer, its first
 * zeroed bytes set to zero (the rest is the caller's to fill); NULL when
 * events are off, NULL (counted) when the buffer is full.
 */
static __always_inline void *record_reserve(__u64 size, __u64 zeroed)
{
	void *r;

	if (!emit_events)
		return NULL;
	r = bpf_ringbuf_reserve(&events, size, 0);
	if (!r) {
		__sync_fetch_and_add(&ringbuf_drops, 1);
		return NULL;
	}
	/* records are 8-byte aligned: said so, the zeroing is done in 8-byte stores */
	r = __builtin_assume_aligned(r, 8);
	__builtin_memset(r, 0, zeroed);
	return r;
}

/* The record header of the current task; latency and ret are the caller's. */
static __always_inline void record_hdr_fill(struct record_hdr *h, __u32 type, int group)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->ts_ns = bpf_ktime_get_ns();
	h->type = type;
	h->group = group;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* A ring buffer event with the header filled and the rest zeroed; NULL (counted) when full. */
static __always_inline struct event *event_reserve(__u32 type, int group)
{
	struct event *e = record_reserve(sizeof(*e), sizeof(*e));

	if (!e)
		return NULL;
	record_hdr_fill(&e->h, type, group);
	e->stack_id = -1;
	e->refcount = REFCOUNT_UNAVAILABLE;
	return e;
}

/* An attach or domain_alloc event, with the diagnosis fields: the failed step and the device a domain was for. */
static __always_inline void emit_diag(void *ctx, __u32 type, int group, long long ret,
				      __u64 latency, long long refcount, int stack_id,
				      const char *name, int step, const char *dev)
{
	struct event *e = event_reserve(type, group);

	if (!e)
		return;
	e->h.latency_ns = latency;
	e->h.ret = ret;
	e->refcount = refcount;
	e->stack_id = stack_id;
	if (name)
		bpf_probe_read_kernel_str(e->name, NAME_LEN, name);
	e->step = step;
	if (dev)
		bpf_probe_read_kernel_str(e->dev, NAME_LEN, dev);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void emit(void *ctx, __u32 type, int group, long long ret,
				 __u64 latency, const char *name)
{
	emit_diag(ctx, type, group, ret, latency, REFCOUNT_UNAVAILABLE, -1, name, STEP_NONE, NULL);
}

static __always_inline struct group_stats *stats_for(int group)
{
	static const struct group_stats zero_stats;

	return lookup_or_init(&group_stats, &group, &zero_stats);
}

#endif
