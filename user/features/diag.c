// SPDX-License-Identifier: GPL-2.0
/* diagnosis: failures by (operation, step, errno) and their culprits; text and JSON. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "catalogue.h"
#include "diag.h"
#include "errnames.h"
#include "feature.h"
#include "histogram.h"
#include "kallsyms.h"
#include "text.h"

static int stacks_fd = -1;
static const struct kallsyms *stack_ks;

void diag_set_stacks(int fd, const struct kallsyms *ks)
{
	stacks_fd = fd;
	stack_ks = ks;
}

/* The frames of failure stack id as "func+0xoff [module]"; their count, 0 when there is none. */
static int stack_frames(int id, char frames[][96])
{
	unsigned long long ips[FAIL_STACK_DEPTH] = {};
	int i, n = 0;

	if (stacks_fd < 0 || id < 0 || bpf_map_lookup_elem(stacks_fd, &id, ips))
		return 0;
	for (i = 0; i < FAIL_STACK_DEPTH && ips[i]; i++) {
		unsigned long long off;
		const struct ksym *k = kallsyms_at(stack_ks, ips[i], &off);

		if (k)
			snprintf(frames[n++], 96, "%s+0x%llx%s%s%s", k->name, off, k->module ? " [" : "",
				 k->module ? k->module : "", k->module ? "]" : "");
		else
			snprintf(frames[n++], 96, "0x%llx", ips[i]);
	}
	return n;
}

static void json_stack(struct json *j, int id)
{
	char frames[FAIL_STACK_DEPTH][96];
	int i, n;

	if (stacks_fd < 0)
		return;
	n = stack_frames(id, frames);
	json_arr_begin(j, "stack");
	for (i = 0; i < n; i++)
		json_str(j, NULL, frames[i]);
	json_arr_end(j);
}

static void text_stack(FILE *f, int id)
{
	char frames[FAIL_STACK_DEPTH][96];
	int i, n = stack_frames(id, frames);

	for (i = 0; i < n; i++)
		fprintf(f, "    %s\n", frames[i]);
}

static int by_group(const void *a, const void *b)
{
	const struct group_row *x = a, *y = b;

	return x->group - y->group;
}

int diag_collect(struct snapshot *s, const struct bpf_maps *m)
{
	struct fail_key k, *prev = NULL;
	int key, *kprev = NULL;
	struct group_row *g;

	while (!bpf_map_get_next_key(m->failures, prev, &k)) {
		unsigned long long n;

		prev = &k;
		g = snapshot_group(s, k.group);
		if (!g)
			return -1;
		if (g->nfails == MAX_FAILS || bpf_map_lookup_elem(m->failures, &k, &n))
			continue;
		g->fails[g->nfails].op = k.op;
		g->fails[g->nfails].step = k.step;
		g->fails[g->nfails].err = k.err;
		g->fails[g->nfails++].n = n;
	}
	while (!bpf_map_get_next_key(m->group_culprit, kprev, &key)) {
		kprev = &key;
		g = snapshot_group(s, key);
		if (!g)
			return -1;
		g->has_culprit = !bpf_map_lookup_elem(m->group_culprit, &key, &g->culprit);
	}
	if (s->ngroups)
		qsort(s->groups, s->ngroups, sizeof(*s->groups), by_group);
	return 0;
}

static void json_culprit(struct json *j, const struct culprit *c)
{
	unsigned int i;

	json_arr_begin(j, "blocking_devices");
	for (i = 0; c && i < c->nblock && i < BLOCK_MAX; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "device", c->block_dev[i]);
		if (c->block_drv[i][0])
			json_str(j, "driver", c->block_drv[i]);
		else
			json_null(j, "driver");
		json_obj_end(j);
	}
	json_arr_end(j);
	if (c && c->nblock > BLOCK_MAX)
		json_uint(j, "blocking_devices_total", c->nblock);
	if (!c || !c->has_holder) {
		json_null(j, "holder");
		return;
	}
	json_obj_begin(j, "holder");
	json_uint(j, "pid", c->holder.pid);
	json_str(j, "comm", c->holder.comm);
	/* opened before vfiotrace started: found in /proc, time unknown */
	if (c->holder.from_proc)
		json_null(j, "since_ns");
	else
		json_uint(j, "since_ns", c->holder.since_ns);
	json_obj_end(j);
}

static void json_diagnosis(struct json *j, int op, int step, int err, unsigned int kver)
{
	const char *cause, *remedy;

	catalogue_explain(op, step, err, kver, &cause, &remedy);
	json_str(j, "failed_step", step_name(step));
	json_str(j, "cause", cause);
	json_str(j, "remedy", remedy);
}

static void json_failure(struct json *j, int op, int step, int err, unsigned int kver)
{
	json_str(j, "errno", errno_name(err));
	json_diagnosis(j, op, step, err, kver);
}

