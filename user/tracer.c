// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "tracer.h"
#include "vfiotrace.skel.h"

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
	t->skel->rodata->emit_events = t->opt.cmd == CMD_SNOOP || t->opt.cmd == CMD_REFS;
	t->skel->rodata->gets_at_ioctl = !t->res[HOOK_GET].func;
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

static int load_with_fallback(struct tracer *t)
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

int tracer_attach(struct tracer *t)
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
		dbg("%s: %s (%s) via %s", targets[i].hook, r->func, r->module ? r->module : "vmlinux",
		    style_name(r->style));
	}
	return 0;
}

int tracer_load(struct tracer *t)
{
	struct kernel_view kv;
	char msg[256];

	if (kernel_btf_open(&t->kb) && !t->opt.btf) {
		err("this kernel exposes no BTF (/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF): "
		    "pass --btf FILE");
		return -1;
	}
	if (kallsyms_load(&t->ks, "/proc/kallsyms") || !t->ks.n) {
		err("cannot read /proc/kallsyms: run as root");
		return -1;
	}
	kv = (struct kernel_view){ .ks = &t->ks, .func_nargs = kernel_btf_func_nargs, .ctx = &t->kb };
	if (resolve_targets(&kv, t->opt.mode, t->res, msg, sizeof(msg))) {
		err("%s", msg);
		return -1;
	}
	disable_opt_in(t->res, (const char *[]){ t->opt.dma ? "--dma" : NULL, NULL });
	t->count_field = vfio_device_count_field(&t->kb, t->opt.btf);
	if (load_with_fallback(t))
		return -1;
	t->maps = (struct bpf_maps){
		.group_stats = bpf_map__fd(t->skel->maps.group_stats),
		.group_members = bpf_map__fd(t->skel->maps.group_members),
		.errors = bpf_map__fd(t->skel->maps.errors),
		.ref_sites = bpf_map__fd(t->skel->maps.ref_sites),
		.devices = bpf_map__fd(t->skel->maps.devices),
		.dma = {
			.containers = bpf_map__fd(t->skel->maps.dma_containers),
			.clients = bpf_map__fd(t->skel->maps.dma_clients),
			.failures = bpf_map__fd(t->skel->maps.dma_failures),
			.group_containers = bpf_map__fd(t->skel->maps.group_containers),
		},
		.stacks = bpf_map__fd(t->skel->maps.stacks),
	};
	t->sym = (struct symbolizer){ .ks = &t->ks, .hooked = { t->res[HOOK_PUT].func,
		t->res[HOOK_GET].func } };
	return 0;
}

void tracer_close(struct tracer *t)
{
	int i;

	for (i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	t->nlinks = 0;
	vfiotrace_bpf__destroy(t->skel);
	t->skel = NULL;
	kallsyms_free(&t->ks);
	kernel_btf_close(&t->kb);
}
