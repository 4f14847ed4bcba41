/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A few names, looked up by each of many (every line of kallsyms, every
 * function of the kernel's BTF): most are rejected by their first byte and
 * length alone, the rest by hash; few are compared.
 */
#ifndef VFIOTRACE_NAMESET_H
#define VFIOTRACE_NAMESET_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Keeps the hash table sparse. Start-up's pass over BTF's functions asks for
 * the table's and a few more (resolve.c): past this, every function is
 * compared, 0.3-0.4 s more under TCG (tests/unit: the table fits).
 */
#define NAMESET_MAX 128

struct nameset {
	const char *const *names;	/* not copied: they outlive the set */
	int n;
	unsigned long long first[64];	/* per length mod 64, a bit per first byte mod 64 */
	unsigned int hashes[2 * NAMESET_MAX];	/* 0: empty */
};

/* 0, or -1 when there are more than NAMESET_MAX names. */
int nameset_init(struct nameset *s, const char *const *names, int n);
/* Whether the len bytes at name (not NUL-terminated) are one of the names. */
bool nameset_has(const struct nameset *s, const char *name, size_t len);
/* FNV-1a of the len bytes at s. */
unsigned int name_hash(const char *s, size_t len);

#endif
