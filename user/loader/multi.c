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
/* the PCI entries' where the kernel has bpf_rdonly_cast */
#define PCI_ENTRY_CAST "kpm_pci_entry_cast"

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

/*
 * The cast dispatcher's calls of RDONLY_CAST_MARK (bpf/vfiotrace.h) made calls of the kfunc
 * whose BTF id is id. 0, or -1: it has none (then it is not used).
 */
static int rewrite_cast(struct bpf_program *p, int id)
{
	size_t i, n = bpf_program__insn_cnt(p);
	struct bpf_insn *insns = malloc(n * sizeof(*insns));
	int found = 0;

	if (!insns)
		return -1;
	memcpy(insns, bpf_program__insns(p), n * sizeof(*insns));
	for (i = 0; i < n; i++) {
		if (insns[i].code != (BPF_JMP | BPF_CALL) || insns[i].src_reg || insns[i].imm != RDONLY_CAST_MARK)
			continue;
		insns[i].src_reg = BPF_PSEUDO_KFUNC_CALL;
		insns[i].imm = id;
		found++;
	}
	/* the count is unchanged: libbpf's relocations, kept by instruction index, still apply */
	found = found && !bpf_program__set_insns(p, insns, n) ? 0 : -1;
	free(insns);
	return found;
}

/* Link l's dispatcher, whichever multi_configure() chose. */
static struct bpf_program *dispatcher_prog(struct bpf_object *obj, int l)
{
	struct bpf_program *cast = bpf_object__find_program_by_name(obj, PCI_ENTRY_CAST);

	if (l == MULTI_PCI * 2 && bpf_program__autoload(cast))
		return cast;
	return bpf_object__find_program_by_name(obj, dispatcher[l]);
}

void multi_configure(struct bpf_object *obj, const struct resolved res[NR_HOOKS], int rdonly_cast_id)
{
	struct bpf_program *p, *cast = bpf_object__find_program_by_name(obj, PCI_ENTRY_CAST);
	bool use_cast = rdonly_cast_id && !rewrite_cast(cast, rdonly_cast_id);
	int i, l;

	for (i = 0; i < NR_HOOKS * 2; i++) {
		if (!(p = multi_prog(obj, res, i / 2, i % 2)))
			continue;
		bpf_program__set_expected_attach_type(p, BPF_TRACE_KPROBE_MULTI);
		l = link_of(i / 2, i % 2);
		bpf_program__set_autoload(l == MULTI_PCI * 2 && use_cast ? cast :
					  bpf_object__find_program_by_name(obj, dispatcher[l]), true);
	}
	if (use_cast && bpf_program__autoload(cast))
		dbg("kprobe.multi: the PCI entries' dispatcher reads the device through bpf_rdonly_cast "
		    "(BTF id %d)", rdonly_cast_id);
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
		links[l] = bpf_program__attach_kprobe_multi_opts(dispatcher_prog(obj, l), NULL, &o);
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

long long multi_missed(struct bpf_link *const links[MULTI_LINKS])
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

		if (links[l] && !bpf_obj_get_info_by_fd(bpf_link__fd(links[l]), &info, &len))
			n += (long long)info.missed;
	}
	return n;
}
