// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "multi.h"
#include "vfiotrace.h"

_Static_assert(NR_HOOKS * 2 <= MULTI_SLOTS, "bpf/multi.bpf.c: multi_progs has a slot per hook program");

static const char *const dispatcher[2] = { "kpm_entry", "kpm_return" };

/* Row i's entry (k 0) or return (k 1) program if it is a kprobe.multi row's, else NULL. */
static struct bpf_program *multi_prog(struct bpf_object *obj, const struct resolved res[NR_HOOKS], int i, int k)
{
	const char *names[2];

	if (res[i].style != STYLE_KPROBE_MULTI)
		return NULL;
	target_programs(&targets[i], &res[i], names);
	return names[k] ? bpf_object__find_program_by_name(obj, names[k]) : NULL;
}

void multi_configure(struct bpf_object *obj, const struct resolved res[NR_HOOKS])
{
	struct bpf_program *p;
	int i, k;

	for (i = 0; i < NR_HOOKS * 2; i++) {
		if (!(p = multi_prog(obj, res, i / 2, k = i % 2)))
			continue;
		bpf_program__set_expected_attach_type(p, BPF_TRACE_KPROBE_MULTI);
		bpf_program__set_autoload(bpf_object__find_program_by_name(obj, dispatcher[k]), true);
	}
}

int multi_attach(struct bpf_object *obj, const struct resolved res[NR_HOOKS], struct bpf_link *links[2],
		 char *msg, int len)
{
	const char *syms[2][NR_HOOKS + 1];
	__u64 cookies[2][NR_HOOKS + 1];
	size_t n[2] = { 0, 0 };
	struct bpf_program *p;
	int k, map = bpf_map__fd(bpf_object__find_map_by_name(obj, "multi_progs"));
	__u32 slot;

	/* slot: row * 2 + k, the cookie of row's function on link k */
	for (slot = 0; slot < NR_HOOKS * 2; slot++) {
		int fd;

		if (!(p = multi_prog(obj, res, slot / 2, k = slot % 2)))
			continue;
		fd = bpf_program__fd(p);
		if (bpf_map_update_elem(map, &slot, &fd, BPF_ANY)) {
			snprintf(msg, len, "cannot put %s in its kprobe.multi slot: %s", bpf_program__name(p),
				 strerror(errno));
			return -1;
		}
		syms[k][n[k]] = res[slot / 2].func;
		cookies[k][n[k]++] = slot;
	}
	/* test hook (tests/vm/guest.sh): also FUNC, on an empty slot; a function ftrace cannot trace is refused */
	if (getenv("VFIOTRACE_KPROBE_MULTI_ALSO") && n[0]) {
		syms[0][n[0]] = getenv("VFIOTRACE_KPROBE_MULTI_ALSO");
		cookies[0][n[0]++] = MULTI_SLOTS - 1;
	}
	for (k = 0; k < 2; k++) {
		LIBBPF_OPTS(bpf_kprobe_multi_opts, o, .syms = syms[k], .cookies = cookies[k], .cnt = n[k],
			    .retprobe = k == 1);

		if (!n[k])
			continue;
		links[k] = bpf_program__attach_kprobe_multi_opts(
			bpf_object__find_program_by_name(obj, dispatcher[k]), NULL, &o);
		if (!links[k]) {
			snprintf(msg, len, "the kernel refused a kprobe.multi link on %zu function(s) (%s): %s%s",
				 n[k], k ? "returns" : "entries", strerror(errno),
				 errno == ESRCH ? " (one that ftrace cannot trace?)" : "");
			bpf_link__destroy(links[0]);
			links[0] = NULL;
			return -1;
		}
	}
	return 0;
}

int multi_gates(const struct resolved res[NR_HOOKS], const struct kallsyms *ks, struct gate_ip gates[2][GATE_IPS])
{
	struct gate_ip g[2][GATE_IPS] = {};
	int i, k, n[2] = { 0, 0 };

	for (i = 0; i < NR_HOOKS; i++) {
		const struct ksym *sym;
		const char *names[2];

		if (!targets[i].gate || !res[i].func || res[i].style != STYLE_KPROBE_MULTI ||
		    !(sym = kallsyms_find(ks, res[i].func, NULL)) || !sym->addr)
			continue;
		target_programs(&targets[i], &res[i], names);
		for (k = 0; k < 2; k++) {
			if (!names[k] || n[k] == GATE_IPS)
				continue;
			g[k][n[k]].ip = sym->addr;
			g[k][n[k]].row = i;
			g[k][n[k]++].gate = k ? GATE_CALLS : targets[i].gate;
		}
	}
	/* the links run meanwhile: a half-written entry has no gate, or ends the list */
	memcpy(gates, g, sizeof(g));
	return n[0] + n[1];
}

void multi_gates_report(const struct resolved res[NR_HOOKS], const struct gate_ip gates[2][GATE_IPS], char *buf,
			int len)
{
	int i, k, n = 0;

	buf[0] = 0;
	for (k = 0; k < 2; k++)
		for (i = 0; i < GATE_IPS && gates[k][i].ip; i++)
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s %s %llu", n ? ", " : "",
				      res[gates[k][i].row].func, k ? "return" : "entry", gates[k][i].closed);
}

long long multi_missed(struct bpf_link *const links[2])
{
	long long n = 0;
	int k;

	for (k = 0; k < 2; k++) {
		/* bpf_link_info as of 6.7, whose kprobe_multi gained "missed"; zero before */
		struct {
			__u32 type, id, prog_id, pad;
			__u64 addrs;
			__u32 count, flags;
			__u64 missed;
		} info = {};
		__u32 len = sizeof(info);

		if (links[k] && !bpf_obj_get_info_by_fd(bpf_link__fd(links[k]), &info, &len))
			n += (long long)info.missed;
	}
	return n;
}
