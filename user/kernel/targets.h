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
	/* attach-failure diagnosis (docs/diagnosis.md) */
	HOOK_GROUP_OPEN, HOOK_GROUP_RELEASE, HOOK_GROUP_IOCTL, HOOK_DMA_OWNER, HOOK_VIABLE,
	HOOK_MSI, HOOK_MSI_CAP, HOOK_ATTACH_GROUP, HOOK_DRIVER_ATTACH, HOOK_MSI_COOKIE,
	HOOK_ALLOC_CB,
	/* device open/close, resets, power (docs/kernels-resets.md) */
	HOOK_DEV_OPEN, HOOK_DEV_OPEN_510, HOOK_DEV_CLOSE, HOOK_DEV_CLOSE_510,
	HOOK_DEV_IOCTL, HOOK_DEV_IOCTL_510, HOOK_RESET_FN,
	HOOK_RM_SPECIFIC, HOOK_RM_ACPI, HOOK_RM_FLR, HOOK_RM_AF_FLR, HOOK_RM_PM, HOOK_RM_BUS, HOOK_RM_CXL,
	HOOK_RESET_BUS, HOOK_SLOT_RESET, HOOK_SBR, HOOK_POWER, HOOK_POWER_LOCKED, HOOK_POWER_UP,
	/* IOMMU faults (docs/kernels-faults.md) */
	HOOK_DMAR_FAULT, HOOK_REPORT_FAULT,
	/* the iommufd backend (docs/kernels.md) */
	HOOK_IOMMUFD_ATTACH, HOOK_IOMMUFD_HWPT, HOOK_IOMMUFD_BIND, HOOK_IOMMUFD_DETACH, HOOK_IOAS_MAP, HOOK_IOAS_UNMAP, HOOK_IOAS_ATTACH,
	HOOK_IOAS_RELEASE,
	NR_HOOKS
};

/* STYLE_KPROBE_MULTI: a kprobe program, attached by one kprobe.multi link with the others */
enum style { STYLE_NONE, STYLE_FENTRY, STYLE_KPROBE, STYLE_KPROBE_MULTI };

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
	/*
	 * The kprobe and fentry programs' twins for kernels without bpf_loop (before 5.17),
	 * which walk unrolled what the programs above walk with it; NULL: no walk.
	 */
	const char *kprobe_unrolled, *fentry_unrolled;
	/* vfiotrace cannot run unless some row with this .hook resolves */
	bool required;
	const char *missing_hint;	/* what to do when it does not */
	const char *absent_why;		/* optional row: why its module lacks it on some kernels */
	const char *opt_in;		/* option that enables this row (off without it), or NULL */
	/*
	 * why kprobes beat fentry here; NULL: fentry first, except for a row in a
	 * module, where PINS_MODULE applies (fentry would block its rmmod).
	 * Without fentry_prog: kprobe only, and this says why.
	 */
	const char *kprobe_preferred;
	/* not hooked on kernels that have this function (the step moved there) */
	const char *superseded_by;
	const char *kernels;		/* where the candidates are on the path, e.g. "6.0+"; NULL: all */
	const char *backend;		/* the VFIO backend it serves: "type1", "iommufd"; NULL: both */
	/*
	 * A PCI core function every device's calls pass, whose entry program acts only for a
	 * VFIO-bound struct pci_dev in argument 1 or inside a vfio-pci, reset or power call in
	 * flight, and whose return program only inside such a call: on kprobe.multi it rides
	 * the PCI links, whose dispatchers end the other hits first (bpf/multi.bpf.c).
	 */
	bool pci_shared;
};

/* Why rows in a module prefer kprobes unless the row gives a reason of its own. */
#define PINS_MODULE "preferred: fentry pins the module (rmmod fails with EAGAIN); " \
	"kprobes let it unload and are re-attached when it is loaded again"


extern const struct target targets[NR_HOOKS];


