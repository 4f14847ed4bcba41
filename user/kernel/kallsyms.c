// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kallsyms.h"
#include "nameset.h"

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static unsigned int hash(const char *s)
{
	return name_hash(s, strlen(s));
}

/* Offset of a copy of s in the name block, or -1 without memory. */
static long add_name(struct kallsyms *ks, const char *s, size_t len)
{
	long off = ks->names_len;

	if (ks->names_len + len + 1 > ks->names_cap) {
		size_t cap = ks->names_cap ? ks->names_cap * 2 : 1 << 20;
		char *p = realloc(ks->names, cap);

		if (!p)
			return -1;
		ks->names = p;
		ks->names_cap = cap;
	}
	memcpy(ks->names + off, s, len);
	ks->names[off + len] = 0;
	ks->names_len += len + 1;
	return off;
}

/* z (NUL-terminated) is the len bytes at s */
static bool same(const char *z, const char *s, size_t len)
{
	return strnlen(z, len + 1) == len && !memcmp(z, s, len);
}

static char *module_name(struct kallsyms *ks, const char *s, size_t len)
{
	char **p;
	int i;

	/* a module's symbols come together: most lines name the module of the last */
	if (ks->nmodules && same(ks->modules[ks->nmodules - 1], s, len))
		return ks->modules[ks->nmodules - 1];
	for (i = 0; i < ks->nmodules; i++)
		if (same(ks->modules[i], s, len))
			return ks->modules[i];
	p = realloc(ks->modules, (ks->nmodules + 1) * sizeof(*p));
	if (!p)
		return NULL;
	ks->modules = p;
	/* not strndup: s is not NUL-terminated (a line of the read buffer) */
	if (!(p[ks->nmodules] = malloc(len + 1)))
		return NULL;
	memcpy(p[ks->nmodules], s, len);
	p[ks->nmodules][len] = 0;
	return p[ks->nmodules++];
}

