// SPDX-License-Identifier: GPL-2.0
/*
 * The attach feature (bpf/attach.bpf.c): group attaches and IOMMU domain
 * allocations; its events, and the collector of the group counts stat shows.
 */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "catalogue.h"
#include "explain.h"
#include "errnames.h"
#include "feature.h"
#include "map_read.h"
#include "text.h"
#include "vfiotrace.skel.h"

/* type1 attaches a group; iommufd a device, which the record names */
static void attach_json(struct json *j, const struct event_line *l)
{
	const struct event *e = l->rec;

	json_str(j, "backend", e->dev[0] ? "iommufd" : "type1");
	if (e->dev[0])
		json_str(j, "device", e->dev);
	else
		json_null(j, "device");
}

static int attach_want(const void *rec, struct event_ctx *c)
{
	const struct event *e = rec;

	return e->h.ret < 0 ? explain_want(c, e->stack_id) : 0;
}

static int attach_decode(const void *rec, struct event_ctx *c, struct event_line *l)
{
	const struct event *e = rec;
	char dev[TEXT_LEN(NAME_LEN)];

	event_line_init(l, "attach", &e->h);
	snprintf(l->result, sizeof(l->result), "%s", e->h.ret ? errno_name((int)-e->h.ret) : "ok");
	l->json = attach_json;
	l->rec = e;
	if (e->h.ret < 0)
		explain_line(l, c, OP_ATTACH, e->step, (int)-e->h.ret, e->stack_id);
	if (e->dev[0])
		event_line_detail(l, "%siommufd device=%s", l->detail[0] ? "; " : "",
				  text_name(e->dev, dev, sizeof(dev)));
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

static void histogram(FILE *f, const char *name, const char *group, const unsigned long long *slots)
{
	prom_histogram_sum(f, name, group, slots, -1);
}

/* Attaches, their errors and latencies, domain allocations, group info: per group. */
static void prom(FILE *f, const struct metrics *m)
{
	const struct snapshot *s = m->s;
	char gb[16], esc[256];
	int i, k;

	prom_family(f, "vfiotrace_attach_total", "counter",
		    "VFIO group attaches (type1: VFIO_SET_IOMMU; iommufd: a device attached to an IOAS) by result: ok or the errno name.");
	for (i = 0; i < s->ngroups; i++) {
		const struct group_row *g = &s->groups[i];
		unsigned long long named = 0;

		if (g->group == NO_GROUP)
			continue;
		prom_group_label(g->group, gb, sizeof(gb));
		fprintf(f, "vfiotrace_attach_total{group=\"%s\",result=\"ok\"} %llu\n", gb, g->st.attach_ok);
		for (k = 0; k < g->nerrs; k++) {
			named += g->errs[k].n;
			fprintf(f, "vfiotrace_attach_total{group=\"%s\",result=\"%s\"} %llu\n", gb,
				prom_escape(errno_name(g->errs[k].err), esc, sizeof(esc)), g->errs[k].n);
		}
		/* more distinct errnos than the model keeps per group */
		if (g->st.attach_fail > named)
			fprintf(f, "vfiotrace_attach_total{group=\"%s\",result=\"other\"} %llu\n", gb,
				g->st.attach_fail - named);
	}
	prom_family(f, "vfiotrace_attach_duration_seconds", "histogram",
		    "Time inside the attach (type1: vfio_iommu_type1_attach_group; iommufd: vfio_iommufd_physical_attach_ioas); _sum adds slot lower edges (a lower bound within 20%).");
	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i].group != NO_GROUP)
			histogram(f, "vfiotrace_attach_duration_seconds",
				  prom_group_label(s->groups[i].group, gb, sizeof(gb)),
				  s->groups[i].st.attach_hist);
	prom_family(f, "vfiotrace_domain_alloc_duration_seconds", "histogram",
		    "IOMMU paging-domain allocation time, by the group being attached (unattributed: other callers); _sum adds slot lower edges (a lower bound within 20%).");
	for (i = 0; i < s->ngroups; i++)
		histogram(f, "vfiotrace_domain_alloc_duration_seconds",
			  prom_group_label(s->groups[i].group, gb, sizeof(gb)),
			  s->groups[i].st.alloc_hist);
	prom_family(f, "vfiotrace_domain_alloc_failures_total", "counter",
		    "IOMMU domain allocations that returned no domain, by group.");
	for (i = 0; i < s->ngroups; i++)
		fprintf(f, "vfiotrace_domain_alloc_failures_total{group=\"%s\"} %llu\n",
			prom_group_label(s->groups[i].group, gb, sizeof(gb)), s->groups[i].st.domain_alloc_fail);
	prom_family(f, "vfiotrace_iommufd_binds_total", "counter",
		    "iommufd: the group's devices bound to an iommufd (VFIO_DEVICE_BIND_IOMMUFD), by result ok or failed.");
	for (i = 0; i < s->ngroups; i++) {
		const struct group_stats *st = &s->groups[i].st;

		if (s->groups[i].group == NO_GROUP || !(st->iommufd_attaches || st->iommufd_binds ||
							 st->iommufd_bind_fail))
			continue;
		prom_group_label(s->groups[i].group, gb, sizeof(gb));
		fprintf(f, "vfiotrace_iommufd_binds_total{group=\"%s\",result=\"ok\"} %llu\n", gb, st->iommufd_binds);
		fprintf(f, "vfiotrace_iommufd_binds_total{group=\"%s\",result=\"failed\"} %llu\n", gb,
			st->iommufd_bind_fail);
	}
	prom_family(f, "vfiotrace_iommufd_detaches_total", "counter",
		    "iommufd: the group's devices detached from their IOAS or HWPT.");
	for (i = 0; i < s->ngroups; i++) {
		const struct group_stats *st = &s->groups[i].st;

		if (s->groups[i].group == NO_GROUP || !(st->iommufd_attaches || st->iommufd_detaches))
			continue;
		fprintf(f, "vfiotrace_iommufd_detaches_total{group=\"%s\"} %llu\n",
			prom_group_label(s->groups[i].group, gb, sizeof(gb)), st->iommufd_detaches);
	}
	prom_family(f, "vfiotrace_group_info", "gauge",
		    "1 per IOMMU group seen attaching: member bus types, the device of its domain allocation (empty when unknown), how it was attached (type1, iommufd, type1+iommufd).");
	for (i = 0; i < s->ngroups; i++) {
		const struct group_row *g = &s->groups[i];
		const char *buses[GROUP_MAX_DEVS + 1];
		char busstr[128] = "";
		int nb;

		if (g->group == NO_GROUP)
			continue;
		nb = group_buses(g, buses, GROUP_MAX_DEVS + 1);
		for (k = 0; k < nb; k++)
			snprintf(busstr + strlen(busstr), sizeof(busstr) - strlen(busstr), "%s%s",
				 k ? "," : "", buses[k]);
		fprintf(f, "vfiotrace_group_info{group=\"%s\",buses=\"%s\",",
			prom_group_label(g->group, gb, sizeof(gb)), prom_escape(busstr, esc, sizeof(esc)));
		fprintf(f, "alloc_device=\"%s\",",
			prom_escape(g->has_mem ? g->mem.alloc_dev : "", esc, sizeof(esc)));
		fprintf(f, "backend=\"%s\"} 1\n", group_backend(g) ? group_backend(g) : "");
	}
}

