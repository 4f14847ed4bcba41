// SPDX-License-Identifier: GPL-2.0
/*
 * The attach feature (bpf/attach.bpf.c): group attaches and IOMMU domain
 * allocations; its events, and the collector of the group counts stat shows.
 */
#include "catalogue.h"
#include "diag.h"
#include "errnames.h"
#include "feature.h"
#include <stdlib.h>
#include <bpf/bpf.h>
#include "text.h"
#include "vfiotrace.skel.h"

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

static const struct event_kind events[] = {
	{ EV_ATTACH, sizeof(struct event), attach_decode, false },
	{ EV_DOMAIN_ALLOC, sizeof(struct event), domain_alloc_decode, false },
};

/* Group counts, members and errors from the maps into s. */
static int collect(struct snapshot *s, const struct vfiotrace_bpf *skel, const struct symbolizer *sym)
{
	int stats = bpf_map__fd(skel->maps.group_stats), members = bpf_map__fd(skel->maps.group_members);
	int errors = bpf_map__fd(skel->maps.errors);
	int key, *prev = NULL;
	struct err_key ek, *eprev = NULL;
	struct group_row *g;

	(void)sym;
	while (!bpf_map_get_next_key(stats, prev, &key)) {
		prev = &key;
		g = snapshot_group(s, key);
		if (!g)
			return -1;
		if (bpf_map_lookup_elem(stats, &key, &g->st))
			continue;
		g->has_mem = !bpf_map_lookup_elem(members, &key, &g->mem);
	}
	while (!bpf_map_get_next_key(errors, eprev, &ek)) {
		unsigned long long n;

		eprev = &ek;
		g = snapshot_group(s, ek.group);
		if (!g)
			return -1;
		if (g->nerrs == MAX_ERRS || bpf_map_lookup_elem(errors, &ek, &n))
			continue;
		g->errs[g->nerrs].err = ek.err;
		g->errs[g->nerrs++].n = n;
	}
	return 0;
}

const struct feature attach_feature = {
	.name = "attach",
	.collect = collect,
	FEATURE_EVENTS(events),
};
