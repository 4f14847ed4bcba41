/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What one feature is to the rest: how it reads its maps into a snapshot,
 * which ring buffer records it decodes, and its sections of stat (text and -j),
 * hist and the Prometheus text, each NULL where it has none. A feature defines
 * its row in its own file; sections.c lists the rows in the order their
 * sections appear.
 */
#ifndef VFIOTRACE_FEATURE_H
#define VFIOTRACE_FEATURE_H

#include <stdbool.h>
#include <stdio.h>
#include "event_ctx.h"
#include "json.h"
#include "prom.h"
#include "snapshot.h"

struct vfiotrace_bpf;

struct feature {
	const char *name;
	/* its part of a snapshot, read from its maps: 0, or -1 out of memory */
	int (*collect)(struct snapshot *s, const struct vfiotrace_bpf *skel, const struct symbolizer *sym);
	/* once, when every probe is attached (before the Tracing line): a baseline it needs (NULL: none) */
	void (*start)(void);
	/* the ring buffer records it decodes */
	const struct event_kind *events;
	unsigned int nevents;
	/* whether s shows its sections (NULL: always) */
	bool (*enabled)(const struct snapshot *s);
	/* stat -j: its keys in a group's object, in "unattributed", in the summary */
	void (*group_json)(struct json *j, const struct snapshot *s, const struct group_row *g);
	void (*unattributed_json)(struct json *j, const struct snapshot *s);
	void (*json)(struct json *j, const struct snapshot *s);
	/* stat text: a count column of the group table, after ATTACH_P50 */
	struct {
		const char *name;
		unsigned long long (*value)(const struct snapshot *s, int group);
	} column;
	/* stat text: lines about the groups below their table; a section of its own further down */
	void (*group_text)(FILE *f, const struct snapshot *s);
	void (*text)(FILE *f, const struct snapshot *s);
	/* hist: a latency histogram per group (slots NULL where a group has none) */
	struct {
		const char *name;
		const unsigned long long *(*slots)(const struct snapshot *s, int group);
	} hist;
	/* its Prometheus families */
	void (*prom)(FILE *f, const struct metrics *m);
};

#define FEATURE_EVENTS(kinds) .events = kinds, .nevents = sizeof(kinds) / sizeof(kinds[0])

/* The rows, each in its feature's file. */
extern const struct feature attach_feature, diag_feature, refs_feature, dma_feature, resets_feature,
	faults_feature;

#endif
