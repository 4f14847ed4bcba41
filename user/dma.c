// SPDX-License-Identifier: GPL-2.0
/* DMA (--dma): the model read from the dma maps, and its text and JSON. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "dma.h"
#include "errnames.h"
#include "histogram.h"

_Static_assert(offsetof(struct dma_event, type) == offsetof(struct event, type),
	       "the ring buffer consumer tells events apart by type");

#define ENOMEM_ 12
#define EFAULT_ 14
#define EEXIST_ 17
#define EINVAL_ 22
#define ENOSPC_ 28

/* type1's map errors and what each means (shared/KERNELS.md, "DMA map and unmap"). */
static const struct {
	int err;
	int pin;		/* 1: only when pinning failed, 0: only when it did not, -1: either */
	const char *cause, *remedy;
} dma_catalogue[] = {
	{ ENOMEM_, 1, "memlock: pinning would exceed the task's RLIMIT_MEMLOCK (no CAP_IPC_LOCK)",
	  "raise the VMM's locked-memory limit to at least guest RAM plus the mappings "
	  "(ulimit -l, LimitMEMLOCK= in its unit, libvirt <memoryBacking><locked/>) or give it CAP_IPC_LOCK" },
	{ ENOMEM_, 0, "out of memory for the mapping's bookkeeping", "free memory on the host" },
	{ ENOSPC_, -1, "the container's dma_entry_limit (vfio_iommu_type1.dma_entry_limit, default 65535) is reached",
	  "use fewer, larger mappings or raise vfio_iommu_type1.dma_entry_limit" },
	{ EEXIST_, -1, "the IOVA range overlaps an existing mapping of this container",
	  "unmap the overlapping range first; check the VMM's IOVA layout" },
	{ EINVAL_, -1, "IOVA outside the domain's aperture, in a reserved region, or size/IOVA not page-aligned",
	  "check VFIO_IOMMU_GET_INFO's IOVA ranges and the page size; align size and IOVA" },
	{ EFAULT_, 1, "the user address range is not mapped (pinning faulted)", "map the buffer before VFIO_IOMMU_MAP_DMA" },
	{ EFAULT_, 0, "the request could not be read (bad user pointer)", "pass a valid struct vfio_iommu_type1_dma_map" },
};

static int catalogue_at(int err, bool pin)
{
	unsigned int i;

	for (i = 0; i < sizeof(dma_catalogue) / sizeof(dma_catalogue[0]); i++)
		if (dma_catalogue[i].err == err && (dma_catalogue[i].pin < 0 || dma_catalogue[i].pin == pin))
			return (int)i;
	return -1;
}

const char *dma_cause(int err, bool pin_failed)
{
	int i = catalogue_at(err, pin_failed);

	return i < 0 ? NULL : dma_catalogue[i].cause;
}

