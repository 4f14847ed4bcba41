/* SPDX-License-Identifier: GPL-2.0 */
/* The table of features that stat, hist and the Prometheus text ask for their sections. */
#ifndef VFIOTRACE_SECTIONS_H
#define VFIOTRACE_SECTIONS_H

#include "feature.h"

/* Every feature, in order: for (i = 0; (ft = feature_all(&i));) */
const struct feature *feature_all(int *i);
/* The features s shows, in order: for (i = 0; (ft = feature_next(s, &i));) */
const struct feature *feature_next(const struct snapshot *s, int *i);
/* Every feature's start (feature.h), once tracing has begun. */
void features_start(void);
/* The Prometheus text of m: each feature's families (attach's: the groups), then vfiotrace's own. */
void render_prom(FILE *f, const struct metrics *m);

#endif
