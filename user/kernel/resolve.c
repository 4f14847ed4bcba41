// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "ksym_iter.h"
#include "ksym_lookup.h"
#include "kversion.h"
#include "resolve.h"
#include "thread.h"

int resolve_read_kallsyms(struct resolver *rs)
{
	const char *names[NR_HOOKS * 4], *mods[NR_HOOKS * 4];
	int n = target_functions(names, mods, NR_HOOKS * 4);

	/*
	 * Settled: a single read, made as modules loaded (the module event comes
	 * before the module's init, and the next modules of a modprobe's queue
	 * load meanwhile), once lacked a function of vfio while listing vfio.
	 */
	return kallsyms_load_settled(&rs->ks, rs->kallsyms_path ? rs->kallsyms_path : "/proc/kallsyms",
				     rs->modules_path ? rs->modules_path : "/proc/modules", names, n,
				     KALLSYMS_TRIES) || !rs->ks.seen ? -1 : 0;
}

/*
 * At start-up: by name where the kernel can say it as a read would (ksym_lookup.h), else
 * listed by the kernel's iterator (ksym_iter.h), else read.
 */
static int lookup_kallsyms(struct resolver *rs)
{
	const char *names[NR_HOOKS * 4], *mods[NR_HOOKS * 4];
	const char *modules = rs->modules_path ? rs->modules_path : "/proc/modules";
	int n = target_functions(names, mods, NR_HOOKS * 4);

	rs->kallsyms_how = "looked up";
	if (!rs->kallsyms_path && !ksym_lookup_table(&rs->ks, modules, names, mods, n))
		return 0;
	rs->kallsyms_how = "iterated";
	if (rs->ksym_iter_core.path[0]) {
		int r = ksym_iter_table(&rs->ks, modules, rs->ksym_iter_core.path, rs->ksym_iter_id, names, n);

		core_btf_close(&rs->ksym_iter_core);
		if (!r)
			return 0;
	}
	rs->kallsyms_how = "read";
	return resolve_read_kallsyms(rs);
}

static void *kallsyms_thread(void *arg)
{
	struct resolver *rs = arg;
	unsigned long long t0 = mono_ns();
	int rc = lookup_kallsyms(rs);

	rs->kallsyms_ns = mono_ns() - t0;
	return rc ? rs : NULL;
}

bool resolve_kallsyms_after_btf(const struct resolver *rs)
{
	unsigned int kv = running_kernel();

	return !rs->kallsyms_path && kv >= KV(6, 0) && kv < KV(6, 2) && !getenv("VFIOTRACE_KALLSYMS_READ");
}

void resolve_ksym_iter_prepare(struct resolver *rs)
{
	if (!rs->ksym_iter_core.path[0] && rs->ksym_iter_id > 0)
		ksym_iter_core(&rs->ksym_iter_core, &rs->kb);
}

void resolve_kallsyms_start(struct resolver *rs, struct kallsyms_reader *r)
{
	r->threaded = !thread_start(&r->th, kallsyms_thread, rs);
	r->rc = r->threaded ? 0 : lookup_kallsyms(rs);
}

int resolve_kallsyms_wait(struct kallsyms_reader *r)
{
	void *rc;

	if (r->threaded) {
		pthread_join(r->th, &rc);
		r->threaded = false;
		r->rc = rc ? -1 : 0;
	}
	return r->rc;
}

/* In the kernel's BTF iff it has fprobe (CONFIG_FPROBE), which kprobe.multi links are made of (5.18+). */
#define FPROBE_FUNC "register_fprobe_ips"
/* The kfunc that makes a pointer one the kernel lets a program load through (6.2+, bpf/multi.bpf.c). */
#define RDONLY_CAST_FUNC "bpf_rdonly_cast"
/* The map element iterator's target (5.9+), which bpf/map_dump.bpf.c is loaded for. */
#define MAP_ITER_FUNC "bpf_iter_bpf_map_elem"
/* The kallsyms iterator's target (6.0+), bpf/ksym_iter.bpf.c's. */
#define KSYM_ITER_FUNC "bpf_iter_ksym"
/* The bpf_loop helper's function (5.17+): without it, the unrolled programs (targets.h). */
#define BPF_LOOP_FUNC "bpf_loop"
/* The kfuncs of kprobe.session programs (6.10+, bpf/multi.bpf.c): without them, kprobe.multi links only. */
#define SESSION_FUNC "bpf_session_is_return"
#define SESSION_COOKIE_FUNC "bpf_session_cookie"

/*
 * In its row's module and built in: start-up resolves against this, so that
 * the BTF can be released before libbpf parses its own.
 */
