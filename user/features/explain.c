// SPDX-License-Identifier: GPL-2.0
/* A failure's explanation into an event line, for every feature whose events can fail. */
#include "catalogue.h"
#include "explain.h"
#include "stacks.h"

void explain_line(struct event_line *l, const struct event_ctx *c, int op, int step, int err,
		  int stack_id)
{
	catalogue_explain(op, step, err, c->kver, &l->cause, &l->remedy);
	l->step = step_name(step);
	event_line_detail(l, "at %s: %s; remedy: %s", l->step, l->cause, l->remedy);
	l->stack = c->fail_stacks_fd >= 0;
	l->nframes = l->stack ? stack_frames(c->fail_stacks_fd, c->sym->names, stack_id, l->frames) : 0;
}

int explain_want(struct event_ctx *c, int stack_id)
{
	return c->fail_stacks_fd >= 0 ? stack_frames_want(c->fail_stacks_fd, c->sym->names, stack_id) : 0;
}
