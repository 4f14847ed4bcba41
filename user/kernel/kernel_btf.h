/* SPDX-License-Identifier: GPL-2.0 */
/* The running kernel's BTF (vmlinux and modules, rawbtf.h) as a kernel_view for targets.c. */
#ifndef VFIOTRACE_KERNEL_BTF_H
#define VFIOTRACE_KERNEL_BTF_H

#include <stdbool.h>

struct rawbtf;

#define MAX_MODULE_BTF 8

struct kernel_btf {
	struct rawbtf *vmlinux;
	struct {
		char name[64];
		struct rawbtf *btf;	/* NULL: the module has no BTF */
	} mods[MAX_MODULE_BTF];
	int nmods;
};

/* 0, or -errno when the kernel exposes no vmlinux BTF. */
int kernel_btf_open(struct kernel_btf *kb);
void kernel_btf_close(struct kernel_btf *kb);
/*
 * Free what was read; read again when next asked. Loading needs only the
 * cut-down copy (core_btf.h); with fentry on a module's function (--mode
 * fentry: fentry_target.h) libbpf parses a whole one of its own, and holding
 * both would double the peak RSS.
 */
void kernel_btf_release(struct kernel_btf *kb);
/* BPF hash maps can be allocated on use without a kernel warning (6.1+: bpf_mem_alloc). */
bool kernel_btf_alloc_on_use(struct kernel_btf *kb);
/* Drop what was read (or found missing) for module: it was loaded or unloaded. */
void kernel_btf_forget(struct kernel_btf *kb, const char *module);
/* module's BTF (vmlinux's: NULL), read on first use; NULL if it has none. */
struct rawbtf *kernel_btf_get(struct kernel_btf *kb, const char *module);
/* kernel_view callback: argument count of func, -1 when BTF lacks it. */
int kernel_btf_func_nargs(void *kb, const char *module, const char *func);

struct btf_func {
	const char *module;	/* NULL: vmlinux */
	const char *name;
	int nargs;		/* out: as kernel_btf_func_nargs(module, name) returns it */
	int id;			/* out: its FUNC's type id as the kernel numbers it (0: not found) */
};

/* Every f[k].nargs in one pass over each BTF, where each look-up alone scans all its types. */
void kernel_btf_funcs(struct kernel_btf *kb, struct btf_func *f, int n);
/* The entry of (module, func) in f (ended by a NULL name), or NULL. */
const struct btf_func *btf_funcs_find(const struct btf_func *f, const char *module, const char *func);
/*
 * Which member of struct vfio_device the put hook can read the count from:
 * "refcount" (5.13+), "kref" (5.10-5.12) or NULL when no BTF describes
 * vfio.ko (Debian 5.10). custom: the --btf file, or NULL.
 */
const char *vfio_device_count_field(struct kernel_btf *kb, const char *custom);
/* Whether module's BTF (vmlinux: NULL) describes struct name. */
bool kernel_btf_has_struct(struct kernel_btf *kb, const char *module, const char *name);
/* Its type id as the kernel numbers it, or -1. */
int kernel_btf_struct_id(struct kernel_btf *kb, const char *module, const char *name);
/* The --btf file is readable BTF: 0, or -1 with a one-line reason in err. */
int kernel_btf_check_file(const char *path, char *err, int errlen);

#endif
