/* SPDX-License-Identifier: GPL-2.0 */
/* Attach-failure diagnosis: its part of the stat model and its printers. */
#ifndef VFIOTRACE_DIAG_H
#define VFIOTRACE_DIAG_H

#include <stdio.h>
#include "json.h"
#include "event_ctx.h"
#include "snapshot.h"

/* Failures and the culprit of the last, per group, from the maps into s. 0, or -1 out of memory. */
int diag_collect(struct snapshot *s, const struct bpf_maps *m);
/* Per group in stat -j: alloc_device, failures, blocking_devices, holder. */
void diag_json_group(struct json *j, const struct snapshot *s, const struct group_row *g);
/* "diagnosis" of a group's failed attaches: errno, count, failed_step, cause, remedy. */
void diag_json_attach(struct json *j, const struct snapshot *s, const struct group_row *g);
/* One line per failure (operation, errno, step) with cause, remedy and culprit. */
void diag_text(FILE *f, const struct snapshot *s);
/*
 * A failure's explanation into an event line: failed_step, cause, remedy,
 * "at STEP: CAUSE; remedy: REMEDY" in its detail, and with -v its stack.
 */
void diag_explain_line(struct event_line *l, const struct event_ctx *c, int op, int step, int err,
		       int stack_id);
/* A failed group open / set-container / get-device-fd (struct fail_event). */
int diag_decode_fail(const void *rec, struct event_ctx *c, struct event_line *l);

#endif
