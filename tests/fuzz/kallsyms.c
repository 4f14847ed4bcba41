// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/kallsyms parsing (user/kernel/kallsyms.c) and the probe-target resolution
 * over it (user/kernel/targets.c): the input after a mode byte is the kallsyms text.
 * Lookups must agree with the table, resolution must not fail silently, and
 * symnames (one pass over the text for the addresses asked) must name every
 * address as the table does.
 */
#include <unistd.h>
#include "fuzz.h"
#include "kallsyms.h"
#include "symnames.h"
#include "targets.h"

/*
 * The table has e's symbol (name, module) at e's start. Of several symbols at
 * one address (aliases), either names it: the table's sort does not keep their
 * order where kallsyms lists them out of address order (modules).
 */
static bool alias(const struct kallsyms *ks, const struct symname *e)
{
	int i;

	for (i = 0; i < ks->n; i++)
		if (ks->syms[i].addr == e->start && !strcmp(ks->syms[i].name, e->name) &&
		    !ks->syms[i].module == !e->module && (!e->module || !strcmp(ks->syms[i].module, e->module)))
			return true;
	return false;
}

/* The text in a file (symnames reads a path), named as kallsyms_at() names every address asked. */
static void check_symnames(const struct kallsyms *ks, const uint8_t *text, size_t len,
			   const unsigned long long *extra, int nextra)
{
	static char path[64];
	struct symnames s;
	FILE *f;
	int i, k;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/vfiotrace-fuzz-kallsyms-%d", (int)getpid());
	if (!(f = fopen(path, "w")))
		return;
	fwrite(text, 1, len, f);
	fclose(f);
	symnames_init(&s, path, "/nonexistent");
	for (i = 0; i < ks->n && i < 64; i++)
		for (k = -1; k <= 1; k++)
			symnames_want(&s, ks->syms[i].addr + k);
	for (i = 0; i < nextra; i++)
		symnames_want(&s, extra[i]);
	symnames_resolve(&s);
	for (i = 0; i < s.n; i++) {
		unsigned long long off;
		const struct ksym *k = kallsyms_at(ks, s.v[i].addr, &off);
		const struct symname *e = &s.v[i];

		if (!e->known)
			FUZZ_FAIL("%llx not named after a read", e->addr);
		if (!!k != !!e->name || (k && (k->addr != e->start || !alias(ks, e))))
			FUZZ_FAIL("%llx: symnames %s, the table %s", e->addr, e->name ? e->name : "-",
				  k ? k->name : "-");
	}
	symnames_free(&s);
	unlink(path);
}

/* BTF stand-in: an argument count that depends on the name, sometimes none. */
static int fake_nargs(void *ctx, const char *module, const char *func)
{
	unsigned int h = *(unsigned int *)ctx;

	for (; *func; func++)
		h = h * 31 + (unsigned char)*func;
	(void)module;
	return (int)(h % 6) - 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct resolved out[NR_HOOKS];
	struct input in = { data, size };
	unsigned int seed = take_byte(&in);
	struct kallsyms ks;
	struct kernel_view kv = { .ks = &ks, .func_nargs = fake_nargs, .ctx = &seed, .all_nargs = seed & 8 };
	const char *given[] = { (seed & 4) ? "--dma" : NULL, NULL };
	char err[256];
	unsigned long long off;
	FILE *f;
	int i;

	f = fmemopen((void *)(in.n ? in.p : (const uint8_t *)""), in.n ? in.n : 1, "r");
	if (!f)
		return 0;
	if (kallsyms_read(&ks, f))
		FUZZ_FAIL("kallsyms_read failed without running out of memory");
	fclose(f);
	for (i = 1; i < ks.n; i++)
		if (ks.syms[i - 1].addr > ks.syms[i].addr)
			FUZZ_FAIL("symbols not sorted at %d", i);
	for (i = 0; i < ks.n; i++) {
		const struct ksym *s = kallsyms_at(&ks, ks.syms[i].addr, &off);

		if (!ks.syms[i].name || !kallsyms_find(&ks, ks.syms[i].name, NULL))
			FUZZ_FAIL("symbol %d not found by name", i);
		if (s && (s->addr != ks.syms[i].addr || off))
			FUZZ_FAIL("kallsyms_at(%llx) is %llx+%llx", ks.syms[i].addr, s->addr, off);
		if (ks.syms[i].module && !kallsyms_has_module(&ks, ks.syms[i].module))
			FUZZ_FAIL("module %s not listed", ks.syms[i].module);
	}
	{
		const uint8_t *text = in.p;
		size_t len = in.n;
		unsigned long long extra[2] = { take_u64(&in), take_u64(&in) };

		kallsyms_at(&ks, extra[0], &off);
		check_symnames(&ks, text, len, extra, 2);
	}
	err[0] = 0;
	if (resolve_targets(&kv, (enum mode)(seed % 3), out, err, sizeof(err)) && !err[0])
		FUZZ_FAIL("resolution failed without a reason");
	disable_opt_in(out, given);
	resolve_module_rows(&kv, (enum mode)(seed % 3), "vfio", out);
	if (seed & 8)
		fall_back_to_kprobes(out, "fentry refused");
	for (i = 0; i < NR_HOOKS; i++) {
		const char *names[2];

		if (!memchr(out[i].why, 0, sizeof(out[i].why)))
			FUZZ_FAIL("why of row %d unterminated", i);
		target_programs(&targets[i], &out[i], names);
		row_module(i, &out[i]);
	}
	kallsyms_free(&ks);
	return 0;
}
