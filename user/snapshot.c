// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "log.h"
#include "snapshot.h"

static bool machinery(const char *name)
{
	static const char *const prefixes[] = {
		"bpf_", "__bpf", "kprobe", "ftrace", "arch_ftrace", "fentry", "__fentry",
		"perf_", "trace_call_bpf", "rethook", "fprobe", "asm_exc_int3", "exc_int3",
		"do_int3", "pre_handler_kretprobe", "aggr_pre_handler", "kprobe_ftrace_handler",
	};
	unsigned int i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

const char *pick_caller(const unsigned long long *ips, int n, const struct symbolizer *sym,
			char *buf, int len)
{
	int i, k;

	buf[0] = 0;
	for (i = 0; i < n && ips[i]; i++) {
		const struct ksym *s = kallsyms_at(sym->ks, ips[i], NULL);
		bool skip;

		dbg("frame %d: %llx %s [%s]", i, ips[i], s ? s->name : "?",
		    s && s->module ? s->module : "");
		if (!s)
			continue;
		skip = machinery(s->name);
		for (k = 0; k < 3 && sym->hooked[k]; k++)
			skip |= !strcmp(s->name, sym->hooked[k]);
		if (!skip) {
			snprintf(buf, len, "%s", s->name);
			break;
		}
	}
	return buf;
}

const char *stack_caller(int stacks_fd, int stack_id, const struct symbolizer *sym,
			 char *buf, int len)
{
	unsigned long long ips[STACK_DEPTH] = {};

	buf[0] = 0;
	if (stack_id < 0 || bpf_map_lookup_elem(stacks_fd, &stack_id, ips))
		return buf;
	return pick_caller(ips, STACK_DEPTH, sym, buf, len);
}

struct group_row *snapshot_group(struct snapshot *s, int group)
{
	struct group_row *g;
	int i;

	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i].group == group)
			return &s->groups[i];
	g = realloc(s->groups, (s->ngroups + 1) * sizeof(*g));
	if (!g)
		return NULL;
	s->groups = g;
	g = &s->groups[s->ngroups++];
	memset(g, 0, sizeof(*g));
	g->group = group;
	return g;
}

static int by_group(const void *a, const void *b)
{
	const struct group_row *x = a, *y = b;

	return x->group - y->group;
}

static int by_put(const void *a, const void *b)
{
	const struct put_row *x = a, *y = b;
	int c;

	if (x->key.group != y->key.group)
		return x->key.group - y->key.group;
	c = strcmp(x->key.dev, y->key.dev);
	return c ? c : strcmp(x->caller, y->caller);
}

int snapshot_collect(struct snapshot *s, const struct bpf_maps *m, const struct symbolizer *sym)
{
	int key, *prev = NULL;
	struct err_key ek, *eprev = NULL;
	struct put_key pk, *pprev = NULL;
	struct group_row *g;
	int i, n;

	while (!bpf_map_get_next_key(m->group_stats, prev, &key)) {
		prev = &key;
		g = snapshot_group(s, key);
		if (!g || bpf_map_lookup_elem(m->group_stats, &key, &g->st))
			continue;
		g->has_mem = !bpf_map_lookup_elem(m->group_members, &key, &g->mem);
	}
	while (!bpf_map_get_next_key(m->errors, eprev, &ek)) {
		unsigned long long n;

		eprev = &ek;
		g = snapshot_group(s, ek.group);
		if (!g || g->nerrs == MAX_ERRS || bpf_map_lookup_elem(m->errors, &ek, &n))
			continue;
		g->errs[g->nerrs].err = ek.err;
		g->errs[g->nerrs++].n = n;
	}
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
	if (s->ngroups)
		qsort(s->groups, s->ngroups, sizeof(*s->groups), by_group);
	return 0;
}

void snapshot_free(struct snapshot *s)
{
	free(s->groups);
	free(s->puts);
	memset(s, 0, sizeof(*s));
}
