/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by bpf/ksym_lookup.bpf.c and user/kernel/ksym_lookup.c. */
#ifndef VFIOTRACE_KSYM_LOOKUP_H
#define VFIOTRACE_KSYM_LOOKUP_H

#define KSYM_MAX 160		/* names per run: the table's, with and without their module */
#define KSYM_LEN 96		/* "module:function" and its NUL */

#endif
