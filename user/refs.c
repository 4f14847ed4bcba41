// SPDX-License-Identifier: GPL-2.0
/* refs: device reference drops per (device, caller); text and JSON. */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "json.h"
#include "refs.h"

static int by_put(const void *a, const void *b)
{
	const struct put_row *x = a, *y = b;
	int c;

	if (x->key.group != y->key.group)
		return x->key.group - y->key.group;
	c = strcmp(x->key.dev, y->key.dev);
	return c ? c : strcmp(x->caller, y->caller);
}

int refs_collect(struct snapshot *s, const struct bpf_maps *m, const struct symbolizer *sym)
{
	struct put_key pk, *pprev = NULL;
	int i, n;

	while (!bpf_map_get_next_key(m->puts, pprev, &pk)) {
		struct put_row *r, *p;

		pprev = &pk;
		p = realloc(s->puts, (s->nputs + 1) * sizeof(*p));
		if (!p)
			return -1;
		s->puts = p;
		r = &s->puts[s->nputs];
		r->key = pk;
		if (bpf_map_lookup_elem(m->puts, &pk, &r->val))
			continue;
		stack_caller(m->stacks, pk.stack_id, sym, r->caller, sizeof(r->caller));
		s->nputs++;
	}
	/* The same caller can appear under several stack ids: merge them. */
	qsort(s->puts, s->nputs, sizeof(*s->puts), by_put);
	for (i = 0, n = 0; i < s->nputs; i++) {
		if (n && !by_put(&s->puts[n - 1], &s->puts[i]))
			s->puts[n - 1].val.count += s->puts[i].val.count;
		else
			s->puts[n++] = s->puts[i];
	}
	s->nputs = n;
	return 0;
}

void refs_json_rows(struct json *j, const struct snapshot *s, int group)
{
	int i;

	json_arr_begin(j, "device_refs");
	for (i = 0; i < s->nputs; i++) {
		const struct put_row *p = &s->puts[i];

		if (p->key.group != group)
			continue;
		json_obj_begin(j, NULL);
		json_int(j, "group", p->key.group);
		if (p->key.dev[0])
			json_str(j, "device", p->key.dev);
		else
			json_null(j, "device");
		json_str(j, "caller", p->caller[0] ? p->caller : "?");
		json_uint(j, "puts", p->val.count);
		if (p->val.last_refcount == REFCOUNT_UNAVAILABLE)
			json_null(j, "last_refcount");
		else
			json_int(j, "last_refcount", p->val.last_refcount);
		json_obj_end(j);
	}
	json_arr_end(j);
}

void render_refs(FILE *f, const struct snapshot *s, bool json)
{
	struct json j;
	int i;

	if (json) {
		json_line_begin(&j, f, "refs");
		json_bool(&j, "refcount_available", s->refcount_known);
		json_arr_begin(&j, "groups");
		for (i = 0; i < s->ngroups; i++) {
			json_obj_begin(&j, NULL);
			json_int(&j, "group", s->groups[i].group);
			refs_json_rows(&j, s, s->groups[i].group);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
		return;
	}
	fprintf(f, "%-6s %-16s %-36s %-6s %s\n", "GROUP", "DEVICE", "CALLER", "PUTS", "LAST_REFCOUNT");
	for (i = 0; i < s->nputs; i++) {
		const struct put_row *p = &s->puts[i];
		char grp[16], rc[24];

		snprintf(grp, sizeof(grp), p->key.group == NO_GROUP ? "-" : "%d", p->key.group);
		snprintf(rc, sizeof(rc), p->val.last_refcount == REFCOUNT_UNAVAILABLE ? "n/a" : "%lld",
			 p->val.last_refcount);
		fprintf(f, "%-6s %-16s %-36s %-6llu %s\n", grp, p->key.dev[0] ? p->key.dev : "?",
			p->caller[0] ? p->caller : "?", p->val.count, rc);
	}
	if (!s->nputs)
		fprintf(f, "(no device reference drops seen)\n");
	if (!s->refcount_known)
		fprintf(f, "note: device names, groups and refcounts are unavailable on this kernel "
			   "(no BTF for vfio.ko); pass --btf with BTF that describes it\n");
	fflush(f);
}

