/* SPDX-License-Identifier: GPL-2.0 */
/* The ring buffer's records: which feature decodes each type; one printer shows them. */
#ifndef VFIOTRACE_EVENTS_H
#define VFIOTRACE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "event_ctx.h"

/*
 * One record: its process's VM identity is read now (vmcache.h), while it
 * lives; its feature updates the state it changes and decodes it; its line is
 * printed to c->out when it has one. A record whose decoder needs the kernel's
 * symbols before they are read waits, and every record after it, in
 * c->waiting: their lines come, in order, from events_flush(). Unknown or
 * short records are counted in c->malformed.
 */
void events_consume(struct event_ctx *c, const void *rec, size_t size);
/*
 * The waiting records decoded and shown once the symbols are read (wait:
 * until they are, as at exit); whether any still wait.
 */
bool events_flush(struct event_ctx *c, bool wait);
void events_free(struct event_ctx *c);

#endif
