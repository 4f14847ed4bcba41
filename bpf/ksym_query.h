/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The names bpf/ksym_lookup.bpf.c looks up for user/kernel/ksym_lookup.c, and
 * their room; the name prefixes bpf/ksym_iter.bpf.c lets through.
 */
#ifndef VFIOTRACE_KSYM_QUERY_H
#define VFIOTRACE_KSYM_QUERY_H

#define KSYM_MAX 160		/* names per run: the table's, with and without their module */
#define KSYM_LEN 96		/* "module:function" and its NUL */

#define KSYM_PREFIX 16		/* bytes of a name the iterator compares, zero past its NUL */

struct ksym_prefix {
	unsigned long long w[KSYM_PREFIX / 8];
};

/*
 * k's bytes from the name's first NUL on cleared (little-endian words): the
 * kernel's name buffer still holds the end of a longer name read before it.
 * Shared by bpf/ksym_iter.bpf.c and the unit tests.
 */
static __always_inline void ksym_prefix_clear(struct ksym_prefix *k)
{
	int i, nul = 0;

	for (i = 0; i < KSYM_PREFIX / 8; i++) {
		unsigned long long w = k->w[i];
		/* the lowest flagged byte is the first NUL: no borrow reaches below it */
		unsigned long long z = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;

		k->w[i] = nul ? 0 : z ? w & (((z & -z) >> 7) - 1) : w;
		nul |= z != 0;
	}
}

#endif