void diag_json_attach(struct json *j, const struct snapshot *s, const struct group_row *g)
{
	int i;

	json_arr_begin(j, "diagnosis");
	for (i = 0; i < g->nfails; i++) {
		if (g->fails[i].op != OP_ATTACH)
			continue;
		json_obj_begin(j, NULL);
		json_uint(j, "count", g->fails[i].n);
		json_failure(j, OP_ATTACH, g->fails[i].step, g->fails[i].err, s->kver);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void group_json(struct json *j, const struct snapshot *s, const struct group_row *g)
{
	diag_json_attach(j, s, g);
	diag_json_group(j, s, g);
}

const struct feature diag_feature = {
	.name = "diag",
	.group_json = group_json,
	.group_text = diag_text,
};

void diag_json_group(struct json *j, const struct snapshot *s, const struct group_row *g)
{
	int i;

	if (g->has_mem && g->mem.alloc_dev[0])
		json_str(j, "alloc_device", g->mem.alloc_dev);
	else
		json_null(j, "alloc_device");
	json_arr_begin(j, "failures");
	for (i = 0; i < g->nfails; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "op", op_name(g->fails[i].op));
		json_uint(j, "count", g->fails[i].n);
		json_failure(j, g->fails[i].op, g->fails[i].step, g->fails[i].err, s->kver);
		json_obj_end(j);
	}
	json_arr_end(j);
	/* the culprit read in the kernel at the group's last failure */
	json_culprit(j, g->has_culprit ? &g->culprit : NULL);
}

static void text_culprit(FILE *f, const struct culprit *c)
{
	char name[TEXT_NAME_LEN];
	unsigned int i;

	if (c->nblock) {
		fprintf(f, "  blocking:");
		for (i = 0; i < c->nblock && i < BLOCK_MAX; i++)
			fprintf(f, "%s %s (driver %s)", i ? "," : "", c->block_dev[i],
				c->block_drv[i][0] ? c->block_drv[i] : "none");
		if (c->nblock > BLOCK_MAX)
			fprintf(f, ", +%u more", c->nblock - BLOCK_MAX);
		fprintf(f, "\n");
	}
	if (c->has_holder)
		fprintf(f, "  holder: pid %u (%s)%s\n", c->holder.pid, text_name(c->holder.comm, name, sizeof(name)),
			c->holder.from_proc ? ", open before vfiotrace started" : "");
}

void diag_text(FILE *f, const struct snapshot *s)
{
	int i, k;

	for (i = 0; i < s->ngroups; i++) {
		const struct group_row *g = &s->groups[i];

		for (k = 0; k < g->nfails; k++) {
			const char *cause, *remedy;

			catalogue_explain(g->fails[k].op, g->fails[k].step, g->fails[k].err, s->kver,
					  &cause, &remedy);
			fprintf(f, "\ngroup %d: %llu %s failed with %s at %s: %s; remedy: %s\n", g->group,
				g->fails[k].n, op_name(g->fails[k].op), errno_name(g->fails[k].err),
				step_name(g->fails[k].step), cause, remedy);
		}
		if (g->nfails && g->has_culprit)
			text_culprit(f, &g->culprit);
	}
}

void diag_json_event(struct json *j, const struct event *e, unsigned int kver)
{
	if (e->type == EV_DOMAIN_ALLOC) {
		if (e->dev[0])
			json_str(j, "alloc_device", e->dev);
		else
			json_null(j, "alloc_device");
	} else if (e->type == EV_ATTACH && e->ret < 0) {
		json_diagnosis(j, OP_ATTACH, e->step, (int)-e->ret, kver);	/* errno is already there */
		json_stack(j, e->stack_id);
	}
}

void diag_text_event(FILE *f, const struct event *e, unsigned int kver)
{
	const char *cause, *remedy;

	if (e->type == EV_DOMAIN_ALLOC) {
		fprintf(f, " device=%s", e->dev[0] ? e->dev : "-");
		return;
	}
	if (e->type != EV_ATTACH || e->ret >= 0)
		return;
	catalogue_explain(OP_ATTACH, e->step, (int)-e->ret, kver, &cause, &remedy);
	fprintf(f, " at %s: %s; remedy: %s", step_name(e->step), cause, remedy);
	if (stacks_fd >= 0) {
		char frames[FAIL_STACK_DEPTH][96];
		int i, n = stack_frames(e->stack_id, frames);

		/* the caller ends the last line */
		for (i = 0; i < n; i++)
			fprintf(f, "\n    %s", frames[i]);
	}
}

void render_fail_event(FILE *f, const struct fail_event *e, unsigned int kver, bool json)
{
	const struct event *ev = &e->ev;
	char tbuf[16], grp[16], name[TEXT_NAME_LEN];
	time_t now = time(NULL);
	struct json j;

	if (json) {
		json_init(&j, f);
		json_obj_begin(&j, NULL);
		json_str(&j, "event", op_name(e->op));
		json_uint(&j, "ts_ns", ev->ts_ns);
		json_int(&j, "group", ev->group);
		json_uint(&j, "pid", ev->pid);
		json_uint(&j, "tid", ev->tid);
		json_str(&j, "comm", ev->comm);
		json_int(&j, "ret", ev->ret);
		json_uint(&j, "latency_ns", ev->latency_ns);
		json_failure(&j, e->op, ev->step, (int)-ev->ret, kver);
		json_culprit(&j, &e->c);
		json_stack(&j, ev->stack_id);
		json_obj_end(&j);
		fflush(f);
		return;
	}
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&now));
	snprintf(grp, sizeof(grp), ev->group == NO_GROUP ? "-" : "%d", ev->group);
	{
		const char *cause, *remedy;

		catalogue_explain(e->op, ev->step, (int)-ev->ret, kver, &cause, &remedy);
		fprintf(f, "%-8s %-13s %-7u %-16s %-5s %-12s %-9s at %s: %s; remedy: %s\n", tbuf,
			op_name(e->op), ev->pid, text_name(ev->comm, name, sizeof(name)), grp, errno_name((int)-ev->ret), "",
			step_name(ev->step), cause, remedy);
	}
	text_culprit(f, &e->c);
	text_stack(f, ev->stack_id);
	fflush(f);
}
