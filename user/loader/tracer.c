// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "core_btf.h"
#include "fentry_target.h"
#include "holders.h"
#include "links.h"
#include "log.h"
#include "map_read.h"
#include "multi.h"
#include "object.h"
#include "profile.h"
#include "retprobe.h"
#include "tracer.h"
#include "vfiotrace.skel.h"

/* bpf/common.bpf.h HOT: what every hit reads stays within one page */
_Static_assert(sizeof(*((struct vfiotrace_bpf *)0)->data_hot) <= 4096, "the .data.hot section outgrew a page");

bool tracer_attached(const struct tracer *t, int i)
{
	return links_attached(&t->links, i, &t->res[i]);
}

static int attach_rows(struct tracer *t, char *msg, int len);

int tracer_attach(struct tracer *t)
{
	char msg[256];

	if (attach_rows(t, msg, sizeof(msg))) {
		err("%s", msg);
		return -1;
	}
	/* groups opened before the probes were attached: their holders come from /proc */
	if (t->res[HOOK_GROUP_OPEN].func) {
		int n = holders_seed(bpf_map__fd(t->skel->maps.holders));

		dbg("%d group holder(s) found in /proc", n);
		profile("holders");
	}
	return 0;
}

/* fentry holds a reference on the module of its function: one warning per module pinned. */
static void warn_pinned(const struct resolved res[NR_HOOKS])
{
	int i, j;

	for (i = 0; i < NR_HOOKS; i++) {
		if (!res[i].func || !res[i].module || res[i].style != STYLE_FENTRY)
			continue;
		for (j = 0; j < i; j++)
			if (res[j].func && res[j].module && res[j].style == STYLE_FENTRY &&
			    !strcmp(res[j].module, res[i].module))
				break;
		if (j == i)
			err("warning: --mode fentry pins module %s: rmmod fails while tracing "
			    "and its reloads are not followed", res[i].module);
	}
}

/* What loading takes from the kernel's BTF besides the functions, whatever the rows. */
static void btf_facts(struct tracer *t)
{
	t->count_field = vfio_device_count_field(&t->rs.kb, t->opt.btf);
	t->dma_btf = kernel_btf_has_struct(&t->rs.kb, "vfio_iommu_type1", "vfio_iommu");
	t->alloc_on_use = kernel_btf_alloc_on_use(&t->rs.kb);
	/* bpf/kcast.bpf.h; test hook (tests/vm/resets.sh): VFIOTRACE_NO_RDONLY_CAST, helpers where it could */
	if (t->rs.rdonly_cast_id > 0 && !getenv("VFIOTRACE_NO_RDONLY_CAST")) {
		t->pci_dev_btf_id = kernel_btf_struct_id(&t->rs.kb, NULL, "pci_dev");
		t->file_btf_id = kernel_btf_struct_id(&t->rs.kb, NULL, "file");
	}
	/* both or neither: bpf/kcast.bpf.h rewrites every cast or none */
	if (t->pci_dev_btf_id <= 0 || t->file_btf_id <= 0)
		t->pci_dev_btf_id = t->file_btf_id = 0;
	if (!t->rs.bpf_loop)
		dbg("no bpf_loop (before 5.17): a group's members are walked unrolled, longer to verify");
	/* test hook (tests/vm/guest.sh, resets.sh): VFIOTRACE_NO_KPROBE_SESSION, kprobe.multi links where it could */
	t->session = t->rs.kprobe_multi && t->rs.session_is_return_id > 0 && t->rs.session_cookie_id > 0 &&
		     !getenv("VFIOTRACE_NO_KPROBE_SESSION");
	profile("module BTF");
}

/* The distinct modules the table hooks into, for the watcher and CO-RE. */
static int table_modules(const char *mods[NR_HOOKS])
{
	int i, k, n = 0;

	for (i = 0; i < NR_HOOKS; i++) {
		if (!targets[i].module)
			continue;
		for (k = 0; k < n && strcmp(mods[k], targets[i].module); k++)
			;
		if (k == n)
			mods[n++] = targets[i].module;
	}
	return n;
}

