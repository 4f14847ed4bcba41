/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The attached probes: a link per row's entry and return program (fentry,
 * kprobe, kretprobe) and the kprobe.multi links (multi.h); attaching
 * one row (on the event preopen.h opened for it, if any), detaching one row
 * or all at once, and what they missed.
 */
#ifndef VFIOTRACE_LINKS_H
#define VFIOTRACE_LINKS_H

#include <stdbool.h>
#include "preopen.h"
#include "targets.h"
#include "vfiotrace.h"

struct bpf_link;
struct bpf_object;

struct probe_links {
	struct bpf_link *row[NR_HOOKS][2];	/* entry and return probe per row */
	int multi[MULTI_LINKS];			/* the kprobe.multi links' fds (multi.h); 0: none */
	struct preopen pre;			/* the kprobe rows' events, opened while loading */
};

/* Row i's programs in obj as r's style says; on failure nothing of the row stays attached: 0, or -1 with errbuf. */
int links_attach_row(struct probe_links *l, struct bpf_object *obj, int i, const struct resolved *r,
		     int retprobe_maxactive, char *errbuf, int errlen);
bool links_attached(const struct probe_links *l, int i, const struct resolved *r);
/* Some kprobe.multi link is attached. */
bool links_multi_any(const struct probe_links *l);
void links_detach_row(struct probe_links *l, int i);
void links_detach_all(struct probe_links *l);
/* The probes attached: a kprobe.multi link counts its functions, as a kprobe each would. */
int links_count(const struct probe_links *l, const struct resolved res[NR_HOOKS]);
/*
 * Hook hits that ran no program of obj (NULL: none loaded) or whose return went unseen
 * (tracer.h tracer_probes_missed); with report, a dbg line for each source that missed.
 */
long long links_missed(const struct probe_links *l, struct bpf_object *obj, bool report);

#endif
