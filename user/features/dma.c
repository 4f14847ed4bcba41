// SPDX-License-Identifier: GPL-2.0
/* DMA (--dma): the model read from the dma maps, and its text and JSON. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "dma.h"
#include "catalogue.h"
#include "dma_explain.h"
#include "dma_ledger.h"
#include "errnames.h"
#include "histogram.h"
#include "map_read.h"
#include "text.h"
#include "vmcache.h"
#include "vmname.h"
#include "grow.h"

int dma_group_of(int fd, const struct container_key *c)
{
	struct group_container k, *prev = NULL;
	int group = NO_GROUP;

	while (!bpf_map_get_next_key(fd, prev, &k)) {
		prev = &k;
		if (!memcmp(&k.container, c, sizeof(*c)) && (group == NO_GROUP || k.group < group))
			group = k.group;
	}
	return group;
}

int dma_container_of(int fd, int group, struct container_key *out, bool *fresh)
{
	struct map_entries e;
	struct group_container k;
	bool found = false;
	size_t i;
	__u8 v;

	*fresh = false;
	if (map_read(fd, &e))
		return -1;
	for (i = 0; i < e.n; i++) {
		map_entry(&e, i, &k, NULL);
		if (k.group == group && (!found || k.container.gen > out->gen)) {
			*out = k.container;
			found = true;
		}
	}
	for (i = 0; found && i < e.n; i++) {
		map_entry(&e, i, &k, &v);
		if (!memcmp(&k.container, out, sizeof(*out)) && (v & GC_FRESH))
			*fresh = true;
	}
	map_entries_free(&e);
	return found ? 0 : -1;
}

static int by_group(const void *a, const void *b)
{
	return ((const struct dma_group *)a)->group - ((const struct dma_group *)b)->group;
}

static struct dma_group *group_row(struct dma_model *m, int group)
{
	struct dma_group *g;
	int i;

	for (i = 0; i < m->ngroups; i++)
		if (m->groups[i].group == group)
			return &m->groups[i];
	if (!grow_for(&m->groups, m->ngroups, sizeof(*g)))
		return NULL;
	g = &m->groups[m->ngroups++];
	memset(g, 0, sizeof(*g));
	g->group = group;
	return g;
}

static void add_stats(struct dma_stats *to, const struct dma_stats *from)
{
	int i;

	to->maps += from->maps;
	to->unmaps += from->unmaps;
	to->map_fail += from->map_fail;
	to->unmap_fail += from->unmap_fail;
	to->bytes_mapped += from->bytes_mapped;
	to->bytes_unmapped += from->bytes_unmapped;
	to->pages_pinned += from->pages_pinned;
	to->map_ns += from->map_ns;
	for (i = 0; i < HIST_SLOTS; i++)
		to->map_hist[i] += from->map_hist[i];
}

int dma_collect(struct dma_model *m, const struct dma_maps *fds)
{
	struct map_entries gcs = { 0 }, containers = { 0 }, failures = { 0 }, clients = { 0 };
	struct group_container k;
	size_t i;
	int ret = -1;

	if (map_read(fds->group_containers, &gcs) || map_read(fds->containers, &containers) ||
	    map_read(fds->failures, &failures) || map_read(fds->clients, &clients))
		goto out;
	for (i = 0; i < gcs.n; i++) {
		struct dma_group *g;
		struct dma_stats st;
		struct dma_failure f;

		map_entry(&gcs, i, &k, NULL);
		if (!(g = group_row(m, k.group)))
			goto out;
		g->ncontainers++;
		if (!map_find(&containers, &k.container, &st))	/* absent: no DMA yet */
			add_stats(&g->st, &st);
		if (!map_find(&failures, &k.container, &f) && (!g->failed || f.ts_ns > g->fail.ts_ns)) {
			g->fail = f;
			g->failed = true;
		}
	}
	if (m->ngroups)
		qsort(m->groups, m->ngroups, sizeof(*m->groups), by_group);
	for (i = 0; i < clients.n; i++) {
		struct dma_client *c;

		if (!grow_for(&m->clients, m->nclients, sizeof(*c)))
			goto out;
		c = &m->clients[m->nclients++];
		map_entry(&clients, i, &c->key, &c->st);
		vmcache_get(c->key.pid, c->key.comm);	/* read while the client lives: named after it exits */
	}
	ret = 0;
out:
	map_entries_free(&gcs);
	map_entries_free(&containers);
	map_entries_free(&failures);
	map_entries_free(&clients);
	return ret;
}

void dma_free(struct dma_model *m)
{
	free(m->groups);
	free(m->clients);
	memset(m, 0, sizeof(*m));
}

static const struct dma_group *dma_group(const struct dma_model *m, int group)
{
	int i;

	for (i = 0; i < m->ngroups; i++)
		if (m->groups[i].group == group)
			return &m->groups[i];
	return NULL;
}

const unsigned long long *dma_map_hist(const struct dma_model *m, int group)
{
	const struct dma_group *g = dma_group(m, group);

	return g && g->st.maps ? g->st.map_hist : NULL;
}

static void json_failure(struct json *j, const struct dma_failure *f)
{
	json_obj_begin(j, "last_failure");
	dma_json_failure(j, f);
	json_uint(j, "pid", f->pid);
	json_str(j, "comm", f->comm);
	vm_json(j, vmcache_get(f->pid, f->comm));
	json_uint(j, "iova", f->iova);
	json_uint(j, "size", f->size);
	json_obj_end(j);
}

static void json_stats(struct json *j, const struct dma_stats *st)
{
	json_uint(j, "maps", st->maps);
	json_uint(j, "unmaps", st->unmaps);
	json_uint(j, "map_fail", st->map_fail);
	json_uint(j, "unmap_fail", st->unmap_fail);
	json_uint(j, "bytes_mapped", st->bytes_mapped);
	json_uint(j, "bytes_unmapped", st->bytes_unmapped);
	json_latency(j, "map_latency_ns", st->map_hist);
}

