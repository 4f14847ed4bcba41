/* SPDX-License-Identifier: GPL-2.0 */
/* Text and JSON for every command; all JSON goes through json.c. */
#ifndef VFIOTRACE_RENDER_H
#define VFIOTRACE_RENDER_H

#include <stdbool.h>
#include <stdio.h>
#include "snapshot.h"
#include "targets.h"

void render_stat(FILE *f, const struct snapshot *s, bool json);
void render_hist(FILE *f, const struct snapshot *s, bool json);
void render_refs(FILE *f, const struct snapshot *s, bool json);
void render_event(FILE *f, const struct event *e, const char *caller, bool json);
void render_event_header(FILE *f);
void render_probes(FILE *f, const struct resolved r[NR_HOOKS], const char *count_field,
		   const char *fallback, bool json);
/* Member buses of a group plus the bus of its domain allocation, deduplicated. */
int group_buses(const struct group_row *g, const char *out[], int max);

#endif
