// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text: the helpers every family is written with, and the families
 * of the groups and of vfiotrace itself (the features write their own).
 */
#include <string.h>
#include "../../bpf/vfiotrace.h"
#include "prom.h"

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

void prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

const char *prom_group_label(int group, char *buf, size_t len)
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
void prom_histogram_labels(FILE *f, const char *name, const char *labels,
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
		fprintf(f, "%s_bucket{%s,le=\"%.10g\"} %llu\n", name, labels, bound / 1e9, cum);
	}
	for (; i < HIST_SLOTS; i++) {
		cum += slots[i];
		sum += slots[i] * (double)hist_slot_low(i);
	}
	total = cum;
	fprintf(f, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels, total);
	fprintf(f, "%s_sum{%s} %.9g\n", name, labels, (sum_ns >= 0 ? sum_ns : sum) / 1e9);
	fprintf(f, "%s_count{%s} %llu\n", name, labels, total);
}

void prom_histogram_sum(FILE *f, const char *name, const char *group,
			const unsigned long long *slots, double sum_ns)
{
	char labels[64];

	snprintf(labels, sizeof(labels), "group=\"%s\"", group);
	prom_histogram_labels(f, name, labels, slots, sum_ns);
}

static void probes(FILE *f, const struct metrics *m)
{
	char h[64], fn[192], mod[64], st[32];
	int i, k;

	prom_family(f, "vfiotrace_probe_info", "gauge",
		    "1 per attached probe: hook, kernel function, module (vmlinux if built in) and style.");
	for (i = 0; i < m->nprobes; i++) {
		const struct prom_probe *p = &m->probes[i];

		if (p->function && p->attached)
			fprintf(f, "vfiotrace_probe_info{hook=\"%s\",function=\"%s\",module=\"%s\",style=\"%s\"} 1\n",
				prom_escape(p->hook, h, sizeof(h)), prom_escape(p->function, fn, sizeof(fn)),
				prom_escape(p->module ? p->module : "vmlinux", mod, sizeof(mod)),
				prom_escape(p->style, st, sizeof(st)));
	}
	prom_family(f, "vfiotrace_probe_attached", "gauge",
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

/* A family of one series without labels. */
static void single(FILE *f, const char *name, const char *type, const char *help, unsigned long long v)
{
	prom_family(f, name, type, help);
	fprintf(f, "%s %llu\n", name, v);
}

void prom_self(FILE *f, const struct metrics *m, unsigned long long drops, unsigned long long map_full,
	       long long probes_missed, unsigned long long vm_unread, unsigned long long vm_evicted)
{
	char v[64];

	single(f, "vfiotrace_events_dropped_total", "counter",
	       "Events lost because the ring buffer was full (snoop, refs).", drops);
	single(f, "vfiotrace_map_full_total", "counter", "Aggregate updates lost because a BPF map was full.",
	       map_full);
	if (probes_missed >= 0)
		single(f, "vfiotrace_probes_missed_total", "counter",
		       "Hook hits that ran no vfiotrace program or lost their return (6.7+, or tracefs return probes).",
		       (unsigned long long)probes_missed);
	single(f, "vfiotrace_vm_unread_total", "counter",
	       "Processes that exited before vfiotrace read their VM identity: named by pid and comm only.",
	       vm_unread);
	single(f, "vfiotrace_vm_evicted_total", "counter",
	       "VM identities dropped from the full cache (1024 processes); a process named again is read again.",
	       vm_evicted);
	probes(f, m);
	prom_family(f, "vfiotrace_build_info", "gauge", "1, labelled with the vfiotrace version.");
	fprintf(f, "vfiotrace_build_info{version=\"%s\"} 1\n", prom_escape(m->version, v, sizeof(v)));
}
