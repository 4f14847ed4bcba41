// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace reads the maps it shows through this iterator (5.9+), not with
 * bpf() lookups: a lookup holds its CPU's bpf_prog_active, and a reader
 * preempted there (preempt=full or lazy, PREEMPT_RT) makes every kprobe and
 * kprobe.multi program of that CPU miss until it runs again. An iterator's
 * program runs without it (user/kernel/map_read.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "vfiotrace.h"

/*
 * One buffer, not one per CPU (8 KiB each, on hosts of hundreds of CPUs): only
 * the poll loop's thread reads the maps, one read() at a time.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[MAP_DUMP_MAX]);
} dump_buf SEC(".maps");

/*
 * Each element as its key then its value, key_size + value_size bytes. Read
 * through bpf_probe_read_kernel: a direct access would tie the program to one
 * key and value size, and each map has its own.
 */
/* bare: aimed at bpf_iter_bpf_map_elem by its BTF id (user/loader/fentry_target.h) */
SEC("iter")
int map_dump(struct bpf_iter__bpf_map_elem *ctx)
{
	__u32 zero = 0, ks, vs;
	char *buf;

	if (!ctx->key || !ctx->value || !(buf = bpf_map_lookup_elem(&dump_buf, &zero)))
		return 0;
	/* below MAP_DUMP_MAX / 2 each (map_read.c links no other map): the masks tell the verifier */
	ks = ctx->map->key_size & (MAP_DUMP_MAX / 2 - 1);
	vs = ctx->map->value_size & (MAP_DUMP_MAX / 2 - 1);
	bpf_probe_read_kernel(buf, ks, ctx->key);
	bpf_probe_read_kernel(buf + ks, vs, ctx->value);
	bpf_seq_write(ctx->meta->seq, buf, ks + vs);
	return 0;
}