static const struct event_kind events[] = {
	{ EV_ATTACH, sizeof(struct event), attach_decode, event_bound, false, attach_want },
	{ EV_DOMAIN_ALLOC, sizeof(struct event), domain_alloc_decode, event_bound, false, NULL },
};

/* Group counts, members and errors from the maps into s. */
static int collect(struct snapshot *s, const struct vfiotrace_bpf *skel, const struct symbolizer *sym)
{
	struct map_entries stats = { 0 }, members = { 0 }, errors = { 0 };
	struct group_row *g;
	struct err_key ek;
	size_t i;
	int key, ret = -1;

	(void)sym;
	if (map_read(bpf_map__fd(skel->maps.group_stats), &stats) ||
	    map_read(bpf_map__fd(skel->maps.group_members), &members) ||
	    map_read(bpf_map__fd(skel->maps.errors), &errors))
		goto out;
	for (i = 0; i < stats.n; i++) {
		map_entry(&stats, i, &key, NULL);
		if (!(g = snapshot_group(s, key)))
			goto out;
		map_entry(&stats, i, NULL, &g->st);
		g->has_mem = !map_find(&members, &key, &g->mem);
	}
	for (i = 0; i < errors.n; i++) {
		unsigned long long n;

		map_entry(&errors, i, &ek, &n);
		if (!(g = snapshot_group(s, ek.group)))
			goto out;
		if (g->nerrs == MAX_ERRS)
			continue;
		g->errs[g->nerrs].err = ek.err;
		g->errs[g->nerrs++].n = n;
	}
	ret = 0;
out:
	map_entries_free(&stats);
	map_entries_free(&members);
	map_entries_free(&errors);
	return ret;
}

const struct feature attach_feature = {
	.name = "attach",
	.collect = collect,
	FEATURE_EVENTS(events),
	.prom = prom,
};
