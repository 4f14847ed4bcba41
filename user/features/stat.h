/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VFIOTRACE_STAT_H
#define VFIOTRACE_STAT_H

#include <stdbool.h>
#include <stdio.h>
#include "snapshot.h"

/* Group counts, members and errors from the maps into s. 0, or -1 out of memory. */
int stat_collect(struct snapshot *s, const struct bpf_maps *m);
void render_stat(FILE *f, const struct snapshot *s, bool json);
void render_hist(FILE *f, const struct snapshot *s, bool json);

#endif
