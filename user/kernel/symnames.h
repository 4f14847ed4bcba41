/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel text addresses named as they are asked. A distribution kernel's
 * whole table of text symbols (names, addresses, the sort) is about 4 MiB,
 * most of vfiotrace's memory once it names callers; a few addresses are ever
 * named. So an address asked (symnames_want) is named by the next read of
 * /proc/kallsyms, which keeps only the symbols of the addresses waiting:
 * memory per address, one read per batch of new ones. Each is named as
 * kallsyms_at() on a whole read would name it.
 */
#ifndef VFIOTRACE_SYMNAMES_H
#define VFIOTRACE_SYMNAMES_H

#include <stdbool.h>

struct symname {
	unsigned long long addr;	/* asked */
	unsigned long long start;	/* of the symbol holding it */
	char *name;			/* NULL: no symbol holds it (or not read yet) */
	const char *module;		/* NULL: vmlinux */
	bool known;			/* read: name says */
};

struct symnames_bg;

struct symnames {
	const char *kallsyms, *modules;	/* NULL: /proc/kallsyms, /proc/modules (tests: files) */
	struct symname *v;		/* by address */
	int n, cap;
	int unknown;			/* of v, waiting for a read */
	char **mods;			/* each module name once */
	int nmods;
	bool failed;			/* kallsyms could not be read: no read is tried again */
	int reads;			/* of kallsyms so far */
	struct symnames_bg *bg;		/* the read symnames_ready() started, NULL: none */
};

/* Zeroed is initialized, for /proc's files. */
void symnames_init(struct symnames *s, const char *kallsyms, const char *modules);
/* addr is named by the next read (0 is never). 1 when it waits for one, 0 when known, -ENOMEM. */
int symnames_want(struct symnames *s, unsigned long long addr);
/* Names every address waiting: takes the thread's read, then reads kallsyms if one still waits. */
void symnames_resolve(struct symnames *s);
/*
 * Whether no address waits. If some do, a thread reads kallsyms for them and
 * a later call, once it is done, takes its names. Reading kallsyms takes
 * seconds in an emulated guest: a caller that must not stall that long (the
 * event path) asks this and waits elsewhere.
 */
bool symnames_ready(struct symnames *s);
/* addr once read (name NULL: no symbol holds it), NULL while unread or never asked. */
const struct symname *symnames_get(const struct symnames *s, unsigned long long addr);
/* Forgets every name: a module came or went, and an address may name another symbol now. */
void symnames_forget(struct symnames *s);
void symnames_free(struct symnames *s);

#endif
