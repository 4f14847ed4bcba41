// SPDX-License-Identifier: GPL-2.0
/* The single definition of everything common.bpf.h declares extern. */
#include "common.bpf.h"
#include "diag.bpf.h"
#include "pci_dev.bpf.h"

const volatile int target_group = -1;
const volatile __u32 target_tgid = 0;
#undef emit_events	/* VFIOTRACE_NO_EVENTS: the variable stays, so that both objects lay out alike */
const volatile bool emit_events = false;
const volatile bool deep_stacks = false;
const volatile __u32 pci_dev_btf_id = 0;
const volatile __u32 file_btf_id = 0;
const volatile int entry_only_ret = 0;
const volatile bool call_slots_off = false;
struct tid_counts calls_n[CALL_KINDS] HOT;
__u64 call_begins[2] HOT;

__u64 ringbuf_drops = 0;
__u64 map_full = 0;
__u64 new_clients = 0;
__u64 opener_heads[OPENER_CPUS] = {};
struct opener opener_ring[OPENER_CPUS * OPENER_SLOTS] = {};

group_stats_map group_stats SEC(".maps");
events_map events SEC(".maps");

char LICENSE[] SEC("license") = "GPL";

/* Diagnosis (diag.bpf.h): shared by attach.bpf.c and diag.bpf.c. */
diag_ops_map diag_ops SEC(".maps");
__u64 diag_ops_slots[CALL_SLOT_WORDS(op_state)];
failures_map failures SEC(".maps");
holders_map holders SEC(".maps");
culprits_map group_culprit SEC(".maps");
fail_stacks_map fail_stacks SEC(".maps");
fail_stack_ids_map fail_stack_ids SEC(".maps");

/* Kernel stacks (stacks.bpf.h): shared by refs.bpf.c and diag.bpf.c. */
stack_scratch_map stack_scratch SEC(".maps");
stack_next_map stack_next SEC(".maps");

/* Devices (pci_dev.bpf.h): shared by vfio_pci.bpf.c, reset.bpf.c and power.bpf.c. */
vfio_calls_map vfio_calls SEC(".maps");
__u64 pci_thread_words[CALL_SLOTS * sizeof(struct pci_thread) / 8];
reset_stats_map reset_stats SEC(".maps");
dev_stats_map dev_stats SEC(".maps");
