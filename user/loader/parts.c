// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "parallel.h"
#include "parts.h"

#define MAX_PROGS 256

int parts_wanted(void)
{
	const char *e = getenv("VFIOTRACE_LOAD_PARTS");
	long n = e ? strtol(e, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > PARTS_MAX ? PARTS_MAX : (int)n;
}

int parts_open(struct parts *ps, int n, const void *elf, size_t sz, const struct bpf_object_open_opts *oo)
{
	int e;

	memset(ps, 0, sizeof(*ps));
	for (ps->n = 0; ps->n < n; ps->n++) {
		ps->obj[ps->n] = bpf_object__open_mem(elf, sz, oo);
		if (!ps->obj[ps->n]) {
			e = errno;
			parts_close(ps);
			errno = e;
			return -1;
		}
	}
	return 0;
}

struct weighed {
	size_t insns;
	int idx;		/* in the ELF's order, which every part lists its programs in */
};

static int heavier_first(const void *a, const void *b)
{
	const struct weighed *x = a, *y = b;

	return x->insns != y->insns ? (x->insns < y->insns ? 1 : -1) : x->idx - y->idx;
}

void parts_split(struct parts *ps)
{
	struct bpf_program *p[PARTS_MAX];
	struct weighed w[MAX_PROGS];
	int owner[MAX_PROGS], i, k, n = 0, idx = 0;
	size_t load[PARTS_MAX] = { 0 };

	bpf_object__for_each_program(p[0], ps->obj[0]) {
		if (bpf_program__autoload(p[0]) && n < MAX_PROGS)
			w[n++] = (struct weighed){ bpf_program__insn_cnt(p[0]), idx };
		idx++;
	}
	qsort(w, n, sizeof(w[0]), heavier_first);
	for (i = 0; i < idx && i < MAX_PROGS; i++)
		owner[i] = -1;
	for (i = 0; i < n; i++) {
		int best = 0;

		for (k = 1; k < ps->n; k++)
			if (load[k] < load[best])
				best = k;
		load[best] += w[i].insns;
		owner[w[i].idx] = best;
	}
	/* walk the parts' program lists in step: the same ELF, the same order */
	for (k = 0; k < ps->n; k++)
		p[k] = bpf_object__next_program(ps->obj[k], NULL);
	for (i = 0; p[0]; i++) {
		for (k = 0; k < ps->n; k++) {
			if (i < MAX_PROGS && owner[i] >= 0 && owner[i] != k)
				bpf_program__set_autoload(p[k], false);
			p[k] = bpf_object__next_program(ps->obj[k], p[k]);
		}
	}
}

static void load_part(void *ctx, int i)
{
	struct parts *ps = ctx;

	if (bpf_object__load(ps->obj[i]))
		ps->err[i] = errno ? errno : EINVAL;
}

int parts_load(struct parts *ps, struct bpf_object *maps_owner)
{
	struct bpf_map *m, *own;
	int k;

	for (k = 0; k < ps->n; k++) {
		ps->err[k] = 0;
		bpf_object__for_each_map(m, ps->obj[k]) {
			own = bpf_object__find_map_by_name(maps_owner, bpf_map__name(m));
			if (!own || bpf_map__reuse_fd(m, bpf_map__fd(own))) {
				errno = own ? errno : ENOENT;
				return -1;
			}
		}
	}
	parallel_for(ps->n, ps->n, load_part, ps);
	for (k = 0; k < ps->n; k++)
		if (ps->err[k]) {
			errno = ps->err[k];
			return -1;
		}
	return 0;
}

struct bpf_program *parts_find(const struct parts *ps, const char *name)
{
	struct bpf_program *p;
	int k;

	for (k = 0; k < ps->n; k++)
		if ((p = bpf_object__find_program_by_name(ps->obj[k], name)) && bpf_program__autoload(p))
			return p;
	return ps->n ? bpf_object__find_program_by_name(ps->obj[0], name) : NULL;
}

int parts_programs(const struct parts *ps)
{
	struct bpf_program *p;
	int k, n = 0;

	for (k = 0; k < ps->n; k++)
		bpf_object__for_each_program(p, ps->obj[k])
			n += bpf_program__fd(p) >= 0;
	return n;
}

void parts_close(struct parts *ps)
{
	int k;

	for (k = 0; k < ps->n; k++)
		bpf_object__close(ps->obj[k]);
	memset(ps, 0, sizeof(*ps));
}