/* What the running kernel offers; implemented over libbpf, or fixtures in tests. */
struct kernel_view {
	const struct kallsyms *ks;
	/* argument count of func from BTF, or -1 when BTF does not describe it */
	int (*func_nargs)(void *ctx, const char *module, const char *func);
	void *ctx;
	/* arity of every row (`probes` shows it); otherwise only of rows that could use fentry */
	bool all_nargs;
};

struct resolved {
	const char *func;		/* NULL: no candidate exists */
	const char *module;		/* where kallsyms found it, NULL: vmlinux */
	int nargs;			/* from BTF, -1 if unknown */
	enum style style;
	bool waiting;			/* its module is not loaded (yet): attached when it loads */
	char why[200];			/* why this style / why missing */
};

/*
 * Every function resolution looks up (at most max), with the module of its row
 * (NULL: vmlinux; a superseded_by function: anywhere); their number.
 */
int target_functions(const char *names[], const char *modules[], int max);
/*
 * Fills out[] for every row. Returns 0, or -1 with a one-line reason in
 * errbuf when a required hook is missing or the forced mode is impossible.
 */
int resolve_targets(const struct kernel_view *kv, enum mode mode,
		    struct resolved out[NR_HOOKS], char *errbuf, int errlen);
/* Rows whose opt_in option is not given are switched off (function NULL, why says so). */
void disable_opt_in(struct resolved out[NR_HOOKS], const char *given[]);
/* A style chosen at load (e.g. kprobes after an fentry refusal) is what r keeps: it was loaded. */
void keep_loaded_style(struct resolved *r, const struct resolved *loaded);
/*
 * After a module load: resolves again the rows of module against the re-read
 * kallsyms in kv (and refreshes the others), keeping each row's style.
 */
void resolve_module_rows(const struct kernel_view *kv, enum mode mode, const char *module,
			 struct resolved out[NR_HOOKS]);
/* The module a row lives in: where it was found, else where the table expects it. */
const char *row_module(int row, const struct resolved *r);
/* Some row waits for its module. */
bool targets_waiting(const struct resolved out[NR_HOOKS]);
/* Hooks that use fentry fall back to kprobes (the kernel refused fentry). */
void fall_back_to_kprobes(struct resolved out[NR_HOOKS], const char *why);
/*
 * --mode auto on a kernel with kprobe.multi links: the kprobe rows in vmlinux
 * are attached by them (a function hooked by two rows stays with the first).
 * Rows in modules keep their own kprobes: a kprobe.multi link holds a
 * reference on its functions' modules (6.2+), which would block their rmmod.
 */
void use_kprobe_multi(struct resolved out[NR_HOOKS]);
/* The kernel refused the kprobe.multi links: their rows get a kprobe each. */
void fall_back_from_multi(struct resolved out[NR_HOOKS], const char *why);
const char *style_name(enum style s);
/* Some resolved row has this style. */
bool resolved_has_style(const struct resolved res[NR_HOOKS], enum style style);
/*
 * The reset methods (bit per enum reset_method, bpf/vfiotrace.h) whose function
 * did not resolve: the BPF side infers an answer from them (5.10: pm, inlined).
 */
unsigned int targets_reset_unhooked(const struct resolved out[NR_HOOKS]);
bool has_return_probe(const struct target *t);
/* The fexit program for this argument count, NULL if there is none. */
const char *fexit_prog(const struct target *t, int nargs);
/*
 * The kernel has the bpf_loop helper (5.17+; in its BTF), or not: set at start, before
 * target_programs() is asked (default: it has).
 */
void targets_set_bpf_loop(bool has);
/* The entry and return (NULL if none) BPF programs for the resolved style and the kernel. */
void target_programs(const struct target *t, const struct resolved *r, const char *names[2]);
/*
 * Every BPF program the table names (kprobe, kretprobe, fentry, fexit per
 * argument count) is one has(ctx, name) finds in the object: 0, or -1 with the
 * first that is not, and its row, in msg. The loader refuses such an object:
 * a misspelt name would leave its hook unattached without a word.
 */
int target_programs_check(bool (*has)(void *ctx, const char *name), void *ctx, char *msg, int len);

#endif