const char *dma_remedy(int err, bool pin_failed)
{
	int i = catalogue_at(err, pin_failed);

	return i < 0 ? "see the kernel log (dmesg)" : dma_catalogue[i].remedy;
}

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
	g = realloc(m->groups, (m->ngroups + 1) * sizeof(*g));
	if (!g)
		return NULL;
	m->groups = g;
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
	struct dma_client_key ck, *cprev = NULL;
	struct group_container k, *prev = NULL;

	while (!bpf_map_get_next_key(fds->group_containers, prev, &k)) {
		struct dma_group *g = group_row(m, k.group);
		struct dma_stats st;
		struct dma_failure f;

		prev = &k;
		if (!g)
			return -1;
		g->ncontainers++;
		if (!bpf_map_lookup_elem(fds->containers, &k.container, &st))	/* absent: no DMA yet */
			add_stats(&g->st, &st);
		if (!bpf_map_lookup_elem(fds->failures, &k.container, &f) &&
		    (!g->failed || f.ts_ns > g->fail.ts_ns)) {
			g->fail = f;
			g->failed = true;
		}
	}
	if (m->ngroups)
		qsort(m->groups, m->ngroups, sizeof(*m->groups), by_group);
	while (!bpf_map_get_next_key(fds->clients, cprev, &ck)) {
		struct dma_client *c;

		cprev = &ck;
		c = realloc(m->clients, (m->nclients + 1) * sizeof(*c));
		if (!c)
			return -1;
		m->clients = c;
		c = &m->clients[m->nclients];
		c->key = ck;
		if (!bpf_map_lookup_elem(fds->clients, &ck, &c->st))
			m->nclients++;
	}
	return 0;
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
	int err = (int)-f->ret;

	json_obj_begin(j, "last_failure");
	json_str(j, "errno", errno_name(err));
	json_str(j, "cause", dma_cause(err, f->pin_failed) ? dma_cause(err, f->pin_failed) : "unknown");
	json_str(j, "remedy", dma_remedy(err, f->pin_failed));
	json_str(j, "failed_step", f->pin_failed ? "pin" : "map");
	json_uint(j, "pid", f->pid);
	json_str(j, "comm", f->comm);
	json_uint(j, "iova", f->iova);
	json_uint(j, "size", f->size);
	if (f->pin_failed) {
		json_uint(j, "memlock_limit", f->memlock_limit);
		json_uint(j, "locked", f->locked);
		json_uint(j, "pin_size", f->pin_size);
	}
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
	char b1[24], b2[24], b3[24], b4[24];
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

		fprintf(f, "%s pid %u: %s mapped in %s (%llu map%s, %llu failed)\n", c->key.comm,
			c->key.pid, fmt_bytes(c->st.bytes_mapped, b1, sizeof(b1)),
			fmt_ns(c->st.map_ns, b2, sizeof(b2)), c->st.maps, c->st.maps == 1 ? "" : "s",
			c->st.map_fail);
	}
	for (i = 0; i < m->ngroups; i++) {
		const struct dma_failure *x = &m->groups[i].fail;
		int err = (int)-x->ret;

		if (!m->groups[i].failed)
			continue;
		fprintf(f, "\ngroup %d: map of %s at iova 0x%llx by pid %u (%s) failed with %s\n",
			m->groups[i].group, fmt_bytes(x->size, b1, sizeof(b1)), x->iova, x->pid, x->comm,
			errno_name(err));
		fprintf(f, "  cause:  %s", dma_cause(err, x->pin_failed) ? dma_cause(err, x->pin_failed) : "unknown");
		if (x->pin_failed)
			fprintf(f, " (RLIMIT_MEMLOCK %s, locked %s, pinning %s)",
				fmt_bytes(x->memlock_limit, b1, sizeof(b1)), fmt_bytes(x->locked, b2, sizeof(b2)),
				fmt_bytes(x->pin_size, b3, sizeof(b3)));
		fprintf(f, "\n  remedy: %s\n", dma_remedy(err, x->pin_failed));
	}
}

bool is_dma_event(const void *data, size_t size)
{
	const struct dma_event *e = data;

	return size >= sizeof(*e) && (e->type == EV_DMA_MAP || e->type == EV_DMA_UNMAP);
}

void dma_print_event(FILE *f, const struct dma_event *e, int group, bool json)
{
	const char *ev = e->type == EV_DMA_MAP ? "dma_map" : "dma_unmap";
	int err = (int)-e->ret;
	char b1[24], b2[24], tbuf[16];
	time_t now = time(NULL);
	struct json j;

	if (json) {
		json_init(&j, f);
		json_obj_begin(&j, NULL);
		json_str(&j, "event", ev);
		json_uint(&j, "ts_ns", e->ts_ns);
		json_int(&j, "group", group);
		json_uint(&j, "pid", e->pid);
		json_str(&j, "comm", e->comm);
		json_uint(&j, "iova", e->iova);
		json_uint(&j, "size", e->size);
		json_int(&j, "ret", e->ret);
		if (e->ret < 0) {
			json_str(&j, "errno", errno_name(err));
			json_str(&j, "cause", dma_cause(err, e->fail.pin_failed) ?
				 dma_cause(err, e->fail.pin_failed) : "unknown");
			json_str(&j, "remedy", dma_remedy(err, e->fail.pin_failed));
			if (e->fail.pin_failed) {
				json_uint(&j, "memlock_limit", e->fail.memlock_limit);
				json_uint(&j, "locked", e->fail.locked);
				json_uint(&j, "pin_size", e->fail.pin_size);
			}
		}
		json_uint(&j, "latency_ns", e->latency_ns);
		json_obj_end(&j);
		fflush(f);
		return;
	}
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&now));
	fprintf(f, "%-8s %-13s %-7u %-16s %-5d %-12s %-9s iova=0x%llx size=%s%s%s\n", tbuf, ev, e->pid,
		e->comm, group, e->ret ? errno_name(err) : "ok", fmt_ns(e->latency_ns, b1, sizeof(b1)),
		e->iova, fmt_bytes(e->size, b2, sizeof(b2)), e->ret ? " cause: " : "",
		e->ret ? (dma_cause(err, e->fail.pin_failed) ? dma_cause(err, e->fail.pin_failed) : "unknown") : "");
	fflush(f);
}
