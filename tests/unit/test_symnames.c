// SPDX-License-Identifier: GPL-2.0
/*
 * symnames names an address as kallsyms_at() on a whole read of kallsyms
 * names it (included by test_main.c): a table in the /proc/kallsyms format
 * with vmlinux's symbols in order, aliases (several names at one address),
 * data symbols, _etext, modules' symbols out of order and below vmlinux's, a
 * hidden (zero) address, and addresses in no symbol; every address around
 * every symbol is asked.
 */
#include "symnames.h"

static int write_table(char *path, size_t len)
{
	FILE *f;
	int i;

	snprintf(path, len, "/tmp/vfiotrace-unit-symnames-%d", (int)getpid());
	if (!(f = fopen(path, "w")))
		return -1;
	fprintf(f, "0000000000000000 T hidden_at_zero\n");
	for (i = 0; i < 40; i++) {
		fprintf(f, "ffffffff81%06x %c v%d\n", i * 256, i % 3 ? 't' : 'T', i);
		if (i % 7 == 0)		/* an alias: the later listed names the address */
			fprintf(f, "ffffffff81%06x t v%d_alias\n", i * 256, i);
		if (i % 5 == 0)		/* data between functions names nothing */
			fprintf(f, "ffffffff81%06x d data%d\n", i * 256 + 128, i);
	}
	fprintf(f, "ffffffff81%06x T _etext\n", 40 * 256);
	fprintf(f, "ffffffff83000000 D after_etext\n");
	for (i = 0; i < 30; i++)	/* modules: scattered, some below vmlinux */
		fprintf(f, "ffffffff%s%04x t m%d\t[mod%d]\n", i % 4 ? "c0" : "80", (i * 17 % 30) * 512,
			i, i % 3);
	fclose(f);
	return 0;
}

/* Every address asked, some twice: their names as kallsyms_at() gives them. */
static int table_addrs(const struct kallsyms *ks, unsigned long long *a, int max)
{
	int i, n = 0;

	for (i = 0; i < ks->n && n + 4 <= max; i++) {
		a[n++] = ks->syms[i].addr;
		a[n++] = ks->syms[i].addr + 1;
		a[n++] = ks->syms[i].addr - 1;
		a[n++] = ks->syms[i].addr + 200;
	}
	if (n + 3 <= max) {
		a[n++] = ks->text_end;
		a[n++] = ks->text_end - 1;
		a[n++] = 0xffffffffffff0000ULL;
	}
	return n;
}

static bool same_as_table(const struct symnames *s, const struct kallsyms *ks,
			  const unsigned long long *a, int n)
{
	bool ok = true;
	int i;

	for (i = 0; i < n; i++) {
		unsigned long long off;
		const struct ksym *k = a[i] ? kallsyms_at(ks, a[i], &off) : NULL;
		const struct symname *e = symnames_get(s, a[i]);

		if (!a[i])
			continue;
		if (!e || !!e->name != !!k ||
		    (k && (strcmp(e->name, k->name) || e->start != k->addr ||
			   !!e->module != !!k->module || (k->module && strcmp(e->module, k->module))))) {
			fprintf(stderr, "  %llx: symnames %s [%s], table %s [%s]\n", a[i],
				e && e->name ? e->name : "-", e && e->module ? e->module : "",
				k ? k->name : "-", k && k->module ? k->module : "");
			ok = false;
		}
	}
	return ok;
}

static void test_symnames(void)
{
	unsigned long long a[512];
	struct kallsyms ks;
	struct symnames s;
	char path[128];
	int n, i, waits = 0;

	if (write_table(path, sizeof(path)) || kallsyms_load(&ks, path)) {
		CHECK(0, "the table written and read");
		unlink(path);
		return;
	}
	n = table_addrs(&ks, a, 512);
	CHECK(n > 300, "%d addresses", n);

	/* all at once: one read */
	symnames_init(&s, path, "/nonexistent/modules");
	for (i = 0; i < n; i++)
		waits += symnames_want(&s, a[i]) > 0;
	CHECK(waits > 0 && s.unknown == s.n && !symnames_get(&s, a[0] ? a[0] : a[1]),
	      "asked, none named before a read");
	symnames_resolve(&s);
	CHECK(s.reads == 1 && !s.unknown, "one read for all (%d)", s.reads);
	CHECK(same_as_table(&s, &ks, a, n), "every address named as the whole table names it");
	CHECK(symnames_want(&s, a[1]) == 0, "a known address waits for nothing");
	symnames_resolve(&s);
	CHECK(s.reads == 1, "nothing to read: no read");
	symnames_free(&s);

	/* in two batches, the second through the thread */
	symnames_init(&s, path, "/nonexistent/modules");
	for (i = 0; i < n / 2; i++)
		symnames_want(&s, a[i]);
	symnames_resolve(&s);
	for (; i < n; i++)
		symnames_want(&s, a[i]);
	for (i = 0; !symnames_ready(&s) && i < 5000; i++)
		usleep(1000);
	CHECK(s.reads == 2 && !s.unknown, "a read per batch (%d)", s.reads);
	CHECK(same_as_table(&s, &ks, a, n), "batches name as one read does");
	/* forgotten (a module came): asked again, read again */
	symnames_forget(&s);
	CHECK(!s.n && symnames_want(&s, a[1]) == 1, "forgotten names are asked again");
	symnames_resolve(&s);
	CHECK(s.reads == 3 && same_as_table(&s, &ks, a + 1, 1), "named again");
	symnames_free(&s);

	/* unreadable: nothing named, and no read tried again */
	symnames_init(&s, "/nonexistent/kallsyms", "/nonexistent/modules");
	symnames_want(&s, a[1]);
	symnames_resolve(&s);
	CHECK(s.failed && symnames_get(&s, a[1]) && !symnames_get(&s, a[1])->name, "unreadable: unnamed");
	CHECK(symnames_want(&s, a[2]) == 0 && symnames_ready(&s), "unreadable: no further read waited for");
	symnames_free(&s);

	kallsyms_free(&ks);
	unlink(path);
}
