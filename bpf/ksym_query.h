/* SPDX-License-Identifier: GPL-2.0 */
/* The names bpf/ksym_lookup.bpf.c looks up for user/kernel/ksym_lookup.c, and their room. */
#ifndef VFIOTRACE_KSYM_QUERY_H
#define VFIOTRACE_KSYM_QUERY_H

#define KSYM_MAX 160		/* names per run: the table's, with and without their module */
#define KSYM_LEN 96		/* "module:function" and its NUL */

#endif
