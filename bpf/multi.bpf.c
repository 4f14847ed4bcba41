// SPDX-License-Identifier: GPL-2.0
/*
 * Where the kernel has kprobe.multi links (5.18+ with CONFIG_FPROBE), the
 * hooks in vmlinux are attached as a few links instead of one perf event per
 * probe: arming and releasing cost one ftrace update each, not one per
 * function (user/loader/multi.c). Each function's cookie is its hook
 * program's slot. The hook programs are loaded as kprobe.multi programs
 * there: since 4540aed51b12 (6.18, 6.12.53) a program array holds programs
 * of one expected attach type only.
 *
 * Where the kernel has kprobe.session links (6.10+), one link a class arms
 * entries and returns alike, in one ftrace update instead of two: its
 * dispatcher runs at a function's entry and, unless the entry returned
 * non-zero, at its return; the cookie is the row, and the hook programs are
 * loaded as session programs.
 */
#include "pci_dev.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, MULTI_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} multi_progs SEC(".maps");

/* Hits the PCI links ended before dispatch, per link (k): -v reports them at exit. */
__u64 pci_gated[2] HOT;

/*
 * The row of the function hit, by its address (bpf_get_func_ip reads it from the run's context).
 * The link's cookie says the same, but bpf_get_attach_cookie finds it by a binary search of the
 * link's addresses through a compare function: 6% of vfiotrace's samples per hit (docs/benchmarks.md,
 * run 20). A function's first hit takes the cookie and caches it here, as (row << 32) | the low 32
 * bits of its address: one 8-byte store, seen whole. vmlinux's text spans less than 4 GiB, so
 * those bits name a function among the links'. Cookies: the row on a session link, row * 2 + k on
 * a kprobe.multi link (user/loader/multi.c).
 */
#define ROW_CACHE_BITS 8
#define ROW_PROBES 4
__u64 row_cache[1 << ROW_CACHE_BITS] HOT;
__u64 row_cache_fills HOT;		/* hits that took the cookie: -v reports them at exit */

static __always_inline __u32 hit_row(struct pt_regs *ctx, int cookie_shift)
{
	__u32 lo = (__u32)bpf_get_func_ip(ctx), h = (lo * 0x9e3779b1u) >> (32 - ROW_CACHE_BITS), i, row;
	__u64 e = 0;

	for (i = 0; i < ROW_PROBES; i++) {
		e = row_cache[(h + i) & ((1 << ROW_CACHE_BITS) - 1)];
		if (!e || (__u32)e == lo)
			break;
	}
	if (e && (__u32)e == lo)
		return e >> 32;
	row = (__u32)bpf_get_attach_cookie(ctx) >> cookie_shift;
	__sync_fetch_and_add(&row_cache_fills, 1);
	if (i < ROW_PROBES)	/* two functions racing for a free entry: one is cached, the other next time */
		row_cache[(h + i) & ((1 << ROW_CACHE_BITS) - 1)] = (__u64)row << 32 | lo;
	return row;
}

/* k: 0 on the entry link, 1 on the return link */
static __always_inline int dispatch(struct pt_regs *ctx, int k)
{
	bpf_tail_call(ctx, &multi_progs, hit_row(ctx, 1) * 2 + k);
	return 0;
}

SEC("kprobe.multi")
int kpm_entry(struct pt_regs *ctx)
{
	return dispatch(ctx, 0);
}

SEC("kretprobe.multi")
int kpm_return(struct pt_regs *ctx)
{
	return dispatch(ctx, 1);
}

/*
 * The PCI core's functions (targets.h .pci_shared) run for every device. Filter first: their
 * programs act only inside a vfio-pci, reset or power call in flight, or (entries) for a
 * VFIO-bound device in argument 1; the cookie's search and the tail call cost more than the
 * test (docs/benchmarks.md, run 14).
 */
static __always_inline bool pci_calls_inflight(void)
{
	return calls_n[KIND_vfio_calls].inflight | calls_n[KIND_fn_resets].inflight |
	       calls_n[KIND_bus_resets].inflight | calls_n[KIND_power_calls].inflight;
}

SEC("kprobe.multi")
int kpm_pci_entry(struct pt_regs *ctx)
{
	if (pci_calls_inflight() || vfio_bound((struct pci_dev *)PT_REGS_PARM1(ctx)))
		return dispatch(ctx, 0);
	__sync_fetch_and_add(&pci_gated[0], 1);
	return 0;
}

SEC("kretprobe.multi")
int kpm_pci_return(struct pt_regs *ctx)
{
	if (pci_calls_inflight())
		return dispatch(ctx, 1);
	__sync_fetch_and_add(&pci_gated[1], 1);
	return 0;
}

/*
 * kprobe.session (6.10+): the kfuncs bpf_session_is_return (a bool: in the low byte only)
 * and bpf_session_cookie (8 bytes a call, from its entry to its return), by calls the
 * loader rewrites (vfiotrace.h).
 */
static __u64 (*const session_is_return)(void *ctx) = (void *)SESSION_IS_RETURN_MARK;
static __u64 *(*const session_cookie)(void *ctx) = (void *)SESSION_COOKIE_MARK;

/* The entry's slot by its row; the return's kept for it, which spares the return the row's lookup. */
static __always_inline int session_entry(struct pt_regs *ctx)
{
	__u32 slot = hit_row(ctx, 0) * 2;
	__u64 *kept = session_cookie(ctx);

	if (kept)
		*kept = slot + 1;
	bpf_tail_call(ctx, &multi_progs, slot);
	return 0;
}

static __always_inline int session_return(struct pt_regs *ctx)
{
	__u64 *kept = session_cookie(ctx);

	if (kept)
		bpf_tail_call(ctx, &multi_progs, (__u32)*kept);
	return 0;
}

/*
 * Loaded as kprobe.session programs (user/loader/multi.c; libbpf 1.1 has no such section).
 * An entry without a program returns 0: its return runs. A function without a return program
 * has an entry program that returns entry_only_ret (common.bpf.h): its return does not.
 */
SEC("kprobe.multi")
int kps_common(struct pt_regs *ctx)
{
	return session_is_return(ctx) & 1 ? session_return(ctx) : session_entry(ctx);
}

/* As the PCI links', with one test less: an entry ended here ends its return with it. */
SEC("kprobe.multi")
int kps_pci(struct pt_regs *ctx)
{
	if (session_is_return(ctx) & 1) {
		if (pci_calls_inflight())
			return session_return(ctx);
		__sync_fetch_and_add(&pci_gated[1], 1);
		return 0;
	}
	if (pci_calls_inflight() || vfio_bound((struct pci_dev *)PT_REGS_PARM1(ctx)))
		return session_entry(ctx);
	__sync_fetch_and_add(&pci_gated[0], 1);
	return 1;
}
