/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF programs' calls of a kfunc written as calls of a helper id no kernel
 * has (vfiotrace.h's *_MARK), made calls of the kfunc before load.
 */
#ifndef VFIOTRACE_KCAST_H
#define VFIOTRACE_KCAST_H

struct bpf_object;

/*
 * In every program to be loaded, the calls of mark by the kfunc's BTF id in
 * vmlinux (kfunc_id). The number of calls rewritten, or -1 with errno.
 */
int kcast_rewrite(struct bpf_object *obj, int mark, int kfunc_id);

#endif
