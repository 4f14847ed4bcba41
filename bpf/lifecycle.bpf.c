// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifecycle: tells the loader when a module it hooks is loaded or
 * freed, so that it can re-attach after a reload. Its own object and
 * skeleton: it is loaded before anything else and stays attached while the
 * tracing programs wait for their modules.
 *
 * raw_tp rather than tp_btf: loads without the tracepoint's BTF, and fails
 * only at attach on a kernel without modules. module_load fires after the
 * module's kallsyms and BTF exist and before its init runs; module_free when
 * it is gone (its kprobes are already dead then).
 *
 * No CO-RE relocation: struct module has begun with state, list and name
 * since 2.6 on every architecture. Without one, libbpf loads this object
 * without parsing the kernel's BTF (a third of vfiotrace's start-up on 6.1).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "module_event.h"

struct module___vt {
	int state;			/* enum module_state */
	struct list_head list;
	char name[MODULE_NAME_LEN_];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WATCHED_MAX);
	__uint(key_size, MODULE_NAME_LEN_);
	__uint(value_size, 1);
} watched SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024);
} module_events SEC(".maps");

__u64 module_event_drops = 0;

static __always_inline int report(struct module___vt *mod, __u32 action)
{
	char name[MODULE_NAME_LEN_] = {};
	struct module_event *e;

	bpf_probe_read_kernel_str(name, sizeof(name), mod->name);
	if (!bpf_map_lookup_elem(&watched, name))
		return 0;
	e = bpf_ringbuf_reserve(&module_events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&module_event_drops, 1);
		return 0;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->action = action;
	/* one helper call: at offset 12 the name is unaligned, and a copy was 150 byte moves to load */
	bpf_probe_read_kernel(e->name, sizeof(e->name), name);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("raw_tp/module_load")
int on_module_load(struct bpf_raw_tracepoint_args *ctx)
{
	return report((void *)ctx->args[0], MODULE_LOADED);
}

SEC("raw_tp/module_free")
int on_module_free(struct bpf_raw_tracepoint_args *ctx)
{
	return report((void *)ctx->args[0], MODULE_FREED);
}

char LICENSE[] SEC("license") = "GPL";
