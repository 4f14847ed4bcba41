// SPDX-License-Identifier: GPL-2.0
/*
 * The floor for tools/bench: empty programs on the hooks vfiotrace uses.
 * Built twice: plain, and with -DCORE, where the entry program does one
 * CO-RE read, so that libbpf loads the kernel's BTF as every CO-RE tool must.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

SEC("kprobe")
int floor_entry(void *ctx)
{
#ifdef CORE
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(t, mm) == 0;
#else
	return 0;
#endif
}

SEC("kretprobe")
int floor_return(void *ctx)
{
	return 0;
}

#ifdef CORE
/* --work: the least an aggregating tracer does per hit, one counter per process in a hash map */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline int count(void)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1, *n = bpf_map_lookup_elem(&counts, &pid);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &pid, &one, BPF_NOEXIST);
	return 0;
}

SEC("kprobe")
int work_entry(void *ctx)
{
	return count();
}

SEC("kretprobe")
int work_return(void *ctx)
{
	return count();
}

/* the same on the PCI core's hooks (pk:, pr:), so that the bench can tell their time apart */
SEC("kprobe")
int work_entry_pci(void *ctx)
{
	return count();
}

SEC("kretprobe")
int work_return_pci(void *ctx)
{
	return count();
}
#endif

char LICENSE[] SEC("license") = "GPL";
