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
 * line is printed to c->out when it has one. The process's VM identity is read
 * at its first record (vmcache.h). A decoder that needs the kernel's symbols
 * waits for them (symnames_ready), running c->meanwhile. Unknown or short
 * records are counted in c->malformed.
 */
void events_consume(struct event_ctx *c, const void *rec, size_t size);

#endif
