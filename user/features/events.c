// SPDX-License-Identifier: GPL-2.0
/*
 * A ring buffer record to its feature's decoder (the features' rows, feature.h),
 * its line to the one printer (output/event_line.c).
 */
#include <string.h>
#include "events.h"
#include "sections.h"
#include "vmby.h"
#include "vmcache.h"

/* The header every decoder may assume: its comm ended where BPF ends it, its ret an int. */
static void bound_header(struct record_hdr *h)
{
	h->comm[COMM_LEN - 1] = 0;
	h->ret = event_int_ret(h->ret);
}

/* The feature's entry for a record type, NULL for none. */
static const struct event_kind *kind_of(unsigned int type)
{
	const struct feature *ft;
	unsigned int k;
	int i = 0;

	while ((ft = feature_all(&i)))
		for (k = 0; k < ft->nevents; k++)
			if (ft->events[k].type == type)
				return &ft->events[k];
	return NULL;
}

void events_consume(struct event_ctx *c, const void *rec, size_t size, FILE *f, bool json,
		    bool refs_only)
{
	const struct record_hdr *h = rec;
	const struct event_kind *k = size >= sizeof(*h) ? kind_of(h->type) : NULL;
	const struct vm_ident *vm;
	bool shown;

	if (!k || size < k->size) {
		c->malformed++;
		return;
	}
	if (refs_only && !k->reference)
		return;
	memcpy(&c->rec, rec, k->size);
	bound_header(&c->rec.hdr);
	if (k->bound)
		k->bound(&c->rec);
	/* read at the process's first event, while it lives, shown or not: holders name it later */
	vm = vmcache_get(c->rec.hdr.pid, c->rec.hdr.comm);
	/* --vm: decoded all the same (holders and waits follow every process), printed only if its */
	shown = !c->vm || vm_is(vm, c->vm);
	if (!k->decode(&c->rec, c, &c->line))
		return;
	/* a decoder may name another process than the record's (a fault: the group's holder) */
	if (c->line.vm)
		shown = !c->vm || vm_is(c->line.vm, c->vm);
	if (!shown) {
		c->filtered++;
		return;
	}
	if (c->line.fields & LINE_PID)
		c->line.vm = c->line.vm ? c->line.vm : vm;
	event_line_print(f, &c->line, json);
}
