/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probe-target table resolved against the running kernel, for the
 * attacher: kallsyms (at start-up read in a thread), the table's functions
 * in BTF (one pass per BTF), and the resolution BTF foretells while kallsyms
 * is still being read.
 */
#ifndef VFIOTRACE_RESOLVE_H
#define VFIOTRACE_RESOLVE_H

#include <pthread.h>
#include <stdbool.h>
#include "core_btf.h"
#include "kernel_btf.h"
#include "targets.h"

/* Functions start-up looks for in BTF besides the table's (fprobe, four kfuncs', bpf_loop's, the kallsyms iterator's). */
#define RESOLVE_MORE_FUNCS 7

/* What resolution reads and keeps; the attacher (tracer.h) holds one. */
struct resolver {
	enum mode mode;			/* --mode */
	bool dma;			/* --dma: its rows are resolved */
	bool all_nargs;			/* probes: every candidate's argument count */
	struct kallsyms ks;		/* the table's functions only: resolution */
	struct kernel_btf kb;
	struct btf_func funcs[NR_HOOKS * 8 + RESOLVE_MORE_FUNCS + 1];	/* the table's functions in BTF (start-up) */
	bool kprobe_multi;		/* the kernel has kprobe.multi links (its BTF: resolve_btf_funcs) */
	int rdonly_cast_id;		/* the kfunc bpf_rdonly_cast's BTF id (6.2+); 0: none */
	int map_iter_id;		/* the map element iterator's BTF id (5.9+, bpf/map_dump.bpf.c); 0: none */
	bool bpf_loop;			/* the kernel has the bpf_loop helper (5.17+): targets_set_bpf_loop() */
	/* the kfuncs bpf_session_is_return's and bpf_session_cookie's BTF ids (6.10+: kprobe.session); 0: none */
	int session_is_return_id, session_cookie_id;
	int ksym_iter_id;		/* the kallsyms iterator's BTF id (6.0+, bpf/ksym_iter.bpf.c); 0: none */
	struct core_btf ksym_iter_core;	/* its object's CO-RE BTF, cut before the kernel's is released */
	unsigned long long kallsyms_ns;	/* how long the start-up kallsyms read took (-v) */
	const char *kallsyms_how;	/* how start-up got the table's symbols (-v): "looked up", "iterated", "read" */
	/* NULL: /proc/kallsyms and /proc/modules (tests give others) */
	const char *kallsyms_path, *modules_path;
};

struct kallsyms_reader {
	pthread_t th;
	bool threaded;		/* false: read already, rc holds the result */
	int rc;
};

/*
 * The table's functions from /proc/kallsyms into rs->ks, and which modules are
 * loaded; read again while modules change during the read (kallsyms_load_settled). 0, or -1.
 */
int resolve_read_kallsyms(struct resolver *rs);
/*
 * At start-up: looks the table's functions up by name where ksym_lookup.h can, else has the
 * kernel's iterator list them (ksym_iter.h), else reads kallsyms as resolve_read_kallsyms()
 * does; in a thread if one can be started.
 */
void resolve_kallsyms_start(struct resolver *rs, struct kallsyms_reader *r);
/*
 * Whether start-up should start that after resolve_btf_funcs(), not before: the iterator
 * (6.0 and 6.1 only: 6.2+ looks names up) is aimed and relocated by the kernel's BTF.
 */
bool resolve_kallsyms_after_btf(const struct resolver *rs);
/* Where that says after: the iterator's CO-RE BTF, before the kernel's BTF is released. */
void resolve_ksym_iter_prepare(struct resolver *rs);
/* Waits for that read: 0, or -1. */
int resolve_kallsyms_wait(struct kallsyms_reader *r);
/* rs->funcs: every function of the table with its argument count from the kernel's BTF. */
void resolve_btf_funcs(struct resolver *rs);
/* Resolution against ks, argument counts from rs->funcs. */
struct kernel_view resolve_view(struct resolver *rs, const struct kallsyms *ks);
/* Rows of options not given (--dma) stay off, also when a module's rows are resolved again. */
void resolve_opt_ins(const struct resolver *rs, struct resolved res[NR_HOOKS]);
/*
 * The table resolved on the functions BTF describes, as kallsyms will most
 * likely resolve it. 0, or -1 if there is no guess (a module to wait for, a
 * row that does not resolve).
 */
int resolve_guess(struct resolver *rs, struct resolved guess[NR_HOOKS], char *msg, int len);
/* The first row the two resolutions differ in (what loading depends on), or -1. */
int resolve_differing_row(const struct resolved a[NR_HOOKS], const struct resolved b[NR_HOOKS]);

#endif
