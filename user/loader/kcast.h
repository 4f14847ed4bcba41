/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF programs' calls of bpf_rdonly_cast (bpf/kcast.bpf.h), written as
 * calls of RDONLY_CAST_MARK, made calls of the kfunc before load.
 */
#ifndef VFIOTRACE_KCAST_H
#define VFIOTRACE_KCAST_H

struct bpf_object;

/*
 * In every program to be loaded, by the kfunc's BTF id in vmlinux (kfunc_id).
 * The number of calls rewritten, or -1 with errno.
 */
int kcast_rewrite(struct bpf_object *obj, int kfunc_id);

#endif
