/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VFIOTRACE_STACKS_H
#define VFIOTRACE_STACKS_H

#include "../../bpf/vfiotrace.h"
#include "event_line.h"
#include "symnames.h"

#define CALLER_LEN 64

struct symbolizer {
	struct symnames *names;		/* read as they are asked */
	const char *hooked[2];		/* frames to skip: the hooked function(s) */
};

/* First frame of ips[0..n) that is not BPF/ftrace machinery or the hooked function. */
const char *pick_caller(const unsigned long long *ips, int n, const struct symbolizer *sym,
			char *buf, int len);
/*
 * Asks sym->names for what stack_caller() would name, so that one read of
 * kallsyms names many: 1 when some of it waits for a read, 0 when not, -1.
 */
int stack_want(int stacks_fd, int stack_id, unsigned long long caller, const struct symbolizer *sym);
/*
 * The function caller is in when non-zero (the default: BPF read the return
 * address), else pick_caller on the stack stack_id of the stacks map (-v);
 * "" when it is gone.
 */
const char *stack_caller(int stacks_fd, int stack_id, unsigned long long caller,
			 const struct symbolizer *sym, char *buf, int len);

/* Asks names for the frames stack_frames() names: 1 when some wait for a read, 0 when not, -1. */
int stack_frames_want(int fd, struct symnames *names, int id);
/* The frames of a failure stack (fd: the fail_stacks map) as "func+0xoff [module]"; how many, 0 if none. */
int stack_frames(int fd, struct symnames *names, int id, char frames[][FRAME_LEN]);

#endif
