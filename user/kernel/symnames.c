// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kallsyms.h"
#include "log.h"
#include "symnames.h"
#include "thread.h"

/*
 * A symbol some waiting address is in, so far. Slots are shared: vmlinux's
 * symbols come in address order, each the best so far of every address at or
 * above it, and its name is copied once, not once per address.
 */
struct slot {
	unsigned long long start;
	char *name, *module;
	size_t name_cap, module_cap;	/* kept from symbol to symbol */
	bool in_module;			/* false: vmlinux */
	int refs;			/* addresses it is the best of */
};

/* One read of kallsyms for n addresses (sorted, distinct): what it found for each. */
struct pass {
	const char *kallsyms, *modules;
	unsigned long long *addr;
	int n;
	int *best;			/* slot of each address, -1: none yet */
	struct slot *slots;		/* n + 1: one is free whenever a symbol comes */
	int *free, nfree;
	unsigned long long text_end;
	int reads;
	int err;			/* -ENOMEM, or why kallsyms could not be read */
};

static int lower_bound(const unsigned long long *a, int n, unsigned long long x)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (a[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The len bytes at src into *buf, NUL-terminated. 0 or -ENOMEM. */
static int copy(char **buf, size_t *cap, const char *src, size_t len)
{
	if (len + 1 > *cap) {
		char *b = realloc(*buf, len + 1);

		if (!b)
			return -ENOMEM;
		*buf = b;
		*cap = len + 1;
	}
	memcpy(*buf, src, len);
	(*buf)[len] = 0;
	return 0;
}

static void unref(struct pass *p, int slot)
{
	if (slot >= 0 && !--p->slots[slot].refs)
		p->free[p->nfree++] = slot;
}

/*
 * The best symbol of an address is the last listed of those that start
 * highest at or below it, as kallsyms_at() finds it in a table sorted by
 * address; in whatever order kallsyms lists them. The best so far grows with
 * the address, so the addresses a symbol improves are those from the first at
 * or above it while their best starts no higher.
 */
static int pass_line(void *arg, const struct kline *l)
{
	struct pass *p = arg;
	unsigned long long a;
	struct slot *s;
	int i, f;

	if (kline_etext(l))
		p->text_end = kline_addr(l);
	if (!kline_text(l) || !(a = kline_addr(l)))
		return 0;
	i = lower_bound(p->addr, p->n, a);
	if (i == p->n || (p->best[i] >= 0 && p->slots[p->best[i]].start > a))
		return 0;
	f = p->free[--p->nfree];
	s = &p->slots[f];
	s->start = a;
	s->in_module = l->module;
	if (copy(&s->name, &s->name_cap, l->name, l->nlen) ||
	    copy(&s->module, &s->module_cap, l->module ? l->module : "", l->mlen)) {
		p->free[p->nfree++] = f;
		return -ENOMEM;
	}
	for (; i < p->n && (p->best[i] < 0 || p->slots[p->best[i]].start <= a); i++) {
		unref(p, p->best[i]);
		p->best[i] = f;
		s->refs++;
	}
	return 0;
}

static int pass_read(void *arg, int attempt)
{
	struct pass *p = arg;
	FILE *f;
	int i, r;

	(void)attempt;
	for (i = 0; i < p->n; i++)
		p->best[i] = -1;
	for (i = 0; i <= p->n; i++) {
		p->slots[i].refs = 0;
		p->free[i] = i;
	}
	p->nfree = p->n + 1;
	p->text_end = 0;
	if (!(f = kallsyms_open(p->kallsyms)))
		return -errno;
	r = kallsyms_each(f, pass_line, p);
	fclose(f);
	return r;
}

static void pass_run(struct pass *p)
{
	p->best = malloc(p->n * sizeof(*p->best));
	p->slots = calloc(p->n + 1, sizeof(*p->slots));
	p->free = malloc((p->n + 1) * sizeof(*p->free));
	p->err = !p->best || !p->slots || !p->free ? -ENOMEM :
		 kallsyms_settle(p->modules, KALLSYMS_TRIES, pass_read, p, &p->reads, NULL);
}

static void pass_free(struct pass *p)
{
	int i;

	for (i = 0; p->slots && i <= p->n; i++) {
		free(p->slots[i].name);
		free(p->slots[i].module);
	}
	free(p->addr);
	free(p->best);
	free(p->slots);
	free(p->free);
	memset(p, 0, sizeof(*p));
}

/* The addresses of s waiting for a read, into p. 0 or -ENOMEM. */
static int pass_init(struct pass *p, const struct symnames *s)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->kallsyms = s->kallsyms ? s->kallsyms : "/proc/kallsyms";
	p->modules = s->modules ? s->modules : "/proc/modules";
	if (!(p->addr = malloc(s->unknown * sizeof(*p->addr))))
		return -ENOMEM;
	for (i = 0; i < s->n; i++)
		if (!s->v[i].known)
			p->addr[p->n++] = s->v[i].addr;
	return 0;
}

static int find(const struct symnames *s, unsigned long long addr)
{
	int lo = 0, hi = s->n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (s->v[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const char *module_of(struct symnames *s, const char *m)
{
	char **p;
	int i;

	for (i = 0; i < s->nmods; i++)
		if (!strcmp(s->mods[i], m))
			return s->mods[i];
	if (!(p = realloc(s->mods, (s->nmods + 1) * sizeof(*p))))
		return NULL;
	s->mods = p;
	if (!(p[s->nmods] = strdup(m)))
		return NULL;
	return p[s->nmods++];
}

/* Every address waiting is known now, unnamed: no read names it (out of memory). */
static void give_up(struct symnames *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		s->v[i].known = true;
	s->unknown = 0;
}

/*
 * What p read into s: every address of p is known now, named or not (not when
 * the read failed). Without kallsyms, no read is tried again.
 */
static void take(struct symnames *s, struct pass *p)
{
	int i;

	s->reads += p->reads;
	s->failed |= p->err && p->err != -ENOMEM;
	dbg("kallsyms read to name %d addresses%s%s", p->n, p->err ? ": " : "", p->err ? strerror(-p->err) : "");
	for (i = 0; i < p->n; i++) {
		struct symname *e = &s->v[find(s, p->addr[i])];
		const struct slot *b = p->err || p->best[i] < 0 ? NULL : &p->slots[p->best[i]];

		if (e->known)
			continue;
		e->known = true;
		s->unknown--;
		/* e.g. a BPF trampoline in module space with no symbol of its own */
		if (!b || (!b->in_module && p->text_end && e->addr >= p->text_end))
			continue;
		e->start = b->start;
		e->name = strdup(b->name);
		e->module = b->in_module ? module_of(s, b->module) : NULL;
	}
}

void symnames_init(struct symnames *s, const char *kallsyms, const char *modules)
{
	memset(s, 0, sizeof(*s));
	s->kallsyms = kallsyms;
	s->modules = modules;
}

int symnames_want(struct symnames *s, unsigned long long addr)
{
	struct symname *e;
	int i;

	if (!addr || s->failed)	/* kallsyms cannot be read: nothing to wait for */
		return 0;
	i = find(s, addr);
	if (i < s->n && s->v[i].addr == addr)
		return !s->v[i].known;
	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 16;

		if (!(e = realloc(s->v, cap * sizeof(*e))))
			return -ENOMEM;
		s->v = e;
		s->cap = cap;
	}
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->n++;
	e = &s->v[i];
	memset(e, 0, sizeof(*e));
	e->addr = addr;
	s->unknown++;
	return 1;
}

/* The read in a thread: for which addresses, and whether it is done. */
struct symnames_bg {
	pthread_t thread;
	struct pass p;
	atomic_bool done;
};

static void *bg_read(void *arg)
{
	struct symnames_bg *bg = arg;

	pass_run(&bg->p);
	atomic_store(&bg->done, true);
	return NULL;
}

/* Waits for the thread's read; its names into s (keep) or dropped. */
static void bg_end(struct symnames *s, bool keep)
{
	pthread_join(s->bg->thread, NULL);
	if (keep)
		take(s, &s->bg->p);
	pass_free(&s->bg->p);
	free(s->bg);
	s->bg = NULL;
}

void symnames_resolve(struct symnames *s)
{
	struct pass p;

	if (s->bg)
		bg_end(s, true);
	if (!s->unknown)
		return;
	if (pass_init(&p, s)) {
		give_up(s);
		return;
	}
	pass_run(&p);
	take(s, &p);
	pass_free(&p);
}

bool symnames_ready(struct symnames *s)
{
	if (s->bg) {
		if (!atomic_load(&s->bg->done))
			return false;
		bg_end(s, true);
	}
	if (!s->unknown)
		return true;
	if (!(s->bg = calloc(1, sizeof(*s->bg))) || pass_init(&s->bg->p, s) ||
	    thread_start(&s->bg->thread, bg_read, s->bg)) {
		if (s->bg)
			pass_free(&s->bg->p);
		free(s->bg);
		s->bg = NULL;
		symnames_resolve(s);
		return true;
	}
	return false;
}

const struct symname *symnames_get(const struct symnames *s, unsigned long long addr)
{
	int i = find(s, addr);

	return i < s->n && s->v[i].addr == addr && s->v[i].known ? &s->v[i] : NULL;
}

void symnames_forget(struct symnames *s)
{
	const char *kallsyms = s->kallsyms, *modules = s->modules;
	int reads = s->reads;

	symnames_free(s);
	symnames_init(s, kallsyms, modules);
	s->reads = reads;
}

void symnames_free(struct symnames *s)
{
	int i;

	if (s->bg)
		bg_end(s, false);
	for (i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	for (i = 0; i < s->nmods; i++)
		free(s->mods[i]);
	free(s->mods);
	memset(s, 0, sizeof(*s));
}
