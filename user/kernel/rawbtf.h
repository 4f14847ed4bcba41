/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's BTF read into one buffer and used where it lies. libbpf's
 * struct btf copies what it is given, so reading vmlinux's BTF through it
 * holds two copies at once (4.3 MiB each on Debian 6.1): the peak RSS of
 * start-up. Types by id and names by offset; a module's split BTF sees
 * vmlinux's types and strings below its own, as the kernel numbers them.
 * The btf_type accessors of <bpf/btf.h> (btf_kind, btf_members...) apply.
 */
#ifndef VFIOTRACE_RAWBTF_H
#define VFIOTRACE_RAWBTF_H

#include <stddef.h>
#include <linux/btf.h>

struct rawbtf {
	void *data;			/* header, types, strings */
	const char *types, *strs;
	__u32 strs_len, str_first;	/* offsets from str_first on are this BTF's */
	__u32 *offs;			/* type first + i at types + offs[i] */
	int first, end;			/* its own type ids: [first, end) */
	const struct rawbtf *base;
};

/*
 * vmlinux's: by BTF object id in one bpf() call (CAP_SYS_ADMIN), else
 * /sys/kernel/btf/vmlinux, else where libbpf looks for it. NULL: none.
 */
struct rawbtf *rawbtf_vmlinux(void);
/* /sys/kernel/btf/MODULE on vmlinux's. NULL and errno: none. */
struct rawbtf *rawbtf_module(const char *module, const struct rawbtf *vmlinux);
/* Takes data (malloc'd raw BTF of size bytes) whatever happens. NULL: not BTF that this understands. */
struct rawbtf *rawbtf_new(void *data, size_t size, const struct rawbtf *base);
void rawbtf_free(struct rawbtf *b);

/* NULL for an id it does not have (0, void, included). */
const struct btf_type *rawbtf_type(const struct rawbtf *b, int id);
/* "" for an offset out of range. */
const char *rawbtf_name(const struct rawbtf *b, __u32 off);
/* The first type of kind named name (the base's first), or -1. */
int rawbtf_find(const struct rawbtf *b, const char *name, int kind);
/* Bytes of type t's record: btf_type and what follows it of its kind. */
size_t rawbtf_type_size(const struct btf_type *t);

#endif