/*
 * The object with every program the resolved rows need; maps for the
 * printers. btf_facts() first. 0, or -1 and msg.
 */
static int load_bpf(struct tracer *t, char *msg, int len)
{
	const char *mods[NR_HOOKS];
	const void *obj;
	size_t sz;
	int e;

	/* VFIOTRACE_FULL_CORE_SEARCH: libbpf's own search, for the test that both relocate alike */
	obj = object_bytes(&t->opt, &sz);
	if (!t->opt.btf && !getenv("VFIOTRACE_FULL_CORE_SEARCH") &&
	    !core_btf_make(&t->core, &t->rs.kb, obj, sz, mods, table_modules(mods)))
		dbg("CO-RE: the kernel's BTF cut to %zu bytes for %d relocated types, given to libbpf as %s",
		    t->core.size, t->core.roots, t->core.path);
	else if (!t->opt.btf)
		dbg("CO-RE: libbpf searches all of the kernel's BTF itself");
	profile("CO-RE BTF");
	kernel_btf_release(&t->rs.kb);
	/* `probes` loads and attaches nothing: opening an event arms its kprobe */
	if (t->opt.cmd != CMD_PROBES)
		preopen_start(&t->links.pre, t->res, t->retprobe_maxactive);
	t->skel = object_load(&(struct object_plan){ .opt = &t->opt, .rs = &t->rs, .res = t->res,
		.btf_path = t->opt.btf ? t->opt.btf : t->core.path[0] ? t->core.path : NULL,
		.pci_dev_btf_id = t->pci_dev_btf_id, .file_btf_id = t->file_btf_id, .session = t->session, .alloc_on_use = t->alloc_on_use,
		.fallback = t->fallback, .fallback_len = sizeof(t->fallback) }, msg, len);
	e = t->skel ? 0 : -1;
	core_btf_close(&t->core);
	if (e) {
		preopen_close(&t->links.pre);
		return -1;
	}
	profile("BPF load");
	t->sym = (struct symbolizer){ .names = &t->names, .hooked = { t->res[HOOK_PUT].func,
		t->res[HOOK_GET].func } };
	return 0;
}

/* A read of kallsyms that modules changed during may lack any symbol of them: said. */
static void note_kallsyms_reads(const struct kallsyms *ks)
{
	if (ks->reads > 1 && ks->settled)
		dbg("kallsyms read %d times: modules changed during the other reads", ks->reads);
	else if (!ks->settled)
		err("warning: modules were loaded or unloaded during each of %d reads of /proc/kallsyms: "
		    "a hook in one of them may be missing", ks->reads);
}

void tracer_waiting(const struct tracer *t, char *buf, int len)
{
	int i, n = 0;

	buf[0] = 0;
	for (i = 0; i < NR_HOOKS; i++)
		if (t->res[i].waiting && targets[i].required)
			n += snprintf(buf + n, n < len ? len - n : 0, "%smodule %s (%s)", n ? ", " : "",
				      targets[i].module, targets[i].candidates[0]);
}

static void drop_load(struct tracer *t)
{
	map_read_init(-1);
	links_detach_all(&t->links);
	vfiotrace_bpf__destroy(t->skel);
	t->skel = NULL;
	t->fallback[0] = 0;
	memset(&t->sym, 0, sizeof(t->sym));
}

/*
 * The kprobe.multi links; if the kernel refuses them (a function ftrace
 * cannot trace), their rows get a kprobe each, loaded again as such.
 * 0, or -1 with msg.
 */
