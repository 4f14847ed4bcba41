// SPDX-License-Identifier: GPL-2.0
/*
 * A ring buffer record to its feature's decoder (the features' rows, feature.h),
 * its line to the one printer (output/event_line.c).
 */
#include <string.h>
#include <time.h>
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

/*
 * Until the kernel's symbols are read (a thread: seconds in an emulated guest),
 * c->meanwhile runs every 10 ms: the processes that open groups in that time
 * have their VM identities read while they live. The decoding itself waits:
 * decoders read live state (a fault's holder, the group's containers), so a
 * record is decoded when it comes, in order.
 */
static void wait_for_symbols(struct event_ctx *c)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };

	while (!symnames_ready(c->sym->names)) {
		if (c->meanwhile)
			c->meanwhile(c->meanwhile_arg);
		nanosleep(&tick, NULL);
	}
}

void events_consume(struct event_ctx *c, const void *rec, size_t size)
{
	const struct record_hdr *h = rec;
	const struct event_kind *k = size >= sizeof(*h) ? kind_of(h->type) : NULL;

	if (!k || size < k->size) {
		c->malformed++;
		return;
	}
	if (c->refs_only && !k->reference)
		return;
	if (k->want && c->sym && k->want(rec, c) > 0)
		wait_for_symbols(c);
	memcpy(&c->rec, rec, k->size);
	bound_header(&c->rec.hdr);
	if (k->bound)
		k->bound(&c->rec);
	/* read at the process's first event, while it lives, shown or not: holders name it later */
	show(c, k, vmcache_get(c->rec.hdr.pid, c->rec.hdr.comm));
}
