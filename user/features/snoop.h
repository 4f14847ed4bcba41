/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VFIOTRACE_SNOOP_H
#define VFIOTRACE_SNOOP_H

#include <stdbool.h>
#include <stdio.h>
#include "../../bpf/vfiotrace.h"

/* Attach and domain_alloc events; reference events are refs.c's (refs_on_event). */
void render_event(FILE *f, const struct event *e, bool json);
void render_event_header(FILE *f);

#endif
