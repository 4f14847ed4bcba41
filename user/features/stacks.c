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

const char *pick_caller(const unsigned long long *ips, int n, const struct symbolizer *sym,
			char *buf, int len)
{
	int i, k;

	buf[0] = 0;
	for (i = 0; i < n && ips[i]; i++) {
		const struct ksym *s = kallsyms_at(kallsyms_full(sym->ks), ips[i], NULL);
		bool skip;

		dbg("frame %d: %llx %s [%s]", i, ips[i], s ? s->name : "?",
		    s && s->module ? s->module : "");
		if (!s)
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

const char *stack_caller(int stacks_fd, int stack_id, unsigned long long caller,
			 const struct symbolizer *sym, char *buf, int len)
{
	unsigned long long ips[STACK_DEPTH] = {};

	buf[0] = 0;
	if (caller)
		return pick_caller(&caller, 1, sym, buf, len);
	if (stack_id < 0 || bpf_map_lookup_elem(stacks_fd, &stack_id, ips))
		return buf;
	return pick_caller(ips, STACK_DEPTH, sym, buf, len);
}

int stack_frames(int fd, const struct kallsyms *ks, int id, char frames[][FRAME_LEN])
{
	unsigned long long ips[FAIL_STACK_DEPTH] = {};
	int i, n = 0;

	if (fd < 0 || id < 0 || bpf_map_lookup_elem(fd, &id, ips))
		return 0;
	for (i = 0; i < FAIL_STACK_DEPTH && ips[i]; i++) {
		unsigned long long off;
		const struct ksym *k = kallsyms_at(ks, ips[i], &off);

		if (k)
			snprintf(frames[n++], FRAME_LEN, "%s+0x%llx%s%s%s", k->name, off,
				 k->module ? " [" : "", k->module ? k->module : "", k->module ? "]" : "");
		else
			snprintf(frames[n++], FRAME_LEN, "0x%llx", ips[i]);
	}
	return n;
}
