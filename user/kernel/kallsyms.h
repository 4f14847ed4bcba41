/* SPDX-License-Identifier: GPL-2.0 */
/* /proc/kallsyms: which functions exist (and in which module); its lines one by one (symnames.h names addresses). */
#ifndef VFIOTRACE_KALLSYMS_H
#define VFIOTRACE_KALLSYMS_H

#include <stdbool.h>
#include <stdio.h>

struct ksym {
	unsigned long long addr;
	char *name;
	char *module;		/* NULL: vmlinux */
};

struct kallsyms {
	struct ksym *syms;	/* text symbols, sorted by address */
	int n;
	int cap;
	int seen;		/* text symbols read, kept or not */
	unsigned long long text_end;	/* _etext: beyond it a vmlinux symbol cannot match */
	/* one block for every name (one malloc per symbol was most of the peak RSS) */
	char *names;
	size_t names_len, names_cap;
	char **modules;		/* each module name once */
	int nmodules;
	int *by_name;		/* open-addressing hash of names -> index in syms, -1: empty */
	unsigned int by_name_mask;
	int reads;		/* kallsyms_load_settled: how many reads it took */
	bool settled;		/* kallsyms_load_settled: no module changed during the read kept */
};

/* Reads of kallsyms_load_settled before it keeps one a module changed during. */
#define KALLSYMS_TRIES 10

/* Returns 0, or -errno if the file cannot be read. */
int kallsyms_load(struct kallsyms *ks, const char *path);
/* The same from an open file in the /proc/kallsyms format; 0 or -ENOMEM. */
int kallsyms_read(struct kallsyms *ks, FILE *f);
/* The same, keeping only names[0..n) (every name when they do not fit a name set). */
int kallsyms_read_only(struct kallsyms *ks, FILE *f, const char *const *names, int n);
/*
 * Only the functions named names[0..n) (every module is still noted): what
 * resolving the targets needs, without the memory of the whole table. names
 * NULL: every symbol.
 */
int kallsyms_load_only(struct kallsyms *ks, const char *path, const char *const *names, int n);
/*
 * /proc/kallsyms is no snapshot: the kernel lists it entry by entry, each
 * found by its index across vmlinux and every module's table in turn. When a
 * module appears, goes, or drops its init symbols (when its init returns)
 * during a read, every later index shifts and the read repeats some entries
 * and never sees others (of the modules after it, the earlier-loaded ones),
 * while the module is still listed. Each of those changes shows in
 * modules (/proc/modules: a module's line, its state, its size, which loses
 * the init part under the same lock as the symbols): kallsyms_load_only() is
 * repeated until modules is the same before and after a read, at most tries
 * times (the last read is then kept, settled false). names NULL: every
 * symbol. 0, or the -errno of kallsyms_load_only().
 */
int kallsyms_load_settled(struct kallsyms *ks, const char *path, const char *modules,
			  const char *const *names, int n, int tries);
/*
 * read(arg, attempt) (attempt from 1; it starts over) until modules is the
 * same before and after it, at most tries times: *settled (unless NULL) says
 * whether the last was, *reads how many it took. 0, or read's error.
 */
int kallsyms_settle(const char *modules, int tries, int (*read)(void *arg, int attempt), void *arg,
		    int *reads, bool *settled);
/* One symbol line of the /proc/kallsyms format, "ADDR TYPE NAME [MODULE]": pointers into the read buffer. */
struct kline {
	const char *addr;	/* addr_len hex digits */
	int addr_len;
	char type;
	const char *name;	/* nlen bytes, not NUL-terminated */
	size_t nlen;
	const char *module;	/* mlen bytes, not NUL-terminated; NULL: vmlinux */
	size_t mlen;
};

unsigned long long kline_addr(const struct kline *l);
/* A text symbol (t or T): a function. */
bool kline_text(const struct kline *l);
/* The symbol _etext: at or beyond its address a vmlinux symbol names no address. */
bool kline_etext(const struct kline *l);
/* path opened for kallsyms_each (unbuffered: it reads in blocks), NULL with errno. */
FILE *kallsyms_open(const char *path);
/*
 * fn(arg, line) for each symbol line of f; stops at fn's first non-zero
 * return and returns it. 0, or -ENOMEM.
 */
int kallsyms_each(FILE *f, int (*fn)(void *arg, const struct kline *l), void *arg);
void kallsyms_free(struct kallsyms *ks);
/* module NULL matches any module and vmlinux; otherwise that module or built-in. */
const struct ksym *kallsyms_find(const struct kallsyms *ks, const char *name, const char *module);
/* Some text symbol of module is listed: the module is loaded. */
bool kallsyms_has_module(const struct kallsyms *ks, const char *module);
/* Notes module as loaded (ksym_lookup.h builds ks without reading kallsyms). 0, or -ENOMEM. */
int kallsyms_add_module(struct kallsyms *ks, const char *module);
/*
 * ks built from a source other than a read (ksym_lookup.h, ksym_iter.h), made
 * what one settled read gives: every module of loaded[0..n) noted, since a read
 * notes each module that has text symbols. 0; -1 with ks freed.
 */
int kallsyms_as_read(struct kallsyms *ks, const char (*loaded)[64], int n);
/*
 * A hash of each module's name, size and state in modules (/proc/modules),
 * which a change of kallsyms shows in (kallsyms_load_settled); 0 if unreadable.
 */
unsigned long long kallsyms_modules_state(const char *modules);
/* The same, read once with the modules' names: up to max into names, *n of them (max + 1: more). */
unsigned long long kallsyms_modules_list(const char *modules, char (*names)[64], int max, int *n);
/* Symbol containing addr, or NULL; *off gets addr - symbol start. */
const struct ksym *kallsyms_at(const struct kallsyms *ks, unsigned long long addr,
			       unsigned long long *off);

#endif
