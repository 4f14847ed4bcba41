/* SPDX-License-Identifier: GPL-2.0 */
/* A failure's explanation (the catalogue's cause and remedy) into an event line. */
#ifndef VFIOTRACE_EXPLAIN_H
#define VFIOTRACE_EXPLAIN_H

#include <stdio.h>
#include "event_ctx.h"

/*
 * A failure's explanation into an event line: failed_step, cause, remedy,
 * "at STEP: CAUSE; remedy: REMEDY" in its detail, and with -v its stack.
 */
void explain_line(struct event_line *l, const struct event_ctx *c, int op, int step, int err,
		  int stack_id);
/* Asks for the frames of a failing step's stack (-v) that explain_line names: event_kind.want's result. */
int explain_want(struct event_ctx *c, int stack_id);

#endif
