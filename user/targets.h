/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probe-target table and its resolution against the running kernel.
 * Every kernel difference in *which function* to hook is a row here; every
 * difference in *struct layout* is in bpf/core_fixes.bpf.h.
 */
#ifndef VFIOTRACE_TARGETS_H
#define VFIOTRACE_TARGETS_H

#include <stdbool.h>
#include "kallsyms.h"

enum hook_id {
	HOOK_ATTACH, HOOK_ALLOC_DEV, HOOK_ALLOC_BUS, HOOK_PUT,
	HOOK_GET, HOOK_GET_LOOKUP, HOOK_GET_FROM_DEV, HOOK_GET_FD, HOOK_UNREG,
	HOOK_DMA_IOCTL, HOOK_DMA_PIN, HOOK_DMA_ATTACH, HOOK_DMA_RELEASE,
	NR_HOOKS
};

enum style { STYLE_NONE, STYLE_FENTRY, STYLE_KPROBE };

enum mode { MODE_AUTO, MODE_FENTRY, MODE_KPROBE };

#define MAX_NARGS 3

struct target {
	const char *hook;		/* short name shown by `probes` */
	const char *purpose;
	const char *module;		/* NULL: built into vmlinux */
	const char *candidates[3];	/* tried in order; the first that exists wins */
	const char *kprobe_prog, *kretprobe_prog;	/* BPF program names */
	const char *fentry_prog;
	const char *fexit_progs[MAX_NARGS + 1];	/* by argument count; all NULL: no return probe */
	/* vfiotrace cannot run unless some row with this .hook resolves */
	bool required;
	const char *missing_hint;	/* what to do when it does not */
	const char *absent_why;		/* optional row: why its module lacks it on some kernels */
	const char *opt_in;		/* option that enables this row (off without it), or NULL */
	/* why kprobes beat fentry here; NULL: fentry first. Without fentry_prog: kprobe only, why. */
	const char *kprobe_preferred;
};

extern const struct target targets[NR_HOOKS];

/* What the running kernel offers; implemented over libbpf, or fixtures in tests. */
struct kernel_view {
	const struct kallsyms *ks;
	/* argument count of func from BTF, or -1 when BTF does not describe it */
	int (*func_nargs)(void *ctx, const char *module, const char *func);
	void *ctx;
};

struct resolved {
	const char *func;		/* NULL: no candidate exists */
	const char *module;		/* where kallsyms found it, NULL: vmlinux */
	int nargs;			/* from BTF, -1 if unknown */
	enum style style;
	char why[160];			/* why this style / why missing */
};

/*
 * Fills out[] for every row. Returns 0, or -1 with a one-line reason in
 * errbuf when a required hook is missing or the forced mode is impossible.
 */
int resolve_targets(const struct kernel_view *kv, enum mode mode,
		    struct resolved out[NR_HOOKS], char *errbuf, int errlen);
/* Rows whose opt_in option is not given are switched off (function NULL, why says so). */
void disable_opt_in(struct resolved out[NR_HOOKS], const char *given[]);
/* Hooks that use fentry fall back to kprobes (the kernel refused fentry). */
void fall_back_to_kprobes(struct resolved out[NR_HOOKS], const char *why);
const char *style_name(enum style s);
bool has_return_probe(const struct target *t);
/* The fexit program for this argument count, NULL if there is none. */
const char *fexit_prog(const struct target *t, int nargs);
/* The entry and return (NULL if none) BPF programs for the resolved style. */
void target_programs(const struct target *t, const struct resolved *r, const char *names[2]);

#endif
