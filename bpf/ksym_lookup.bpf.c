// SPDX-License-Identifier: GPL-2.0
/*
 * The addresses of kernel symbols by name (bpf_kallsyms_lookup_name: 5.16+,
 * syscall programs only), run once at start-up instead of reading
 * /proc/kallsyms (user/kernel/ksym_lookup.c). "module:name" looks in that
 * module only. Its own object: it is run before the tracer's is loaded.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "ksym_query.h"

char names[KSYM_MAX][KSYM_LEN];
__u64 addrs[KSYM_MAX];
long errs[KSYM_MAX];
__u32 count;

static long look_up(__u32 i, void *ctx)
{
	if (i >= KSYM_MAX)
		return 1;
	errs[i] = bpf_kallsyms_lookup_name(names[i], KSYM_LEN, 0, &addrs[i]);
	return 0;
}

/*
 * bpf_loop (5.17; the lookup runs on 6.2+): the verifier checks the body once, where a bounded
 * loop had it walk KSYM_MAX iterations (17 M instructions of bpf_check on 7.2, docs/benchmarks.md
 * run 31).
 */
SEC("syscall")
int ksym_lookup(void *ctx)
{
	bpf_loop(count < KSYM_MAX ? count : KSYM_MAX, look_up, NULL, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