void resolve_btf_funcs(struct resolver *rs)
{
	const char *names[NR_HOOKS * 4], *mods[NR_HOOKS * 4];
	int i, k = 0, n = target_functions(names, mods, NR_HOOKS * 4);

	for (i = 0; i < n; i++) {
		if (mods[i])
			rs->funcs[k++] = (struct btf_func){ .module = mods[i], .name = names[i], .nargs = -1 };
		rs->funcs[k++] = (struct btf_func){ .name = names[i], .nargs = -1 };
	}
	rs->funcs[k++] = (struct btf_func){ .name = FPROBE_FUNC, .nargs = -1 };
	rs->funcs[k++] = (struct btf_func){ .name = RDONLY_CAST_FUNC, .nargs = -1 };
	rs->funcs[k++] = (struct btf_func){ .name = MAP_ITER_FUNC, .nargs = -1 };
	rs->funcs[k++] = (struct btf_func){ .name = KSYM_ITER_FUNC, .nargs = -1 };
	rs->funcs[k++] = (struct btf_func){ .name = BPF_LOOP_FUNC, .nargs = -1 };
	rs->funcs[k++] = (struct btf_func){ .name = SESSION_FUNC, .nargs = -1 };
	rs->funcs[k++] = (struct btf_func){ .name = SESSION_COOKIE_FUNC, .nargs = -1 };
	_Static_assert(RESOLVE_MORE_FUNCS == 7, "resolve.h: RESOLVE_MORE_FUNCS counts the names above");
	rs->funcs[k].name = NULL;
	kernel_btf_funcs(&rs->kb, rs->funcs, k);
	rs->kprobe_multi = btf_funcs_find(rs->funcs, NULL, FPROBE_FUNC)->nargs >= 0;
	rs->rdonly_cast_id = btf_funcs_find(rs->funcs, NULL, RDONLY_CAST_FUNC)->id;
	rs->map_iter_id = btf_funcs_find(rs->funcs, NULL, MAP_ITER_FUNC)->id;
	rs->ksym_iter_id = btf_funcs_find(rs->funcs, NULL, KSYM_ITER_FUNC)->id;
	rs->bpf_loop = btf_funcs_find(rs->funcs, NULL, BPF_LOOP_FUNC)->nargs >= 0;
	rs->session_is_return_id = btf_funcs_find(rs->funcs, NULL, SESSION_FUNC)->id;
	rs->session_cookie_id = btf_funcs_find(rs->funcs, NULL, SESSION_COOKIE_FUNC)->id;
	targets_set_bpf_loop(rs->bpf_loop);
}

/* kernel_view callback: the table, else (found in another module) the BTF again. */
static int table_nargs(void *ctx, const char *module, const char *func)
{
	struct resolver *rs = ctx;
	const struct btf_func *f = btf_funcs_find(rs->funcs, module, func);

	return f ? f->nargs : kernel_btf_func_nargs(&rs->kb, module, func);
}

struct kernel_view resolve_view(struct resolver *rs, const struct kallsyms *ks)
{
	return (struct kernel_view){ .ks = ks, .func_nargs = table_nargs, .ctx = rs,
				     .all_nargs = rs->all_nargs };
}

void resolve_opt_ins(const struct resolver *rs, struct resolved res[NR_HOOKS])
{
	disable_opt_in(res, (const char *[]){ rs->dma ? "--dma" : NULL, NULL });
}

/*
 * kallsyms as BTF foretells it: every function of the table BTF describes.
 * Not always right (pahole leaves out functions that cannot be traced or
 * whose prototype varies; a function may be in BTF and inlined everywhere):
 * what is loaded on it is kept only if kallsyms resolves alike.
 */
static int btf_symbols(const struct resolver *rs, struct kallsyms *ks)
{
	const struct btf_func *b;
	size_t len = 0;
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);
	int r = -1;

	memset(ks, 0, sizeof(*ks));
	if (!f)
		return -1;
	for (b = rs->funcs; b->name; b++)
		if (b->nargs >= 0)
			fprintf(f, b->module ? "0 T %s\t[%s]\n" : "0 T %s\n", b->name, b->module);
	if (!fclose(f) && len && (f = fmemopen(text, len, "r"))) {
		r = kallsyms_read(ks, f);
		fclose(f);
	}
	free(text);
	return r;
}

int resolve_guess(struct resolver *rs, struct resolved guess[NR_HOOKS], char *msg, int len)
{
	struct kallsyms ks;
	struct kernel_view kv;
	int r;

	if (btf_symbols(rs, &ks))
		return -1;
	kv = resolve_view(rs, &ks);
	r = resolve_targets(&kv, rs->mode, guess, msg, len);
	kallsyms_free(&ks);
	if (r || targets_waiting(guess))
		return -1;
	resolve_opt_ins(rs, guess);
	return 0;
}

int resolve_differing_row(const struct resolved a[NR_HOOKS], const struct resolved b[NR_HOOKS])
{
	int i;

	for (i = 0; i < NR_HOOKS; i++)
		if (a[i].func != b[i].func || a[i].module != b[i].module || a[i].style != b[i].style ||
		    a[i].waiting != b[i].waiting)
			return i;
	return -1;
}