static int attach_multi(struct tracer *t, char *msg, int len)
{
	char fentry_refused[sizeof(t->fallback)];

	if (!resolved_has_style(t->res, STYLE_KPROBE_MULTI) || links_multi_any(&t->links))
		return 0;
	if (!multi_attach(t->skel->obj, t->res, t->session, t->ks_read ? &t->rs.ks : NULL, t->links.multi, msg, len)) {
		profile("kprobe.multi");
		return 0;
	}
	snprintf(t->multi_refused, sizeof(t->multi_refused), "%s", msg);
	err("warning: %s; each of its functions gets a kprobe of its own (start and exit take longer)", msg);
	/* the rows fentry was refused for are kprobes now: the reload does not refuse them again */
	memcpy(fentry_refused, t->fallback, sizeof(fentry_refused));
	drop_load(t);
	memcpy(t->fallback, fentry_refused, sizeof(t->fallback));
	fall_back_from_multi(t->res, t->multi_refused);
	return load_bpf(t, msg, len);
}

/* Every resolved row not attached yet, up to the first that fails: 0, or -1 with msg. */
static int attach_rows(struct tracer *t, char *msg, int len)
{
	int i;

	if (attach_multi(t, msg, len)) {
		preopen_close(&t->links.pre);
		return -1;
	}
	for (i = 0; i < NR_HOOKS; i++)
		if (t->res[i].func && !tracer_attached(t, i) &&
		    links_attach_row(&t->links, t->skel->obj, i, &t->res[i], t->retprobe_maxactive, msg, len))
			break;
	preopen_close(&t->links.pre);
	if (i < NR_HOOKS)
		return -1;
	profile("attach");
	return 0;
}

/* --mode auto where the kernel has kprobe.multi links, unless it refused them. */
static void plan_multi(const struct tracer *t, struct resolved res[NR_HOOKS])
{
	if (t->rs.kprobe_multi && t->opt.mode == MODE_AUTO && !t->multi_refused[0])
		use_kprobe_multi(res);
}

