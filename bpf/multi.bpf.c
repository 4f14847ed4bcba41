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
#include "common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, MULTI_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} multi_progs SEC(".maps");

SEC("kprobe.multi")
int kpm_entry(struct pt_regs *ctx)
{
	bpf_tail_call(ctx, &multi_progs, (__u32)bpf_get_attach_cookie(ctx));
	return 0;
}

SEC("kretprobe.multi")
int kpm_return(struct pt_regs *ctx)
{
	bpf_tail_call(ctx, &multi_progs, (__u32)bpf_get_attach_cookie(ctx));
	return 0;
}
