/* SPDX-License-Identifier: GPL-2.0 */
/* Attach-failure diagnosis: its events, and its sections of stat (diag_feature, feature.h). */
#ifndef VFIOTRACE_DIAG_H
#define VFIOTRACE_DIAG_H

#include <stdio.h>
#include "json.h"
#include "event_ctx.h"
#include "snapshot.h"

/*
 * A failure's explanation into an event line: failed_step, cause, remedy,
 * "at STEP: CAUSE; remedy: REMEDY" in its detail, and with -v its stack.
 */
void diag_explain_line(struct event_line *l, const struct event_ctx *c, int op, int step, int err,
		       int stack_id);

#endif
