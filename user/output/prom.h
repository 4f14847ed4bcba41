/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus text exposition (format 0.0.4) of the model: the exporter and the
 * textfile render the same text from the same snapshot the stat printer reads.
 * Metric names are a contract: docs/metrics.md.
 */
#ifndef VFIOTRACE_PROM_H
#define VFIOTRACE_PROM_H

#include <stdio.h>
#include "snapshot.h"

struct prom_probe {
	const char *hook, *function, *module, *style;	/* function NULL: none on this kernel */
	bool attached;			/* its programs are attached now */
};

struct metrics {
	const struct snapshot *s;
	const struct prom_probe *probes;
	int nprobes;
	const char *version;
	unsigned long long now_ns;	/* CLOCK_MONOTONIC: age of waiting unbinds */
};

void prom_render(FILE *f, const struct metrics *m);
/* A label value escaped per the format (\\, \", \n); truncated to fit len. */
const char *prom_escape(const char *in, char *out, size_t len);
/* Histogram bucket bounds (ns) emitted as le: powers of two, 2^PROM_LE_MIN..2^PROM_LE_MAX. */
#define PROM_LE_MIN 10
#define PROM_LE_MAX 36

#endif
