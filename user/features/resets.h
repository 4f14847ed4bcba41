/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device open and close, resets and power of VFIO-bound PCI devices: the
 * model read from bpf/reset.bpf.c's maps, the names of methods, triggers and
 * D-states, and what sysfs says of a bus reset's reach.
 */
#ifndef VFIOTRACE_RESETS_H
#define VFIOTRACE_RESETS_H

#include "../../bpf/vfiotrace.h"
#include "event_ctx.h"

struct reset_row {
	struct reset_key key;
	struct reset_stats st;
};

struct pcidev_row {
	struct dev_key key;
	struct dev_stats st;
	char power[16];			/* sysfs power_state now; "" where the kernel has none (5.10) */
};

struct group_resets {
	int group;
	unsigned long long hist[HIST_SLOTS];	/* the latency of every reset of its devices */
};

struct resets_model {
	struct reset_row *resets;	/* sorted by device, scope, method */
	int nresets;
	struct pcidev_row *devs;	/* sorted by device */
	int ndevs;
	struct group_resets *groups;	/* sorted by group */
	int ngroups;
};

/* The reset latency histogram of group's devices, NULL if none was reset. */
const unsigned long long *resets_group_hist(const struct resets_model *m, int group);

/* "flr", "bus", ...; NULL for RM_NONE (no method could run) */
const char *reset_method_name(int method);
const char *reset_trigger_name(int trigger);
const char *reset_scope_name(int scope);
/* "D0" .. "D3cold", "unknown" */
const char *power_state_name(int state);

/*
 * The devices a reset of dev's bus resets: every PCI device below the bridge
 * dev sits behind, dev included (sysfs under root, normally "/sys"): how many
 * there are (the first max kept, sorted), 0 when dev is on a root bus or unknown.
 */
int bus_reset_devices(const char *root, const char *dev, char out[][NAME_LEN], int max);

int resets_collect(struct resets_model *m, int reset_stats_fd, int dev_stats_fd);
void resets_free(struct resets_model *m);

extern const struct event_kind resets_events[4];

#endif
