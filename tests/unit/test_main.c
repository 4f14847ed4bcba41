// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the loader's logic: histogram slots and percentiles,
 * the JSON writer, option parsing, probe-target resolution against kallsyms
 * and BTF listings of the four Debian kernels, the table's program names against
 * the BPF object, symbolization.
 * Usage: unit FIXTURE_DIR. Ends with "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "catalogue.h"
#include "diagnose.h"
#include "dma_explain.h"
#include "errnames.h"
#include "events.h"
#include "holders.h"
#include "histogram.h"
#include "json.h"
#include "kallsyms.h"
#include "core_btf.h"
#include "kernel_btf.h"
#include "grow.h"
#include "group_name.h"
#include "nameset.h"
#include "resolve.h"
#include "rawbtf.h"
#include <linux/bpf.h>
#include <bpf/btf.h>
#include "lifecycle.h"
#include "options.h"
#include "privs.h"
#include "snapshot.h"
#include "stacks.h"
#include "refs.h"
#include "stat.h"
#include "targets.h"
#include "text.h"
#include "vmcache.h"

static int passed, failed;
static const char *fixtures;

#define CHECK(cond, ...) do {							\
	if (cond) { passed++; } else {						\
		failed++;							\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);	\
		fprintf(stderr, __VA_ARGS__);					\
		fputc('\n', stderr);						\
	}									\
} while (0)

static void test_hist_slots(void)
{
	unsigned long long v;
	int bad = 0;

	for (v = 0; v < (1ULL << 41); v = v * 5 / 4 + 1) {
		unsigned int s = hist_slot(v);

		if (hist_slot_low(s) > v || (s + 1 < HIST_SLOTS && v >> HIST_MAX_LOG2 == 0 &&
					     hist_slot_low(s + 1) <= v))
			bad++;
	}
	CHECK(bad == 0, "%d values outside their slot", bad);
	CHECK(hist_slot(0) == 0 && hist_slot(3) == 3 && hist_slot(4) == 4, "small values exact");
	CHECK(hist_slot(~0ULL) == HIST_SLOTS - 1, "huge values clamp to the top slot");
	/* the branch-free log2: the top bit of every width, 0 as 0 */
	for (bad = 0, v = 0; v < 64; v++)
		bad += hist_log2(1ULL << v) != v || hist_log2((1ULL << v) | ((1ULL << v) - 1)) != v ||
		       (v > 1 && hist_log2((1ULL << v) - 1) != v - 1);
	CHECK(bad == 0 && hist_log2(0) == 0, "hist_log2: %d widths wrong, hist_log2(0) = %u", bad, hist_log2(0));
}

/* A parse of its own, of the NUL-terminated name: what group_of_name must agree with. */
static int group_of_name_ref(const char *name)
{
	char buf[GROUP_NAME_MAX];
	unsigned int id = 0;	/* wrapping as the BPF side's did */
	bool digits = false;
	int i;

	snprintf(buf, sizeof(buf), "%s", name);
	for (i = 0; i < (int)sizeof(buf) && buf[i]; i++) {
		if (buf[i] >= '0' && buf[i] <= '9') {
			id = id * 10 + (unsigned int)(buf[i] - '0');
			digits = true;
		} else if (digits) {
			return -1;
		}
	}
	return digits ? (int)id : -1;
}

static void test_group_of_name(void)
{
	static const char *const names[] = { "0", "1", "5", "12", "255", "4096", "noiommu-0", "noiommu-37",
		"", "vfio", "12x", "1a2", "x12", "-3", "9999999", "123456789012345", "1234567890123456789",
		"noiommu-123456789", "/", ":", "09", "noiommu-", "12 ", " 12" };
	unsigned char buf[GROUP_NAME_MAX];
	unsigned int i, bad = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		long len;

		/* as bpf_probe_read_kernel_str leaves it: the bytes, cut, a NUL, garbage after */
		memset(buf, '7', sizeof(buf));
		len = snprintf((char *)buf, sizeof(buf), "%s", names[i]);
		len = (len < (long)sizeof(buf) ? len : (long)sizeof(buf) - 1) + 1;
		if (group_of_name(buf, len) != group_of_name_ref(names[i])) {
			fprintf(stderr, "group_of_name(\"%s\") = %d, not %d\n", names[i], group_of_name(buf, len),
				group_of_name_ref(names[i]));
			bad++;
		}
	}
	CHECK(bad == 0, "%u names parsed otherwise than the reference", bad);
}

static void test_percentiles(void)
{
	unsigned long long slots[HIST_SLOTS] = {}, p50, p99, b[HIST_MAX_LOG2 + 1];
	int i;

	CHECK(hist_percentile(slots, 50) == 0, "empty histogram");
	/* 90 samples of 1000 ns, 10 of 1,000,000 ns */
	for (i = 0; i < 90; i++)
		slots[hist_slot(1000)]++;
	for (i = 0; i < 10; i++)
		slots[hist_slot(1000000)]++;
	p50 = hist_percentile(slots, 50);
	p99 = hist_percentile(slots, 99);
	CHECK(p50 >= 896 && p50 < 1024, "p50 %llu in the slot of 1000 [896,1024)", p50);
	CHECK(p99 >= 917504 && p99 < 1048576, "p99 %llu in the slot of 1e6", p99);
	CHECK(hist_total(slots) == 100, "total");
	hist_to_log2(slots, b, HIST_MAX_LOG2 + 1);
	CHECK(b[9] == 90 && b[19] == 10, "log2 buckets 9:%llu 19:%llu", b[9], b[19]);
}

static void test_fmt_ns(void)
{
	char buf[16];

	CHECK(!strcmp(fmt_ns(850, buf, sizeof(buf)), "850ns"), "%s", buf);
	CHECK(!strcmp(fmt_ns(12345, buf, sizeof(buf)), "12.3us"), "%s", buf);
	CHECK(!strcmp(fmt_ns(4560000, buf, sizeof(buf)), "4.56ms"), "%s", buf);
}

static char *json_of(void (*fill)(struct json *))
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct json j;

	json_init(&j, f);
	fill(&j);
	fclose(f);
	return buf;
}

static void fill_nested(struct json *j)
{
	json_obj_begin(j, NULL);
	json_str(j, "s", "a\"b\\c\nd\te\x01");
	json_int(j, "neg", -5);
	json_arr_begin(j, "arr");
	json_uint(j, NULL, 1);
	json_null(j, NULL);
	json_obj_begin(j, NULL);
	json_bool(j, "t", true);
	json_obj_end(j);
	json_arr_end(j);
	json_obj_begin(j, "empty");
	json_obj_end(j);
	json_obj_end(j);
}

static void test_json(void)
{
	const char *want = "{\"s\":\"a\\\"b\\\\c\\nd\\te\\u0001\",\"neg\":-5,"
			   "\"arr\":[1,null,{\"t\":true}],\"empty\":{}}\n";
	char *got = json_of(fill_nested);

	CHECK(!strcmp(got, want), "got %s", got);
}

static void fill_bytes(struct json *j)
{
	json_line_begin(j, j->f, "t");
	/* valid UTF-8 as is; a stray continuation, a truncated sequence, an overlong NUL, a surrogate */
	json_str(j, "comm", "caf\xc3\xa9 \xe2\x82\xac|\x80|\xc3|\xc0\x80|\xed\xa0\x80");
	json_obj_end(j);
}

static void test_json_bytes(void)
{
	const char *want = "{\"type\":\"t\",\"comm\":\"caf\xc3\xa9 \xe2\x82\xac|\\u0080|\\u00c3|"
			   "\\u00c0\\u0080|\\u00ed\\u00a0\\u0080\"}\n";
	char *got = json_of(fill_bytes);

	CHECK(!strcmp(got, want), "bytes outside UTF-8 escaped: got %s", got);
}

static enum parse_result parse(struct options *o, char *err, const char *line)
{
	char copy[256], *argv[16];
	int argc = 0;

