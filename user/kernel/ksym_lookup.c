// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ksym_lookup.h"
#include "ksym_lookup.skel.h"
#include "kversion.h"
#include "log.h"

/* "module:name" (module NULL: "name") into s; false when it does not fit. */
static bool query(char s[KSYM_LEN], const char *module, const char *name)
{
	/* all KSYM_LEN bytes are passed: the kernel refuses a name whose last byte is not NUL */
	memset(s, 0, KSYM_LEN);
	return snprintf(s, KSYM_LEN, "%s%s%s", module ? module : "", module ? ":" : "", name) < KSYM_LEN;
}

/* Adds the lookup once: false when it does not fit. */
static bool ask(struct ksym_lookups *lk, const char *module, const char *name)
{
	char s[KSYM_LEN];
	int i;

	if (!query(s, module, name))
		return false;
	for (i = 0; i < lk->n; i++)
		if (!strcmp(lk->what[i], s))
			return true;
	if (lk->n == KSYM_MAX)
		return false;
	memcpy(lk->what[lk->n++], s, KSYM_LEN);
	return true;
}

/* The kernel's answer for "module:name"; 0: none, or not asked. */
static unsigned long long answer(const struct ksym_lookups *lk, const char *module, const char *name)
{
	char s[KSYM_LEN];
	int i;

	if (!query(s, module, name))
		return 0;
	for (i = 0; i < lk->n; i++)
		if (!strcmp(lk->what[i], s))
			return lk->addr[i];
	return 0;
}

static bool loaded(const struct ksym_lookups *lk, const char *module)
{
	int i;

	for (i = 0; i < lk->nloaded; i++)
		if (!strcmp(lk->loaded[i], module))
			return true;
	return false;
}

/* Runs lk's lookups: lk->addr. 0, or -1 (said with -v). */
static int run(struct ksym_lookups *lk)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct ksym_lookup_bpf *skel = ksym_lookup_bpf__open_and_load();
	int i, r = -1;

	if (!skel) {
		dbg("kallsyms: no lookup by name (%s): reading /proc/kallsyms", strerror(errno));
		return -1;
	}
	memcpy(skel->bss->names, lk->what, sizeof(lk->what));
	skel->bss->count = lk->n;
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ksym_lookup), &opts)) {
		dbg("kallsyms: running the lookup: %s: reading /proc/kallsyms", strerror(errno));
		goto out;
	}
	for (i = 0; i < lk->n; i++) {
		long e = skel->bss->errs[i];

		if (e && e != -ENOENT) {
			dbg("kallsyms: looking up %s: %s: reading /proc/kallsyms", lk->what[i], strerror((int)-e));
			goto out;
		}
		lk->addr[i] = e ? 0 : skel->bss->addrs[i];
	}
	r = 0;
out:
	ksym_lookup_bpf__destroy(skel);
	return r;
}

int ksym_lookups_plan(struct ksym_lookups *lk, const char *const names[], const char *const mods[], int n)
{
	int i;

	lk->n = 0;
	if (!ask(lk, NULL, "_stext") || !ask(lk, NULL, "_etext"))
		return -1;
	for (i = 0; i < n; i++)
		if (!ask(lk, NULL, names[i]) || (mods[i] && loaded(lk, mods[i]) && !ask(lk, mods[i], names[i])))
			return -1;
	return 0;
}

int ksym_table_build(struct kallsyms *ks, const struct ksym_lookups *lk, const char *const names[],
		     const char *const mods[], int n)
{
	unsigned long long stext = answer(lk, NULL, "_stext"), etext = answer(lk, NULL, "_etext");
	char *text = NULL;
	size_t len = 0;
	int i, r = -1;
	FILE *f;

	memset(ks, 0, sizeof(*ks));
	if (!stext || etext <= stext) {
		dbg("kallsyms: the lookup found no kernel text: reading /proc/kallsyms");
		return -1;
	}
	/* a read would list it with its module: a vmlinux row would resolve to that module */
	for (i = 0; i < n; i++) {
		unsigned long long a = mods[i] ? 0 : answer(lk, NULL, names[i]);

		if (a && (a < stext || a >= etext)) {
			dbg("kallsyms: %s is in a module: reading /proc/kallsyms", names[i]);
			return -1;
		}
	}
	f = open_memstream(&text, &len);
	if (!f)
		return -1;
	/* the format of a read: vmlinux's functions, then the modules' */
	for (i = 0; i < lk->n; i++) {
		const char *colon = strchr(lk->what[i], ':');

		if (!lk->addr[i])
			continue;
		if (colon)
			fprintf(f, "%llx T %s\t[%.*s]\n", lk->addr[i], colon + 1, (int)(colon - lk->what[i]),
				lk->what[i]);
		else if (lk->addr[i] >= stext && lk->addr[i] < etext)
			fprintf(f, "%llx T %s\n", lk->addr[i], lk->what[i]);
	}
	if (fclose(f))
		goto out;
	f = fmemopen(text, len, "r");
	if (f && !kallsyms_read(ks, f))
		r = kallsyms_as_read(ks, lk->loaded, lk->nloaded);
	if (f)
		fclose(f);
out:
	free(text);
	return r;
}

int ksym_lookup_table(struct kallsyms *ks, const char *modules_path, const char *const names[],
		      const char *const mods[], int n)
{
	static struct ksym_lookups lk;
	unsigned long long before;

	memset(ks, 0, sizeof(*ks));
	if (running_kernel() < KV(6, 2) || getenv("VFIOTRACE_KALLSYMS_READ"))
		return -1;
	memset(&lk, 0, sizeof(lk));
	before = kallsyms_modules_list(modules_path, lk.loaded, KSYM_MODULES, &lk.nloaded);
	if (!before || lk.nloaded > KSYM_MODULES) {
		dbg("kallsyms: cannot list the modules (%s): reading /proc/kallsyms", modules_path);
		return -1;
	}
	if (ksym_lookups_plan(&lk, names, mods, n)) {
		dbg("kallsyms: more names than one lookup takes: reading /proc/kallsyms");
		return -1;
	}
	if (run(&lk))
		return -1;
	if (kallsyms_modules_state(modules_path) != before) {
		dbg("kallsyms: modules changed during the lookup: reading /proc/kallsyms");
		return -1;
	}
	if (ksym_table_build(ks, &lk, names, mods, n))
		return -1;
	dbg("kallsyms: %d names looked up in the kernel (6.2+), /proc/kallsyms not read", lk.n);
	return 0;
}
