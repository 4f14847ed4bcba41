// SPDX-License-Identifier: GPL-2.0
/* The model as Prometheus text: one HELP/TYPE block per metric family. */
#include <stddef.h>
#include <string.h>
#include "dma.h"
#include "errnames.h"
#include "prom.h"
#include "refs.h"
#include "stat.h"

const char *prom_escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 3 < len; in++) {
		if (*in == '\\' || *in == '"') {
			out[o++] = '\\';
			out[o++] = *in;
		} else if (*in == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *in;
		}
	}
	out[o] = 0;
	return out;
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *group_label(int group, char *buf, size_t len)
{
	if (group == NO_GROUP)
		return "unattributed";
	snprintf(buf, len, "%d", group);
	return buf;
}

/*
 * Cumulative buckets at every power of two from 2^PROM_LE_MIN ns: each is a
 * slot boundary of the log-linear histogram, so the counts are exact. Where
 * the kernel keeps no sum (sum_ns < 0), _sum adds each slot's lower edge: a
 * lower bound, within 20% of the true sum.
 */
static void histogram_sum(FILE *f, const char *name, const char *group,
			  const unsigned long long *slots, double sum_ns)
{
	unsigned long long cum = 0, total = 0;
	double sum = 0;
	int i = 0, k;

	for (k = PROM_LE_MIN; k <= PROM_LE_MAX; k++) {
		unsigned long long bound = 1ULL << k;

		for (; i < HIST_SLOTS && hist_slot_low(i) < bound; i++) {
			cum += slots[i];
			sum += slots[i] * (double)hist_slot_low(i);
		}
		fprintf(f, "%s_bucket{group=\"%s\",le=\"%.10g\"} %llu\n", name, group, bound / 1e9, cum);
	}
	for (; i < HIST_SLOTS; i++) {
		cum += slots[i];
		sum += slots[i] * (double)hist_slot_low(i);
	}
	total = cum;
	fprintf(f, "%s_bucket{group=\"%s\",le=\"+Inf\"} %llu\n", name, group, total);
	fprintf(f, "%s_sum{group=\"%s\"} %.9g\n", name, group, (sum_ns >= 0 ? sum_ns : sum) / 1e9);
	fprintf(f, "%s_count{group=\"%s\"} %llu\n", name, group, total);
}

static void histogram(FILE *f, const char *name, const char *group, const unsigned long long *slots)
{
	histogram_sum(f, name, group, slots, -1);
}

static void groups(FILE *f, const struct snapshot *s)
{
	char gb[16], esc[256];
	int i, k;

	family(f, "vfiotrace_attach_total", "counter",
	       "VFIO type1 group attaches (VFIO_SET_IOMMU) by result: ok or the errno name.");
	for (i = 0; i < s->ngroups; i++) {
		const struct group_row *g = &s->groups[i];
		unsigned long long named = 0;

		if (g->group == NO_GROUP)
			continue;
		group_label(g->group, gb, sizeof(gb));
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
	family(f, "vfiotrace_attach_duration_seconds", "histogram",
	       "Time inside vfio_iommu_type1_attach_group; _sum adds slot lower edges (a lower bound within 20%).");
	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i].group != NO_GROUP)
			histogram(f, "vfiotrace_attach_duration_seconds",
				  group_label(s->groups[i].group, gb, sizeof(gb)), s->groups[i].st.attach_hist);
	family(f, "vfiotrace_domain_alloc_duration_seconds", "histogram",
	       "IOMMU paging-domain allocation time, by the group being attached (unattributed: other callers); _sum adds slot lower edges (a lower bound within 20%).");
	for (i = 0; i < s->ngroups; i++)
		histogram(f, "vfiotrace_domain_alloc_duration_seconds",
			  group_label(s->groups[i].group, gb, sizeof(gb)), s->groups[i].st.alloc_hist);
	family(f, "vfiotrace_domain_alloc_failures_total", "counter",
	       "IOMMU domain allocations that returned no domain, by group.");
	for (i = 0; i < s->ngroups; i++)
		fprintf(f, "vfiotrace_domain_alloc_failures_total{group=\"%s\"} %llu\n",
			group_label(s->groups[i].group, gb, sizeof(gb)), s->groups[i].st.domain_alloc_fail);
	family(f, "vfiotrace_group_info", "gauge",
	       "1 per IOMMU group seen attaching: member bus types and the device of its domain allocation (empty when unknown).");
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
			group_label(g->group, gb, sizeof(gb)), prom_escape(busstr, esc, sizeof(esc)));
		fprintf(f, "alloc_device=\"%s\"} 1\n",
			prom_escape(g->has_mem ? g->mem.alloc_dev : "", esc, sizeof(esc)));
	}
}

/*
 * One series per device name: a name can still sit in two rows (its group
 * unreadable once, known later); those are summed. Unnamed rows are skipped.
 */
static bool device_merged(const struct snapshot *s, int i, struct dev_refs *out)
{
	int k;

	if (!s->devs[i].d.name[0])
		return false;
	for (k = 0; k < i; k++)
		if (!strcmp(s->devs[k].d.name, s->devs[i].d.name))
			return false;
	*out = s->devs[i].d;
	for (k = i + 1; k < s->ndevs; k++) {
		if (strcmp(s->devs[k].d.name, s->devs[i].d.name))
			continue;
		out->gets += s->devs[k].d.gets;
		out->puts += s->devs[k].d.puts;
		if (s->devs[k].d.refcount != REFCOUNT_UNAVAILABLE)
			out->refcount = s->devs[k].d.refcount;
	}
	return true;
}