	snprintf(copy, sizeof(copy), "vfiotrace %s", line);
	for (char *t = strtok(copy, " "); t && argc < 15; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	return parse_options(argc, argv, o, err, 256);
}

static void test_options(void)
{
	struct options o;
	char err[256];

	CHECK(parse(&o, err, "") == PARSE_OK && o.cmd == CMD_STAT && o.group == -1, "default stat");
	CHECK(parse(&o, err, "snoop -j -g 12 -p 77 --mode kprobe") == PARSE_OK &&
	      o.cmd == CMD_SNOOP && o.json && o.group == 12 && o.pid == 77 && o.mode == MODE_KPROBE,
	      "snoop options");
	CHECK(parse(&o, err, "hist 5 3") == PARSE_OK && o.cmd == CMD_HIST && o.interval == 5 &&
	      o.count == 3, "interval count");
	CHECK(parse(&o, err, "2 --json") == PARSE_OK && o.cmd == CMD_STAT && o.interval == 2 && o.json,
	      "interval without command, option after it");
	CHECK(parse(&o, err, "stat -d 30 -j") == PARSE_OK && o.duration == 30, "duration");
	CHECK(parse(&o, err, "bogus") == PARSE_ERROR && strstr(err, "unknown command 'bogus'"), "%s", err);
	CHECK(parse(&o, err, "--nope") == PARSE_ERROR && strstr(err, "unknown option '--nope'"), "%s", err);
	CHECK(parse(&o, err, "-x") == PARSE_ERROR && strstr(err, "unknown option '-x'"), "%s", err);
	CHECK(parse(&o, err, "-g") == PARSE_ERROR && strstr(err, "needs a value"), "%s", err);
	CHECK(parse(&o, err, "-g -3") == PARSE_ERROR && strstr(err, "invalid group '-3'"), "%s", err);
	CHECK(parse(&o, err, "-d 0") == PARSE_ERROR && strstr(err, "duration"), "%s", err);
	CHECK(parse(&o, err, "--mode fast") == PARSE_ERROR && strstr(err, "auto, fentry or kprobe"), "%s", err);
	CHECK(parse(&o, err, "stat 1 2 3") == PARSE_ERROR && strstr(err, "unexpected argument '3'"), "%s", err);
	CHECK(parse(&o, err, "snoop 5") == PARSE_ERROR && strstr(err, "-d SECONDS"), "%s", err);
	CHECK(parse(&o, err, "-p 0") == PARSE_ERROR, "pid 0");
	{
		static const struct { const char *in; unsigned int want; } sz[] = {
			{ "1", 4096 }, { "4K", 4096 }, { "4097", 8192 }, { "5000", 8192 }, { "1M", 1 << 20 },
			{ "3m", 4 << 20 }, { "1G", 1u << 30 }, { "0", 0 }, { "1T", 0 }, { "", 0 }, { "-1", 0 },
			{ "4KB", 0 }, { "2G", 0 }, { "99999999999999999999", 0 },
		};
		unsigned int k, b;

		for (k = 0; k < sizeof(sz) / sizeof(sz[0]); k++) {
			int r = parse_ring_size(sz[k].in, &b);

			CHECK(sz[k].want ? !r && b == sz[k].want : r == -1, "--ring-buffer %s", sz[k].in);
		}
		CHECK(parse(&o, err, "snoop --ring-buffer 4K") == PARSE_OK && o.ringbuf == 4096, "--ring-buffer 4K");
		CHECK(parse(&o, err, "snoop --ring-buffer 4x") == PARSE_ERROR && strstr(err, "--ring-buffer '4x'"),
		      "--ring-buffer 4x: %s", err);
	}
	{
		/* the command table (commands.c): every command has its row; the parser reads it */
		static const enum command all[] = { CMD_STAT, CMD_SNOOP, CMD_HIST, CMD_REFS, CMD_PROBES,
						    CMD_DIAGNOSE };
		char list[128];
		unsigned int k;

		CHECK(n_commands == sizeof(all) / sizeof(all[0]), "%u commands in the table", n_commands);
		for (k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
			const struct command_def *c = command_get(all[k]);

			CHECK(c->cmd == all[k] && command_find(c->name) == c && c->help,
			      "command %d has its row", all[k]);
			CHECK(!c->tracing == !!c->why, "%s: a Tracing line, or why options do not apply", c->name);
		}
		CHECK(!command_find("stats") && !command_find(""), "no command 'stats'");
		CHECK(!strcmp(command_list(OPT_APPLIES_RINGBUF, false, " and ", list, sizeof(list)),
			      "snoop and refs"), "ring buffer commands: %s", list);
		CHECK(!strcmp(command_list(OPT_APPLIES_MODE, true, " or ", list, sizeof(list)),
			      "stat, snoop, hist or refs"), "tracing commands with --mode: %s", list);
		CHECK(parse(&o, err, "probes --mode kprobe --dma") == PARSE_OK && o.cmd == CMD_PROBES,
		      "probes takes --mode and --dma");
		CHECK(parse(&o, err, "diagnose --dma") == PARSE_ERROR &&
		      !strcmp(err, "diagnose traces nothing, --dma does not apply: drop it, or use it with "
			      "stat, snoop, hist or refs"), "%s", err);
	}
}

/* BTF listing fixture: lines "MODULE FUNC NARGS" (MODULE vmlinux for the core kernel). */
struct btf_fixture {
	char mod[16][32], func[16][64];
	int nargs[16], n;
};

static int fixture_nargs(void *ctx, const char *module, const char *func)
{
	struct btf_fixture *b = ctx;
	int i;

	for (i = 0; i < b->n; i++)
		if (!strcmp(b->mod[i], module ? module : "vmlinux") && !strcmp(b->func[i], func))
			return b->nargs[i];
	return -1;
}

static int resolve_fixture(const char *kernel, enum mode mode, struct resolved r[NR_HOOKS],
			   char *err, struct kallsyms *ks)
{
	struct btf_fixture b = {};
	struct kernel_view kv;
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.kallsyms", fixtures, kernel);
	if (kallsyms_load(ks, path)) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s.btf", fixtures, kernel);
	f = fopen(path, "r");
	while (f && b.n < 16 && fscanf(f, "%31s %63s %d", b.mod[b.n], b.func[b.n], &b.nargs[b.n]) == 3)
		b.n++;
	if (f)
		fclose(f);
	kv = (struct kernel_view){ .ks = ks, .func_nargs = fixture_nargs, .ctx = &b };
	return resolve_targets(&kv, mode, r, err, 256);
}

static int no_btf(void *ctx, const char *module, const char *func)
{
	(void)ctx, (void)module, (void)func;
	return -1;
}

#define FUNC(h) (r[h].func ? r[h].func : "(none)")

/*
 * Every vmlinux row can be on the kprobe.multi links: none of its kprobe
 * programs is also a module row's (user/kernel/targets_resolve.c shares_program).
 */
static void test_targets_multi_programs(void)
{
	int i, j, shared = 0;

	for (i = 0; i < NR_HOOKS; i++)
		for (j = 0; j < NR_HOOKS; j++)
			if (!targets[i].module && targets[j].module &&
			    ((targets[i].kprobe_prog && targets[j].kprobe_prog &&
			      !strcmp(targets[i].kprobe_prog, targets[j].kprobe_prog)) ||
			     (targets[i].kretprobe_prog && targets[j].kretprobe_prog &&
			      !strcmp(targets[i].kretprobe_prog, targets[j].kretprobe_prog)))) {
				fprintf(stderr, "%s (vmlinux) and %s (%s) share a kprobe program\n",
					targets[i].hook, targets[j].hook, targets[j].module);
				shared++;
			}
	CHECK(!shared, "no kprobe program shared by a vmlinux row and a module row");
}

/* Without bpf_loop (before 5.17) the walking entry programs are their unrolled twins; nothing else changes. */
static void test_targets_unrolled(void)
{
	struct resolved kp = { .style = STYLE_KPROBE }, fe = { .style = STYLE_FENTRY, .nargs = 3 };
	const char *with[2], *without[2], *fwith[2], *fwithout[2];
	int i, twins = 0;

	for (i = 0; i < NR_HOOKS; i++) {
		target_programs(&targets[i], &kp, with);
		target_programs(&targets[i], &fe, fwith);
		targets_set_bpf_loop(false);
		target_programs(&targets[i], &kp, without);
		target_programs(&targets[i], &fe, fwithout);
		targets_set_bpf_loop(true);
		twins += targets[i].kprobe_unrolled != NULL;
		CHECK(without[0] == (targets[i].kprobe_unrolled ? targets[i].kprobe_unrolled : with[0]) &&
		      without[1] == with[1], "row %s: kprobe programs without bpf_loop", targets[i].hook);
		CHECK(fwithout[0] == (targets[i].fentry_unrolled ? targets[i].fentry_unrolled : fwith[0]) &&
		      fwithout[1] == fwith[1], "row %s: fentry programs without bpf_loop", targets[i].hook);
	}
	CHECK(twins >= 1 && !strcmp(targets[HOOK_ATTACH].kprobe_unrolled, "kp_attach_unrolled"),
	      "the attach walks its group unrolled without bpf_loop");
}

/* Every row resolved alike: function, module, waiting and why. */
static int same_rows(const struct resolved a[NR_HOOKS], const struct resolved b[NR_HOOKS])
{
	int i, same = 1;

	for (i = 0; i < NR_HOOKS; i++)
		same &= !strcmp(a[i].func ? a[i].func : "", b[i].func ? b[i].func : "") &&
			!strcmp(a[i].module ? a[i].module : "", b[i].module ? b[i].module : "") &&
			a[i].waiting == b[i].waiting && !strcmp(a[i].why, b[i].why);
	return same;
}

/* Reading only the table's functions from kallsyms resolves exactly as reading all of it. */
static void test_targets_only_symbols(void)
{
	static const char *const kernels[] = { "5.10", "6.1", "6.12", "latest" };
	const char *names[NR_HOOKS * 4], *mods[NR_HOOKS * 4];
	int n = target_functions(names, mods, NR_HOOKS * 4), k;

	for (k = 0; k < 4; k++) {
		struct resolved all[NR_HOOKS], only[NR_HOOKS];
		struct kallsyms ks, part;
		struct kernel_view kv;
		char err[256], path[256];

		resolve_fixture(kernels[k], MODE_AUTO, all, err, &ks);
		snprintf(path, sizeof(path), "%s/%s.kallsyms", fixtures, kernels[k]);
		CHECK(kallsyms_load_only(&part, path, names, n) == 0, "load only the table's functions");
		CHECK(part.n <= ks.n && part.nmodules == ks.nmodules, "no more symbols, every module");
		kv = (struct kernel_view){ .ks = &part, .func_nargs = no_btf };
		resolve_targets(&kv, MODE_KPROBE, only, err, sizeof(err));
		kv.ks = &ks;
		resolve_targets(&kv, MODE_KPROBE, all, err, sizeof(err));
		CHECK(same_rows(all, only), "same resolution from the table's functions only");
		kallsyms_free(&part);
		kallsyms_free(&ks);
	}
}

static void test_targets(void)
{
	struct resolved r[NR_HOOKS];
	struct kallsyms ks;
	char err[256];

	/* 5.10: no module BTF -> kprobes for vfio; the allocator, a rare call, prefers a kprobe too */
	CHECK(resolve_fixture("5.10", MODE_AUTO, r, err, &ks) == 0, "5.10: %s", err);
	CHECK(!strcmp(FUNC(HOOK_PUT), "vfio_device_put") && r[HOOK_PUT].style == STYLE_KPROBE,
	      "5.10 put %s %s", FUNC(HOOK_PUT), style_name(r[HOOK_PUT].style));
	CHECK(r[HOOK_ATTACH].style == STYLE_KPROBE && !strcmp(r[HOOK_ATTACH].module, "vfio_iommu_type1"),
	      "5.10 attach kprobe");
	CHECK(!strcmp(FUNC(HOOK_ALLOC_BUS), "iommu_domain_alloc") &&
	      r[HOOK_ALLOC_BUS].style == STYLE_KPROBE && strstr(r[HOOK_ALLOC_BUS].why, "rare call") &&
	      !r[HOOK_ALLOC_DEV].func, "5.10 alloc: %s", r[HOOK_ALLOC_BUS].why);
	kallsyms_free(&ks);
	CHECK(resolve_fixture("5.10", MODE_FENTRY, r, err, &ks) == -1 &&
	      strstr(err, "--mode fentry impossible"), "5.10 forced fentry: %s", err);
	kallsyms_free(&ks);

	CHECK(resolve_fixture("6.1", MODE_AUTO, r, err, &ks) == 0, "6.1: %s", err);
	/* the put hook prefers kprobes: its stacks must reach the caller */
	CHECK(!strcmp(FUNC(HOOK_PUT), "vfio_device_put_registration") &&
	      r[HOOK_PUT].style == STYLE_KPROBE, "6.1 put");
	/* a module function: fentry would pin the module, so kprobes, saying why */
	CHECK(r[HOOK_ATTACH].style == STYLE_KPROBE && r[HOOK_ATTACH].nargs == 3 &&
	      strstr(r[HOOK_ATTACH].why, "rmmod"), "6.1 attach kprobe: %s", r[HOOK_ATTACH].why);
	CHECK(r[HOOK_ALLOC_BUS].style == STYLE_KPROBE, "6.1 vmlinux alloc kprobe");
	kallsyms_free(&ks);
	CHECK(resolve_fixture("6.1", MODE_FENTRY, r, err, &ks) == 0 &&
	      r[HOOK_PUT].style == STYLE_FENTRY, "6.1 forced fentry put");
	CHECK(r[HOOK_ATTACH].style == STYLE_FENTRY && strstr(r[HOOK_ATTACH].why, "pins"),
	      "6.1 forced fentry says it pins: %s", r[HOOK_ATTACH].why);
	CHECK(r[HOOK_ALLOC_BUS].style == STYLE_FENTRY && r[HOOK_ALLOC_BUS].nargs == 1,
	      "6.1 forced fentry alloc");
	fall_back_to_kprobes(r, "test");
	CHECK(r[HOOK_ATTACH].style == STYLE_KPROBE && r[HOOK_ALLOC_BUS].style == STYLE_KPROBE &&
	      !strcmp(r[HOOK_ALLOC_BUS].why, "test"), "fallback");
	kallsyms_free(&ks);

	/* 6.12 has both allocators; both are hooked (type1 calls the paging one) */
	CHECK(resolve_fixture("6.12", MODE_AUTO, r, err, &ks) == 0, "6.12: %s", err);
	CHECK(!strcmp(FUNC(HOOK_ALLOC_DEV), "iommu_paging_domain_alloc") &&
	      !strcmp(FUNC(HOOK_ALLOC_BUS), "iommu_domain_alloc") && r[HOOK_ALLOC_DEV].nargs == 1,
	      "6.12 alloc %s %s", FUNC(HOOK_ALLOC_DEV), FUNC(HOOK_ALLOC_BUS));
	/* kprobe.multi: the kprobe rows in vmlinux, once per function; module and fentry rows keep theirs */
	{
		struct resolved m[NR_HOOKS];

		memcpy(m, r, sizeof(m));
		m[HOOK_ALLOC_BUS].style = STYLE_FENTRY;
		m[HOOK_MSI] = m[HOOK_ALLOC_DEV];	/* a second row on the same function */
		use_kprobe_multi(m);
		CHECK(m[HOOK_ALLOC_DEV].style == STYLE_KPROBE_MULTI && m[HOOK_MSI].style == STYLE_KPROBE &&
		      m[HOOK_ALLOC_BUS].style == STYLE_FENTRY && m[HOOK_ATTACH].style == STYLE_KPROBE &&
		      m[HOOK_PUT].style == STYLE_KPROBE && m[HOOK_RESET_FN].style == STYLE_NONE,
		      "6.12 kprobe.multi: vmlinux kprobe rows, one per function");
		CHECK(!strcmp(style_name(m[HOOK_ALLOC_DEV].style), "kprobe.multi"), "style name kprobe.multi");
		fall_back_from_multi(m, "refused");
		CHECK(m[HOOK_ALLOC_DEV].style == STYLE_KPROBE && !strcmp(m[HOOK_ALLOC_DEV].why, "refused") &&
		      m[HOOK_ALLOC_BUS].style == STYLE_FENTRY, "kprobe.multi refused: kprobes");
		/* the power rows share their programs: one left on a kprobe of its own keeps the other off */
		memcpy(m, r, sizeof(m));
		m[HOOK_POWER] = m[HOOK_POWER_UP] = m[HOOK_ALLOC_DEV];
		m[HOOK_POWER].func = m[HOOK_POWER_UP].func = "pci_set_power_state";
		use_kprobe_multi(m);
		CHECK(m[HOOK_POWER].style == STYLE_KPROBE && m[HOOK_POWER_UP].style == STYLE_KPROBE &&
		      m[HOOK_ALLOC_DEV].style == STYLE_KPROBE_MULTI, "kprobe.multi: no program shared with a kprobe");
	}
	kallsyms_free(&ks);

	CHECK(resolve_fixture("latest", MODE_KPROBE, r, err, &ks) == 0, "latest: %s", err);
	CHECK(!strcmp(FUNC(HOOK_ALLOC_DEV), "iommu_paging_domain_alloc_flags") &&
	      !r[HOOK_ALLOC_BUS].func && r[HOOK_ALLOC_DEV].style == STYLE_KPROBE &&
	      r[HOOK_ALLOC_DEV].nargs == 2, "latest alloc");
	kallsyms_free(&ks);

	/* VFIO not loaded yet: not an error, the module rows wait for their modules */
	err[0] = 0;
	CHECK(resolve_fixture("novfio", MODE_AUTO, r, err, &ks) == 0 && targets_waiting(r) &&
	      r[HOOK_ATTACH].waiting && r[HOOK_PUT].waiting && !r[HOOK_ATTACH].func &&
	      strstr(r[HOOK_ATTACH].why, "vfio_iommu_type1 not loaded"), "no vfio: %s", err);
	CHECK(!r[HOOK_ALLOC_DEV].waiting && r[HOOK_ALLOC_DEV].func, "no vfio: vmlinux rows resolve");
	kallsyms_free(&ks);

	/* the module appears: its rows resolve, the others keep what they had */
	CHECK(resolve_fixture("novfio", MODE_AUTO, r, err, &ks) == 0, "novfio again");
	kallsyms_free(&ks);
	{
		struct kallsyms ks2;
		struct kernel_view kv;
		char path[256];

		snprintf(path, sizeof(path), "%s/6.12.kallsyms", fixtures);
		CHECK(kallsyms_load(&ks2, path) == 0, "load 6.12");
		kv = (struct kernel_view){ .ks = &ks2, .func_nargs = no_btf };
		resolve_module_rows(&kv, MODE_AUTO, "vfio_iommu_type1", r);
		CHECK(r[HOOK_ATTACH].func && !strcmp(r[HOOK_ATTACH].func, "vfio_iommu_type1_attach_group") &&
		      r[HOOK_ATTACH].style == STYLE_KPROBE && !r[HOOK_ATTACH].waiting,
		      "module load resolves its row");
		CHECK(r[HOOK_PUT].waiting && targets_waiting(r), "the other module still waits");
		resolve_module_rows(&kv, MODE_AUTO, "vfio", r);
		CHECK(!targets_waiting(r) && r[HOOK_PUT].func, "nothing waits");
		kallsyms_free(&ks2);
		/* the function name outlives the kallsyms it was found in */
		CHECK(!strcmp(r[HOOK_PUT].func, "vfio_device_put_registration") &&
		      !strcmp(r[HOOK_PUT].module, "vfio"), "names outlive kallsyms");
	}
}

static void test_kallsyms_at(void)
{
	struct kallsyms ks;
	unsigned long long off;
	const struct ksym *s;
	char path[256];

	snprintf(path, sizeof(path), "%s/5.10.kallsyms", fixtures);
	CHECK(kallsyms_load(&ks, path) == 0 && ks.n == 8, "load %d", ks.n);
	s = kallsyms_at(&ks, 0xffffffffc0302010ULL, &off);
	CHECK(s && !strcmp(s->name, "vfio_device_fops_release") && off == 0x10 &&
	      !strcmp(s->module, "vfio"), "symbolize");
	CHECK(kallsyms_find(&ks, "vfio_device_put", "vfio_iommu_type1") == NULL, "module mismatch");
	/* past _etext, in module space, but in no module: a BPF trampoline */
	CHECK(kallsyms_at(&ks, 0xffffffffc0257c11ULL, &off) == NULL, "trampoline address");
	kallsyms_free(&ks);
}

/*
 * More text than one read block (64K), a new module every 100 lines, no NUL
 * anywhere: every line is read whole, and nothing reads past a line (ASan's
 * strict string checks caught a strndup of a module name that did).
 */
static void test_kallsyms_blocks(void)
{
	size_t cap = 1 << 18, len = 0;
	char *text = malloc(cap), *mod;
	struct kallsyms ks;
	int i, ok = 1;
	FILE *f;

	if (!text)
		return;
	for (i = 0; i < 4000; i++)
		len += snprintf(text + len, cap - len, "ffffffffc%07x t function_number_%d\t[module%d]\n",
				i * 16, i, i / 100);
	len += snprintf(text + len, cap - len, "ffffffffc1000000 T last_without_newline");
	f = fmemopen(text, len, "r");
	CHECK(f && len > 2 * 65536, "text of %zu bytes", len);
	if (!f) {
		free(text);
		return;
	}
	CHECK(kallsyms_read(&ks, f) == 0 && ks.n == 4001 && ks.seen == 4001, "every line read: %d", ks.n);
	for (i = 0; i < 4000 && ks.n == 4001; i++) {
		char name[64], want[32];

		snprintf(name, sizeof(name), "function_number_%d", i);
		snprintf(want, sizeof(want), "module%d", i / 100);
		mod = ks.syms[i].module;
		ok &= ks.syms[i].addr == 0xffffffffc0000000ULL + i * 16 && !strcmp(ks.syms[i].name, name) &&
		      mod && !strcmp(mod, want);
	}
	CHECK(ok, "addresses, names and modules exact");
	CHECK(ks.n == 4001 && !strcmp(ks.syms[4000].name, "last_without_newline") && !ks.syms[4000].module,
	      "the last line without a newline");
	fclose(f);
	kallsyms_free(&ks);
	free(text);
}

/* A sorted part (vmlinux's) and an unsorted one (modules'): by address after the read, whatever the order. */
static void test_kallsyms_order(void)
{
	char text[8192];
	size_t len = 0;
	struct kallsyms ks;
	int i, sorted = 1, named = 1;
	FILE *f;

	for (i = 0; i < 50; i++)	/* vmlinux: in order */
		len += snprintf(text + len, sizeof(text) - len, "ffffffff81%06x T v%d\n", i * 64, i);
	for (i = 0; i < 50; i++)	/* modules: scattered over and below vmlinux's */
		len += snprintf(text + len, sizeof(text) - len, "ffffffff81%06x t m%d\t[mod]\n",
				(i * 37 % 50) * 64 + 32, i * 37 % 50);
	f = fmemopen(text, len, "r");
	CHECK(f && !kallsyms_read(&ks, f) && ks.n == 100, "100 symbols read");
	for (i = 1; i < ks.n; i++)
		sorted &= ks.syms[i - 1].addr <= ks.syms[i].addr;
	for (i = 0; i < 50 && ks.n == 100; i++) {
		const struct ksym *v = kallsyms_at(&ks, 0xffffffff81000000ULL + i * 64 + 8, NULL);
		const struct ksym *m = kallsyms_at(&ks, 0xffffffff81000000ULL + i * 64 + 40, NULL);
		char vn[8], mn[8];

		snprintf(vn, sizeof(vn), "v%d", i);
		snprintf(mn, sizeof(mn), "m%d", i);
		named &= v && m && !strcmp(v->name, vn) && !strcmp(m->name, mn);
	}
	CHECK(sorted && named, "sorted by address; each address named by the symbol at or below it");
	if (f)
		fclose(f);
	kallsyms_free(&ks);
}

static int add_func(struct btf *b, const char *name, int nargs)
{
	int proto = btf__add_func_proto(b, 0), i;

	for (i = 0; i < nargs; i++)
		btf__add_func_param(b, "arg", 0);
	return btf__add_func(b, name, BTF_FUNC_GLOBAL, proto);
}

/* BTF built with libbpf, as the kernel gives it: raw, a module's split on vmlinux's. */
static struct rawbtf *raw_of(const struct btf *b, const struct rawbtf *base)
{
	__u32 size;
	const void *raw = btf__raw_data(b, &size);
	void *copy = malloc(size);

