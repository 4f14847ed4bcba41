/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of the kernel's BTF that the BPF object's CO-RE relocations read,
 * handed to libbpf as its btf_custom_path: every kernel type that a
 * relocation names as its root (vmlinux's, else the given modules', as
 * libbpf looks them up), with every type laid out inside it; pointers lead
 * to void (a relocation never follows one: each dereference is a relocation
 * of its own). libbpf then neither parses vmlinux's BTF and every loaded
 * module's nor searches ~100,000 types once per root (docs/benchmarks.md).
 */
#ifndef VFIOTRACE_CORE_BTF_H
#define VFIOTRACE_CORE_BTF_H

#include <stddef.h>

struct kernel_btf;
struct rawbtf;

struct core_btf {
	int fd;			/* memfd with the raw BTF, -1: none */
	char path[32];		/* /proc/self/fd/N, for btf_custom_path */
	int roots;		/* relocations' root types (-v) */
	size_t size;		/* bytes of BTF (-v) */
};

/*
 * From the BPF object's ELF image obj: 0 with cb->path to give libbpf, or -1
 * (libbpf then does its own search).
 */
int core_btf_make(struct core_btf *cb, struct kernel_btf *kb, const void *obj, size_t obj_sz,
		  const char *const modules[], int nmods);
void core_btf_close(struct core_btf *cb);

/*
 * The raw BTF (malloc'd, size bytes) for the relocations in ext (.BTF.ext) of
 * types in local (.BTF), or NULL and errno. For the unit tests too.
 */
void *core_btf_cut(const struct rawbtf *local, const void *ext, size_t ext_sz,
		   const struct rawbtf *vmlinux, const struct rawbtf *const mods[], int nmods,
		   size_t *size, int *roots);
/* libbpf's rule: "name___flavour" is "name" (the last "___" between other characters). */
size_t core_essential_len(const char *name);

#endif
