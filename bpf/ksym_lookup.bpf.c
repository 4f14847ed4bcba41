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

SEC("syscall")
int ksym_lookup(void *ctx)
{
	__u32 i;

	for (i = 0; i < KSYM_MAX && i < count; i++)
		errs[i] = bpf_kallsyms_lookup_name(names[i], KSYM_LEN, 0, &addrs[i]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