static void devices(FILE *f, const struct metrics *m)
{
	const struct snapshot *s = m->s;
	char esc[3 * NAME_LEN];
	struct dev_refs d;
	int i;

	family(f, "vfiotrace_device_references", "gauge",
	       "Current reference count of a VFIO device, where this kernel's BTF lets it be read.");
	for (i = 0; s->refcount_known && i < s->ndevs; i++)
		if (device_merged(s, i, &d) && d.refcount != REFCOUNT_UNAVAILABLE)
			fprintf(f, "vfiotrace_device_references{device=\"%s\"} %lld\n",
				prom_escape(d.name, esc, sizeof(esc)), d.refcount);
	family(f, "vfiotrace_device_gets_total", "counter", "VFIO device references taken.");
	for (i = 0; i < s->ndevs; i++)
		if (device_merged(s, i, &d))
			fprintf(f, "vfiotrace_device_gets_total{device=\"%s\"} %llu\n",
				prom_escape(d.name, esc, sizeof(esc)), d.gets);
	family(f, "vfiotrace_device_puts_total", "counter", "VFIO device references dropped.");
	for (i = 0; i < s->ndevs; i++)
		if (device_merged(s, i, &d))
			fprintf(f, "vfiotrace_device_puts_total{device=\"%s\"} %llu\n",
				prom_escape(d.name, esc, sizeof(esc)), d.puts);
	family(f, "vfiotrace_unbind_wait_seconds", "gauge",
	       "How long an unbind (vfio_unregister_group_dev) has been waiting for references; only while one waits, only with the refs command.");
	for (i = 0; s->live && i < s->live->ndevs; i++) {
		const struct live_dev *d = &s->live->devs[i];

		if (d->unreg_ns && d->name[0] && m->now_ns >= d->unreg_ns)
			fprintf(f, "vfiotrace_unbind_wait_seconds{device=\"%s\"} %.3f\n",
				prom_escape(d->name, esc, sizeof(esc)), (m->now_ns - d->unreg_ns) / 1e9);
	}
}

static void probes(FILE *f, const struct metrics *m)
{
	char h[64], fn[192], mod[64], st[32];
	int i, k;

	family(f, "vfiotrace_probe_info", "gauge",
	       "1 per attached probe: hook, kernel function, module (vmlinux if built in) and style.");
	for (i = 0; i < m->nprobes; i++) {
		const struct prom_probe *p = &m->probes[i];

		if (p->function && p->attached)
			fprintf(f, "vfiotrace_probe_info{hook=\"%s\",function=\"%s\",module=\"%s\",style=\"%s\"} 1\n",
				prom_escape(p->hook, h, sizeof(h)), prom_escape(p->function, fn, sizeof(fn)),
				prom_escape(p->module ? p->module : "vmlinux", mod, sizeof(mod)),
				prom_escape(p->style, st, sizeof(st)));
	}
	family(f, "vfiotrace_probe_attached", "gauge",
	       "Per hook this kernel has a function for: 1 while a probe of it is attached, 0 while none is (the hook is blind).");
	for (i = 0; i < m->nprobes; i++) {
		int resolved = 0, up = 0, seen = 0;

		for (k = 0; k < m->nprobes; k++) {
			if (strcmp(m->probes[k].hook, m->probes[i].hook))
				continue;
			if (k < i) {
				seen = 1;
				break;
			}
			resolved |= m->probes[k].function != NULL;
			up |= m->probes[k].function && m->probes[k].attached;
		}
		/* hooks with no function on this kernel by design (e.g. a get inlined) are not blind */
		if (!seen && resolved)
			fprintf(f, "vfiotrace_probe_attached{hook=\"%s\"} %d\n",
				prom_escape(m->probes[i].hook, h, sizeof(h)), up);
	}
}

/* With --dma: per group, summed over the containers it was attached to. */
static void dma(FILE *f, const struct dma_model *d)
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
	char gb[16];
	unsigned int k;
	int i;

	for (k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		family(f, fam[k].name, fam[k].type, fam[k].help);
		for (i = 0; i < d->ngroups; i++)
			fprintf(f, "%s{group=\"%s\"} %llu\n", fam[k].name,
				group_label(d->groups[i].group, gb, sizeof(gb)),
				*(const unsigned long long *)((const char *)&d->groups[i].st + fam[k].off));
	}
	family(f, "vfiotrace_dma_map_duration_seconds", "histogram",
	       "Time inside VFIO_IOMMU_MAP_DMA (pinning included); _sum is exact.");
	for (i = 0; i < d->ngroups; i++)
		histogram_sum(f, "vfiotrace_dma_map_duration_seconds",
			      group_label(d->groups[i].group, gb, sizeof(gb)), d->groups[i].st.map_hist,
			      (double)d->groups[i].st.map_ns);
}

void prom_render(FILE *f, const struct metrics *m)
{
	char v[64];

	groups(f, m->s);
	devices(f, m);
	if (m->s->dma_traced)
		dma(f, &m->s->dma);
	family(f, "vfiotrace_events_dropped_total", "counter",
	       "Events lost because the ring buffer was full (snoop, refs).");
	fprintf(f, "vfiotrace_events_dropped_total %llu\n", m->s->drops);
	family(f, "vfiotrace_map_full_total", "counter",
	       "Aggregate updates lost because a BPF map was full.");
	fprintf(f, "vfiotrace_map_full_total %llu\n", m->s->map_full);
	probes(f, m);
	family(f, "vfiotrace_build_info", "gauge", "1, labelled with the vfiotrace version.");
	fprintf(f, "vfiotrace_build_info{version=\"%s\"} 1\n", prom_escape(m->version, v, sizeof(v)));
}
