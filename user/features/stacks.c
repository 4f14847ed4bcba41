// SPDX-License-Identifier: GPL-2.0
/* Kernel stacks to the function that called a hooked one. */
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include "log.h"
#include "stacks.h"

static bool machinery(const char *name)
{
	static const char *const prefixes[] = {
		"bpf_", "__bpf", "kprobe", "ftrace", "arch_ftrace", "fentry", "__fentry",
		"perf_", "trace_call_bpf", "rethook", "fprobe", "asm_exc_int3", "exc_int3",
		"do_int3", "pre_handler_kretprobe", "aggr_pre_handler", "kprobe_ftrace_handler",
	};
	unsigned int i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* Asks names for ips[0..n) (up to a 0): 1 when one waits for a read, 0 when not, -1. */
static int want(struct symnames *names, const unsigned long long *ips, int n)
{
	int i, r, waits = 0;

	for (i = 0; i < n && ips[i]; i++) {
		if ((r = symnames_want(names, ips[i])) < 0)
			return -1;
		waits |= r;
	}
	return waits;
}

/* ips[0..n) named now: a read of kallsyms for those not named yet. */
static void name_now(struct symnames *names, const unsigned long long *ips, int n)
{
	if (want(names, ips, n) > 0)
		symnames_resolve(names);
}

const char *pick_caller(const unsigned long long *ips, int n, const struct symbolizer *sym,
			char *buf, int len)
{
	int i, k;

	buf[0] = 0;
	if (!n || !ips[0])
		return buf;
	name_now(sym->names, ips, n);
	for (i = 0; i < n && ips[i]; i++) {
		const struct symname *s = symnames_get(sym->names, ips[i]);
		bool skip;

		dbg("frame %d: %llx %s [%s]", i, ips[i], s && s->name ? s->name : "?",
		    s && s->module ? s->module : "");
		if (!s || !s->name)
			continue;
		skip = machinery(s->name);
		for (k = 0; k < 2; k++)
			skip |= sym->hooked[k] && !strcmp(s->name, sym->hooked[k]);
		if (!skip) {
			snprintf(buf, len, "%s", s->name);
			break;
		}
	}
	return buf;
}

/* The frames stack_caller() names: caller, or those of stack_id in the stacks map (0 if gone). */
static int caller_frames(int stacks_fd, int stack_id, unsigned long long caller,
			 unsigned long long ips[STACK_DEPTH])
{
	memset(ips, 0, STACK_DEPTH * sizeof(*ips));
	if (caller) {
		ips[0] = caller;
		return 1;
	}
	if (stack_id < 0 || bpf_map_lookup_elem(stacks_fd, &stack_id, ips))
		return 0;
	return STACK_DEPTH;
}

int stack_want(int stacks_fd, int stack_id, unsigned long long caller, const struct symbolizer *sym)
{
	unsigned long long ips[STACK_DEPTH];

	return want(sym->names, ips, caller_frames(stacks_fd, stack_id, caller, ips));
}

const char *stack_caller(int stacks_fd, int stack_id, unsigned long long caller,
			 const struct symbolizer *sym, char *buf, int len)
{
	unsigned long long ips[STACK_DEPTH];

	return pick_caller(ips, caller_frames(stacks_fd, stack_id, caller, ips), sym, buf, len);
}

/* The frames of stack id of the fail_stacks map fd: 0 if none. */
static int fail_frames(int fd, int id, unsigned long long ips[FAIL_STACK_DEPTH])
{
	memset(ips, 0, FAIL_STACK_DEPTH * sizeof(*ips));
	return fd < 0 || id < 0 || bpf_map_lookup_elem(fd, &id, ips) ? 0 : FAIL_STACK_DEPTH;
}

int stack_frames_want(int fd, struct symnames *names, int id)
{
	unsigned long long ips[FAIL_STACK_DEPTH];

	return want(names, ips, fail_frames(fd, id, ips));
}

int stack_frames(int fd, struct symnames *names, int id, char frames[][FRAME_LEN])
{
	unsigned long long ips[FAIL_STACK_DEPTH];
	int i, n = 0;

	if (!fail_frames(fd, id, ips))
		return 0;
	name_now(names, ips, FAIL_STACK_DEPTH);
	for (i = 0; i < FAIL_STACK_DEPTH && ips[i]; i++) {
		const struct symname *k = symnames_get(names, ips[i]);

		if (k && k->name)
			snprintf(frames[n++], FRAME_LEN, "%s+0x%llx%s%s%s", k->name, ips[i] - k->start,
				 k->module ? " [" : "", k->module ? k->module : "", k->module ? "]" : "");
		else
			snprintf(frames[n++], FRAME_LEN, "0x%llx", ips[i]);
	}
	return n;
}
