// SPDX-License-Identifier: GPL-2.0
/*
 * vfiotrace: parse options, resolve probe targets, open, set rodata, load
 * (falling back from fentry to kprobes if the kernel refuses), attach, poll,
 * render, clean up.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "kernel_btf.h"
#include "log.h"
#include "options.h"
#include "render.h"
#include "snapshot.h"
#include "targets.h"
#include "vfiotrace.skel.h"

#define MAX_LINKS (2 * NR_HOOKS)

int verbose;
static volatile sig_atomic_t exiting;

struct tracer {
	struct options opt;
	struct kallsyms ks;
	struct kernel_btf kb;
	struct resolved res[NR_HOOKS];
	const char *count_field;	/* vfio_device member the put hook reads, or NULL */
	char fallback[128];		/* why fentry was abandoned, "" if it was not */
	struct vfiotrace_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	struct ring_buffer *rb;
	struct symbolizer sym;
	struct bpf_maps maps;
};

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && verbose < 2)
		return 0;
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static struct bpf_program *prog(struct tracer *t, const char *name)
{
	return name ? bpf_object__find_program_by_name(t->skel->obj, name) : NULL;
}

/* Enable exactly the programs the resolved styles need. */
static int configure(struct tracer *t)
{
	struct bpf_program *p;
	int i;

	bpf_object__for_each_program(p, t->skel->obj)
		bpf_program__set_autoload(p, false);
	for (i = 0; i < NR_HOOKS; i++) {
		const struct target *tg = &targets[i];
		const struct resolved *r = &t->res[i];
		const char *names[2];
		int k;

		if (!r->func)
			continue;
		target_programs(tg, r, names);
		for (k = 0; k < 2; k++) {
			if (!(p = prog(t, names[k])))
				continue;
			bpf_program__set_autoload(p, true);
			/* fails without the privilege to read module BTF: load() reports */
			if (r->style == STYLE_FENTRY &&
			    bpf_program__set_attach_target(p, 0, r->func)) {
				dbg("cannot target %s with fentry: %s", r->func, strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

static int open_and_load(struct tracer *t)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = t->opt.btf);
	int e;

	t->skel = vfiotrace_bpf__open_opts(&oo);
	if (!t->skel) {
		err("cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	t->skel->rodata->target_group = t->opt.group;
	t->skel->rodata->target_tgid = (__u32)t->opt.pid;
	t->skel->rodata->emit_events = t->opt.cmd == CMD_SNOOP;
	e = configure(t) ? -1 : vfiotrace_bpf__load(t->skel);
	if (!e)
		return 0;
	e = errno;
	vfiotrace_bpf__destroy(t->skel);
	t->skel = NULL;
	errno = e;
	return -1;
}

static bool uses_fentry(const struct tracer *t)
{
	int i;

	for (i = 0; i < NR_HOOKS; i++)
		if (t->res[i].func && t->res[i].style == STYLE_FENTRY)
			return true;
	return false;
}

static int load(struct tracer *t)
{
	if (!open_and_load(t))
		return 0;
	if (t->opt.mode == MODE_AUTO && uses_fentry(t)) {
		snprintf(t->fallback, sizeof(t->fallback), "fentry load failed: %s", strerror(errno));
		dbg("%s; retrying with kprobes", t->fallback);
		fall_back_to_kprobes(t->res, t->fallback);
		if (!open_and_load(t))
			return 0;
	}
	if (errno == EPERM && geteuid() != 0)
		err("permission denied loading BPF: run as root (or with CAP_BPF, CAP_PERFMON "
		    "and CAP_SYS_RESOURCE)");
	else
		err("loading the BPF programs failed: %s; run with -vv for the verifier log",
		    strerror(errno));
	return -1;
}

static int attach(struct tracer *t)
{
	int i, k;

	for (i = 0; i < NR_HOOKS; i++) {
		const struct resolved *r = &t->res[i];
		const char *names[2];

		if (!r->func)
			continue;
		target_programs(&targets[i], r, names);
		for (k = 0; k < 2; k++) {
			struct bpf_program *p = prog(t, names[k]);
			struct bpf_link *l;

			if (!p)
				continue;
			/* names[1] is the return probe */
			l = r->style == STYLE_FENTRY ? bpf_program__attach(p) :
			    bpf_program__attach_kprobe(p, k == 1, r->func);
			if (!l) {
				err("cannot attach %s to %s: %s%s", style_name(r->style), r->func,
				    strerror(errno),
				    r->style == STYLE_KPROBE ? " (kernel without CONFIG_KPROBES?)" : "");
				return -1;
			}
			t->links[t->nlinks++] = l;
		}
	}
	return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct event *e = data;
	char caller[CALLER_LEN] = "";

	if (size < sizeof(*e))
		return 0;
	if (e->type == EV_DEVICE_PUT)
		stack_caller(t->maps.stacks, e->stack_id, &t->sym, caller, sizeof(caller));
	render_event(stdout, e, caller, t->opt.json);
	return 0;
}

static void print_summary(struct tracer *t)
{
	struct snapshot s = {};

	if (t->opt.cmd == CMD_SNOOP) {
		if (t->skel->bss->ringbuf_drops)
			err("%llu events dropped: ring buffer full",
			    (unsigned long long)t->skel->bss->ringbuf_drops);
		return;
	}
	if (snapshot_collect(&s, &t->maps, &t->sym))
		err("out of memory reading the maps; summary incomplete");
	s.drops = t->skel->bss->ringbuf_drops;
	s.map_full = t->skel->bss->map_full;
	s.refcount_known = t->count_field != NULL;
	if (t->opt.cmd == CMD_HIST)
		render_hist(stdout, &s, t->opt.json);
	else if (t->opt.cmd == CMD_REFS)
		render_refs(stdout, &s, t->opt.json);
	else
		render_stat(stdout, &s, t->opt.json);
	snapshot_free(&s);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void poll_loop(struct tracer *t)
{
	double start = now_s(), next = start + t->opt.interval;
	unsigned int printed = 0;

	while (!exiting) {
		double now;

		if (t->rb) {
			int e = ring_buffer__poll(t->rb, 100);

			if (e < 0 && e != -EINTR) {
				err("ring buffer poll failed: %s", strerror(-e));
				break;
			}
		} else {
			usleep(100000);
		}
		now = now_s();
		if (t->opt.duration && now - start >= t->opt.duration)
			break;
		if (t->opt.interval && now >= next) {
			print_summary(t);
			next += t->opt.interval;
			if (t->opt.count && ++printed >= t->opt.count)
				return;	/* the last interval was the final summary */
		}
	}
	if (t->rb)
		ring_buffer__consume(t->rb);
	print_summary(t);
}

int main(int argc, char **argv)
{
	struct tracer t = {};
	struct kernel_view kv;
	char msg[256];
	int i, ret = 1;

	switch (parse_options(argc, argv, &t.opt, msg, sizeof(msg))) {
	case PARSE_EXIT:
		return 0;
	case PARSE_ERROR:
		err("%s", msg);
		return 2;
	case PARSE_OK:
		break;
	}
	verbose = t.opt.verbose;
	libbpf_set_print(libbpf_log);

	if (t.opt.btf && access(t.opt.btf, R_OK)) {
		err("cannot read --btf %s: %s", t.opt.btf, strerror(errno));
		return 2;
	}
	if (kernel_btf_open(&t.kb) && !t.opt.btf) {
		err("this kernel exposes no BTF (/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF): "
		    "pass --btf FILE");
		goto cleanup;
	}
	if (kallsyms_load(&t.ks, "/proc/kallsyms") || !t.ks.n) {
		err("cannot read /proc/kallsyms: run as root");
		goto cleanup;
	}
	kv = (struct kernel_view){ .ks = &t.ks, .func_nargs = kernel_btf_func_nargs, .ctx = &t.kb };
	if (resolve_targets(&kv, t.opt.mode, t.res, msg, sizeof(msg))) {
		err("%s", msg);
		goto cleanup;
	}
	t.count_field = vfio_device_count_field(&t.kb, t.opt.btf);

	if (load(&t))
		goto cleanup;
	if (t.opt.cmd == CMD_PROBES) {
		render_probes(stdout, t.res, t.count_field, t.fallback[0] ? t.fallback : NULL,
			      t.opt.json);
		ret = 0;
		goto cleanup;
	}
	t.maps = (struct bpf_maps){
		.group_stats = bpf_map__fd(t.skel->maps.group_stats),
		.group_members = bpf_map__fd(t.skel->maps.group_members),
		.errors = bpf_map__fd(t.skel->maps.errors),
		.puts = bpf_map__fd(t.skel->maps.puts),
		.stacks = bpf_map__fd(t.skel->maps.stacks),
	};
	t.sym = (struct symbolizer){ .ks = &t.ks,
				     .hooked = { t.res[HOOK_PUT].func } };
	if (t.opt.cmd == CMD_SNOOP) {
		t.rb = ring_buffer__new(bpf_map__fd(t.skel->maps.events), on_event, &t, NULL);
		if (!t.rb) {
			err("cannot create the ring buffer: %s", strerror(errno));
			goto cleanup;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (attach(&t))
		goto cleanup;

	for (i = 0; i < NR_HOOKS; i++)
		if (t.res[i].func)
			dbg("%s: %s (%s) via %s", targets[i].hook, t.res[i].func,
			    t.res[i].module ? t.res[i].module : "vmlinux", style_name(t.res[i].style));
	if (t.opt.cmd == CMD_SNOOP && !t.opt.json)
		render_event_header(stdout);
	info("Tracing VFIO attaches, domain allocations and device puts (%d probes%s)... "
	     "Hit Ctrl-C to end.", t.nlinks, t.fallback[0] ? ", kprobes: fentry refused" : "");
	poll_loop(&t);
	ret = 0;

cleanup:
	for (i = 0; i < t.nlinks; i++)
		bpf_link__destroy(t.links[i]);
	ring_buffer__free(t.rb);
	vfiotrace_bpf__destroy(t.skel);
	kallsyms_free(&t.ks);
	kernel_btf_close(&t.kb);
	return ret;
}
