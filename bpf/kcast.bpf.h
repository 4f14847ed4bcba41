/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reads through bpf_rdonly_cast (6.2+): the pointer it returns is one the
 * kernel lets a program load through, each load made safe by the JIT (an
 * exception-table entry), where BPF_CORE_READ calls a helper (a microsecond
 * under TCG, docs/benchmarks.md run 15). The kfunc is called by a helper id no
 * kernel has (RDONLY_CAST_MARK), which the loader rewrites into the kfunc's
 * call by its BTF id (user/loader/kcast.c): a libbpf extern would make libbpf
 * parse all of vmlinux's BTF at every start. Where the kernel has no such
 * kfunc, the type ids stay 0 and the verifier drops the branches that cast.
 */
#ifndef VFIOTRACE_KCAST_BPF_H
#define VFIOTRACE_KCAST_BPF_H

#include "core_fixes.bpf.h"

/* struct pci_dev's and struct file's ids in the kernel's BTF; both set or both 0: no casts (common.bpf.c) */
extern const volatile __u32 pci_dev_btf_id;
extern const volatile __u32 file_btf_id;

static void *(*const rdonly_cast)(const void *obj, __u32 btf_id) = (void *)RDONLY_CAST_MARK;

/* pdev as a pointer to load through; only where pci_dev_btf_id is set */
static __always_inline struct pci_dev *pci_cast(struct pci_dev *pdev)
{
	return rdonly_cast(pdev, pci_dev_btf_id);
}

/* f as a pointer to load through; only where file_btf_id is set */
static __always_inline struct file *file_cast(struct file *f)
{
	return rdonly_cast(f, file_btf_id);
}

#endif
