// SPDX-License-Identifier: GPL-2.0
/*
 * A ring buffer record to its feature's decoder (the features' rows, feature.h),
 * its line to the one printer (output/event_line.c).
 */
#include <stdlib.h>
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

/*
 * Records held while the symbols are read: a bound, past which the event path
 * waits for the read (records are never dropped here).
 */
#define WAITING_MAX 4096

static bool symbols_pending(struct event_ctx *c, const struct event_kind *k)
{
	return k->symbols && c->sym && c->sym->ks && !kallsyms_full_ready(c->sym->ks);
}

/* c->rec (of kind k, its VM identity vm) decoded; its line printed unless --vm hides it. */
static void show(struct event_ctx *c, const struct event_kind *k, const struct vm_ident *vm)
{
	bool shown;

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
	event_line_print(c->out, &c->line, c->json);
}

/* Whether one more record can be held: fewer than WAITING_MAX, and the memory for it. */
static bool room(struct event_ctx *c)
{
	size_t cap = c->waiting_cap ? c->waiting_cap * 2 : 64;
	union event_record *w;

	if (c->nwaiting < c->waiting_cap)
		return true;
	if (cap > WAITING_MAX || !(w = realloc(c->waiting, cap * sizeof(*w))))
		return false;
	c->waiting = w;
	c->waiting_cap = cap;
	return true;
}

void events_consume(struct event_ctx *c, const void *rec, size_t size)
{
	const struct record_hdr *h = rec;
	const struct event_kind *k = size >= sizeof(*h) ? kind_of(h->type) : NULL;
	const struct vm_ident *vm;

	if (!k || size < k->size) {
		c->malformed++;
		return;
	}
	if (c->refs_only && !k->reference)
		return;
	/* the held records first: shown once the symbols are read, or now if no more fit */
	if (c->nwaiting)
		events_flush(c, !room(c));
	memcpy(&c->rec, rec, k->size);
	bound_header(&c->rec.hdr);
	if (k->bound)
		k->bound(&c->rec);
	/* read at the process's first event, while it lives, shown or not: holders name it later */
	vm = vmcache_get(c->rec.hdr.pid, c->rec.hdr.comm);
	if ((c->nwaiting || symbols_pending(c, k)) && room(c)) {
		c->waiting[c->nwaiting++] = c->rec;
		return;
	}
	show(c, k, vm);
}

bool events_flush(struct event_ctx *c, bool wait)
{
	size_t i;

	if (!c->nwaiting)
		return false;
	if (wait)
		kallsyms_full(c->sym->ks);
	else if (!kallsyms_full_ready(c->sym->ks))
		return true;
	for (i = 0; i < c->nwaiting; i++) {
		c->rec = c->waiting[i];
		/* the identity read when the record came (kept if the process is gone since) */
		show(c, kind_of(c->rec.hdr.type), vmcache_get(c->rec.hdr.pid, c->rec.hdr.comm));
	}
	c->nwaiting = 0;
	return false;
}

void events_free(struct event_ctx *c)
{
	free(c->waiting);
	c->waiting = NULL;
	c->nwaiting = c->waiting_cap = 0;
}
