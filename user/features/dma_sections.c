// SPDX-License-Identifier: GPL-2.0
/*
 * DMA's sections (--dma): its parts of stat, the map latency in hist, its
 * Prometheus families. Not in dma.c: the snapshot holds dma.c's model, so
 * dma.c cannot know the snapshot (tests/modgraph).
 */
#include <stddef.h>
#include "dma.h"
#include "dma_vms.h"
#include "feature.h"
#include "vfiotrace.skel.h"
#include "prom.h"

static bool traced(const struct snapshot *s)
{
	return s->dma_traced;
}

static void group_json(struct json *j, const struct snapshot *s, const struct group_row *g)
{
	dma_json_group(j, &s->dma, g->group);
}

static void clients_json(struct json *j, const struct snapshot *s)
{
	dma_json_clients(j, &s->dma);
}

static void text(FILE *f, const struct snapshot *s)
{
	dma_text(f, &s->dma);
}

static const unsigned long long *map_hist(const struct snapshot *s, int group)
{
	return dma_map_hist(&s->dma, group);
}

/* Per group, summed over the containers it was attached to. */
static void prom(FILE *f, const struct metrics *m)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} fam[] = {
		{ "vfiotrace_dma_maps_total", "counter", "VFIO_IOMMU_MAP_DMA calls, failed ones included.",
		  offsetof(struct dma_stats, maps) },
		{ "vfiotrace_dma_map_failures_total", "counter", "VFIO_IOMMU_MAP_DMA calls that failed.",
		  offsetof(struct dma_stats, map_fail) },
		{ "vfiotrace_dma_unmaps_total", "counter", "VFIO_IOMMU_UNMAP_DMA calls, failed ones included.",
		  offsetof(struct dma_stats, unmaps) },
		{ "vfiotrace_dma_unmap_failures_total", "counter", "VFIO_IOMMU_UNMAP_DMA calls that failed.",
		  offsetof(struct dma_stats, unmap_fail) },
		{ "vfiotrace_dma_mapped_bytes_total", "counter", "Bytes mapped by successful maps.",
		  offsetof(struct dma_stats, bytes_mapped) },
		{ "vfiotrace_dma_unmapped_bytes_total", "counter", "Bytes unmapped by successful unmaps.",
		  offsetof(struct dma_stats, bytes_unmapped) },
		{ "vfiotrace_dma_pinned_pages_total", "counter", "Pages pinned for DMA maps.",
		  offsetof(struct dma_stats, pages_pinned) },
	};
	const struct dma_model *d = &m->s->dma;
	char gb[16];
	unsigned int k;
	int i;

	for (k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		prom_family(f, fam[k].name, fam[k].type, fam[k].help);
		for (i = 0; i < d->ngroups; i++)
			fprintf(f, "%s{group=\"%s\"} %llu\n", fam[k].name,
				prom_group_label(d->groups[i].group, gb, sizeof(gb)),
				*(const unsigned long long *)((const char *)&d->groups[i].st + fam[k].off));
	}
	prom_family(f, "vfiotrace_dma_map_duration_seconds", "histogram",
		    "Time inside VFIO_IOMMU_MAP_DMA (pinning included); _sum is exact.");
	for (i = 0; i < d->ngroups; i++)
		prom_histogram_sum(f, "vfiotrace_dma_map_duration_seconds",
				   prom_group_label(d->groups[i].group, gb, sizeof(gb)),
				   d->groups[i].st.map_hist, (double)d->groups[i].st.map_ns);
	dma_prom_vms(f, d);
}

static void dma_bound(void *rec)
{
	struct dma_event *d = rec;

	d->fail.comm[COMM_LEN - 1] = 0;
	d->fail.ret = event_int_ret(d->fail.ret);
}

static const struct event_kind events[] = {
	{ EV_DMA_MAP, sizeof(struct dma_event), dma_decode, dma_bound, false, NULL },
	{ EV_DMA_UNMAP, sizeof(struct dma_event), dma_decode, dma_bound, false, NULL },
};

static int collect(struct snapshot *s, const struct vfiotrace_bpf *skel, const struct symbolizer *sym)
{
	const struct dma_maps fds = {
		.containers = bpf_map__fd(skel->maps.dma_containers),
		.clients = bpf_map__fd(skel->maps.dma_clients),
		.failures = bpf_map__fd(skel->maps.dma_failures),
		.group_containers = bpf_map__fd(skel->maps.group_containers),
	};

	(void)sym;
	return dma_collect(&s->dma, &fds);
}

const struct feature dma_feature = {
	.name = "dma",
	.enabled = traced,
	.collect = collect,
	FEATURE_EVENTS(events),
	.group_json = group_json,
	.json = clients_json,
	.text = text,
	.hist = { "dma_map", map_hist },
	.prom = prom,
};
