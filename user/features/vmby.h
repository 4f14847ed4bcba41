/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMs, not pids, in the summaries: which groups belong to which VM (the
 * processes seen opening /dev/vfio/N), --vm NAME's cut of a snapshot and
 * stat --by vm's view. The VM identity is user space's (kernel/vmcache.c): the
 * BPF side counts per group, so a group's counters go to the VMs whose
 * processes held it (docs/usage.md, "Per VM").
 */
#ifndef VFIOTRACE_VMBY_H
#define VFIOTRACE_VMBY_H

#include <stdbool.h>
#include <stdio.h>
#include "json.h"
#include "vmident.h"

struct snapshot;

/* (group, process) pairs kept for a run; more are counted in lost. */
#define VM_OWNERS_MAX 256

struct vm_owner {
	int group;
	struct vm_ident id;		/* the holder's identity when it was seen */
};

struct vm_owners {
	struct vm_owner o[VM_OWNERS_MAX];
	int n;
	unsigned long long lost;	/* pairs past VM_OWNERS_MAX: their groups go unattributed */
};

/* id held group (/dev/vfio/N open): kept once per (group, pid, starttime). */
void vm_owners_add(struct vm_owners *w, int group, const struct vm_ident *id);

/* Whether id is a process of the VM named name (a process without a VM name is of none). */
bool vm_is(const struct vm_ident *id, const char *name);
/* Whether a process of the VM named name held group. */
bool vm_owns_group(const struct vm_owners *w, const char *name, int group);

/*
 * --vm NAME: s cut to what the VM's processes did: the groups they held
 * (whole: their counters, references, resets, DMA), their DMA clients; the
 * activity of no group (NO_GROUP) is dropped (no process to attribute it to).
 */
void vm_filter_snapshot(struct snapshot *s, const char *name);

/* stat --by vm: "vms":[...] and "vms_unattributed_groups":[...]; the text section. */
void vms_json(struct json *j, const struct snapshot *s);
void vms_text(FILE *f, const struct snapshot *s);

#endif
