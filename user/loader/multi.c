// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "multi.h"

_Static_assert(NR_HOOKS * 2 <= MULTI_SLOTS, "bpf/multi.bpf.c: multi_progs has a slot per hook program");

/* link (class * 2 + k)'s dispatcher */
static const char *const dispatcher[MULTI_LINKS] = { "kpm_entry", "kpm_return", "kpm_pci_entry", "kpm_pci_return" };

/* Row i's entry (k 0) or return (k 1) program if it is a kprobe.multi row's, else NULL. */
static struct bpf_program *multi_prog(struct bpf_object *obj, const struct resolved res[NR_HOOKS], int i, int k)
{
	const char *names[2];

	if (res[i].style != STYLE_KPROBE_MULTI)
		return NULL;
	target_programs(&targets[i], &res[i], names);
	return names[k] ? bpf_object__find_program_by_name(obj, names[k]) : NULL;
}

/* The link of row i's entry (k 0) or return (k 1). */
static int link_of(int i, int k)
{
	return (targets[i].pci_shared ? MULTI_PCI : MULTI_COMMON) * 2 + k;
}

void multi_configure(struct bpf_object *obj, const struct resolved res[NR_HOOKS])
{
	struct bpf_program *p;
	int i, k;

	for (i = 0; i < NR_HOOKS * 2; i++) {
		if (!(p = multi_prog(obj, res, i / 2, k = i % 2)))
			continue;
		bpf_program__set_expected_attach_type(p, BPF_TRACE_KPROBE_MULTI);
		bpf_program__set_autoload(bpf_object__find_program_by_name(obj, dispatcher[link_of(i / 2, k)]), true);
	}
}

int multi_attach(struct bpf_object *obj, const struct resolved res[NR_HOOKS], struct bpf_link *links[MULTI_LINKS],
		 char *msg, int len)
{
	const char *syms[MULTI_LINKS][NR_HOOKS + 1];
	__u64 cookies[MULTI_LINKS][NR_HOOKS + 1];
	size_t n[MULTI_LINKS] = { 0 };
	struct bpf_program *p;
	int l, map = bpf_map__fd(bpf_object__find_map_by_name(obj, "multi_progs"));
	__u32 slot;

	/* slot: row * 2 + k, the cookie of row's function on its link */
	for (slot = 0; slot < NR_HOOKS * 2; slot++) {
		int fd;

		if (!(p = multi_prog(obj, res, slot / 2, slot % 2)))
			continue;
		fd = bpf_program__fd(p);
		if (bpf_map_update_elem(map, &slot, &fd, BPF_ANY)) {
			snprintf(msg, len, "cannot put %s in its kprobe.multi slot: %s", bpf_program__name(p),
				 strerror(errno));
			return -1;
		}
		l = link_of(slot / 2, slot % 2);
		syms[l][n[l]] = res[slot / 2].func;
		cookies[l][n[l]++] = slot;
	}
	/* test hook (tests/vm/guest.sh): also FUNC, on an empty slot; a function ftrace cannot trace is refused */
	if (getenv("VFIOTRACE_KPROBE_MULTI_ALSO") && n[0]) {
		syms[0][n[0]] = getenv("VFIOTRACE_KPROBE_MULTI_ALSO");
		cookies[0][n[0]++] = MULTI_SLOTS - 1;
	}
	for (l = 0; l < MULTI_LINKS; l++) {
		LIBBPF_OPTS(bpf_kprobe_multi_opts, o, .syms = syms[l], .cookies = cookies[l], .cnt = n[l],
			    .retprobe = l % 2);

		if (!n[l])
			continue;
		links[l] = bpf_program__attach_kprobe_multi_opts(
			bpf_object__find_program_by_name(obj, dispatcher[l]), NULL, &o);
		if (!links[l]) {
			snprintf(msg, len, "the kernel refused a kprobe.multi link on %zu function(s) (%s): %s%s",
				 n[l], l % 2 ? "returns" : "entries", strerror(errno),
				 errno == ESRCH ? " (one that ftrace cannot trace?)" : "");
			while (l-- > 0) {
				bpf_link__destroy(links[l]);
				links[l] = NULL;
			}
			return -1;
		}
	}
	return 0;
}

long long multi_missed(struct bpf_link *const links[MULTI_LINKS], bool report)
{
	long long n = 0;
	int l;

	for (l = 0; l < MULTI_LINKS; l++) {
		/* bpf_link_info as of 6.7, whose kprobe_multi gained "missed"; zero before */
		struct {
			__u32 type, id, prog_id, pad;
			__u64 addrs;
			__u32 count, flags;
			__u64 missed;
		} info = {};
		__u32 len = sizeof(info);

		if (!links[l] || bpf_obj_get_info_by_fd(bpf_link__fd(links[l]), &info, &len))
			continue;
		n += (long long)info.missed;
		if (report && info.missed)
			dbg("missed: kprobe.multi link %s: %llu", dispatcher[l], (unsigned long long)info.missed);
	}
	return n;
}
