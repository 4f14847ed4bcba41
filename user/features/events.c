// SPDX-License-Identifier: GPL-2.0
/*
 * The ring buffer's records by type: the struct each one is, the feature that
 * decodes it, and whether refs shows it. Attach and domain_alloc events are
 * decoded here: stat reads the same hooks' maps.
 */
#include <limits.h>
#include <string.h>
#include "catalogue.h"
#include "diag.h"
#include "dma.h"
#include "errnames.h"
#include "events.h"
#include "refs.h"
#include "text.h"

static int attach_decode(const void *rec, struct event_ctx *c, struct event_line *l)
{
	const struct event *e = rec;

	event_line_init(l, "attach", &e->h);
	snprintf(l->result, sizeof(l->result), "%s", e->h.ret ? errno_name((int)-e->h.ret) : "ok");
	if (e->h.ret < 0)
		diag_explain_line(l, c, OP_ATTACH, e->step, (int)-e->h.ret, e->stack_id);
	return 1;
}

/* ret 1 stands for a NULL return: a failure without an errno */
static const char *alloc_result(long long ret)
{
	return ret == 0 ? "ok" : ret == 1 ? "NULL" : errno_name((int)-ret);
}

static void domain_alloc_json(struct json *j, const struct event_line *l)
{
	const struct event *e = l->rec;

	if (e->h.ret == 1)
		json_null(j, "ret");
	else
		json_int(j, "ret", e->h.ret);
	json_str(j, "result", e->h.ret == 0 ? "ok" : e->h.ret == 1 ? "NULL" : "ERR_PTR");
	if (e->h.ret < 0)
		json_str(j, "errno", errno_name((int)-e->h.ret));
	json_str(j, "bus", e->name);
	if (e->dev[0])
		json_str(j, "alloc_device", e->dev);
	else
		json_null(j, "alloc_device");
}

static int domain_alloc_decode(const void *rec, struct event_ctx *c, struct event_line *l)
{
	const struct event *e = rec;
	char bus[TEXT_LEN(NAME_LEN)], dev[TEXT_LEN(NAME_LEN)];

	(void)c;
	event_line_init(l, "domain_alloc", &e->h);
	l->fields &= ~LINE_RET;		/* domain_alloc_json: a NULL return has no errno */
	snprintf(l->result, sizeof(l->result), "%s", alloc_result(e->h.ret));
	event_line_detail(l, "bus=%s device=%s", e->name[0] ? text_name(e->name, bus, sizeof(bus)) : "?",
			  e->dev[0] ? text_name(e->dev, dev, sizeof(dev)) : "-");
	l->json = domain_alloc_json;
	l->rec = e;
	return 1;
}

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

static const struct event_kind {
	unsigned int type;
	size_t size;		/* the struct the record is */
	event_decoder decode;
	bool reference;		/* shown by refs too */
} kinds[] = {
	{ EV_ATTACH, sizeof(struct event), attach_decode, false },
	{ EV_DOMAIN_ALLOC, sizeof(struct event), domain_alloc_decode, false },
	{ EV_DEVICE_GET, sizeof(struct event), refs_decode, true },
	{ EV_DEVICE_PUT, sizeof(struct event), refs_decode, true },
	{ EV_UNREG_BEGIN, sizeof(struct event), refs_decode, true },
	{ EV_UNREG_END, sizeof(struct event), refs_decode, true },
	{ EV_DMA_MAP, sizeof(struct dma_event), dma_decode, false },
	{ EV_DMA_UNMAP, sizeof(struct dma_event), dma_decode, false },
	{ EV_GROUP_FAIL, sizeof(struct fail_event), diag_decode_fail, false },
};

void events_consume(struct event_ctx *c, const void *rec, size_t size, FILE *f, bool json,
		    bool refs_only)
{
	const struct record_hdr *h = rec;
	unsigned int i;

	for (i = 0; size >= sizeof(*h) && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (kinds[i].type != h->type)
			continue;
		if (size < kinds[i].size)
			break;
		if (refs_only && !kinds[i].reference)
			return;
		memcpy(&c->rec, rec, kinds[i].size);
		bound(&c->rec, h->type);
		if (kinds[i].decode(&c->rec, c, &c->line))
			event_line_print(f, &c->line, json);
		return;
	}
	c->malformed++;
}
