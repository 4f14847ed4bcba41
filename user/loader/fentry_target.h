/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fentry and fexit programs on vmlinux's functions, and iterator programs
 * (bare "iter" sections), aimed at the BTF id start-up already found
 * (kernel_btf_funcs), not at a name:
 * bpf_program__set_attach_target() makes libbpf parse all of vmlinux's BTF
 * to find a name, and one fentry program, the fault hook's, raised the peak
 * RSS by 4.6 MiB and start-up by the parse (docs/benchmarks.md, runs 10 and
 * 11). libbpf 1.1 has no setter of a program's BTF id: the bare "fentry",
 * "fexit" and "iter" sections get a handler that puts it in the load attributes.
 * Module functions stay aimed by name (fentry on them is --mode fentry's,
 * and a module reloaded since start-up has other ids).
 */
#ifndef VFIOTRACE_FENTRY_TARGET_H
#define VFIOTRACE_FENTRY_TARGET_H

struct bpf_program;

/* Before any BPF object is opened. 0, or -1: programs are then aimed by name. */
int fentry_target_register(void);
/* Aim p at FUNC type id of vmlinux's BTF. 0, or -1: aim it by name. */
int fentry_target_set(struct bpf_program *p, int id);
/* Once the object is loaded or dropped: the programs are forgotten. */
void fentry_target_done(void);

#endif
