// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "multi.h"

_Static_assert(NR_HOOKS * 2 <= MULTI_SLOTS, "bpf/multi.bpf.c: multi_progs has a slot per hook program");

/* enum bpf_attach_type's BPF_TRACE_KPROBE_SESSION (6.10: the kprobe session series); this machine's linux/bpf.h predates it */
#define ATTACH_KPROBE_SESSION 56

/* link (class * 2 + k)'s dispatcher; a session link (k 0) has its class's */
static const char *const dispatcher[MULTI_LINKS] = { "kpm_entry", "kpm_return", "kpm_pci_entry", "kpm_pci_return" };
static const char *const session_dispatcher[MULTI_CLASSES] = { "kps_common", "kps_pci" };

/*
 * A link's functions: by name, and by address where kallsyms gave every one of them. Given
 * names, the kernel expands every symbol's (ftrace_lookup_symbols: hundreds of thousands on
 * 6.12+) to find them, once per link.
 */
struct link_funcs {
	const char *syms[NR_HOOKS + 1];
	__u64 addrs[NR_HOOKS + 1], cookies[NR_HOOKS + 1];
	size_t n;
	bool by_addr;
};

/* ks: NULL, or kallsyms as read (an address of 0: hidden by kptr_restrict) */
static void add_func(struct link_funcs *f, const struct kallsyms *ks, const char *func, __u64 cookie)
{
	const struct ksym *s = ks ? kallsyms_find(ks, func, NULL) : NULL;

	f->by_addr = (f->n ? f->by_addr : true) && s && s->addr;
	f->syms[f->n] = func;
	f->addrs[f->n] = s ? s->addr : 0;
	f->cookies[f->n++] = cookie;
}

static const char *link_prog(int l, bool session)
{
	return session ? session_dispatcher[l / 2] : dispatcher[l];
}

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
static int link_of(int i, int k, bool session)
{
	return (targets[i].pci_shared ? MULTI_PCI : MULTI_COMMON) * 2 + (session ? 0 : k);
}

void multi_configure(struct bpf_object *obj, const struct resolved res[NR_HOOKS], bool session)
{
	enum bpf_attach_type type = session ? ATTACH_KPROBE_SESSION : BPF_TRACE_KPROBE_MULTI;
	struct bpf_program *p;
	int i, k;

	for (i = 0; i < NR_HOOKS * 2; i++) {
		if (!(p = multi_prog(obj, res, i / 2, k = i % 2)))
			continue;
		bpf_program__set_expected_attach_type(p, type);
		p = bpf_object__find_program_by_name(obj, link_prog(link_of(i / 2, k, session), session));
		bpf_program__set_expected_attach_type(p, type);
		bpf_program__set_autoload(p, true);
	}
}

/*
 * Link l (multi.h) of prog on f's functions, as libbpf 1.1 cannot make a session link: its fd
 * (never 0), or -1 with errno.
 */
static int link_create(const struct bpf_program *prog, int l, bool session, const struct link_funcs *f)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = bpf_program__fd(prog);
	attr.link_create.attach_type = session ? ATTACH_KPROBE_SESSION : BPF_TRACE_KPROBE_MULTI;
	attr.link_create.kprobe_multi.flags = !session && l % 2 ? BPF_F_KPROBE_MULTI_RETURN : 0;
	attr.link_create.kprobe_multi.cnt = f->n;
	if (f->by_addr)
		attr.link_create.kprobe_multi.addrs = (__u64)(unsigned long)f->addrs;
	else
		attr.link_create.kprobe_multi.syms = (__u64)(unsigned long)f->syms;
	attr.link_create.kprobe_multi.cookies = (__u64)(unsigned long)f->cookies;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	if (fd == 0) {	/* stdin was closed: 0 means "no link" in struct probe_links */
		fd = fcntl(0, F_DUPFD_CLOEXEC, 1);
		close(0);
	}
	return fd;
}

int multi_attach(struct bpf_object *obj, const struct resolved res[NR_HOOKS], bool session,
		 const struct kallsyms *ks, int links[MULTI_LINKS], char *msg, int len)
{
	struct link_funcs f[MULTI_LINKS] = {};
	size_t given = 0, all = 0;
	struct bpf_program *p;
	int l, map = bpf_map__fd(bpf_object__find_map_by_name(obj, "multi_progs"));
	__u32 slot;

	/* slot: row * 2 + k; the cookie of row's function: the slot, on a session link the row */
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
		l = link_of(slot / 2, slot % 2, session);
		if (session && f[l].n && f[l].cookies[f[l].n - 1] == slot / 2)
			continue;	/* the row's entry put it there */
		add_func(&f[l], ks, res[slot / 2].func, session ? slot / 2 : slot);
	}
	/* test hook (tests/vm/guest.sh): also FUNC, on an empty slot; a function ftrace cannot trace is refused */
	if (getenv("VFIOTRACE_KPROBE_MULTI_ALSO") && f[0].n)
		add_func(&f[0], ks, getenv("VFIOTRACE_KPROBE_MULTI_ALSO"), (MULTI_SLOTS - 1) / (session ? 2 : 1));
	for (l = 0; l < MULTI_LINKS; l++) {
		if (!f[l].n)
			continue;
		links[l] = link_create(bpf_object__find_program_by_name(obj, link_prog(l, session)), l,
				       session, &f[l]);
		given += f[l].by_addr ? f[l].n : 0;
		all += f[l].n;
		if (links[l] < 0) {
			snprintf(msg, len, "the kernel refused a %s link on %zu function(s) (%s): %s%s",
				 session ? "kprobe.session" : "kprobe.multi", f[l].n,
				 session ? "entries and returns" : l % 2 ? "returns" : "entries", strerror(errno),
				 errno == ESRCH ? " (one that ftrace cannot trace?)" : "");
			links[l] = 0;
			while (l-- > 0) {
				if (links[l])
					close(links[l]);
				links[l] = 0;
			}
			return -1;
		}
	}
	if (session)
		dbg("kprobe.session: entries and returns armed by one link per class");
	dbg("kprobe.multi: %zu of the links' %zu functions given by their kallsyms address, the others by name",
	    given, all);
	return 0;
}

long long multi_missed(const int links[MULTI_LINKS], bool report)
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

		if (!links[l] || bpf_obj_get_info_by_fd(links[l], &info, &len))
			continue;
		n += (long long)info.missed;
		if (report && info.missed)
			dbg("missed: the kprobe.multi link of %s %s: %llu",
			    l / 2 == MULTI_PCI ? "the PCI core's functions" : "the other hooks in vmlinux",
			    l % 2 ? "(returns)" : "(entries, and returns where it is a kprobe.session link)",
			    (unsigned long long)info.missed);
	}
	return n;
}
