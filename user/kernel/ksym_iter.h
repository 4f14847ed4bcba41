/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The table's functions from the kernel's kallsyms iterator (6.0,
 * 647cafa22349), for kernels that cannot look a name up by binary search
 * (6.0 and 6.1; ksym_lookup.h from 6.2 on). A read of /proc/kallsyms has the
 * kernel format each of its ~100,000 symbols and start-up parse them (0.22 s
 * of CPU on Debian 6.1 under TCG, beside the load and the kprobes' arming);
 * bpf/ksym_iter.bpf.c passes on only the text symbols whose names begin as
 * the table's, in the same format, which the same parser reads.
 */
#ifndef VFIOTRACE_KSYM_ITER_H
#define VFIOTRACE_KSYM_ITER_H

#include "core_btf.h"
#include "kallsyms.h"

struct kernel_btf;

/*
 * The iterator object's CO-RE BTF (core_btf_make), and its section's libbpf
 * handler: in the thread that opens the tracer's object. 0, or -1.
 */
int ksym_iter_core(struct core_btf *cb, struct kernel_btf *kb);
/*
 * ks as kallsyms_load_settled() would read it for names[0..n), with every
 * module of modules_path noted, by the iterator aimed at BTF id iter_id and
 * relocated against btf_path. 0; -1 where it cannot (said with -v): then
 * read kallsyms.
 */
int ksym_iter_table(struct kallsyms *ks, const char *modules_path, const char *btf_path, int iter_id,
		    const char *const names[], int n);

#endif
