/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus text exposition (format 0.0.4) of the model: the exporter and the
 * textfile render the same text from the same snapshot the stat printer reads
 * (render_prom in sections.h: the groups' families, each feature's, then
 * vfiotrace's own). Metric names are a contract: docs/metrics.md.
 */
#ifndef VFIOTRACE_PROM_H
#define VFIOTRACE_PROM_H

#include <stdio.h>
#include <stdbool.h>

struct snapshot;

struct prom_probe {
	const char *hook, *function, *module, *style;	/* function NULL: none on this kernel */
	bool attached;			/* its programs are attached now */
};

struct metrics {
	const struct snapshot *s;	/* for the features' families */
	const struct prom_probe *probes;
	int nprobes;
	const char *version;
	unsigned long long now_ns;	/* CLOCK_MONOTONIC: age of waiting unbinds */
};

/*
 * vfiotrace's own: events lost (drops), updates lost (map_full), returns missed
 * (probes_missed: hook hits missed, -1: not known, no series), processes whose
 * VM identity was not read (gone first) or dropped from the cache, probes, build info.
 */
void prom_self(FILE *f, const struct metrics *m, unsigned long long drops, unsigned long long map_full,
	       long long probes_missed, unsigned long long vm_unread, unsigned long long vm_evicted);

/* A label value escaped per the format (\\, \", \n); truncated to fit len. */
const char *prom_escape(const char *in, char *out, size_t len);
/* The # HELP and # TYPE lines of a family. */
void prom_family(FILE *f, const char *name, const char *type, const char *help);
/* A group's label value: its number, or "unattributed" for NO_GROUP. */
const char *prom_group_label(int group, char *buf, size_t len);
/* The series of one group's latency histogram; sum_ns < 0: no exact sum kept. */
void prom_histogram_sum(FILE *f, const char *name, const char *group,
			const unsigned long long *slots, double sum_ns);
/* The same with any labels (escaped, comma-separated, without braces). */
void prom_histogram_labels(FILE *f, const char *name, const char *labels,
			   const unsigned long long *slots, double sum_ns);
/* Histogram bucket bounds (ns) emitted as le: powers of two, 2^PROM_LE_MIN..2^PROM_LE_MAX. */
#define PROM_LE_MIN 10
#define PROM_LE_MAX 36

#endif
