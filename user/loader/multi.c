// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "log.h"
#include "multi.h"
#include "thread.h"

_Static_assert(NR_HOOKS * 2 <= MULTI_SLOTS, "bpf/multi.bpf.c: multi_progs has a slot per hook program");

/* link (class * 2 + k)'s dispatcher */
static const char *const dispatcher[MULTI_LINKS] = { "kpm_entry", "kpm_return", "kpm_pci_entry", "kpm_pci_return" };

static void destroy_links(struct bpf_link *links[MULTI_LINKS])
{
	int l;

	for (l = 0; l < MULTI_LINKS; l++) {
		bpf_link__destroy(links[l]);
		links[l] = NULL;
	}
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

/* The kprobe.multi links of the rows (their dispatch slots aside): 0, or -1 with msg and none made. */
static int make_links(struct bpf_object *obj, const struct resolved res[NR_HOOKS], struct bpf_link *links[MULTI_LINKS],
		      char *msg, int len)
{
	const char *syms[MULTI_LINKS][NR_HOOKS + 1];
	__u64 cookies[MULTI_LINKS][NR_HOOKS + 1];
	size_t n[MULTI_LINKS] = { 0 };
	int l;
	__u32 slot;

	/* slot: row * 2 + k, the cookie of row's function on its link */
	for (slot = 0; slot < NR_HOOKS * 2; slot++) {
		if (!multi_prog(obj, res, slot / 2, slot % 2))
			continue;
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
			destroy_links(links);
			return -1;
		}
	}
	return 0;
}

/* The early links' thread; the object is loading on the main thread. */
static void *early_links(void *arg)
{
	struct multi_early *e = arg;
	unsigned long long t0 = mono_ns();

	e->err = make_links(e->obj, e->res, e->links, e->msg, sizeof(e->msg));
	e->ns = mono_ns() - t0;
	return NULL;
}

static struct multi_early *armed;	/* libbpf's callback has no argument of ours */

/* Before each kprobe or kretprobe program's load: the first after every dispatcher's starts the links. */
static int before_kprobe_load(struct bpf_program *p, struct bpf_prog_load_opts *opts, long cookie)
{
	struct multi_early *e = armed;
	int l;

	(void)p, (void)opts, (void)cookie;
	if (!e || e->started)
		return 0;
	for (l = 0; l < MULTI_LINKS; l++) {
		struct bpf_program *d = bpf_object__find_program_by_name(e->obj, dispatcher[l]);

		if (bpf_program__autoload(d) && bpf_program__fd(d) < 0)
			return 0;
	}
	e->started = !thread_start(&e->thread, early_links, e);
	return 0;
}

int multi_early_register(void)
{
	LIBBPF_OPTS(libbpf_prog_handler_opts, o, .prog_prepare_load_fn = before_kprobe_load);
	static int registered;

	if (!registered)
		registered = libbpf_register_prog_handler("kprobe", BPF_PROG_TYPE_KPROBE, 0, &o) > 0 &&
			     libbpf_register_prog_handler("kretprobe", BPF_PROG_TYPE_KPROBE, 0, &o) > 0 ? 1 : -1;
	return registered > 0 ? 0 : -1;
}

void multi_early_arm(struct multi_early *e, struct bpf_object *obj, const struct resolved res[NR_HOOKS])
{
	multi_early_join(e, false);	/* an earlier load's links, never attached */
	memset(e, 0, sizeof(*e));
	e->obj = obj;
	e->res = res;
	armed = e;
}

void multi_early_join(struct multi_early *e, bool keep)
{
	if (armed == e)
		armed = NULL;
	if (e->started) {
		pthread_join(e->thread, NULL);
		e->started = false;
		e->joined = true;
	}
	if (!keep && e->joined) {
		destroy_links(e->links);
		e->joined = false;
	}
}

int multi_attach(struct bpf_object *obj, const struct resolved res[NR_HOOKS], struct multi_early *early,
		 struct bpf_link *links[MULTI_LINKS], char *msg, int len)
{
	int map = bpf_map__fd(bpf_object__find_map_by_name(obj, "multi_progs"));
	struct bpf_program *p;
	__u32 slot;

	if (early && early->joined) {
		early->joined = false;
		if (early->err) {
			snprintf(msg, len, "%s", early->msg);
			return -1;
		}
		memcpy(links, early->links, sizeof(early->links));
		memset(early->links, 0, sizeof(early->links));
		dbg("kprobe.multi: the links were armed while the object loaded, in %.3f s", early->ns / 1e9);
	} else if (make_links(obj, res, links, msg, len)) {
		return -1;
	}
	/* the links' hits return at once until their program is in its slot */
	for (slot = 0; slot < NR_HOOKS * 2; slot++) {
		int fd;

		if (!(p = multi_prog(obj, res, slot / 2, slot % 2)))
			continue;
		fd = bpf_program__fd(p);
		if (bpf_map_update_elem(map, &slot, &fd, BPF_ANY)) {
			snprintf(msg, len, "cannot put %s in its kprobe.multi slot: %s", bpf_program__name(p),
				 strerror(errno));
			destroy_links(links);
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
