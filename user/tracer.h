/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The attacher: resolves the probe-target table against the running kernel,
 * opens and loads the one BPF object with exactly the programs the resolved
 * styles need (falling back from fentry to kprobes if the kernel refuses),
 * attaches and detaches them. Commands only read what it loaded.
 */
#ifndef VFIOTRACE_TRACER_H
#define VFIOTRACE_TRACER_H

#include "kernel_btf.h"
#include "options.h"
#include "snapshot.h"
#include "targets.h"

#define MAX_LINKS (2 * NR_HOOKS)

struct tracer {
	struct options opt;
	struct kallsyms ks;
	struct kernel_btf kb;
	struct resolved res[NR_HOOKS];
	const char *count_field;	/* vfio_device member the put hook reads, or NULL */
	char fallback[128];		/* why fentry was abandoned, "" if it was not */
	struct vfiotrace_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	struct symbolizer sym;
	struct bpf_maps maps;
};

/* Kernel BTF, kallsyms, target resolution, open and load. 0, or -1 with the error printed. */
int tracer_load(struct tracer *t);
/* Attach every loaded program. 0, or -1 with the error printed. */
int tracer_attach(struct tracer *t);
/* Detach, unload and free everything; safe on a partly set-up tracer. */
void tracer_close(struct tracer *t);

#endif
