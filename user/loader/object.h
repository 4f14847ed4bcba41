/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF object: which of the two builds to open (Makefile: without the events' code
 * where none is emitted), which programs the resolved rows load and how (kprobe.multi,
 * kprobe.session, fentry aimed by BTF id, the kfunc calls rewritten), its read-only
 * settings and capacities, and the load, once more on kprobes if fentry is refused.
 */
#ifndef VFIOTRACE_OBJECT_H
#define VFIOTRACE_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include "options.h"
#include "resolve.h"

struct vfiotrace_bpf;

/* What the attacher (tracer.h) loads the object with. */
struct object_plan {
	const struct options *opt;
	const struct resolver *rs;	/* the table's functions and the kfuncs in the kernel's BTF */
	struct resolved *res;		/* [NR_HOOKS]; fentry rows become kprobes when fentry is refused */
	const char *btf_path;		/* the BTF libbpf relocates against; NULL: the kernel's */
	int pci_dev_btf_id;		/* struct pci_dev's BTF id for bpf_rdonly_cast, else 0 */
	int file_btf_id;		/* struct file's; both set or both 0 */
	bool session;			/* kprobe.multi rows ride kprobe.session links (multi.h) */
	bool alloc_on_use;		/* hash maps need no preallocation (capacity.h) */
	char *fallback;			/* set to why fentry was abandoned, if it was */
	size_t fallback_len;
};

/* The bytes of the object opt's command opens. */
const void *object_bytes(const struct options *opt, size_t *sz);
/* Opened, configured and loaded: the skeleton, or NULL with what went wrong in msg. */
struct vfiotrace_bpf *object_load(const struct object_plan *plan, char *msg, int len);

#endif
