// SPDX-License-Identifier: GPL-2.0
/*
 * The probe-target table (targets.c) resolved against the running kernel:
 * which candidate exists, in which module, with which attach style.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "targets.h"

/* fentry needs BTF for the function and, with a return probe, an fexit program for its arity. */
static bool fentry_possible(const struct target *t, int nargs, char *why, int len,
			    const char *module)
{
	if (nargs < 0) {
		snprintf(why, len, "no BTF for %s%s", module ? "module " : "", module ? module : "vmlinux");
		return false;
	}
	if (has_return_probe(t) && !fexit_prog(t, nargs)) {
		snprintf(why, len, "no fexit program for %d arguments", nargs);
		return false;
	}
	return true;
}

int target_functions(const char *names[], const char *modules[], int max)
{
	int i, k, n = 0;

	for (i = 0; i < NR_HOOKS; i++) {
		for (k = 0; k < 3 && targets[i].candidates[k] && n < max; k++, n++) {
			names[n] = targets[i].candidates[k];
			modules[n] = targets[i].module;
		}
		if (targets[i].superseded_by && n < max) {
			names[n] = targets[i].superseded_by;
			modules[n++] = NULL;
		}
	}
	return n;
}

/*
 * Module names outlive the kallsyms they were read from (it is re-read after
 * every module load): one copy per distinct name, kept for the whole run.
 */
static const char *intern(const char *s)
{
	static char *names[32];
	int i;

	for (i = 0; i < 32 && names[i]; i++)
		if (!strcmp(names[i], s))
			return names[i];
	if (i == 32 || !(names[i] = strdup(s)))
		return "module";
	return names[i];
}

static void resolve_one(const struct kernel_view *kv, const struct target *t, enum mode mode,
			struct resolved *r)
{
	const struct ksym *sym = NULL;
	const char *pref;
	int i;

	memset(r, 0, sizeof(*r));
	r->nargs = -1;
	for (i = 0; i < 3 && t->candidates[i] && !sym; i++)
		sym = kallsyms_find(kv->ks, t->candidates[i], t->module);
	if (!sym && t->module && !kallsyms_has_module(kv->ks, t->module)) {
		r->waiting = true;
		snprintf(r->why, sizeof(r->why), "module %s not loaded: attached when it loads",
			 t->module);
		return;
	}
	if (!sym && t->absent_why) {
		snprintf(r->why, sizeof(r->why), "not on this kernel: %s", t->absent_why);
		return;
	}
	if (!sym) {
		snprintf(r->why, sizeof(r->why), "no %s%s%s in kallsyms%s%s%s", t->candidates[0],
			 t->candidates[1] ? "/" : "", t->candidates[1] ? t->candidates[1] : "",
			 t->module ? " (module " : "", t->module ? t->module : "",
			 t->module ? " loaded)" : "");
		return;
	}
	if (t->superseded_by && kallsyms_find(kv->ks, t->superseded_by, NULL)) {
		snprintf(r->why, sizeof(r->why), "not used here: %s replaces it", t->superseded_by);
		return;
	}
	r->func = t->candidates[i - 1];	/* the table's string: kallsyms is re-read */
	r->module = sym->module ? intern(sym->module) : NULL;
	if (t->fentry_prog || kv->all_nargs)
		r->nargs = kv->func_nargs(kv->ctx, sym->module, sym->name);
	pref = t->kprobe_preferred ? t->kprobe_preferred : sym->module ? PINS_MODULE : NULL;
	if (!t->fentry_prog) {
		r->style = STYLE_KPROBE;
		snprintf(r->why, sizeof(r->why), "%s", t->kprobe_preferred ? t->kprobe_preferred :
			 "kprobe only: one program for every signature (rare calls)");
	} else if (mode == MODE_KPROBE) {
		r->style = STYLE_KPROBE;
		snprintf(r->why, sizeof(r->why), "--mode kprobe");
	} else if (!fentry_possible(t, r->nargs, r->why, sizeof(r->why), sym->module)) {
		r->style = mode == MODE_FENTRY ? STYLE_NONE : STYLE_KPROBE;
	} else if (mode == MODE_FENTRY && sym->module) {
		r->style = STYLE_FENTRY;
		snprintf(r->why, sizeof(r->why), "--mode fentry: pins %s (rmmod fails with EAGAIN) "
			 "and its reloads are not followed", sym->module);
	} else if (mode == MODE_FENTRY || !pref) {
		r->style = STYLE_FENTRY;
		snprintf(r->why, sizeof(r->why), "BTF for %s", sym->module ? sym->module : "vmlinux");
	} else {
		r->style = STYLE_KPROBE;
		snprintf(r->why, sizeof(r->why), "%s", pref);
	}
}

const char *row_module(int row, const struct resolved *r)
{
	return r->func ? r->module : targets[row].module;
}

bool targets_waiting(const struct resolved out[NR_HOOKS])
{
	int i;

	for (i = 0; i < NR_HOOKS; i++)
		if (out[i].waiting && targets[i].required)
			return true;
	return false;
}

void keep_loaded_style(struct resolved *r, const struct resolved *loaded)
{
	if (loaded->style == STYLE_NONE || !r->func)
		return;
	r->style = loaded->style;
	memcpy(r->why, loaded->why, sizeof(r->why));
}

void resolve_module_rows(const struct kernel_view *kv, enum mode mode, const char *module,
			 struct resolved out[NR_HOOKS])
{
	int i;

