// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kallsyms.h"

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int kallsyms_load(struct kallsyms *ks, const char *path)
{
	FILE *f = fopen(path, "r");
	int r;

	memset(ks, 0, sizeof(*ks));
	if (!f)
		return -errno;
	r = kallsyms_read(ks, f);
	fclose(f);
	return r;
}

int kallsyms_read(struct kallsyms *ks, FILE *f)
{
	char line[512], name[256], mod[128], type;
	unsigned long long addr;

	memset(ks, 0, sizeof(*ks));
	while (fgets(line, sizeof(line), f)) {
		int n;
		struct ksym *s;

		mod[0] = 0;
		n = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name, mod);
		if (n == 3 && !strcmp(name, "_etext"))
			ks->text_end = addr;
		if (n < 3 || (type != 't' && type != 'T'))
			continue;
		if (ks->n == ks->cap) {
			int cap = ks->cap ? ks->cap * 2 : 4096;
			struct ksym *p = realloc(ks->syms, cap * sizeof(*p));

			if (!p) {
				kallsyms_free(ks);
				return -ENOMEM;
			}
			ks->syms = p;
			ks->cap = cap;
		}
		s = &ks->syms[ks->n++];
		s->addr = addr;
		s->name = strdup(name);
		s->module = mod[0] ? strdup(mod) : NULL;
		if (!s->name || (mod[0] && !s->module)) {
			kallsyms_free(ks);
			return -ENOMEM;
		}
	}
	if (ks->n)	/* qsort's base must not be NULL, even for 0 elements */
		qsort(ks->syms, ks->n, sizeof(*ks->syms), by_addr);
	return 0;
}

void kallsyms_free(struct kallsyms *ks)
{
	int i;

	for (i = 0; i < ks->n; i++) {
		free(ks->syms[i].name);
		free(ks->syms[i].module);
	}
	free(ks->syms);
	memset(ks, 0, sizeof(*ks));
}

const struct ksym *kallsyms_find(const struct kallsyms *ks, const char *name, const char *module)
{
	int i;

	for (i = 0; i < ks->n; i++) {
		const struct ksym *s = &ks->syms[i];

		if (strcmp(s->name, name))
			continue;
		if (!module || !s->module || !strcmp(s->module, module))
			return s;
	}
	return NULL;
}

bool kallsyms_has_module(const struct kallsyms *ks, const char *module)
{
	int i;

	for (i = 0; i < ks->n; i++)
		if (ks->syms[i].module && !strcmp(ks->syms[i].module, module))
			return true;
	return false;
}

const struct ksym *kallsyms_at(const struct kallsyms *ks, unsigned long long addr,
			       unsigned long long *off)
{
	int lo = 0, hi = ks->n - 1, best = -1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr) {
			best = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (best < 0 || !ks->syms[best].addr)
		return NULL;
	/* e.g. a BPF trampoline in module space with no symbol of its own */
	if (!ks->syms[best].module && ks->text_end && addr >= ks->text_end)
		return NULL;
	if (off)
		*off = addr - ks->syms[best].addr;
	return &ks->syms[best];
}
