// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's text symbols whose names begin as one of the table's, in the
 * /proc/kallsyms format, for kernels that cannot look a name up by binary
 * search (before 6.2) but have the kallsyms iterator (6.0+): the kernel still
 * walks every symbol, but formats and copies only these, and user space
 * parses only these (user/kernel/ksym_iter.c). Its own object: it runs while
 * the tracer's is loaded.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "ksym_query.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KSYM_MAX);
	__type(key, struct ksym_prefix);
	__type(value, __u8);
} prefixes SEC(".maps");

/* its own section: aimed at bpf_iter_ksym by its BTF id in user/kernel/ksym_iter.c, from a thread */
SEC("ksym_iter")
int ksym_list(struct bpf_iter__ksym *ctx)
{
	struct kallsym_iter *it = ctx->ksym;
	struct ksym_prefix k;
	char t;

	if (!it)
		return 0;
	t = it->type | 0x20;		/* a module's symbols are upper case when exported */
	if (t != 't' || bpf_probe_read_kernel(&k, sizeof(k), it->name))
		return 0;
	ksym_prefix_clear(&k);
	if (!bpf_map_lookup_elem(&prefixes, &k))
		return 0;
	if (it->module_name[0])
		BPF_SEQ_PRINTF(ctx->meta->seq, "%lx %c %s\t[%s]\n", it->value, it->type, it->name,
			       it->module_name);
	else
		BPF_SEQ_PRINTF(ctx->meta->seq, "%lx %c %s\n", it->value, it->type, it->name);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
