/* SPDX-License-Identifier: GPL-2.0 */
/* The ring buffer's records: which feature decodes each type; one printer shows them. */
#ifndef VFIOTRACE_EVENTS_H
#define VFIOTRACE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "event_ctx.h"

/*
 * One record: its feature updates the state it changes and decodes it; its
 * line is printed to f when it has one (refs_only: only reference events are
 * shown, as the refs command does). Unknown or short records are counted in
 * c->malformed.
 */
void events_consume(struct event_ctx *c, const void *rec, size_t size, FILE *f, bool json,
		    bool refs_only);

#endif