static int index_names(struct kallsyms *ks)
{
	unsigned int size = 1, i;

	while (size < 2u * (unsigned int)ks->n)
		size <<= 1;
	ks->by_name = malloc(size * sizeof(*ks->by_name));
	if (!ks->by_name)
		return -1;
	memset(ks->by_name, 0xff, size * sizeof(*ks->by_name));
	ks->by_name_mask = size - 1;
	for (i = 0; i < (unsigned int)ks->n; i++) {
		unsigned int h = hash(ks->syms[i].name) & ks->by_name_mask;

		while (ks->by_name[h] >= 0)
			h = (h + 1) & ks->by_name_mask;
		ks->by_name[h] = i;
	}
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static unsigned long long hex(const char *s, const char *end)
{
	unsigned long long v = 0;

	for (; s < end; s++)
		v = v << 4 | hexval(*s);
	return v;
}

/*
 * Parses one line "ADDR TYPE NAME [MODULE]" of len bytes (no newline) into l;
 * -1 when it is no symbol. The cheap tests come first: this runs for every
 * kernel symbol.
 */
static int parse_line(const char *line, size_t len, struct kline *l)
{
	const char *end = line + len, *p = line;

	while (p < end && p - line < 16 && hexval(*p) >= 0)
		p++;
	if (p == line || end - p < 4 || p[0] != ' ' || p[2] != ' ')
		return -1;
	l->addr = line;
	l->addr_len = p - line;
	l->type = p[1];
	l->name = p + 3;
	for (l->nlen = 0; l->name + l->nlen < end && l->name[l->nlen] && l->name[l->nlen] != ' ' &&
	     l->name[l->nlen] != '\t'; l->nlen++)
		;
	if (!l->nlen)
		return -1;
	l->module = NULL;
	l->mlen = 0;
	for (p = l->name + l->nlen; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	if (p < end && *p == '[') {
		l->module = ++p;
		while (p < end && *p && *p != ']')
			p++;
		l->mlen = p - l->module;
	}
	return 0;
}

unsigned long long kline_addr(const struct kline *l)
{
	return hex(l->addr, l->addr + l->addr_len);
}

bool kline_text(const struct kline *l)
{
	return l->type == 't' || l->type == 'T';
}

bool kline_etext(const struct kline *l)
{
	return l->nlen == 6 && !memcmp(l->name, "_etext", 6);
}

struct read_ctx {
	struct kallsyms *ks;
	const struct nameset *w;	/* only these names, NULL: all */
};

/* A line kept in the table when it is a text symbol (and wanted). 0 or -ENOMEM. */
static int add_line(void *arg, const struct kline *l)
{
	struct read_ctx *c = arg;
	struct kallsyms *ks = c->ks;
	const char *mod = NULL;
	struct ksym *s;
	long off;

	if (kline_etext(l))
		ks->text_end = kline_addr(l);
	if (!kline_text(l))
		return 0;
	ks->seen++;
	if (l->module && !(mod = module_name(ks, l->module, l->mlen)))
		return -ENOMEM;
	if (c->w && !nameset_has(c->w, l->name, l->nlen))
		return 0;
	if (ks->n == ks->cap) {
		int cap = ks->cap ? ks->cap * 2 : 4096;
		struct ksym *n = realloc(ks->syms, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		ks->syms = n;
		ks->cap = cap;
	}
	off = add_name(ks, l->name, l->nlen);
	if (off < 0)
		return -ENOMEM;
	s = &ks->syms[ks->n++];
	s->addr = kline_addr(l);
	s->name = (char *)(intptr_t)off;	/* the block may still move */
	s->module = (char *)mod;
	return 0;
}

/*
 * By address, with a temporary of the unsorted part only: vmlinux's symbols
 * come sorted, the modules' after them. glibc's qsort merge-sorts through a
 * copy of the whole array (24 bytes a text symbol: 2.9 MB for 122,000), most
 * of the peak RSS once references are named. -ENOMEM.
 */
static int sort_by_addr(struct ksym *a, int n)
{
	struct ksym *tail;
	int p = 1, i, j, k;

	while (p < n && a[p - 1].addr <= a[p].addr)
		p++;
	if (p >= n)
		return 0;
	qsort(a + p, n - p, sizeof(*a), by_addr);
	if (!(tail = malloc((n - p) * sizeof(*a))))
		return -ENOMEM;
	memcpy(tail, a + p, (n - p) * sizeof(*a));
	/* merge from the end: the sorted prefix a[0, p) and tail into a[0, n) */
	for (i = p - 1, j = n - p - 1, k = n - 1; j >= 0; k--)
		a[k] = i >= 0 && a[i].addr > tail[j].addr ? a[i--] : tail[j--];
	free(tail);
	return 0;
}

/* Read in large blocks, lines found with memchr: stdio line by line was most of the start-up's kallsyms read in an emulated guest. */
int kallsyms_each(FILE *f, int (*fn)(void *arg, const struct kline *l), void *arg)
{
	size_t cap = 1 << 16, have = 0, pos = 0, n;
	char *buf = malloc(cap), *nl;
	bool eof = false;
	struct kline l;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		nl = pos < have ? memchr(buf + pos, '\n', have - pos) : NULL;
		if (nl || (eof && pos < have)) {
			size_t len = (nl ? nl : buf + have) - (buf + pos);

			if (!parse_line(buf + pos, len, &l) && (r = fn(arg, &l)))
				break;
			pos += len + 1;
			continue;
		}
		if (eof)
			break;
		memmove(buf, buf + pos, have - pos);	/* a partial line to complete */
		have -= pos;
		pos = 0;
		if (have == cap) {	/* a line longer than the buffer */
			char *b = realloc(buf, cap * 2);

			if (!b) {
				r = -ENOMEM;
				break;
			}
			buf = b;
			cap *= 2;
		}
		n = fread(buf + have, 1, cap - have, f);
		eof = !n;
		have += n;
	}
	free(buf);
	return r;
}

FILE *kallsyms_open(const char *path)
{
	FILE *f = fopen(path, "r");

	if (f)
		setvbuf(f, NULL, _IONBF, 0);	/* kallsyms_each reads in blocks of its own */
	return f;
}

/* The text symbols of f (the /proc/kallsyms format), w: only those names; by address and name. 0 or -ENOMEM. */
static int read_syms(struct kallsyms *ks, FILE *f, const struct nameset *w)
{
	struct read_ctx c = { ks, w };
	int i;

	memset(ks, 0, sizeof(*ks));
	if (kallsyms_each(f, add_line, &c))
		goto fail;
	for (i = 0; i < ks->n; i++)
		ks->syms[i].name = ks->names + (intptr_t)ks->syms[i].name;
	if (sort_by_addr(ks->syms, ks->n) || index_names(ks))
		goto fail;
	return 0;
fail:
	kallsyms_free(ks);
	return -ENOMEM;
}

static int load(struct kallsyms *ks, const char *path, const struct nameset *w)
{
	FILE *f = kallsyms_open(path);
	int r;

	if (!f) {
		r = -errno;
		memset(ks, 0, sizeof(*ks));
		return r;
	}
	r = read_syms(ks, f, w);
	fclose(f);
	return r;
}

int kallsyms_read(struct kallsyms *ks, FILE *f)
{
	return read_syms(ks, f, NULL);
}

int kallsyms_read_only(struct kallsyms *ks, FILE *f, const char *const *names, int n)
{
	struct nameset w;

	return nameset_init(&w, names, n) ? read_syms(ks, f, NULL) : read_syms(ks, f, &w);
}

int kallsyms_load(struct kallsyms *ks, const char *path)
{
	return load(ks, path, NULL);
}

int kallsyms_load_only(struct kallsyms *ks, const char *path, const char *const *names, int n)
{
	struct nameset w;

	return !names || nameset_init(&w, names, n) ? load(ks, path, NULL) : load(ks, path, &w);
}

/*
 * FNV-1a of each module's name, size and state in /proc/modules (not its
 * reference count or users, which change without its symbols); 0 if it
 * cannot be read, which then never asks for another read.
 */
unsigned long long kallsyms_modules_state(const char *path)
{
	return kallsyms_modules_list(path, NULL, 0, NULL);
}

unsigned long long kallsyms_modules_list(const char *path, char (*names)[64], int max, int *n)
{
	unsigned long long h = 14695981039346656037ULL;
	FILE *f = fopen(path, "r");
	char *line = NULL, *tok, *save;
	size_t cap = 0;
	int k;

	if (n)
		*n = 0;
	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		/* NAME SIZE REFS USERS STATE ADDR [TAINT] */
		for (k = 0, tok = strtok_r(line, " \n", &save); tok; k++, tok = strtok_r(NULL, " \n", &save)) {
			if (k != 0 && k != 1 && k != 4)
				continue;
			if (k == 0 && n && *n < max)
				snprintf(names[(*n)++], 64, "%s", tok);
			else if (k == 0 && n)
				*n = max + 1;	/* more than max */
			for (; *tok; tok++)
				h = (h ^ (unsigned char)*tok) * 1099511628211ULL;
			h = (h ^ ' ') * 1099511628211ULL;
		}
		h = (h ^ '\n') * 1099511628211ULL;
	}
	free(line);
	fclose(f);
	return h;
}

int kallsyms_settle(const char *modules, int tries, int (*read)(void *arg, int attempt), void *arg,
		    int *reads, bool *settled)
{
	const struct timespec pause = { 0, 20 * 1000 * 1000 };
	unsigned long long before, after;
	int i, r;

	for (i = 1;; i++) {
		if (i > 1)
			nanosleep(&pause, NULL);	/* a module is loading: its neighbours in the queue follow */
		before = kallsyms_modules_state(modules);
		r = read(arg, i);
		if (r)
			return r;
		after = kallsyms_modules_state(modules);
		if (before == after || i >= tries)
			break;
	}
	*reads = i;
	if (settled)
		*settled = before == after;
	return 0;
}

struct settle_load {
	struct kallsyms *ks;
	const char *path;
	const char *const *names;
	int n;
};

static int settle_load(void *arg, int attempt)
{
	struct settle_load *l = arg;

	if (attempt > 1)
		kallsyms_free(l->ks);
	return kallsyms_load_only(l->ks, l->path, l->names, l->n);
}

int kallsyms_load_settled(struct kallsyms *ks, const char *path, const char *modules,
			  const char *const *names, int n, int tries)
{
	struct settle_load l = { ks, path, names, n };
	int reads, r;
	bool settled;

	r = kallsyms_settle(modules, tries, settle_load, &l, &reads, &settled);
	if (!r) {
		ks->reads = reads;
		ks->settled = settled;
	}
	return r;
}

void kallsyms_free(struct kallsyms *ks)
{
	int i;

	for (i = 0; i < ks->nmodules; i++)
		free(ks->modules[i]);
	free(ks->modules);
	free(ks->names);
	free(ks->syms);
	free(ks->by_name);
	memset(ks, 0, sizeof(*ks));
}

const struct ksym *kallsyms_find(const struct kallsyms *ks, const char *name, const char *module)
{
	unsigned int h;

	if (!ks->by_name)
		return NULL;
	for (h = hash(name) & ks->by_name_mask; ks->by_name[h] >= 0; h = (h + 1) & ks->by_name_mask) {
		const struct ksym *s = &ks->syms[ks->by_name[h]];

		if (strcmp(s->name, name))
			continue;
		if (!module || !s->module || !strcmp(s->module, module))
			return s;
	}
	return NULL;
}

int kallsyms_add_module(struct kallsyms *ks, const char *module)
{
	return module_name(ks, module, strlen(module)) ? 0 : -ENOMEM;
}

int kallsyms_as_read(struct kallsyms *ks, const char (*loaded)[64], int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (kallsyms_add_module(ks, loaded[i])) {
			kallsyms_free(ks);
			return -1;
		}
	ks->reads = 1;
	ks->settled = true;
	return 0;
}

bool kallsyms_has_module(const struct kallsyms *ks, const char *module)
{
	int i;

	for (i = 0; i < ks->nmodules; i++)
		if (!strcmp(ks->modules[i], module))
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
