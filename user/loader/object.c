// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "capacity.h"
#include "fentry_target.h"
#include "kcast.h"
#include "log.h"
#include "map_read.h"
#include "multi.h"
#include "object.h"
#include "vfiotrace.skel.h"
#include "vfiotrace_quiet.skel.h"

static struct bpf_program *prog(struct vfiotrace_bpf *skel, const char *name)
{
	return name ? bpf_object__find_program_by_name(skel->obj, name) : NULL;
}

/* An fentry or fexit program on r's function: by the BTF id start-up found for vmlinux's, else by name. */
static int aim(const struct object_plan *t, struct bpf_program *p, const struct resolved *r)
{
	const struct btf_func *f = btf_funcs_find(t->rs->funcs, r->module, r->func);

	if (!r->module && f && !fentry_target_set(p, f->id))
		return 0;
	return bpf_program__set_attach_target(p, 0, r->func);
}

/* Enable exactly the programs the resolved styles need. */
static int configure(const struct object_plan *t, struct vfiotrace_bpf *skel)
{
	struct bpf_program *p;
	int i, n;

	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	for (i = 0; i < NR_HOOKS; i++) {
		const struct target *tg = &targets[i];
		const struct resolved *r = &t->res[i];
		const char *names[2];
		int k;

		/* a row waiting for its module gets kprobes, which load without it */
		if (!r->func && !(r->waiting && t->opt->mode != MODE_FENTRY))
			continue;
		target_programs(tg, r, names);
		for (k = 0; k < 2; k++) {
			if (!(p = prog(skel, names[k])))
				continue;
			bpf_program__set_autoload(p, true);
			/* -vv: the verifier's statistics (time, instructions) of every program */
			if (t->opt->verbose > 1)
				bpf_program__set_log_level(p, 4);
			/* fails without the privilege to read module BTF: load() reports */
			if (r->func && r->style == STYLE_FENTRY && aim(t, p, r)) {
				dbg("cannot target %s with fentry: %s", r->func, strerror(errno));
				return -1;
			}
		}
	}
	multi_configure(skel->obj, t->res, t->session);
	/* without it the maps are read with lookups (map_read.h); by name it would cost a full BTF parse */
	if (!fentry_target_set(skel->progs.map_dump, t->rs->map_iter_id))
		bpf_program__set_autoload(skel->progs.map_dump, true);
	else
		dbg("no map iterator (%s): maps are read with lookups", t->rs->map_iter_id ? "no handler" : "not in BTF");
	if (t->pci_dev_btf_id) {
		if ((n = kcast_rewrite(skel->obj, RDONLY_CAST_MARK, t->rs->rdonly_cast_id)) < 0) {
			err("cannot rewrite the programs' casts: %s", strerror(errno));
			return -1;
		}
		dbg("struct pci_dev and struct file read through bpf_rdonly_cast (BTF ids %d, %d, %d) at %d places",
		    t->rs->rdonly_cast_id, t->pci_dev_btf_id, t->file_btf_id, n);
	}
	if (t->session && (kcast_rewrite(skel->obj, SESSION_IS_RETURN_MARK, t->rs->session_is_return_id) < 0 ||
			   kcast_rewrite(skel->obj, SESSION_COOKIE_MARK, t->rs->session_cookie_id) < 0)) {
		err("cannot rewrite the session dispatchers' calls: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static bool emits_events(const struct options *opt)
{
	return opt->cmd == CMD_SNOOP || opt->cmd == CMD_REFS;
}

/* The object: where no event is emitted, the one built without the events' code (Makefile). */
const void *object_bytes(const struct options *opt, size_t *sz)
{
	return emits_events(opt) ? vfiotrace_bpf__elf_bytes(sz) : vfiotrace_quiet_bpf__elf_bytes(sz);
}

/* vfiotrace_bpf__open_opts() on object_bytes(), whose skeleton is the same (Makefile checks). */
static struct vfiotrace_bpf *open_skeleton(const struct options *opt, const struct bpf_object_open_opts *oo)
{
	struct vfiotrace_bpf *s = calloc(1, sizeof(*s));
	int e;

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	e = vfiotrace_bpf__create_skeleton(s);
	if (!e) {
		s->skeleton->data = (void *)object_bytes(opt, &s->skeleton->data_sz);
		e = bpf_object__open_skeleton(s->skeleton, oo);
	}
	if (e) {
		vfiotrace_bpf__destroy(s);
		errno = -e;
		return NULL;
	}
	return s;
}

static bool has_program(void *obj, const char *name)
{
	return bpf_object__find_program_by_name(obj, name) != NULL;
}

/* 0; -1 with errno; -2 with msg: the object lacks a program the target table names. */
static int open_and_load(const struct object_plan *t, struct vfiotrace_bpf **out, char *msg, int len)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo,
		    .btf_custom_path = t->btf_path);
	struct vfiotrace_bpf *skel;
	int e;

	skel = open_skeleton(t->opt, &oo);
	if (!skel) {
		err("cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	/* refused, not skipped: configure() and attach_row() would pass over a misspelt name */
	if (target_programs_check(has_program, skel->obj, msg, len)) {
		vfiotrace_bpf__destroy(skel);
		return -2;
	}
	skel->rodata->target_group = t->opt->group;
	skel->rodata->target_tgid = (__u32)t->opt->pid;
	skel->rodata->emit_events = emits_events(t->opt);
	skel->rodata->gets_at_ioctl = !t->res[HOOK_GET].func;
	skel->rodata->reset_unhooked = targets_reset_unhooked(t->res);
	skel->rodata->deep_stacks = t->opt->verbose > 0;
	skel->rodata->pci_dev_btf_id = t->pci_dev_btf_id;
	skel->rodata->file_btf_id = t->file_btf_id;
	/* test hook (tests/vm/resets.sh): VFIOTRACE_NO_CALL_SLOTS, the PCI calls in progress in maps only */
	skel->rodata->call_slots_off = getenv("VFIOTRACE_NO_CALL_SLOTS") != NULL;
	/* also a vmlinux row off the links (a kprobe of its own) then returns 1: a perf record, nothing lost */
	skel->rodata->entry_only_ret = t->session && resolved_has_style(t->res, STYLE_KPROBE_MULTI);
	e = capacity_apply(skel, t->opt, skel->rodata->emit_events, t->alloc_on_use) || configure(t, skel) ?
	    -1 : vfiotrace_bpf__load(skel);
	fentry_target_done();
	if (!e) {
		map_read_init(bpf_program__fd(skel->progs.map_dump));	/* -1 if not loaded */
		*out = skel;
		return 0;
	}
	e = errno;
	vfiotrace_bpf__destroy(skel);
	errno = e;
	return -1;
}

struct vfiotrace_bpf *object_load(const struct object_plan *t, char *msg, int len)
{
	struct vfiotrace_bpf *skel = NULL;
	int e = open_and_load(t, &skel, msg, len);

	if (!e)
		return skel;
	if (e == -2)	/* kprobes would not help */
		return NULL;
	if (t->opt->mode == MODE_AUTO && resolved_has_style(t->res, STYLE_FENTRY)) {
		snprintf(t->fallback, t->fallback_len, "fentry load failed: %s", strerror(errno));
		dbg("%s; retrying with kprobes", t->fallback);
		fall_back_to_kprobes(t->res, t->fallback);
		if (!open_and_load(t, &skel, msg, len))
			return skel;
	}
	if (errno == EPERM && geteuid() != 0)
		snprintf(msg, len, "permission denied loading BPF: run as root (or with CAP_BPF, "
			 "CAP_PERFMON and CAP_SYS_RESOURCE)");
	else
		snprintf(msg, len, "loading the BPF programs failed: %s; run with -vv for the "
			 "verifier log", strerror(errno));
	return NULL;
}