int tracer_load(struct tracer *t)
{
	struct resolved guess[NR_HOOKS], res[NR_HOOKS];
	const char *mods[NR_HOOKS];
	char msg[256], guess_err[256] = "";
	struct kallsyms_reader syms;
	struct kernel_view kv;
	int i, btf, syms_rc, differs;
	bool guessed = false, syms_after_btf;
	unsigned long long t0, btf_ns;

	/* for every resolution, also of a module loaded later */
	t->rs.mode = t->opt.mode;
	t->rs.dma = t->opt.dma;
	t->rs.all_nargs = t->opt.cmd == CMD_PROBES;
	t->retprobe_maxactive = retprobe_maxactive();
	profile("start");
	if (fentry_target_register())
		dbg("fentry programs are aimed by name: libbpf parses the kernel's BTF for them");
	/* before kallsyms is read: a module loaded in between is then reported */
	if (t->opt.cmd != CMD_PROBES && lifecycle_start(&t->lc, mods, table_modules(mods)))
		dbg("module reloads are not followed: %s", t->lc.why);
	profile("module watcher");
	/* kallsyms, the slowest read of start-up (the kernel formats every symbol), meanwhile */
	syms_after_btf = resolve_kallsyms_after_btf(&t->rs);
	if (!syms_after_btf)
		resolve_kallsyms_start(&t->rs, &syms);
	t0 = mono_ns();
	btf = kernel_btf_open(&t->rs.kb);
	resolve_btf_funcs(&t->rs);
	btf_ns = mono_ns() - t0;
	if (syms_after_btf) {
		resolve_ksym_iter_prepare(&t->rs);
		resolve_kallsyms_start(&t->rs, &syms);
	}
	profile("BTF");
	btf_facts(t);
	/* errors of loading on the guess are reported only if it holds (-v and libbpf's lines are not held) */
	if (syms.threaded && !btf && t->opt.cmd != CMD_PROBES &&
	    !resolve_guess(&t->rs, guess, msg, sizeof(msg))) {
		guessed = true;
		plan_multi(t, guess);
		memcpy(t->res, guess, sizeof(t->res));
		/*
		 * Attaching takes as long as loading; on newer kernels kallsyms is
		 * still being read by then (6.12, 7.2: more symbols). Attached now,
		 * dropped with the load if kallsyms resolves otherwise; `Tracing`
		 * waits for kallsyms either way. A row that fails is left to
		 * tracer_attach, which reports it.
		 */
		if (!load_bpf(t, guess_err, sizeof(guess_err))) {
			/* the links' functions by address: 6.2+ looks them up in a fraction of the load's time */
			if (resolved_has_style(t->res, STYLE_KPROBE_MULTI))
				t->ks_read = !resolve_kallsyms_wait(&syms);
			if (attach_rows(t, msg, sizeof(msg)))
				dbg("%s: attached after kallsyms is read", msg);
		}
	}
	syms_rc = resolve_kallsyms_wait(&syms);
	t->ks_read = !syms_rc;
	profile("kallsyms");
	dbg("profile: (side by side: BTF %.3f s, kallsyms %s %.3f s%s)", btf_ns / 1e9,
	    t->rs.kallsyms_how, t->rs.kallsyms_ns / 1e9,
	    guessed ? ", loaded and attached on BTF's view of the table" : "");
	if (btf && !t->opt.btf) {
		err("this kernel exposes no BTF (/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF): "
		    "pass --btf FILE");
		return -1;
	}
	if (syms_rc) {
		err("cannot read /proc/kallsyms: run as root");
		return -1;
	}
	note_kallsyms_reads(&t->rs.ks);
	kv = resolve_view(&t->rs, &t->rs.ks);
	if (resolve_targets(&kv, t->opt.mode, res, msg, sizeof(msg))) {
		err("%s", msg);
		return -1;
	}
	resolve_opt_ins(&t->rs, res);
	plan_multi(t, res);
	if (guessed && t->multi_refused[0])	/* refused while loaded on the guess: not a difference */
		fall_back_from_multi(guess, t->multi_refused);
	/* loading again after that refusal failed: loaded below, where a failure is reported */
	if (guessed && !t->skel && !guess_err[0])
		guessed = false;
	if (guessed && (differs = resolve_differing_row(guess, res)) >= 0) {
		dbg("BTF's view of the table differed from kallsyms at %s (%s): loading again",
		    targets[differs].hook, targets[differs].candidates[0]);
		drop_load(t);
		guessed = false;
	}
	for (i = 0; guessed && i < NR_HOOKS; i++)
		keep_loaded_style(&res[i], &t->res[i]);
	memcpy(t->res, res, sizeof(t->res));
	profile("resolve");
	if (t->opt.mode == MODE_FENTRY && t->opt.cmd != CMD_PROBES)
		warn_pinned(t->res);
	if (guessed && guess_err[0]) {
		err("%s", guess_err);
		return -1;
	}
	if (!targets_waiting(t->res)) {
		if (!guessed && load_bpf(t, msg, sizeof(msg))) {
			err("%s", msg);
			return -1;
		}
		return 0;
	}
	for (i = 0; i < NR_HOOKS && t->opt.cmd != CMD_PROBES && !t->lc.active; i++) {
		if (!t->res[i].waiting || !targets[i].required)
			continue;
		err("%s: %s is in module %s, which is not loaded, and module loads cannot be "
		    "followed (%s); %s", targets[i].purpose, targets[i].candidates[0],
		    targets[i].module, t->lc.why, targets[i].missing_hint);
		return -1;
	}
	return 0;
}

static bool in_module(int i, const struct resolved *r, const char *module)
{
	const char *m = row_module(i, r);

	return m && !strcmp(m, module);
}

static void add_change(struct module_report *rep, int i, const struct resolved *r, long long ns)
{
	struct hook_change *h = &rep->hooks[rep->nhooks++];

	h->hook = targets[i].hook;
	h->function = r->func;
	h->style = style_name(r->style);
	h->detached_ns = ns;
}

static void module_freed(struct tracer *t, const struct module_event *ev, struct module_report *rep)
{
	int i;

	for (i = 0; i < NR_HOOKS; i++) {
		if (!in_module(i, &t->res[i], ev->name) || !tracer_attached(t, i))
			continue;
		links_detach_row(&t->links, i);
		t->gone_ns[i] = ev->ts_ns;
		add_change(rep, i, &t->res[i], 0);
	}
}

int tracer_module_event(struct tracer *t, const struct module_event *ev,
			struct module_report *rep)
{
	struct kernel_view kv;
	char msg[256];
	int i;

