/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The table's functions found by name in the running kernel, without reading
 * /proc/kallsyms: the kernel formats every one of its symbols for a read
 * (0.3 s of CPU at start-up on 6.12 under TCG, beside loading and attaching
 * on two vCPUs), where a lookup by name is a binary search since 6.2
 * (60443c88f3a8 "kallsyms: Improve the performance of kallsyms_lookup_name()";
 * before it, a scan of every symbol per name: those kernels read the file).
 * bpf/ksym_lookup.bpf.c looks each name up in vmlinux and in each module of
 * the table that is loaded ("module:name").
 */
#ifndef VFIOTRACE_KSYM_LOOKUP_USER_H
#define VFIOTRACE_KSYM_LOOKUP_USER_H

#include "kallsyms.h"
#include "../../bpf/ksym_query.h"

#define KSYM_MODULES 256	/* more loaded modules than this: kallsyms is read */

struct ksym_lookups {
	char what[KSYM_MAX][KSYM_LEN];		/* "name", or "module:name" */
	unsigned long long addr[KSYM_MAX];	/* what the kernel said; 0: no such symbol */
	int n;
	char loaded[KSYM_MODULES][64];		/* /proc/modules */
	int nloaded;
};

/*
 * ks as kallsyms_load_settled() would read it for names[0..n) (mods[i]: the
 * module names[i] is looked for in, NULL: vmlinux, or anywhere), from
 * lookups, with every module of modules_path noted. 0; -1 where it cannot
 * say the same (a kernel before 6.2, no privilege to see addresses, a
 * function of a vmlinux row found in a module, modules changing meanwhile,
 * VFIOTRACE_KALLSYMS_READ set): then read kallsyms. The kernel's lookup
 * knows no symbol types: a weak function (W), which a read leaves out,
 * would be found; the table names none.
 */
int ksym_lookup_table(struct kallsyms *ks, const char *modules_path, const char *const names[],
		      const char *const mods[], int n);
/*
 * The halves of ksym_lookup_table around the kernel's answers: what to ask, given
 * lk->loaded (0, or -1: more than one run takes), and ks from lk->addr (0, or -1, said with -v).
 */
int ksym_lookups_plan(struct ksym_lookups *lk, const char *const names[], const char *const mods[], int n);

int ksym_table_build(struct kallsyms *ks, const struct ksym_lookups *lk, const char *const names[],
		     const char *const mods[], int n);

#endif
