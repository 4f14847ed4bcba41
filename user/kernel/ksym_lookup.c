// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ksym_lookup.h"
#include "ksym_lookup.skel.h"
#include "log.h"
#include "../../bpf/ksym_lookup.h"

struct query {
	char what[KSYM_MAX][KSYM_LEN];
	int n;
};

static bool kernel_sorts_names(void)
{
	unsigned int ma = 0, mi = 0;
	struct utsname u;

	return !uname(&u) && sscanf(u.release, "%u.%u", &ma, &mi) == 2 && ma * 1000 + mi >= 6002;
}

/* Index of "module:name" (module NULL: "name") in q, added if new; -1 when it does not fit. */
static int ask(struct query *q, const char *module, const char *name)
{
	char s[KSYM_LEN];
	int i;

	if (snprintf(s, sizeof(s), "%s%s%s", module ? module : "", module ? ":" : "", name) >= KSYM_LEN)
		return -1;
	for (i = 0; i < q->n; i++)
		if (!strcmp(q->what[i], s))
			return i;
	if (q->n == KSYM_MAX)
		return -1;
	memcpy(q->what[q->n], s, sizeof(s));
	return q->n++;
}

/* Runs the lookups of q: addrs[i] 0 where the kernel has no such symbol. 0, or -1. */
static int run(const struct query *q, unsigned long long addrs[KSYM_MAX])
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct ksym_lookup_bpf *skel = ksym_lookup_bpf__open_and_load();
	int i, r = -1;

	if (!skel) {
		dbg("kallsyms: no lookup by name (%s): reading /proc/kallsyms", strerror(errno));
		return -1;
	}
	memcpy(skel->bss->names, q->what, sizeof(q->what));
	skel->bss->count = q->n;
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ksym_lookup), &opts)) {
		dbg("kallsyms: running the lookup: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < q->n; i++) {
		long e = skel->bss->errs[i];

		if (e && e != -ENOENT) {
			dbg("kallsyms: looking up %s: %s", q->what[i], strerror((int)-e));
			goto out;
		}
		addrs[i] = e ? 0 : skel->bss->addrs[i];
	}
	r = 0;
out:
	ksym_lookup_bpf__destroy(skel);
	return r;
}

/* The modules in /proc/modules, at most max: how many, or -1 if unreadable. */
static int modules(const char *path, char loaded[][64], int max)
{
	char line[512];
	FILE *f = fopen(path, "re");
	int n = 0;

	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f))
		n += sscanf(line, "%63s", loaded[n]) == 1;
	fclose(f);
	return n;
}

static bool is_loaded(char loaded[][64], int n, const char *module)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(loaded[i], module))
			return true;
	return false;
}

int ksym_lookup_table(struct kallsyms *ks, const char *modules_path, const char *const names[],
		      const char *const mods[], int n)
{
	static struct query q;
	unsigned long long addrs[KSYM_MAX], before, stext, etext;
	char loaded[256][64], *text = NULL;
	int i, k, nloaded, plain[KSYM_MAX], in_mod[KSYM_MAX], r = -1;
	size_t len = 0;
	FILE *f;

	if (!kernel_sorts_names() || getenv("VFIOTRACE_KALLSYMS_READ"))
		return -1;
	memset(ks, 0, sizeof(*ks));
	q.n = 0;
	before = kallsyms_modules_state(modules_path);
	nloaded = modules(modules_path, loaded, 256);
	if (!before || nloaded < 0 || nloaded == 256)
		return -1;
	ask(&q, NULL, "_stext");
	ask(&q, NULL, "_etext");
	for (i = 0; i < n; i++) {
		plain[i] = ask(&q, NULL, names[i]);
		in_mod[i] = mods[i] && is_loaded(loaded, nloaded, mods[i]) ? ask(&q, mods[i], names[i]) : -2;
		if (plain[i] < 0 || in_mod[i] == -1)
			goto fail;
	}
	if (run(&q, addrs) || kallsyms_modules_state(modules_path) != before)
		goto fail;
	stext = addrs[0];
	etext = addrs[1];
	if (!stext || etext <= stext || !(f = open_memstream(&text, &len)))
		goto fail;
	/* vmlinux first, then the modules: the order a read of kallsyms has */
	for (i = 0; i < q.n; i++)
		if (addrs[i] >= stext && addrs[i] < etext && !strchr(q.what[i], ':'))
			fprintf(f, "%llx T %s\n", addrs[i], q.what[i]);
	for (i = 0; i < q.n; i++) {
		char *colon = strchr(q.what[i], ':');

		if (colon && addrs[i])
			fprintf(f, "%llx T %s\t[%.*s]\n", addrs[i], colon + 1, (int)(colon - q.what[i]), q.what[i]);
	}
	fclose(f);
	/* found outside vmlinux, but in none of the table's modules: somewhere kallsyms would say */
	for (i = 0; i < n; i++) {
		unsigned long long a = addrs[plain[i]];
		bool known = !a || (a >= stext && a < etext);

		for (k = 0; k < n && !known; k++)
			known = in_mod[k] >= 0 && !strcmp(names[k], names[i]) && addrs[in_mod[k]] == a;
		if (!known) {
			dbg("kallsyms: %s is in a module the table does not name: reading /proc/kallsyms",
			    names[i]);
			goto fail;
		}
	}
	f = fmemopen(text, len, "r");
	if (f && !kallsyms_read(ks, f)) {
		for (i = 0, r = 0; i < nloaded && !r; i++)
			r = kallsyms_add_module(ks, loaded[i]);
		ks->reads = 1;
		ks->settled = true;
	}
	if (f)
		fclose(f);
	free(text);
	if (!r) {
		dbg("kallsyms: %d names looked up in the kernel (6.2+), /proc/kallsyms not read", q.n);
		return 0;
	}
	kallsyms_free(ks);
	return -1;
fail:
	free(text);
	kallsyms_free(ks);
	return -1;
}
