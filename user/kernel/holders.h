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
/* The holder of group in the BPF holders map: 0, or -1 when none (no entry, or pid 0: released). */
int holder_get(int map_fd, int group, struct holder *h);

#endif
