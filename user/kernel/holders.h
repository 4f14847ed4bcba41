/* SPDX-License-Identifier: GPL-2.0 */
/* Which processes hold /dev/vfio/N open, found in /proc/PID/fd. */
#ifndef VFIOTRACE_HOLDERS_H
#define VFIOTRACE_HOLDERS_H

#include "../../bpf/vfiotrace.h"

struct held {
	int group;
	int pid;
	char comm[COMM_LEN];
};

/* Fills out[] (sorted by group, then pid) from PROC (normally "/proc"); returns the count, -1 if PROC is unreadable. */
int holders_scan(const char *proc, struct held *out, int max);
/* Seeds the BPF holders map with the first holder of each group; returns the number seeded. */
int holders_seed(int map_fd);
/* The holder of group in the BPF holders map now: 0, or -1 when none (no entry, or released). */
int holder_get(int map_fd, int group, struct holder *h);

#define HOLDER_CHANGED 1
#define HOLDER_CHANGED_TEXT "its holder then is unknown: the group changed hands before this was read"
/*
 * Who held group at ts (CLOCK_MONOTONIC ns: an event's time), for an event decoded after the
 * group may have changed hands: 0 and *h; -1 nobody did; HOLDER_CHANGED the group was opened
 * again since ts, and the map keeps its latest holder only. *h is zeroed unless 0.
 */
int holder_at(int map_fd, int group, unsigned long long ts, struct holder *h);

static inline int holder_held(const struct holder *h)
{
	return h->pid && !h->released_ns;
}

#endif
