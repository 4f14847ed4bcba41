/* SPDX-License-Identifier: GPL-2.0 */
/* Attach-failure diagnosis: its part of the stat model and its printers. */
#ifndef VFIOTRACE_DIAG_H
#define VFIOTRACE_DIAG_H

#include <stdio.h>
#include "json.h"
#include "kallsyms.h"
#include "snapshot.h"

/* Failures and the culprit of the last, per group, from the maps into s. 0, or -1 out of memory. */
int diag_collect(struct snapshot *s, const struct bpf_maps *m);
/* -v: failure events carry the kernel stack of the failing step (stacks map fd, symbols). */
void diag_set_stacks(int stacks_fd, const struct kallsyms *ks);
/* Per group in stat -j: alloc_device, failures, blocking_devices, holder. */
void diag_json_group(struct json *j, const struct snapshot *s, const struct group_row *g);
/* "diagnosis" of a group's failed attaches: errno, count, failed_step, cause, remedy. */
void diag_json_attach(struct json *j, const struct snapshot *s, const struct group_row *g);
/* One line per failure (operation, errno, step) with cause, remedy and culprit. */
void diag_text(FILE *f, const struct snapshot *s);
/* snoop: the diagnosis keys of an attach / domain_alloc event. */
void diag_json_event(struct json *j, const struct event *e, unsigned int kver);
/* snoop text: " at STEP: CAUSE; remedy: REMEDY" of a failed attach ("" if none). */
void diag_text_event(FILE *f, const struct event *e, unsigned int kver);
/* snoop: a failed group open / set-container / get-device-fd. */
void render_fail_event(FILE *f, const struct fail_event *e, unsigned int kver, bool json);

#endif
