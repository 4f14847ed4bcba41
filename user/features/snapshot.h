/* SPDX-License-Identifier: GPL-2.0 */
/* The model: everything one summary shows, copied out of the BPF maps at one moment. */
#ifndef VFIOTRACE_SNAPSHOT_H
#define VFIOTRACE_SNAPSHOT_H

#include <stdbool.h>
#include "../../bpf/vfiotrace.h"
#include "dma.h"
#include "faults.h"
#include "resets.h"
#include "stacks.h"

#define MAX_ERRS 8
#define MAX_FAILS 16

struct group_row {
	int group;			/* NO_GROUP: activity outside any VFIO attach */
	struct group_stats st;
	struct group_members mem;
	bool has_mem;
	int nerrs;
	struct { int err; unsigned long long n; } errs[MAX_ERRS];
	/* diagnosis (diag.c): failures by (operation, step, errno), culprit of the last */
	int nfails;
	struct { int op, step, err; unsigned long long n; } fails[MAX_FAILS];
	bool has_culprit;
	struct culprit culprit;
};

struct ref_row {
	struct ref_key key;
	struct ref_val val;
	char caller[CALLER_LEN];	/* function that took or dropped the reference */
};

struct dev_row {
	unsigned long long ptr;		/* struct vfio_device address */
	struct dev_refs d;
};

struct refs_live;
struct vm_owners;

struct snapshot {
	struct group_row *groups;	/* sorted by group, NO_GROUP first */
	int ngroups;
	struct ref_row *refs;		/* sorted by group, device, caller, kind */
	int nrefs;
	struct dev_row *devs;		/* sorted by group, device */
	int ndevs;
	const struct refs_live *live;	/* holders seen live (refs, snoop), or NULL */
	const struct vm_owners *owners;	/* the processes seen holding each group (vmby.h), or NULL */
	const char *vm;			/* --vm NAME: cut to that VM's groups and clients (vm_filter_snapshot) */
	bool by_vm;			/* stat --by vm: the per-VM view too */
	unsigned long long vm_filtered;	/* --vm: events of other processes, not printed (not drops) */
	bool dma_traced;		/* --dma: dma is filled */
	struct dma_model dma;
	struct resets_model resets;	/* device opens, resets, power (resets.c) */
	struct faults_model faults;	/* IOMMU faults (faults.c) */
	unsigned long long drops;	/* snoop events lost: ring buffer full */
	unsigned long long map_full;	/* aggregate updates lost: a BPF map was full */
	long long probes_missed;	/* hook hits that ran no program or lost their return (tracer.h); -1: not known */
	unsigned long long vm_unread;	/* processes gone before their VM identity was read */
	unsigned long long vm_evicted;	/* VM identities dropped from the full cache */
	bool refcount_known;		/* this kernel's BTF lets the put hook read refcounts */
	unsigned int kver;		/* KV() of the traced kernel: picks catalogue rows */
};

/*
 * Each feature reads its own maps into its part of the snapshot (the collect
 * of its row, feature.h); the command runner (main.c) asks each of them, then
 * sorts the groups.
 */
void snapshot_free(struct snapshot *s);
/* The row of group, added (zeroed) if new; NULL out of memory. */
struct group_row *snapshot_group(struct snapshot *s, int group);
void snapshot_sort(struct snapshot *s);	/* groups by number, NO_GROUP first */
/* Member buses of a group plus the bus of its domain allocation, deduplicated. */
int group_buses(const struct group_row *g, const char *out[], int max);
/* How the group was attached: "type1", "iommufd", "type1+iommufd"; NULL: no attach seen. */
const char *group_backend(const struct group_row *g);

#endif