void dma_json_group(struct json *j, const struct dma_model *m, int group)
{
	const struct dma_group *g = dma_group(m, group);

	if (!g) {
		json_null(j, "dma");
		return;
	}
	json_obj_begin(j, "dma");
	json_stats(j, &g->st);
	json_uint(j, "pages_pinned", g->st.pages_pinned);
	json_uint(j, "containers", g->ncontainers);
	if (g->failed)
		json_failure(j, &g->fail);
	else
		json_null(j, "last_failure");
	json_obj_end(j);
}

void dma_json_clients(struct json *j, const struct dma_model *m)
{
	int i;

	json_arr_begin(j, "dma_clients");
	for (i = 0; i < m->nclients; i++) {
		const struct dma_client *c = &m->clients[i];

		json_obj_begin(j, NULL);
		json_uint(j, "pid", c->key.pid);
		json_str(j, "comm", c->key.comm);
		vm_json(j, vmcache_get(c->key.pid, c->key.comm));
		json_stats(j, &c->st);
		json_uint(j, "map_time_ns", c->st.map_ns);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static const char *fmt_bytes(unsigned long long b, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	unsigned int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
	return buf;
}

void dma_text(FILE *f, const struct dma_model *m)
{
	char b1[24], b2[24], b3[24], b4[24], name[TEXT_NAME_LEN], vm[VM_TEXT_LEN];
	int i;

	fprintf(f, "\nDMA per group (the containers it was attached to):\n%-6s %-6s %-6s %-5s %-10s %-10s %-8s %-9s %s\n",
		"GROUP", "MAPS", "UNMAPS", "FAIL", "MAPPED", "UNMAPPED", "PINNED", "MAP_P50", "MAP_P99");
	for (i = 0; i < m->ngroups; i++) {
		const struct dma_stats *st = &m->groups[i].st;

		fprintf(f, "%-6d %-6llu %-6llu %-5llu %-10s %-10s %-8llu %-9s %s\n", m->groups[i].group,
			st->maps, st->unmaps, st->map_fail, fmt_bytes(st->bytes_mapped, b1, sizeof(b1)),
			fmt_bytes(st->bytes_unmapped, b2, sizeof(b2)), st->pages_pinned,
			st->maps ? fmt_ns(hist_percentile(st->map_hist, 50), b3, sizeof(b3)) : "-",
			st->maps ? fmt_ns(hist_percentile(st->map_hist, 99), b4, sizeof(b4)) : "-");
	}
	for (i = 0; i < m->nclients; i++) {
		const struct dma_client *c = &m->clients[i];

		fprintf(f, "%s pid %u%s: %s mapped in %s (%llu map%s, %llu failed)\n",
			text_name(c->key.comm, name, sizeof(name)), c->key.pid,
			vm_text(vmcache_get(c->key.pid, c->key.comm), " vm ", vm, sizeof(vm)), fmt_bytes(c->st.bytes_mapped, b1, sizeof(b1)),
			fmt_ns(c->st.map_ns, b2, sizeof(b2)), c->st.maps, c->st.maps == 1 ? "" : "s",
			c->st.map_fail);
	}
	for (i = 0; i < m->ngroups; i++) {
		const struct dma_failure *x = &m->groups[i].fail;
		struct dma_explained why;

		if (!m->groups[i].failed)
			continue;
		dma_explain(x, &why);
		fprintf(f, "\ngroup %d: map of %s at iova 0x%llx by pid %u (%s%s) failed with %s at %s\n",
			m->groups[i].group, fmt_bytes(x->size, b1, sizeof(b1)), x->iova, x->pid,
			text_name(x->comm, name, sizeof(name)),
			vm_text(vmcache_get(x->pid, x->comm), ", vm ", vm, sizeof(vm)),
			errno_name((int)-x->ret), step_name(why.step));
		fprintf(f, "  cause:  %s\n  detail: %s\n  remedy: %s\n", why.cause, why.detail, why.remedy);
	}
}

static void dma_event_json(struct json *j, const struct event_line *l)
{
	const struct dma_event *e = l->rec;
	struct dma_explained why;

	json_uint(j, "iova", e->iova);
	json_uint(j, "size", e->size);
	if (e->h.ret < 0) {
		dma_explain(&e->fail, &why);
		dma_json_numbers(j, &e->fail, &why);
	}
}

int dma_decode(const void *rec, struct event_ctx *c, struct event_line *l)
{
	const struct dma_event *e = rec;
	struct container_key k = { .addr = e->container, .gen = e->container_gen };
	char b[24];

	ledger_event(e);	/* the mappings an IOMMU fault is judged against (faults.c) */
	event_line_init(l, e->h.type == EV_DMA_MAP ? "dma_map" : "dma_unmap", &e->h);
	l->fields &= ~LINE_TID;
	l->group = dma_group_of(c->group_containers_fd, &k);
	snprintf(l->result, sizeof(l->result), "%s", e->h.ret ? errno_name((int)-e->h.ret) : "ok");
	event_line_detail(l, "iova=0x%llx size=%s", e->iova, fmt_bytes(e->size, b, sizeof(b)));
	if (e->h.ret) {
		struct dma_explained why;

		dma_explain(&e->fail, &why);
		l->step = step_name(why.step);
		l->cause = why.cause;
		l->remedy = why.remedy;
		event_line_detail(l, " step: %s cause: %s (%s)", l->step, why.cause, why.detail);
	}
	l->json = dma_event_json;
	l->rec = e;
	return 1;
}
