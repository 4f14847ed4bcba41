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

char LICENSE[] SEC("license") = "GPL";
