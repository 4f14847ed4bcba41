/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refs: VFIO device references. refs.c reads the counts per device and call
 * site from the maps and decodes the reference events (updating the live
 * holders, refs_live.h); refs_sections.c prints the refs summary and its
 * sections of stat and the Prometheus text.
 */
#ifndef VFIOTRACE_REFS_H
#define VFIOTRACE_REFS_H

#include <stdbool.h>
#include <stdio.h>
#include "event_ctx.h"
#include "json.h"
#include "refs_live.h"
#include "snapshot.h"

struct vfiotrace_bpf;

/* Reference counts per device and call site from the maps into s. 0, or -1 out of memory. */
int refs_collect(struct snapshot *s, const struct vfiotrace_bpf *skel, const struct symbolizer *sym);
/* A reference event: refs_live_apply on c->live, then its line (get, put, unbind_wait, unbind_done). */
int refs_decode(const void *rec, struct event_ctx *c, struct event_line *l);
/* event_kind.want of references: the record's caller, and with a new one every site's. */
int refs_want(const void *rec, struct event_ctx *c);
/* Gets of the devices of one group. */
unsigned long long refs_group_gets(const struct snapshot *s, int group);
void render_refs(FILE *f, const struct snapshot *s, bool json);

/* A refcount, null where this kernel's BTF cannot read it. */
static inline void refs_json_refcount(struct json *j, const char *key, long long v)
{
	if (v == REFCOUNT_UNAVAILABLE)
		json_null(j, key);
	else
		json_int(j, key, v);
}

/* "device": the name, null where it is unknown. */
static inline void refs_json_device(struct json *j, const char *name)
{
	if (name[0])
		json_str(j, "device", name);
	else
		json_null(j, "device");
}

#endif