	memset(rep, 0, sizeof(*rep));
	rep->module = ev->name;
	rep->action = ev->action;
	rep->ts_ns = ev->ts_ns;
	kernel_btf_forget(&t->rs.kb, ev->name);
	if (ev->action == MODULE_FREED) {
		module_freed(t, ev, rep);
		return 0;
	}
	/* new module addresses: for kprobes by name nothing, for naming callers everything */
	kallsyms_free(&t->rs.ks);
	symnames_forget(&t->names);
	t->ks_read = !resolve_read_kallsyms(&t->rs);
	if (!t->ks_read) {
		snprintf(rep->error, sizeof(rep->error), "cannot read /proc/kallsyms again");
		return 0;
	}
	note_kallsyms_reads(&t->rs.ks);
	kv = (struct kernel_view){ .ks = &t->rs.ks, .func_nargs = kernel_btf_func_nargs, .ctx = &t->rs.kb };
	resolve_module_rows(&kv, t->opt.mode, ev->name, t->res);
	resolve_opt_ins(&t->rs, t->res);
	if (!t->skel) {
		if (targets_waiting(t->res))
			return 0;
		btf_facts(t);
		if (load_bpf(t, msg, sizeof(msg))) {
			err("%s", msg);
			return -1;
		}
		if (tracer_attach(t))
			return -1;
		for (i = 0; i < NR_HOOKS; i++)
			if (tracer_attached(t, i))
				add_change(rep, i, &t->res[i], -1);
		return 1;
	}
	for (i = 0; i < NR_HOOKS; i++) {
		if (!in_module(i, &t->res[i], ev->name) || !t->res[i].func || tracer_attached(t, i))
			continue;
		if (links_attach_row(&t->links, t->skel->obj, i, &t->res[i], t->retprobe_maxactive, msg, sizeof(msg))) {
			snprintf(rep->error, sizeof(rep->error), "%s", msg);
			continue;
		}
		add_change(rep, i, &t->res[i], t->gone_ns[i] ? (long long)(mono_ns() - t->gone_ns[i]) : -1);
		t->gone_ns[i] = 0;
	}
	return rep->nhooks > 0;
}

int tracer_links(const struct tracer *t)
{
	return links_count(&t->links, t->res);
}

void tracer_close(struct tracer *t)
{
	bool pci_links = t->links.multi[MULTI_PCI * 2] || t->links.multi[MULTI_PCI * 2 + 1];

	if (verbose && t->skel)
		links_missed(&t->links, t->skel->obj, true);
	map_read_init(-1);
	links_detach_all(&t->links);
	if (pci_links)
		dbg("kprobe.multi: the PCI core's links ended %llu entries and %llu returns before dispatch",
		    t->skel->data_hot->pci_gated[0],
		    t->skel->data_hot->pci_gated[1] + (t->session ? t->skel->data_hot->pci_gated[0] : 0));
	if (resolved_has_style(t->res, STYLE_KPROBE_MULTI))
		dbg("kprobe.multi: %llu hits found their function's row by the link's cookie, not cached",
		    t->skel->data_hot->row_cache_fills);
	if (t->skel)
		dbg("calls in progress: %llu begun in .bss slots, %llu in maps",
		    t->skel->data_hot->call_begins[0], t->skel->data_hot->call_begins[1]);
	vfiotrace_bpf__destroy(t->skel);
	t->skel = NULL;
	kallsyms_free(&t->rs.ks);
	t->ks_read = false;
	symnames_free(&t->names);
	kernel_btf_close(&t->rs.kb);
	lifecycle_stop(&t->lc);
}

long long tracer_probes_missed(const struct tracer *t)
{
	return links_missed(&t->links, t->skel ? t->skel->obj : NULL, false);
}

const char *tracer_multi_links(const struct tracer *t)
{
	return !resolved_has_style(t->res, STYLE_KPROBE_MULTI) ? NULL : t->session ? "kprobe.session" : "kprobe.multi";
}
