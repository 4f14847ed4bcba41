// SPDX-License-Identifier: GPL-2.0
/*
 * vfiotrace: parse options, load and attach (tracer.c), then run the command:
 * poll, and print each feature's model through its own printer.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "catalogue.h"
#include "commands.h"
#include "diagnose.h"
#include "events.h"
#include "exporter.h"
#include "holders.h"
#include "log.h"
#include "map_read.h"
#include "options.h"
#include "privs.h"
#include "retprobe.h"
#include "probes.h"
#include "profile.h"
#include "refs.h"
#include "sections.h"
#include "tracer.h"
#include "vmby.h"
#include "vmcache.h"
#include "vfiotrace.skel.h"

static volatile sig_atomic_t exiting;

/* Module events wait here: the ring buffer is not changed from its own callback. */
struct pending {
	struct module_event ev[16];
	int n;
	unsigned long long lost;
};

/* Everything one run holds, from parsing to cleanup. */
struct run {
	struct tracer t;
	const struct command_def *cmd;
	struct ring_buffer *rb;
	struct exporter exporter;	/* --prometheus, --textfile */
	struct refs_live live;		/* holders, from the events of snoop and refs */
	struct vm_owners owners;	/* the processes seen opening each group: VMs in the summaries */
	const struct vfiotrace_bpf *openers_of;	/* the programs opener_tail reads the ring of */
	unsigned long long opener_tail[OPENER_CPUS];	/* per CPU's ring (vfiotrace.h) */
	struct event_ctx ev;		/* what decoding an event reads */
	struct pending pending;
	unsigned long long delivered;	/* ring buffer records consumed */
	unsigned long long new_clients;	/* the BPF count when the clients were last named */
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

static int on_event(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;

	r->delivered++;
	events_consume(&r->ev, data, size);
	return 0;
}

static int on_module_event(void *ctx, void *data, size_t size)
{
	struct pending *p = &((struct run *)ctx)->pending;

	if (size < sizeof(struct module_event))
		return 0;
	if (p->n == (int)(sizeof(p->ev) / sizeof(p->ev[0]))) {
		p->lost++;
		return 0;
	}
	memcpy(&p->ev[p->n++], data, sizeof(struct module_event));
	return 0;
}

/*
 * The model of this moment; empty while vfiotrace still waits for its modules.
 * Each feature reads its own maps into its part of it.
 */
static void name_clients(struct run *r);
static void name_clients_cb(void *r)
{
	name_clients(r);
}

static int collect(struct run *run, struct snapshot *s)
{
	struct tracer *t = &run->t;
	const struct feature *ft;
	int i, r;

	s->live = &run->live;
	s->owners = &run->owners;
	s->vm = t->opt.vm;
	s->by_vm = t->opt.by_vm;
	s->vm_filtered = run->ev.filtered;
	s->kver = running_kernel();
	if (!t->skel)
		return 0;
	name_clients(run);	/* holders that came since the last poll own their groups too */
	s->dma_traced = t->opt.dma;
	for (i = 0, r = 0; !r && (ft = feature_next(s, &i));)
		if (ft->collect)
			r = ft->collect(s, t->skel, &t->sym);
	snapshot_sort(s);
	if (s->vm)
		vm_filter_snapshot(s, s->vm);
	s->drops = t->skel->bss->ringbuf_drops;
	s->map_full = t->skel->bss->map_full;
	s->probes_missed = tracer_probes_missed(t);
	s->vm_unread = vmcache_counts().gone;
	s->vm_evicted = vmcache_counts().evicted;
	s->refcount_known = t->count_field != NULL;
	return r;
}

static void print_summary(struct run *r, summary_printer print)
{
	struct tracer *t = &r->t;
	struct snapshot s = {};

	if (!print) {	/* snoop: what was delivered and what was lost */
		unsigned long long drops = t->skel ? t->skel->bss->ringbuf_drops : 0;

		if (t->opt.json) {
			struct json j;

			json_line_begin(&j, stdout, "snoop_summary");
			json_uint(&j, "delivered", r->delivered);
			json_uint(&j, "drops", drops);
			/* of which IOMMU faults: a storm's events lost, its counts (stat) not */
			json_uint(&j, "iommu_fault_drops", t->skel ? t->skel->bss->fault_drops : 0);
			if (t->opt.vm) {
				json_uint(&j, "filtered", r->ev.filtered);
				json_uint(&j, "vm_unread", vmcache_counts().gone);
			}
			json_obj_end(&j);
			fflush(stdout);
		}
		if (!t->opt.json && r->ev.filtered)
			info("%llu events of processes not of VM %s not shown (--vm; not lost)", r->ev.filtered,
			     t->opt.vm);
		if (t->opt.vm && vmcache_counts().gone)
			info("%llu processes exited before their VM could be read: their events count as not of VM %s",
			     vmcache_counts().gone, t->opt.vm);
		if (drops)
			err("%llu events dropped: ring buffer full (%llu delivered); a larger --ring-buffer keeps them",
			    drops, r->delivered);
		if (r->ev.malformed)
			err("%llu ring buffer records of an unknown type or size skipped: a BPF object "
			    "from another vfiotrace version?", r->ev.malformed);
		return;
	}
	if (collect(r, &s))
		err("out of memory reading the maps; summary incomplete");
	print(stdout, &s, t->opt.json);
	snapshot_free(&s);
}

/* The exporter's and the textfile's body: a fresh snapshot as Prometheus text. */
static int render_metrics(void *ctx, FILE *f)
{
	struct run *run = ctx;
	struct tracer *t = &run->t;
	struct prom_probe probes[NR_HOOKS];
	struct snapshot s = {};
	struct metrics m = { .s = &s, .probes = probes, .nprobes = NR_HOOKS,
			     .version = VFIOTRACE_VERSION };
	int i, r;

	/* attached: a hook of an unloaded module is 0 until it is attached again */
	for (i = 0; i < NR_HOOKS; i++)
		probes[i] = (struct prom_probe){ targets[i].hook, t->res[i].func, t->res[i].module,
						 style_name(t->res[i].style),
						 tracer_attached(t, i) };
	m.now_ns = mono_ns();
	r = collect(run, &s);
	if (!r)
		render_prom(f, &m);
	snapshot_free(&s);
	return r;
}

/*
 * Everything attached: drop what the rest of the run does not need, then the
 * Tracing line. 0, or -1 with the error printed.
 */
static int tracing(struct run *r)
{
	struct tracer *t = &r->t;
	const char *probe = NULL;
	char msg[256], names[128];
	long long kept;
	int i;

	if (t->skel->rodata->emit_events) {	/* snoop and refs */
		int fd = bpf_map__fd(t->skel->maps.events);

		r->ev = (struct event_ctx){
			.stacks_fd = bpf_map__fd(t->skel->maps.stacks),
			.fail_stacks_fd = t->opt.verbose ? bpf_map__fd(t->skel->maps.fail_stacks) : -1,
			.group_containers_fd = bpf_map__fd(t->skel->maps.group_containers),
			.holders_fd = bpf_map__fd(t->skel->maps.holders),
			.dma = t->opt.dma,
			.dma_drops = &t->skel->bss->dma_drops,
			.target_group = t->opt.group,
			.target_pid = (unsigned int)t->opt.pid,
			.ref_sites_fd = bpf_map__fd(t->skel->maps.ref_sites),
			.sym = &t->sym,
			.kver = running_kernel(),
			.live = &r->live,
			.vm = t->opt.vm,
			.out = stdout,
			.json = t->opt.json,
			.refs_only = t->opt.cmd == CMD_REFS,
			.meanwhile = name_clients_cb,
			.meanwhile_arg = r,
		};
		if (r->rb ? ring_buffer__add(r->rb, fd, on_event, r) :
		    !(r->rb = ring_buffer__new(fd, on_event, r, NULL))) {
			err("cannot create the ring buffer: %s", strerror(errno));
			return -1;
		}
		if (!t->opt.json)
			event_line_header(stdout);
	}
	for (i = 0; i < NR_HOOKS && !probe; i++)
		if (t->res[i].func && !t->res[i].module)
			probe = t->res[i].func;	/* a vmlinux function: always there */
	kept = privs_drop(probe, msg, sizeof(msg));
	if (kept < 0) {
		err("cannot drop capabilities: %s", msg);
		return -1;
	}
	privs_names(kept, names, sizeof(names));
	dbg("capabilities kept: %s%s%s", names, msg[0] ? "; " : "", msg);
	profile("privileges");
	features_start();
	/* last: whoever waits for this line sees the final privileges */
	info("Tracing %s (%d probes%s)... Hit Ctrl-C to end.", r->cmd->tracing, tracer_links(t),
	     t->fallback[0] ? ", kprobes: fentry refused" : "");
	return 0;
}

/* Module events seen by the watcher since the last poll. 0, or -1 on a fatal error. */
static int module_events(struct run *run)
{
	struct tracer *t = &run->t;
	struct pending *p = &run->pending;
	struct module_report rep;
	char msg[256];
	int i, r;

	if (p->lost || lifecycle_drops(&t->lc)) {
		err("warning: module events lost; hooks of a reloaded module may stay detached");
		p->lost = 0;
	}
	for (i = 0; i < p->n; i++) {
		bool was_loaded = t->skel != NULL;

		r = tracer_module_event(t, &p->ev[i], &rep);
		if (r < 0)
			return -1;
		if (rep.nhooks || rep.error[0])
			render_module_event(stderr, stdout, &rep, t->opt.json);
		if (!was_loaded && t->skel) {
			if (tracing(run))
				return -1;
		} else if (r > 0) {
			info("Tracing %s again (%d probes)", rep.module, tracer_links(t));
		} else if (!t->skel && p->ev[i].action == MODULE_LOADED) {
			tracer_waiting(t, msg, sizeof(msg));
			info("vfiotrace: still waiting for %s...", msg);
		}
	}
	p->n = 0;
	return 0;
}

/* The opens in the rings since the last read (vfiotrace.h: no bpf() call); overwritten ones are lost. */
static void read_openers(struct run *r, const struct vfiotrace_bpf *skel)
{
	int cpu;

	for (cpu = 0; cpu < OPENER_CPUS; cpu++) {
		unsigned long long head = skel->bss->opener_heads[cpu], *tail = &r->opener_tail[cpu];

		for (; *tail < head; (*tail)++) {
			const volatile struct opener *o =
				&skel->bss->opener_ring[cpu * OPENER_SLOTS + (*tail & (OPENER_SLOTS - 1))];
			char comm[COMM_LEN];
			int group = o->group;
			unsigned int pid = o->pid;

			memcpy(comm, (const void *)o->comm, COMM_LEN);
			comm[COMM_LEN - 1] = 0;
			/* seq: the slot's index + 1 once written; a later one: overwritten */
			if (o->seq == *tail + 1 && head - *tail <= OPENER_SLOTS)
				vm_owners_add(&r->owners, group, vmcache_get(pid, comm));
			else
				r->owners.lost++;
		}
	}
}

/*
 * New group openers (the ring) and DMA clients (the BPF count moved): their
 * VM identities are read now, while they live (vmcache.h), so that a summary
 * after they exit still names their VMs. Only the pids are read from the
 * maps, and no map lookup: a whole snapshot here would also symbolize callers,
 * loading all of kallsyms for the rest of the run. No syscall while nothing moves.
 */
static void name_clients(struct run *r)
{
	const struct vfiotrace_bpf *skel = r->t.skel;
	struct dma_client_key k, *kp = NULL;
	struct map_entries e;
	struct holder h;
	size_t i;
	int fd, g;

	if (!skel)
		return;
	if (r->openers_of != skel) {	/* new programs: the holders seeded from /proc, the ring anew */
		r->openers_of = skel;
		memset(r->opener_tail, 0, sizeof(r->opener_tail));
		if (!map_read(bpf_map__fd(skel->maps.holders), &e)) {
			for (i = 0; i < e.n; i++) {
				map_entry(&e, i, &g, &h);
				if (holder_held(&h))
					vm_owners_add(&r->owners, g, vmcache_get(h.pid, h.comm));
			}
			map_entries_free(&e);
		}
	}
	/* a busy group's culprit is one of these holders, read here or at start */
	read_openers(r, skel);
	if (skel->bss->new_clients == r->new_clients)
		return;
	r->new_clients = skel->bss->new_clients;
	fd = bpf_map__fd(skel->maps.dma_clients);	/* keys only: get_next_key holds no recursion guard */
	for (; !bpf_map_get_next_key(fd, kp, &k); kp = &k)
		vmcache_get(k.pid, k.comm);
}

/* 0, or -1 when following a module failed fatally (printed). */
static int poll_loop(struct run *r)
{
	struct tracer *t = &r->t;
	int ret = 0;

	double start = mono_s(), next = start + t->opt.interval;
	unsigned int printed = 0;
	/*
	 * Only intervals, -d and the exporter need the clock: otherwise wake up
	 * for events and signals alone, so that CPU time does not grow with the
	 * time traced (the 1 s bounds a signal that lands just before poll).
	 */
	int timeout = t->opt.interval || t->opt.duration || t->opt.prometheus || t->opt.textfile ?
		      100 : 1000;

	while (!exiting) {
		double now;

		struct pollfd fds[1 + HTTP_MAX_FDS];
		int n = 0;

		/* one wait for events, module events and scrapes: a slow scraper never holds up tracing */
		if (r->rb)
			fds[n++] = (struct pollfd){ .fd = ring_buffer__epoll_fd(r->rb), .events = POLLIN };
		n += exporter_pollfds(&r->exporter, fds + n, HTTP_MAX_FDS);
		if (poll(fds, n, timeout) < 0 && errno != EINTR) {
			err("poll failed: %s", strerror(errno));
			break;
		}
		if (r->rb) {
			int e = ring_buffer__consume(r->rb);

			if (e < 0 && e != -EINTR) {
				err("ring buffer poll failed: %s", strerror(-e));
				break;
			}
		}
		exporter_tick(&r->exporter, mono_s());
		name_clients(r);
		if (r->pending.n && module_events(r)) {
			ret = -1;
			break;
		}
		now = mono_s();
		if (t->opt.duration && now - start >= t->opt.duration)
			break;
		if (t->opt.interval && now >= next) {
			print_summary(r, r->cmd->summary);
			next += t->opt.interval;
			if (t->opt.count && ++printed >= t->opt.count)
				return 0;	/* the last interval was the final summary */
		}
	}
	if (r->rb)
		ring_buffer__consume(r->rb);
	print_summary(r, r->cmd->summary);
	return ret;
}

int main(int argc, char **argv)
{
	static struct run r = { .new_clients = ~0ULL };	/* large: not on the stack; clients named at start */
	struct tracer *t = &r.t;
	char msg[256];
	int ret = 1;

	switch (parse_options(argc, argv, &t->opt, msg, sizeof(msg))) {
	case PARSE_EXIT:
		return 0;
	case PARSE_ERROR:
		err("%s", msg);
		return 2;
	case PARSE_OK:
		break;
	}
	verbose = t->opt.verbose;
	libbpf_set_print(libbpf_log);
	r.cmd = command_get(t->opt.cmd);	/* what it prints and what the Tracing line says */

	if (t->opt.btf && kernel_btf_check_file(t->opt.btf, msg, sizeof(msg))) {
		err("%s", one_line(msg));
		return 2;
	}
	if (t->opt.cmd == CMD_DIAGNOSE)
		return run_diagnose(stdout, t->opt.json, NULL);
	if (exporter_check(&t->opt, msg, sizeof(msg))) {
		err("%s", one_line(msg));
		return 2;
	}
	if (privs_check(msg, sizeof(msg))) {
		err("%s", msg);
		return 1;
	}
	/* before the kernel is touched: a busy port fails fast */
	if (exporter_start(&r.exporter, &t->opt, render_metrics, &r))
		return 1;
	if (tracer_load(t))
		goto cleanup;
	if (t->opt.cmd == CMD_PROBES) {
		render_probes(stdout, t->res, t->count_field, t->dma_btf, t->fallback[0] ? t->fallback : NULL,
			      t->retprobe_maxactive, tracer_multi_links(t), t->opt.json);
		ret = 0;
		goto cleanup;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (t->lc.active) {
		r.rb = ring_buffer__new(lifecycle_ring_fd(&t->lc), on_module_event, &r, NULL);
		if (!r.rb) {
			err("cannot create the module event ring buffer: %s", strerror(errno));
			goto cleanup;
		}
	}
	if (t->skel) {
		if (tracer_attach(t) || tracing(&r))
			goto cleanup;
	} else {
		/* possibly for long (started at boot): meanwhile only what loading needs */
		if (privs_limit_to_load(msg, sizeof(msg))) {
			err("cannot drop capabilities: %s", msg);
			goto cleanup;
		}
		tracer_waiting(t, msg, sizeof(msg));
		info("vfiotrace: waiting for %s...", msg);
	}
	ret = poll_loop(&r) ? 1 : 0;
	exporter_stop(&r.exporter);	/* the final textfile */

cleanup:
	r.exporter.textfile = NULL;	/* nothing attached: no textfile to leave behind */
	exporter_stop(&r.exporter);
	ring_buffer__free(r.rb);
	refs_live_free(&r.live);
	tracer_close(t);
	return ret;
}
