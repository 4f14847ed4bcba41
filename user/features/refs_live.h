/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refs, the live model: VFIO device references. The aggregates (gets, puts, current, peak per
 * device; counts per call site) come from BPF maps; the holders come from the
 * live get/put events, matched as follows (docs/usage.md, "Holders"):
 * a get by process P adds one reference to P's holding; a put by P drops one
 * of P's; a put by a process that holds none drops one from the oldest holder
 * (the reference travelled with an fd that was passed or inherited), so no
 * phantom holder is left behind. The put of the task unregistering the device
 * drops the registration's own reference, which no holder owns.
 */
#ifndef VFIOTRACE_REFS_LIVE_H
#define VFIOTRACE_REFS_LIVE_H

#include <stddef.h>
#include "../../bpf/vfiotrace.h"
#include "json.h"

#define MAX_HOLDERS 8
#define REFS_BASELINE 1		/* the registration's own reference */

struct ref_holder {
	unsigned int pid;
	char comm[COMM_LEN];
	unsigned int refs;
	unsigned long long since_ns;	/* CLOCK_MONOTONIC of its first outstanding get */
};

struct live_dev {
	unsigned long long ptr;		/* struct vfio_device address */
	char name[NAME_LEN];
	int nholders;
	struct ref_holder holders[MAX_HOLDERS];
	unsigned long long unreg_ns;	/* unregistration waiting since, 0: none */
	unsigned int unreg_pid;		/* task inside vfio_unregister_group_dev, 0: none */
};

struct refs_live {
	struct live_dev *devs;
	int ndevs;
	unsigned long long untracked;	/* holders beyond MAX_HOLDERS, merged into the last */
};

enum live_change { LIVE_SAME, LIVE_WAIT_BEGAN, LIVE_WAIT_ENDED };

/* One reference event into the holders; its device, NULL out of memory. */
struct live_dev *refs_live_apply(struct refs_live *l, const struct event *e, enum live_change *ch);
void refs_live_free(struct refs_live *l);

/* "holders":[{pid, comm, vm, refs, held_ns}...] of d at now. */
void refs_json_holders(struct json *j, const struct live_dev *d, unsigned long long now);
/* "pid N (comm) R refs for T, ..." of d at now, appended to buf. */
void refs_holders_text(const struct live_dev *d, unsigned long long now, char *buf, size_t len);

#endif
