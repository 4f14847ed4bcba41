/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module lifecycle: the always-on watcher of module loads and frees
 * (bpf/lifecycle.bpf.c), and what a module event did to the hooks, with its
 * text and JSON printers. tracer.c decides what to detach and re-attach.
 */
#ifndef VFIOTRACE_LIFECYCLE_USER_H
#define VFIOTRACE_LIFECYCLE_USER_H

#include <stdbool.h>
#include <stdio.h>
#include "../../bpf/module_event.h"
#include "targets.h"

struct lifecycle_bpf;
struct ring_buffer;

struct lifecycle {
	struct lifecycle_bpf *skel;
	bool active;			/* module loads and frees are reported */
	char why[160];			/* why not, when !active */
};

/* Load and attach the watcher for these modules. 0, or -1 with lc->why set. */
int lifecycle_start(struct lifecycle *lc, const char *const modules[], int n);
void lifecycle_stop(struct lifecycle *lc);
int lifecycle_ring_fd(const struct lifecycle *lc);
unsigned long long lifecycle_drops(const struct lifecycle *lc);

/* One hook a module event detached or attached. */
struct hook_change {
	const char *hook, *function, *style;
	long long detached_ns;		/* load: how long it was detached; -1: first attach */
};

struct module_report {
	const char *module;
	enum module_action action;
	unsigned long long ts_ns;
	int nhooks;
	struct hook_change hooks[NR_HOOKS];
	char error[256];		/* load: why a hook could not be attached again, or "" */
};

/* Text on err (stderr) always; with json also {"event":"module",...} on out. */
void render_module_event(FILE *err, FILE *out, const struct module_report *r, bool json);

#endif
