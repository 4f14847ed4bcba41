// SPDX-License-Identifier: GPL-2.0
/* diagnosis: failures by (operation, step, errno) and their culprits; text and JSON. */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "catalogue.h"
#include "explain.h"
#include "errnames.h"
#include "feature.h"
#include "histogram.h"
#include "holders.h"
#include "map_read.h"
#include "text.h"
#include "vmcache.h"
#include "vmname.h"
#include "vfiotrace.skel.h"

/* The holders of the groups now: their VM identity read while they live, for the culprit of a later failure. */
static void name_holders(int fd)
{
	struct map_entries e;
	struct holder h;
	size_t i;

	if (map_read(fd, &e))
		return;
	for (i = 0; i < e.n; i++) {
		map_entry(&e, i, NULL, &h);
		if (holder_held(&h))
			vmcache_get(h.pid, h.comm);
	}
	map_entries_free(&e);
}

/* Failures and the culprit of the last, per group, from the maps into s. */
static int collect(struct snapshot *s, const struct vfiotrace_bpf *skel, const struct symbolizer *sym)
{
	struct map_entries failures = { 0 }, culprits = { 0 };
	struct group_row *g;
	struct fail_key k;
	size_t i;
	int key, ret = -1;

	name_holders(bpf_map__fd(skel->maps.holders));

	(void)sym;
	if (map_read(bpf_map__fd(skel->maps.failures), &failures) ||
	    map_read(bpf_map__fd(skel->maps.group_culprit), &culprits))
		goto out;
	for (i = 0; i < failures.n; i++) {
		unsigned long long n;

		map_entry(&failures, i, &k, &n);
		if (!(g = snapshot_group(s, k.group)))
			goto out;
		if (g->nfails == MAX_FAILS)
			continue;
		g->fails[g->nfails].op = k.op;
		g->fails[g->nfails].step = k.step;
		g->fails[g->nfails].err = k.err;
		g->fails[g->nfails++].n = n;
	}
	for (i = 0; i < culprits.n; i++) {
		map_entry(&culprits, i, &key, NULL);
		if (!(g = snapshot_group(s, key)))
			goto out;
		map_entry(&culprits, i, NULL, &g->culprit);
		g->has_culprit = true;
	}
	ret = 0;
out:
	map_entries_free(&failures);
	map_entries_free(&culprits);
	return ret;
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
	vm_json(j, vmcache_get(c->holder.pid, c->holder.comm));
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

static void diag_json_attach(struct json *j, const struct snapshot *s, const struct group_row *g)
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


static void diag_json_group(struct json *j, const struct snapshot *s, const struct group_row *g)
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

/* Appends "\n  blocking: ..." and "\n  holder: ...", the lines under a failure, to buf. */
static void culprit_lines(const struct culprit *c, char *buf, size_t len)
{
	char name[TEXT_NAME_LEN], dev[TEXT_LEN(NAME_LEN)], drv[TEXT_LEN(DRV_LEN)], vm[VM_TEXT_LEN];
	unsigned int i;

	if (c->nblock) {
		text_append(buf, len, "\n  blocking:");
		for (i = 0; i < c->nblock && i < BLOCK_MAX; i++)
			text_append(buf, len, "%s %s (driver %s)", i ? "," : "",
				    text_name(c->block_dev[i], dev, sizeof(dev)),
				    c->block_drv[i][0] ? text_name(c->block_drv[i], drv, sizeof(drv)) : "none");
		if (c->nblock > BLOCK_MAX)
			text_append(buf, len, ", +%u more", c->nblock - BLOCK_MAX);
	}
	if (c->has_holder)
		text_append(buf, len, "\n  holder: pid %u (%s%s)%s", c->holder.pid,
			    text_name(c->holder.comm, name, sizeof(name)),
			    vm_text(vmcache_get(c->holder.pid, c->holder.comm), ", vm ", vm, sizeof(vm)),
			    c->holder.from_proc ? ", open before vfiotrace started" : "");
}

static void text_culprit(FILE *f, const struct culprit *c)
{
	char lines[1024] = "";

	culprit_lines(c, lines, sizeof(lines));
	if (lines[0])
		fprintf(f, "%s\n", lines + 1);
}

static void diag_text(FILE *f, const struct snapshot *s)
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

static void fail_json(struct json *j, const struct event_line *l)
{
	const struct fail_event *e = l->rec;

	json_culprit(j, &e->c);
}

static int diag_want(const void *rec, struct event_ctx *c)
{
	return explain_want(c, ((const struct fail_event *)rec)->stack_id);
}

static int diag_decode_fail(const void *rec, struct event_ctx *c, struct event_line *l)
{
	const struct fail_event *e = rec;

	event_line_init(l, op_name(e->op), &e->h);
	l->fields &= ~LINE_LATENCY_COLUMN;
	snprintf(l->result, sizeof(l->result), "%s", errno_name((int)-e->h.ret));
	explain_line(l, c, e->op, e->step, (int)-e->h.ret, e->stack_id);
	culprit_lines(&e->c, l->detail, sizeof(l->detail));
	l->json = fail_json;
	l->rec = e;
	return 1;
}

static void group_json(struct json *j, const struct snapshot *s, const struct group_row *g)
{
	diag_json_attach(j, s, g);
	diag_json_group(j, s, g);
}

static void fail_bound(void *rec)
{
	struct fail_event *f = rec;
	int i;

	for (i = 0; i < BLOCK_MAX; i++) {
		f->c.block_dev[i][NAME_LEN - 1] = 0;
		f->c.block_drv[i][DRV_LEN - 1] = 0;
	}
	f->c.holder.comm[COMM_LEN - 1] = 0;
}

static const struct event_kind events[] = {
	{ EV_GROUP_FAIL, sizeof(struct fail_event), diag_decode_fail, fail_bound, false, diag_want },
};

const struct feature diag_feature = {
	.name = "diag",
	.collect = collect,
	FEATURE_EVENTS(events),
	.group_json = group_json,
	.group_text = diag_text,
};
