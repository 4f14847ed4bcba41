// SPDX-License-Identifier: GPL-2.0
/*
 * Where the kernel has kprobe.multi links (5.18+ with CONFIG_FPROBE), the
 * hooks in vmlinux are attached as two links, one for every entry and one
 * for every return, instead of one perf event per probe: arming and
 * releasing cost one ftrace update each, not one per function
 * (user/loader/multi.c). Each function's cookie is its hook program's slot.
 * The hook programs are loaded as kprobe.multi programs there: since
 * 4540aed51b12 (6.18, 6.12.53) a program array holds programs of one
 * expected attach type only.
 */
#include "pci_dev.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, MULTI_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} multi_progs SEC(".maps");

/*
 * Set by the loader once kallsyms is resolved (multi_gates): per link, the gated functions.
 * Filter first: a reset or power change of a device vfiotrace does not trace ends here,
 * before the cookie's search and the tail call, which cost the most of such a hit
 * (docs/benchmarks.md, run 12 and run 14).
 */
struct gate_ip gates[2][GATE_IPS];

extern __u32 fn_resets_inflight, bus_resets_inflight, power_calls_inflight;

static __always_inline bool pci_calls_inflight(void)
{
	return vfio_calls_inflight | fn_resets_inflight | bus_resets_inflight | power_calls_inflight;
}

/* The hook program of this hit would do nothing: counted, and ended here. */
static __always_inline bool gate_closed(struct pt_regs *ctx, int k)
{
	__u64 ip;
	int i;

	if (!gates[k][0].ip || pci_calls_inflight())
		return false;
	ip = bpf_get_func_ip(ctx);
	for (i = 0; i < GATE_IPS; i++) {
		struct gate_ip *g = &gates[k][i];

		if (!g->ip)
			return false;
		if (g->ip != ip)
			continue;
		if (g->gate == GATE_DEVICE && vfio_bound((struct pci_dev *)PT_REGS_PARM1(ctx)))
			return false;
		__sync_fetch_and_add(&g->closed, 1);
		return true;
	}
	return false;
}

SEC("kprobe.multi")
int kpm_entry(struct pt_regs *ctx)
{
	if (gate_closed(ctx, 0))
		return 0;
	bpf_tail_call(ctx, &multi_progs, (__u32)bpf_get_attach_cookie(ctx));
	return 0;
}

SEC("kretprobe.multi")
int kpm_return(struct pt_regs *ctx)
{
	if (gate_closed(ctx, 1))
		return 0;
	bpf_tail_call(ctx, &multi_progs, (__u32)bpf_get_attach_cookie(ctx));
	return 0;
}
