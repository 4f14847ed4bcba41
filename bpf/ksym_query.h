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

#endif
