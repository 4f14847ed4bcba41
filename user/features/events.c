// SPDX-License-Identifier: GPL-2.0
/*
 * A ring buffer record to its feature's decoder (the features' rows, feature.h),
 * its line to the one printer (output/event_line.c).
 */
#include <limits.h>
#include <string.h>
#include "events.h"
#include "sections.h"

/* A return value in the range the hooked functions return (int): what the decoders negate. */
static long long int_ret(long long ret)
{
	return ret == (int)ret ? ret : INT_MIN + 1;
}

/*
 * What every decoder may assume, made true whatever the record's bytes: its
 * strings end where BPF ends them, its returns fit an int.
 */
static void bound(void *rec, unsigned int type)
{
	struct record_hdr *h = rec;
	unsigned int i;

	h->comm[COMM_LEN - 1] = 0;
	h->ret = int_ret(h->ret);
	if (type == EV_GROUP_FAIL) {
		struct fail_event *f = rec;

		for (i = 0; i < BLOCK_MAX; i++) {
			f->c.block_dev[i][NAME_LEN - 1] = 0;
			f->c.block_drv[i][DRV_LEN - 1] = 0;
		}
		f->c.holder.comm[COMM_LEN - 1] = 0;
	} else if (type == EV_DMA_MAP || type == EV_DMA_UNMAP) {
		struct dma_event *d = rec;

		d->fail.comm[COMM_LEN - 1] = 0;
		d->fail.ret = int_ret(d->fail.ret);
	} else {
		((struct event *)rec)->name[NAME_LEN - 1] = 0;
		((struct event *)rec)->dev[NAME_LEN - 1] = 0;
	}
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

	if (!k || size < k->size) {
		c->malformed++;
		return;
	}
	if (refs_only && !k->reference)
		return;
	memcpy(&c->rec, rec, k->size);
	bound(&c->rec, h->type);
	if (k->decode(&c->rec, c, &c->line))
		event_line_print(f, &c->line, json);
}