	for (i = 0; i < NR_HOOKS; i++) {
		const char *m = row_module(i, &out[i]);
		struct resolved nr;

		if (!m || strcmp(m, module))
			continue;
		resolve_one(kv, &targets[i], mode, &nr);
		keep_loaded_style(&nr, &out[i]);
		out[i] = nr;
	}
}

/* Some row with t's hook name resolved, or waits for its module. */
static bool hook_found(const struct target *t, const struct resolved out[NR_HOOKS])
{
	int i;

	for (i = 0; i < NR_HOOKS; i++)
		if ((out[i].func || out[i].waiting) && !strcmp(targets[i].hook, t->hook))
			return true;
	return false;
}

int resolve_targets(const struct kernel_view *kv, enum mode mode,
		    struct resolved out[NR_HOOKS], char *errbuf, int errlen)
{
	int i;

	for (i = 0; i < NR_HOOKS; i++)
		resolve_one(kv, &targets[i], mode, &out[i]);
	/*
	 * VFIO loaded without its iommufd half: the kernel has no IOMMUFD (VFIO builds
	 * it whenever IOMMUFD is on), so the iommufd module will never load.
	 */
	if (!out[HOOK_IOMMUFD_ATTACH].func && !out[HOOK_IOMMUFD_ATTACH].waiting)
		for (i = 0; i < NR_HOOKS; i++)
			if (out[i].waiting && targets[i].module && !strcmp(targets[i].module, "iommufd")) {
				out[i].waiting = false;
				snprintf(out[i].why, sizeof(out[i].why), "not on this kernel: %s",
					 targets[i].absent_why);
			}
	/* where the get itself cannot be probed, the GET_DEVICE_FD return counts it */
	if (!out[HOOK_GET].func && out[HOOK_GET_FD].func)
		snprintf(out[HOOK_GET_FD].why + strlen(out[HOOK_GET_FD].why),
			 sizeof(out[HOOK_GET_FD].why) - strlen(out[HOOK_GET_FD].why),
			 "; counts the new fd's get (device_get not probeable)");
	for (i = 0; i < NR_HOOKS; i++) {
		const struct target *t = &targets[i];

		if (t->required && !hook_found(t, out)) {
			snprintf(errbuf, errlen, "%s: %s; %s", t->purpose, out[i].why, t->missing_hint);
			return -1;
		}
		if (out[i].func && out[i].style == STYLE_NONE) {
			snprintf(errbuf, errlen, "--mode fentry impossible for %s: %s; use --mode kprobe",
				 out[i].func, out[i].why);
			return -1;
		}
	}
	return 0;
}

void disable_opt_in(struct resolved out[NR_HOOKS], const char *given[])
{
	int i, k;

	for (i = 0; i < NR_HOOKS; i++) {
		bool on = !targets[i].opt_in;

		for (k = 0; given && given[k] && !on; k++)
			on = !strcmp(given[k], targets[i].opt_in);
		if (on)
			continue;
		out[i].func = NULL;
		out[i].module = NULL;
		out[i].style = STYLE_NONE;
		snprintf(out[i].why, sizeof(out[i].why), "off: enable with %s", targets[i].opt_in);
	}
}

static bool same_prog(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/*
 * A kprobe.multi row's programs are loaded for kprobe.multi (multi.h), and a
 * perf kprobe refuses such a program (6.5+): none may also be the program of
 * a row on a kprobe of its own, now or once its module loads.
 */
static bool shares_program(const struct resolved out[NR_HOOKS], int i)
{
	int j;

	for (j = 0; j < NR_HOOKS; j++) {
		bool own = targets[j].module || (out[j].func && out[j].style == STYLE_KPROBE);

		if (j != i && own && (same_prog(targets[i].kprobe_prog, targets[j].kprobe_prog) ||
				      same_prog(targets[i].kretprobe_prog, targets[j].kretprobe_prog)))
			return true;
	}
	return false;
}

void use_kprobe_multi(struct resolved out[NR_HOOKS])
{
	bool changed = true;
	int i, j;

	for (i = 0; i < NR_HOOKS; i++) {
		if (!out[i].func || out[i].module || out[i].style != STYLE_KPROBE || out[i].waiting)
			continue;
		/* the link finds a function's program by its address: one program per function */
		for (j = 0; j < i && !(out[j].style == STYLE_KPROBE_MULTI && !strcmp(out[j].func, out[i].func)); j++)
			;
		if (j == i)
			out[i].style = STYLE_KPROBE_MULTI;
	}
	/* a row taken off the links may share a program with another on them */
	while (changed) {
		changed = false;
		for (i = 0; i < NR_HOOKS; i++) {
			if (out[i].style == STYLE_KPROBE_MULTI && shares_program(out, i)) {
				out[i].style = STYLE_KPROBE;
				changed = true;
			}
		}
	}
}

/* Every row of style from gets style to, and why. */
static void restyle(struct resolved out[NR_HOOKS], enum style from, enum style to, const char *why)
{
	int i;

	for (i = 0; i < NR_HOOKS; i++) {
		if (out[i].style != from)
			continue;
		out[i].style = to;
		snprintf(out[i].why, sizeof(out[i].why), "%s", why);
	}
}

void fall_back_from_multi(struct resolved out[NR_HOOKS], const char *why)
{
	restyle(out, STYLE_KPROBE_MULTI, STYLE_KPROBE, why);
}

void fall_back_to_kprobes(struct resolved out[NR_HOOKS], const char *why)
{
	restyle(out, STYLE_FENTRY, STYLE_KPROBE, why);
}
