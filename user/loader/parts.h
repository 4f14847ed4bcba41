/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF programs verified side by side. The skeleton's object creates the
 * maps and loads no program; each part is another bpf_object of the same ELF
 * that reuses those maps and loads a share of the programs, in a thread of
 * its own: the kernel verifies privileged loads in parallel, and verifying
 * is most of start-up (docs/benchmarks.md, run 18).
 */
#ifndef VFIOTRACE_PARTS_H
#define VFIOTRACE_PARTS_H

#include <stddef.h>

struct bpf_object;
struct bpf_object_open_opts;
struct bpf_program;

#define PARTS_MAX 4

struct parts {
	struct bpf_object *obj[PARTS_MAX];
	int err[PARTS_MAX];		/* errno of the part's load, 0: loaded */
	int n;
};

/*
 * How many parts: the online CPUs up to PARTS_MAX; VFIOTRACE_LOAD_PARTS
 * (1..PARTS_MAX) sets it, so that the tests split on a single vCPU too.
 */
int parts_wanted(void);
/* n objects of the ELF in elf (sz bytes), opened with oo: 0, or -1 with errno (none stay open). */
int parts_open(struct parts *ps, int n, const void *elf, size_t sz, const struct bpf_object_open_opts *oo);
/*
 * Every program some part loads goes to one part only: the heaviest first,
 * each to the part with the fewest instructions so far (the parts were
 * configured alike before).
 */
void parts_split(struct parts *ps);
/*
 * Each part's maps reuse those of maps_owner (loaded), and the parts load in
 * parallel: 0, or -1 with errno of the first that failed.
 */
int parts_load(struct parts *ps, struct bpf_object *maps_owner);
/* The program name that a part loads (or will load), else the first part's (not loaded); NULL: none. */
struct bpf_program *parts_find(const struct parts *ps, const char *name);
/* Programs loaded, over all parts. */
int parts_programs(const struct parts *ps);
void parts_close(struct parts *ps);

#endif