	memcpy(copy, raw, size);
	return rawbtf_new(copy, size, base);
}

/* The raw reader sees this machine's kernel BTF type by type and name by name as libbpf does. */
static void test_rawbtf_kernel(void)
{
	struct btf *lb = btf__parse("/sys/kernel/btf/vmlinux", NULL);
	struct rawbtf *rb = rawbtf_vmlinux();
	int id, bad = 0, n = lb ? (int)btf__type_cnt(lb) : 0;

	if (!lb) {
		printf("SKIP rawbtf: this machine has no /sys/kernel/btf/vmlinux\n");
		rawbtf_free(rb);
		return;
	}
	CHECK(rb && rb->end == n, "rawbtf: %d types, libbpf: %d", rb ? rb->end : -1, n);
	for (id = 1; rb && id < n && bad < 3; id++) {
		const struct btf_type *a = btf__type_by_id(lb, id), *b = rawbtf_type(rb, id);
		int k, vlen = btf_vlen(a);

		if (!b || rawbtf_type_size(b) != rawbtf_type_size(a) || memcmp(a, b, rawbtf_type_size(a)) ||
		    strcmp(btf__name_by_offset(lb, a->name_off), rawbtf_name(rb, b->name_off))) {
			printf("  type %d differs\n", id);
			bad++;
		}
		for (k = 0; btf_is_composite(a) && k < vlen; k++)
			if (strcmp(btf__name_by_offset(lb, btf_members(a)[k].name_off),
				   rawbtf_name(rb, btf_members(b)[k].name_off)))
				bad++;
	}
	CHECK(rb && !bad, "rawbtf: every type and name of the kernel's BTF as libbpf reads them");
	if (rb) {
		size_t cut = 4096 + 3;	/* inside the types */
		void *part = malloc(cut);

		memcpy(part, rb->data, cut);
		CHECK(!rawbtf_new(part, cut, NULL), "rawbtf: truncated BTF refused");
	}
	CHECK(rb && rawbtf_find(rb, "task_struct", BTF_KIND_STRUCT) ==
	      btf__find_by_name_kind(lb, "task_struct", BTF_KIND_STRUCT), "rawbtf_find as libbpf's");
	rawbtf_free(rb);
	btf__free(lb);
}

/* One pass over each BTF answers as a look-up per function (libbpf's, on split BTF) does. */
/* Start-up's pass over BTF asks for at most a name set's names: past it, every function is compared. */
static void test_btf_funcs_fit(void)
{
	const char *names[NR_HOOKS * 4], *mods[NR_HOOKS * 4];
	int i, n = target_functions(names, mods, NR_HOOKS * 4), k = n + RESOLVE_MORE_FUNCS;

	for (i = 0; i < n; i++)
		k += mods[i] != NULL;
	CHECK(k <= NAMESET_MAX, "start-up looks for %d functions in BTF, a name set holds %d", k, NAMESET_MAX);
	CHECK(k + 1 <= (int)(sizeof(((struct resolver *)0)->funcs) / sizeof(struct btf_func)),
	      "resolver.funcs holds %d", k + 1);
}

static void test_btf_funcs(void)
{
	struct btf_func f[] = {
		{ NULL, "in_vmlinux", 0, 0 }, { "vfio", "in_module", 0, 0 },
		{ "vfio", "in_vmlinux", 0, 0 }, { NULL, "in_module", 0, 0 },
		{ "nobtf", "in_vmlinux", 0, 0 }, { NULL, "twice", 0, 0 },
		{ NULL, "missing", 0, 0 }, { NULL, NULL, 0, 0 },
	};
	static const int want[] = { 2, 3, 2, -1, -1, 1, -1 };
	int want_id[7];
	struct kernel_btf kb = { .nmods = 2 };
	int i, n = 6 + 1, same = 1;
	const struct btf_func *e;

	struct btf *vm = btf__new_empty(), *mod;

	add_func(vm, "in_vmlinux", 2);
	add_func(vm, "twice", 1);
	add_func(vm, "twice", 3);
	mod = btf__new_empty_split(vm);
	add_func(mod, "in_module", 3);
	add_func(mod, "in_vmlinux", 5);	/* the look-up finds vmlinux's first */
	/* the ids the kernel loads a program on: libbpf's, split BTF numbered after its base */
	want_id[0] = want_id[2] = btf__find_by_name_kind(vm, "in_vmlinux", BTF_KIND_FUNC);
	want_id[1] = btf__find_by_name_kind(mod, "in_module", BTF_KIND_FUNC);
	want_id[5] = btf__find_by_name_kind(vm, "twice", BTF_KIND_FUNC);
	want_id[3] = want_id[4] = want_id[6] = 0;
	kb.vmlinux = raw_of(vm, NULL);
	kb.mods[0].btf = raw_of(mod, kb.vmlinux);
	btf__free(mod);
	btf__free(vm);
	snprintf(kb.mods[0].name, sizeof(kb.mods[0].name), "vfio");
	snprintf(kb.mods[1].name, sizeof(kb.mods[1].name), "nobtf");	/* loaded, no BTF */
	kernel_btf_funcs(&kb, f, n);
	for (i = 0; i < n; i++) {
		int one = kernel_btf_func_nargs(&kb, f[i].module, f[i].name);

		e = btf_funcs_find(f, f[i].module, f[i].name);
		if (f[i].nargs != want[i] || one != want[i] || !e || e->nargs != want[i] ||
		    e->id != want_id[i]) {
			printf("  %s %s: %d (id %d), one look-up: %d, expected %d (id %d)\n",
			       f[i].module ? f[i].module : "vmlinux", f[i].name, f[i].nargs, f[i].id,
			       one, want[i], want_id[i]);
			same = 0;
		}
	}
	CHECK(same, "%d functions: one pass equals a look-up each, with libbpf's type ids", n);
	CHECK(!btf_funcs_find(f, "other", "in_module"), "a pair not in the table is not found");
	kernel_btf_close(&kb);
}

/* Appending through grow_for keeps every element, and reallocates only at powers of two. */
static void test_grow(void)
{
	struct { int v; char pad[60]; } *a = NULL;
	int i, n = 0, moves = 0, bad = 0;
	void *last = NULL;

	for (i = 0; i < 1000; i++) {
		if (!grow_for(&a, n, sizeof(*a)))
			break;
		moves += (void *)a != last;
		last = a;
		a[n++].v = i;
	}
	for (i = 0; i < n; i++)
		bad += a[i].v != i;
	CHECK(n == 1000 && !bad, "grow_for: 1000 appends kept (%d, %d wrong)", n, bad);
	CHECK(moves <= 10, "grow_for: the array moved at most once per doubling (%d)", moves);
	free(a);
}

/* A .BTF.ext with one section of CO-RE relocation records {type_id, kind}. */
static size_t core_ext(unsigned char *buf, const __u32 (*relos)[2], int n)
{
	__u32 hdr[8] = { 0 }, rec = sizeof(struct bpf_core_relo), sec[2] = { 0, (__u32)n };
	size_t off = sizeof(hdr);
	int i;

	hdr[0] = BTF_MAGIC | 1 << 16;	/* magic, version 1, flags 0 */
	hdr[1] = sizeof(hdr);		/* hdr_len; func/line info empty; core_relo_off 0 */
	hdr[7] = 4 + sizeof(sec) + n * rec;
	memcpy(buf, hdr, sizeof(hdr));
	memcpy(buf + off, &rec, 4);
	memcpy(buf + off + 4, sec, sizeof(sec));
	off += 4 + sizeof(sec);
	for (i = 0; i < n; i++, off += rec) {
		struct bpf_core_relo r = { .type_id = relos[i][0], .kind = relos[i][1] };

		memcpy(buf + off, &r, rec);
	}
	return off;
}

static const char *type_desc(const struct btf *b, int id)
{
	static char buf[2][48];
	static int k;
	const struct btf_type *t = btf__type_by_id(b, id);

	k ^= 1;
	if (!id)
		return "void";
	snprintf(buf[k], sizeof(buf[k]), "%s%s%s", btf_is_ptr(t) ? "ptr" : btf_is_struct(t) ? "struct" :
		 btf_is_union(t) ? "union" : btf_is_any_enum(t) ? "enum" : btf_is_int(t) ? "int" : "?",
		 t->name_off ? " " : "", btf__name_by_offset(b, t->name_off));
	return buf[k];
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The cut keeps what libbpf's candidate search would find, laid out whole, and nothing else. */
static void test_core_btf_cut(void)
{
	struct btf *vm = btf__new_empty(), *mod, *local = btf__new_empty(), *out = NULL;
	struct rawbtf *rvm, *rmod, *rlocal;
	size_t size = 0;
	void *raw;
	const __u32 relos[][2] = { { 2, BPF_CORE_FIELD_BYTE_OFFSET }, { 3, BPF_CORE_FIELD_EXISTS },
				   { 4, BPF_CORE_ENUMVAL_VALUE }, { 2, BPF_CORE_FIELD_BYTE_OFFSET },
				   { 5, BPF_CORE_TYPE_ID_LOCAL } };
	unsigned char ext[256];
	char got[512] = "", kept[16][64];
	int i, roots = 0, len = 0, n = 0;

	CHECK(core_essential_len("device___flav") == 6 && core_essential_len("a____b") == 6 &&
	      core_essential_len("x___y___z") == 5 && core_essential_len("___y") == 4,
	      "essential names as libbpf's rule");
	btf__add_int(vm, "int", 4, BTF_INT_SIGNED);			/* 1 */
	btf__add_struct(vm, "inner", 8);				/* 2 */
	btf__add_field(vm, "a", 1, 0, 0);
	btf__add_field(vm, "b", 1, 32, 0);
	btf__add_struct(vm, "other", 4);				/* 3 */
	btf__add_field(vm, "z", 1, 0, 0);
	btf__add_ptr(vm, 3);						/* 4 */
	btf__add_struct(vm, "device", 24);				/* 5 */
	btf__add_field(vm, "in", 2, 0, 0);
	btf__add_field(vm, "p", 4, 64, 0);
	btf__add_field(vm, "x", 1, 128, 0);
	btf__add_struct(vm, "unused", 4);				/* 6 */
	btf__add_field(vm, "y", 1, 0, 0);
	btf__add_enum(vm, "e", 4);					/* 7 */
	btf__add_enum_value(vm, "E_A", 1);
	btf__add_union(vm, "device", 4);				/* 8: another kind */
	btf__add_field(vm, "u", 1, 0, 0);
	mod = btf__new_empty_split(vm);
	btf__add_ptr(mod, 5);						/* 9 */
	btf__add_struct(mod, "vfio_device", 12);			/* 10 */
	btf__add_field(mod, "dev", 9, 0, 0);
	btf__add_field(mod, "refcount", 1, 64, 0);
	btf__add_struct(mod, "device", 4);	/* a module's copy: vmlinux has one, libbpf stops there */
	btf__add_field(mod, "bogus", 1, 0, 0);
	btf__add_int(local, "int", 4, BTF_INT_SIGNED);			/* 1 */
	btf__add_struct(local, "device___flav", 4);			/* 2 */
	btf__add_field(local, "x", 1, 0, 0);
	btf__add_struct(local, "vfio_device", 4);			/* 3 */
	btf__add_field(local, "refcount", 1, 0, 0);
	btf__add_enum(local, "e___diag", 4);				/* 4 */
	btf__add_enum_value(local, "E_A___diag", 1);
	btf__add_struct(local, "mine", 4);				/* 5: only its local id is read */
	btf__add_field(local, "q", 1, 0, 0);
	rvm = raw_of(vm, NULL);
	rmod = raw_of(mod, rvm);
	rlocal = raw_of(local, NULL);
	raw = core_btf_cut(rlocal, ext, core_ext(ext, relos, 5), rvm, (const struct rawbtf **)&rmod, 1,
			   &size, &roots);
	CHECK(raw && (out = btf__new(raw, size)) && roots == 3, "cut: %d roots, libbpf reads it: %s",
	      roots, out ? "yes" : "no");
	for (i = 1; out && i < (int)btf__type_cnt(out) && i <= 16; i++) {
		const struct btf_type *t = btf__type_by_id(out, i);
		int ref = btf_is_ptr(t) ? (int)t->type : btf_is_composite(t) ? (int)btf_members(t)[0].type : -1;

		len = snprintf(kept[i - 1], sizeof(kept[0]), "%s", type_desc(out, i));
		if (ref >= 0)
			snprintf(kept[i - 1] + len, sizeof(kept[0]) - len, " -> %s", type_desc(out, ref));
		n++;
	}
	qsort(kept, n, sizeof(kept[0]), cmp_str);
	for (i = 0, len = 0; i < n; i++)
		len += snprintf(got + len, sizeof(got) - len, "%s%s", i ? ", " : "", kept[i]);
	CHECK(!strcmp(got, "enum e, int int, ptr -> void, ptr -> void, struct device -> struct inner, "
		      "struct inner -> int int, struct vfio_device -> ptr"), "cut types: %s", got);
	btf__free(out);
	free(raw);
	rawbtf_free(rlocal);
	rawbtf_free(rmod);
	rawbtf_free(rvm);
	btf__free(mod);
	btf__free(vm);
	btf__free(local);
}

static void test_pick_caller(void)
{
	struct symnames names;
	struct symbolizer sym;
	char path[256], buf[CALLER_LEN];
	/* kprobe: the hooked function, then its caller */
	unsigned long long kprobe[] = { 0xffffffffc0301001ULL, 0xffffffffc0302010ULL, 0 };
	/* fentry: a trampoline (no symbol) only */
	unsigned long long fentry[] = { 0xffffffffc0257c11ULL, 0 };

	snprintf(path, sizeof(path), "%s/5.10.kallsyms", fixtures);
	symnames_init(&names, path, "/nonexistent/modules");
	sym = (struct symbolizer){ .names = &names, .hooked = { "vfio_device_put" } };
	CHECK(!strcmp(pick_caller(kprobe, 3, &sym, buf, sizeof(buf)), "vfio_device_fops_release"),
	      "kprobe stack caller '%s'", buf);
	CHECK(!strcmp(pick_caller(fentry, 2, &sym, buf, sizeof(buf)), ""), "trampoline-only stack '%s'", buf);
	CHECK(names.reads == 2 && names.n == 3, "a read for each stack's new frames, only they kept (%d, %d)",
	      names.reads, names.n);
	symnames_free(&names);
}

static char *render_of(const struct snapshot *s, void (*fn)(FILE *, const struct snapshot *, bool))
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	fn(f, s, true);
	fclose(f);
	return buf;
}

static void test_render_stat(void)
{
	struct group_row g[2] = {};
	struct ref_row p = {};
	struct dev_row d = { .ptr = 0xffff888000001000ULL };
	struct snapshot s = { .groups = g, .ngroups = 2, .refs = &p, .nrefs = 1, .devs = &d, .ndevs = 1,
			      .refcount_known = true };
	const char *buses[4];
	char *out;

	g[0].group = NO_GROUP;
	g[0].st.domain_allocs = 2;
	g[1].group = 12;
	g[1].has_mem = true;
	g[1].mem.ndevs = 2;
	strcpy(g[1].mem.devs[0], "0000:00:03.0");
	strcpy(g[1].mem.devs[1], "0000:00:04.0");
	strcpy(g[1].mem.buses[0], "pci");
	strcpy(g[1].mem.buses[1], "pci");
	strcpy(g[1].mem.alloc_bus, "pci");
	g[1].st.attach_ok = 1;
	g[1].st.attach_fail = 2;
	g[1].st.last_ret = -1;
	g[1].nerrs = 1;
	g[1].errs[0].err = 1;
	g[1].errs[0].n = 2;
	p.key.group = 12;
	strcpy(p.key.dev, "0000:00:03.0");
	strcpy(p.caller, "vfio_device_fops_release");
	p.val.count = 1;
	p.val.last_refcount = REFCOUNT_UNAVAILABLE;
	p.key.kind = REF_PUT;
	d.d.group = 12;
	strcpy(d.d.name, "0000:00:03.0");
	d.d.gets = 2;
	d.d.puts = 1;
	d.d.refcount = 2;
	d.d.peak = 3;

	CHECK(group_buses(&g[1], buses, 4) == 1 && !strcmp(buses[0], "pci"), "buses deduplicated");
	out = render_of(&s, render_stat);
	CHECK(!strncmp(out, "{\"type\":\"summary\",", strlen("{\"type\":\"summary\",")), "%s", out);
	CHECK(strstr(out, "\"groups\":[{\"group\":12,\"buses\":[\"pci\"],"
		      "\"devices\":[\"0000:00:03.0\",\"0000:00:04.0\"],\"member_count\":2,"
		      "\"attach_ok\":1,\"attach_fail\":2,\"errors\":{\"EPERM\":2},"
		      "\"last_error\":\"EPERM\""), "group 12: %s", out);
	CHECK(strstr(out, "\"device_refs\":[{\"group\":12,\"device\":\"0000:00:03.0\","
		      "\"gets\":2,\"puts\":1,\"current\":2,\"peak\":3,\"callers\":[{"
		      "\"caller\":\"vfio_device_fops_release\",\"kind\":\"put\",\"count\":1,"
		      "\"last_refcount\":null}]}]"),
	      "refs: %s", out);
	CHECK(strstr(out, "\"unattributed\":{\"domain_allocs\":2,"), "unattributed: %s", out);
	CHECK(strchr(out, '\n') == out + strlen(out) - 1, "one line");
}

static struct event_ctx ev_ctx = { .stacks_fd = -1, .fail_stacks_fd = -1, .group_containers_fd = -1, .holders_fd = -1,
				    .ref_sites_fd = -1 };

/* Feeds one record through the event pipeline; returns what it printed. */
static char *consume(const void *rec, size_t size, bool json, bool refs_only)
{
	static char buf[2048];
	FILE *f;

	memset(buf, 0, sizeof(buf));
	f = fmemopen(buf, sizeof(buf), "w");
	ev_ctx.out = f;
	ev_ctx.json = json;
	ev_ctx.refs_only = refs_only;
	events_consume(&ev_ctx, rec, size);
	fclose(f);
	return buf;
}

/* Feeds one reference event; returns what the pipeline printed. */
static char *ref_event(struct refs_live *l, unsigned int type, unsigned int pid, long long refcount)
{
	struct event e = { .h = { .type = type, .pid = pid, .ts_ns = 1000000000ULL * pid,
				  .latency_ns = 5000 },
			   .refcount = refcount, .dev_ptr = 0xffff1000, .stack_id = -1 };

	ev_ctx.live = l;
	snprintf(e.h.comm, sizeof(e.h.comm), "task%u", pid);
	snprintf(e.name, sizeof(e.name), "0000:00:03.0");
	return consume(&e, sizeof(e), true, true);
}

static int meanwhile_calls;

static void count_meanwhile(void *arg)
{
	(void)arg;
	meanwhile_calls++;
}

/*
 * A reference event waits for its caller's name (kallsyms read by a thread),
 * running the command's meanwhile work as it waits; then it is decoded and
 * printed, and the record after it too, in order.
 */
static void test_events_wait_for_symbols(void)
{
	struct symnames names;
	struct symbolizer sym = { .names = &names };
	struct refs_live live = {};
	struct event get = { .h = { .type = EV_DEVICE_GET, .pid = 5, .ts_ns = 1 }, .refcount = 1,
			     .dev_ptr = 0xffff2000, .stack_id = -1, .caller = 0xffffffffc0302010ULL };
	struct event a = { .h = { .type = EV_ATTACH, .group = 4, .pid = 5, .ts_ns = 2 }, .stack_id = -1 };
	char *out = NULL, *g, *at;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	char path[256];

	snprintf(path, sizeof(path), "%s/5.10.kallsyms", fixtures);
	symnames_init(&names, path, "/nonexistent/modules");
	snprintf(get.name, sizeof(get.name), "0000:00:04.0");
	ev_ctx.sym = &sym;
	ev_ctx.live = &live;
	ev_ctx.out = f;
	ev_ctx.json = true;
	ev_ctx.refs_only = false;
	ev_ctx.meanwhile = count_meanwhile;
	events_consume(&ev_ctx, &get, sizeof(get));
	CHECK(names.reads == 1 && !names.unknown && meanwhile_calls > 0,
	      "the caller was named (%d reads) before the reference was decoded, meanwhile run", names.reads);
	events_consume(&ev_ctx, &a, sizeof(a));
	fclose(f);
	g = strstr(out, "\"event\":\"device_get\"");
	at = strstr(out, "\"event\":\"attach\"");
	CHECK(g && at && g < at && !strstr(g + 1, "\"event\":\"device_get\"") && !strstr(at + 1, "\"event\":\"attach\"") &&
	      strstr(out, "vfio_device_fops_release"),
	      "each once, in the order they came, the caller named (%d meanwhile calls): %s", meanwhile_calls, out);
	free(out);
	ev_ctx.sym = NULL;
	ev_ctx.live = NULL;
	ev_ctx.meanwhile = NULL;
	symnames_free(&names);
	refs_live_free(&live);
}

static void test_event_lines(void)
{
	struct event a = { .h = { .type = EV_ATTACH, .group = 12, .pid = 7, .tid = 8, .ret = -EPERM,
				  .latency_ns = 1500 },
			   .step = STEP_MSI, .stack_id = -1 };
	struct fail_event f = { .h = { .type = EV_GROUP_FAIL, .group = 3, .pid = 9, .ret = -EBUSY },
				.op = OP_GROUP_OPEN, .step = STEP_GROUP_OPEN,
				.c = { .has_holder = 1, .holder = { .pid = 42, .from_proc = 1 } } };
	unsigned long long bad = ev_ctx.malformed;
	char *out;

	ev_ctx.kver = KV(6, 1);
	snprintf(a.h.comm, sizeof(a.h.comm), "qemu\nfake");
	snprintf(f.c.holder.comm, sizeof(f.c.holder.comm), "qemu");
	out = consume(&a, sizeof(a), false, false);
	CHECK(strstr(out, " attach ") && strstr(out, " qemu\\x0afake ") && strstr(out, " 12 ") &&
	      strstr(out, " EPERM ") && strstr(out, " 1.5us ") && strstr(out, " at msi_isolation: ") &&
	      strchr(out, '\n') == out + strlen(out) - 1, "attach text: %s", out);
	out = consume(&a, sizeof(a), true, false);
	CHECK(strstr(out, "\"event\":\"attach\"") && strstr(out, "\"ret\":-1,\"errno\":\"EPERM\"") &&
	      strstr(out, "\"failed_step\":\"msi_isolation\"") && !strstr(out, "\"stack\""),
	      "attach json: %s", out);
	CHECK(!*consume(&a, sizeof(a), false, true), "refs shows no attach");
	out = consume(&f, sizeof(f), false, false);
	CHECK(strstr(out, " group_open ") && strstr(out, " EBUSY ") &&
	      strstr(out, "\n  holder: pid 42 (qemu), open before vfiotrace started\n"), "fail text: %s", out);
	out = consume(&f, sizeof(f), true, false);
	CHECK(strstr(out, "\"holder\":{\"pid\":42,\"comm\":\"qemu\",\"vm\":{\"name\":null,\"source\":null,\"vmm\":null,\"unit\":null,\"pod\":null,\"container\":null,\"gone\":true},\"since_ns\":null}") &&
	      strstr(out, "\"blocking_devices\":[]"), "fail json: %s", out);
	CHECK(ev_ctx.malformed == bad, "nothing skipped");
	a.h.type = 99;
	CHECK(!*consume(&a, sizeof(a), true, false) && ev_ctx.malformed == bad + 1, "unknown type counted");
	CHECK(!*consume(&f, sizeof(f) - 1, true, false) && ev_ctx.malformed == bad + 2, "short record counted");
	{
		char buf[8] = "ab";

		text_append(buf, sizeof(buf), "%s", "cdefghij");
		CHECK(!strcmp(buf, "abcd..."), "cut visibly: %s", buf);
	}
}

static char *read_back(FILE *f)
{
	static char buf[2048];
	size_t n;

	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void test_ref_holders(void)
{
	struct refs_live l = {};
	char *out;

	out = ref_event(&l, EV_DEVICE_GET, 10, 1);
	CHECK(strstr(out, "\"event\":\"device_get\"") && strstr(out, "\"refcount_after\":2"), "%s", out);
	CHECK(l.ndevs == 1 && l.devs[0].nholders == 1 && l.devs[0].holders[0].pid == 10, "get holds");
	/* the fd was passed on: another process's put releases the oldest holder */
	ref_event(&l, EV_DEVICE_PUT, 11, 2);
	CHECK(l.devs[0].nholders == 0, "no phantom holder after a put by another process");
	ref_event(&l, EV_DEVICE_GET, 12, 1);
	ref_event(&l, EV_DEVICE_GET, 14, 2);
	ref_event(&l, EV_DEVICE_GET, 14, 3);
	out = ref_event(&l, EV_UNREG_BEGIN, 15, 4);
	CHECK(strstr(out, "\"event\":\"unbind_wait\"") &&
	      strstr(out, "\"holders\":[{\"pid\":12,\"comm\":\"task12\",\"vm\":{\"name\":null,\"source\":null,\"vmm\":null,\"unit\":null,\"pod\":null,\"container\":null,\"gone\":true},\"refs\":1,\"held_ns\":3000000000},"
			  "{\"pid\":14,\"comm\":\"task14\",\"vm\":{\"name\":null,\"source\":null,\"vmm\":null,\"unit\":null,\"pod\":null,\"container\":null,\"gone\":true},\"refs\":2,"), "%s", out);
	/* the unregistering task drops the registration's reference: no holder's */
	ref_event(&l, EV_DEVICE_PUT, 15, 4);
	CHECK(l.devs[0].nholders == 2, "registration put leaves the holders");
	ref_event(&l, EV_DEVICE_PUT, 14, 3);
	ref_event(&l, EV_DEVICE_PUT, 14, 2);
	ref_event(&l, EV_DEVICE_PUT, 12, 1);
	CHECK(l.devs[0].nholders == 0, "all released");
	out = ref_event(&l, EV_UNREG_END, 15, REFCOUNT_UNAVAILABLE);
	CHECK(strstr(out, "\"event\":\"unbind_done\"") && strstr(out, "\"waited_ns\":5000"), "%s", out);
	/* no other reference at unregistration: no wait reported */
	out = ref_event(&l, EV_UNREG_BEGIN, 16, 1);
	CHECK(!out[0], "no unbind_wait with only the registration's reference: %s", out);
	refs_live_free(&l);
}

static void test_module_event(void)
{
	struct module_report r = { .module = "vfio_iommu_type1", .action = MODULE_LOADED,
				   .ts_ns = 5, .nhooks = 1 };
	FILE *err = tmpfile(), *out = tmpfile();
	char *s;

	r.hooks[0] = (struct hook_change){ "attach", "vfio_iommu_type1_attach_group", "kprobe", 1500000000 };
	render_module_event(err, out, &r, true);
	s = read_back(out);
	CHECK(!strcmp(s, "{\"event\":\"module\",\"module\":\"vfio_iommu_type1\",\"action\":\"load\","
		      "\"ts_ns\":5,\"hooks\":[{\"hook\":\"attach\",\"function\":"
		      "\"vfio_iommu_type1_attach_group\",\"style\":\"kprobe\",\"detached_ns\":1500000000}],"
		      "\"detached_ns\":1500000000}\n"), "load json: %s", s);
	s = read_back(err);
	CHECK(strstr(s, "module vfio_iommu_type1 loaded: attached attach (vfio_iommu_type1_attach_group) after ") &&
	      strstr(s, " detached"), "load text: %s", s);
	r.action = MODULE_FREED;
	err = tmpfile();
	out = tmpfile();
	render_module_event(err, out, &r, false);
	CHECK(!*read_back(out), "no JSON without -j");
	s = read_back(err);
	CHECK(strstr(s, "module vfio_iommu_type1 unloaded: detached attach (vfio_iommu_type1_attach_group); counts kept"),
	      "unload text: %s", s);
}

static void test_privs_names(void)
{
	char buf[128];

	privs_names((1LL << 21) | (1LL << 34) | (1LL << 38) | (1LL << 39), buf, sizeof(buf));
	CHECK(!strcmp(buf, "cap_sys_admin,cap_syslog,cap_perfmon,cap_bpf"), "%s", buf);
}

static void test_errnames(void)
{
	CHECK(!strcmp(errno_name(1), "EPERM") && strstr(attach_cause(1), "remapping"), "EPERM");
	CHECK(!strcmp(errno_name(9999), "E9999") && !attach_cause(9999), "unknown errno");
}

static void test_catalogue(void)
{
	const struct diag_entry *e, *all;
	const char *cause, *remedy;
	int i, n;

	e = catalogue_lookup(OP_ATTACH, STEP_MSI, EPERM, KV(6, 1));
	CHECK(e && strstr(e->cause, "interrupt remapping") && strstr(e->remedy, "allow_unsafe_interrupts"),
	      "no intremap: %s", e ? e->cause : "NULL");
	e = catalogue_lookup(OP_ATTACH, STEP_DRIVER_ATTACH, EPERM, KV(5, 10));
	CHECK(e && strstr(e->cause, "RMRR"), "RMRR on 5.10");
	e = catalogue_lookup(OP_ATTACH, STEP_DRIVER_ATTACH, EPERM, KV(6, 12));
	CHECK(e && !strstr(e->cause, "RMRR"), "no RMRR refusal on 6.12: %s", e ? e->cause : "NULL");
	e = catalogue_lookup(OP_SET_CONTAINER, STEP_DMA_OWNER, EPERM, KV(6, 12));
	CHECK(e && strstr(e->cause, "not viable") && strstr(e->remedy, "vfio-pci"), "not viable 6.x");
	CHECK(!catalogue_lookup(OP_SET_CONTAINER, STEP_DMA_OWNER, EPERM, KV(5, 10)),
	      "no DMA-ownership claim before 5.19");
	e = catalogue_lookup(OP_GET_DEVICE_FD, STEP_VIABLE, EINVAL, KV(5, 10));
	CHECK(e && strstr(e->cause, "not viable"), "not viable 5.10");
	e = catalogue_lookup(OP_GROUP_OPEN, STEP_GROUP_OPEN, EBUSY, KV(6, 1));
	CHECK(e && strstr(e->cause, "holds"), "busy");
	e = catalogue_lookup(OP_ATTACH, STEP_DOMAIN_ALLOC, ENODEV, KV(6, 12));
	CHECK(e && strstr(e->cause, "no IOMMU driver"), "ENODEV from the paging allocator");
	e = catalogue_lookup(OP_ATTACH, STEP_DOMAIN_ALLOC, EIO, KV(6, 1));
	CHECK(e && strstr(e->cause, "NULL"), "NULL domain up to 6.10");
	CHECK(!catalogue_lookup(OP_ATTACH, STEP_DRIVER_ATTACH, EPERM, 0) ||
	      !strstr(catalogue_lookup(OP_ATTACH, STEP_DRIVER_ATTACH, EPERM, 0)->cause, "RMRR"),
	      "an unknown kernel gets no version-bound row");
	catalogue_explain(OP_ATTACH, STEP_UNKNOWN, EINVAL, KV(6, 1), &cause, &remedy);
	CHECK(cause == attach_cause(EINVAL) && remedy == attach_remedy(EINVAL), "unknown step: errno reading");
	catalogue_explain(OP_GET_DEVICE_FD, STEP_UNKNOWN, 9999, KV(6, 1), &cause, &remedy);
	CHECK(strstr(cause, "unknown") && remedy, "nothing known: %s", cause);
	CHECK(!strcmp(step_name(STEP_MSI), "msi_isolation") && !strcmp(step_name(STEP_DMA_OWNER), "dma_ownership") &&
	      !strcmp(step_name(99), "unknown") && !strcmp(op_name(OP_SET_CONTAINER), "set_container"), "names");
	CHECK(kernel_version_code("6.12.117+deb13-amd64") == KV(6, 12) &&
	      kernel_version_code("5.10.0-32-amd64") == KV(5, 10) && !kernel_version_code("x"), "versions");
	all = catalogue_entries(&n);
	for (i = 0; i < n; i++)
		CHECK(all[i].cause && all[i].cause[0] && all[i].remedy && all[i].remedy[0] &&
		      (!all[i].kmin || !all[i].kmax || all[i].kmin <= all[i].kmax), "entry %d", i);
}

/* Every step the tracer can report is explained in the catalogue's documentation. */
static void test_catalogue_doc(void)
{
	char path[512], *doc = NULL, pat[64];
	size_t len = 0;
	FILE *f;
	int step;

	snprintf(path, sizeof(path), "%s/../../../docs/diagnosis.md", fixtures);
	f = fopen(path, "r");
	CHECK(f != NULL, "cannot read %s", path);
	if (!f)
		return;
	if (getdelim(&doc, &len, 0, f) < 0)
		doc = NULL;
	fclose(f);
	for (step = STEP_UNKNOWN; doc && step < NR_STEPS; step++) {
		snprintf(pat, sizeof(pat), "`%s`", step_name(step));
		CHECK(strstr(doc, pat), "docs/diagnosis.md lacks step %s", pat);
	}
	free(doc);
}

static void test_holders(void)
{
	struct held h[8];
	char path[512];
	int n;

	snprintf(path, sizeof(path), "%s/diagnose/proc", fixtures);
	n = holders_scan(path, h, 8);
	CHECK(n == 1 && h[0].group == 1 && h[0].pid == 321 && !strcmp(h[0].comm, "qemu-system-x86"),
	      "one holder of /dev/vfio/1, the container fd is not a group: n=%d", n);
}

static void test_diagnose(void)
{
	char root[512], *out;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int rc;

	snprintf(root, sizeof(root), "%s/diagnose", fixtures);
	rc = run_diagnose(f, true, root);
	fclose(f);
	CHECK(rc == 1, "a group that is not viable fails the check");
	CHECK(strstr(out, "\"interrupt_remapping\":true") && strstr(out, "\"iommu\":true"), "%s", out);
	CHECK(strstr(out, "{\"group\":5,\"devices\":[") &&
	      strstr(out, "\"viable\":false,\"blocking_devices\":[{\"device\":\"0000:03:01.0\",\"driver\":\"e1000\"}]"),
	      "group 5: %s", out);
	CHECK(strstr(out, "{\"group\":1,") && strstr(out, "\"holders\":[{\"pid\":321,\"comm\":\"qemu-system-x86\"}]"),
	      "holder of group 1: %s", out);
	CHECK(!strstr(out, "\"group\":0,"), "host-only group 0 not listed: %s", out);
	free(out);
}
/* diagnose on a kernel with iommufd, two cdevs and iommufd's /dev/vfio/vfio (IOMMUFD_VFIO_CONTAINER) */
static void test_diagnose_backends(void)
{
	char root[512], *out;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	snprintf(root, sizeof(root), "%s/diagnose_iommufd", fixtures);
	run_diagnose(f, true, root);
	fclose(f);
	CHECK(strstr(out, "\"backends\":{\"iommufd\":true,\"dev_iommu\":true,\"cdevs\":2,\"container\":\"iommufd\"}"),
	      "iommufd backends: %s", out);
	CHECK(strstr(out, "\"check\":\"backend\",\"status\":\"INFO\",\"detail\":\"iommufd in this kernel (/dev/iommu); "
		      "2 device cdevs in /dev/vfio/devices; /dev/vfio/vfio is iommufd's emulation of the type1 container\""),
	      "backend check: %s", out);
	free(out);
	snprintf(root, sizeof(root), "%s/diagnose", fixtures);
	f = open_memstream(&out, &len);
	run_diagnose(f, true, root);
	fclose(f);
	CHECK(strstr(out, "\"backends\":{\"iommufd\":false,\"dev_iommu\":false,\"cdevs\":null,\"container\":\"type1\"}"),
	      "type1-only backends: %s", out);
	free(out);
}
#include "test_prom.c"
#include "test_dma.c"
#include "test_programs.c"
#include "test_kallsyms_settled.c"
#include "test_ksym_lookup.c"
#include "test_ksym_iter.c"
#include "test_vmident.c"
#include "test_vmby.c"
#include "test_symnames.c"
#include "test_pcireset.c"
#include "test_resets.c"
#include "test_ledger.c"
#include "test_faults.c"
#include "test_map_read.c"
#include "test_call_slot.c"

int main(int argc, char **argv)
{
	fixtures = argc > 1 ? argv[1] : "tests/unit/fixtures";
	/* no process of this machine: each pid the tests name is one gone before it was read */
	vmcache_reset("/nonexistent", 0);
	test_hist_slots();
	test_percentiles();
	test_ref_holders();
	test_event_lines();
	test_fmt_ns();
	test_json();
	test_json_bytes();
	test_options();
	test_targets();
	test_targets_only_symbols();
	test_targets_multi_programs();
	test_targets_unrolled();
	test_group_of_name();
	test_btf_funcs_fit();
	test_table_programs();
	test_capacity_rows();
	test_no_stack_trace_map();
	test_kallsyms_at();
	test_kallsyms_blocks();
	test_kallsyms_order();
	test_kallsyms_settled();
	test_ksym_lookup();
	test_ksym_iter();
	test_bus_reset_devices();
	test_reset_events();
	test_btf_funcs();
	test_grow();
	test_core_btf_cut();
	test_rawbtf_kernel();
	test_errnames();
	test_pick_caller();
	test_symnames();
	test_render_stat();
	test_module_event();
	test_privs_names();
	test_catalogue();
	test_catalogue_doc();
	test_dma_explain();
	test_ledger();
	test_call_slot();
	test_pcialias();
	test_irq_count();
	test_fault_names();
	test_fault_advice();
	test_text_name();
	test_holders();
	test_diagnose();
	test_diagnose_backends();
	test_pcicfg();
	test_diagnose_resets();
	test_vm_qemu_name();
	test_vm_cmdline();
	test_vm_cgroup();
	test_vm_hostile();
	test_vmcache();
	test_prom_vms();
	test_vm_named_outputs();
	test_vm_options();
	test_vm_owners();
	test_vm_cut_and_view();
	test_vm_event_filter();
	test_events_wait_for_symbols();
	test_prom_escape();
	test_prom_render();
	test_prom_dma();
	test_prom_addr();
	test_textfile();
	test_map_read();
	test_holder_at();
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
