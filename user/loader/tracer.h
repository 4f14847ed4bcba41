/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The attacher: resolves the probe-target table against the running kernel,
 * opens and loads the one BPF object with exactly the programs the resolved
 * styles need (falling back from fentry to kprobes if the kernel refuses),
 * attaches and detaches them. Follows module reloads: a module going away
 * detaches its hooks (the maps and their counts stay), its return re-reads
 * kallsyms, resolves its rows again and re-attaches them. When a required
 * hook's module is not loaded yet, loading waits for it. Commands only read
 * what it loaded.
 */
#ifndef VFIOTRACE_TRACER_H
#define VFIOTRACE_TRACER_H

#include "core_btf.h"
#include "kernel_btf.h"
#include "lifecycle.h"
#include "links.h"
#include "options.h"
#include "resolve.h"
#include "snapshot.h"
#include "targets.h"

struct tracer {
	struct options opt;
	struct resolver rs;		/* the table's functions in kallsyms and BTF; the kernel's BTF */
	bool ks_read;			/* rs.ks holds kallsyms as read (its addresses) */
	struct symnames names;		/* kernel addresses named as asked (zeroed: of /proc) */
	struct core_btf core;		/* what libbpf relocates against while loading */
	struct resolved res[NR_HOOKS];
	const char *count_field;	/* vfio_device member the put hook reads, or NULL */
	bool dma_btf;			/* type1's BTF describes struct vfio_iommu: map failures told apart */
	bool alloc_on_use;		/* hash maps need no preallocation (capacity.h) */
	int pci_dev_btf_id;		/* struct pci_dev's BTF id where bpf_rdonly_cast can use it, else 0 */
	int file_btf_id;		/* struct file's, set with pci_dev_btf_id, else 0 */
	bool session;			/* kprobe.multi rows ride kprobe.session links (multi.h) */
	char fallback[128];		/* why fentry was abandoned, "" if it was not */
	struct vfiotrace_bpf *skel;	/* NULL while a required hook waits for its module */
	struct probe_links links;
	char multi_refused[160];	/* why the kernel refused them, "" if it did not */
	unsigned long long gone_ns[NR_HOOKS];	/* when the row's module went away; 0: it did not */
	int retprobe_maxactive;		/* instances per return probe (retprobe.h); 0: the kernel's default */
	struct lifecycle lc;
	struct symbolizer sym;
};

/*
 * The module watcher (not for `probes`), kernel BTF and kallsyms, target
 * resolution, then open and load unless a required hook waits for its
 * module (t->skel stays NULL). kallsyms is read in a thread; meanwhile the
 * object is loaded and attached on the resolution BTF foretells, kept if
 * kallsyms resolves alike. 0, or -1 with the error printed.
 */
int tracer_load(struct tracer *t);
/* Attach every loaded program not attached yet. 0, or -1 with the error printed. */
int tracer_attach(struct tracer *t);
/* "module M (function), ..." that loading waits for. */
void tracer_waiting(const struct tracer *t, char *buf, int len);
/*
 * A watched module was loaded or freed: detach or re-attach its hooks (on
 * the first load that completes the table: load and attach everything).
 * Fills rep; returns 1 when hooks were attached (a new Tracing line is due),
 * 0 when nothing more is to be said, -1 on a fatal error (printed).
 */
int tracer_module_event(struct tracer *t, const struct module_event *ev,
			struct module_report *rep);
/* Row i is attached now. */
bool tracer_attached(const struct tracer *t, int i);
/* The probes attached now. */
int tracer_links(const struct tracer *t);
/* Detach, unload and free everything; safe on a partly set-up tracer. */
void tracer_close(struct tracer *t);

/*
 * Hook hits that ran no program of vfiotrace or whose return went unseen: return probes with
 * no free instance (retprobe.h) and, from 6.7, programs the CPU's BPF recursion guard
 * skipped (held by a bpf() map call preempted on that CPU, or another BPF program running).
 * -1 where neither can be counted (before 6.7 on the perf PMU path).
 */
long long tracer_probes_missed(const struct tracer *t);
/* The links the kprobe.multi rows ride: "kprobe.session", "kprobe.multi"; NULL: no such row. */
const char *tracer_multi_links(const struct tracer *t);

#endif
