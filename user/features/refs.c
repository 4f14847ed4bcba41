// SPDX-License-Identifier: GPL-2.0
/* refs: device reference gets and puts, holders, hung unbinds; text and JSON. */
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "clock.h"
#include "feature.h"
#include "histogram.h"
#include "json.h"
#include "prom.h"
#include "refs.h"
#include "text.h"
#include "vmcache.h"
#include "vmname.h"
#include "vfiotrace.skel.h"

/* ---- the model: aggregates read from the maps ---- */

/* Group of a device by name from sysfs, for kernels whose BTF cannot tell (5.10). */
static int sysfs_group(const char *dev)
{
	char path[128], link[PATH_MAX];
	ssize_t n;

	if (!dev[0] || strchr(dev, '/'))
		return NO_GROUP;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", dev);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return NO_GROUP;
	link[n] = 0;
	return atoi(basename(link));
}

static int by_ref(const void *a, const void *b)
{
	const struct ref_row *x = a, *y = b;
	int c;

	if (x->key.group != y->key.group)
		return x->key.group - y->key.group;
	if ((c = strcmp(x->key.dev, y->key.dev)))
		return c;
	if ((c = strcmp(x->caller, y->caller)))
		return c;
	return x->key.kind - y->key.kind;
}

static int by_dev(const void *a, const void *b)
{
	const struct dev_row *x = a, *y = b;

	if (x->d.group != y->d.group)
		return x->d.group - y->d.group;
	return strcmp(x->d.name, y->d.name);
}

static int collect_sites(struct snapshot *s, const struct vfiotrace_bpf *skel,
			 const struct symbolizer *sym)
{
	int sites = bpf_map__fd(skel->maps.ref_sites), stacks = bpf_map__fd(skel->maps.stacks);
	struct ref_key k, *prev = NULL;
	int i, n;

	while (!bpf_map_get_next_key(sites, prev, &k)) {
		struct ref_row *r, *p;

		prev = &k;
		p = realloc(s->refs, (s->nrefs + 1) * sizeof(*p));
		if (!p)
			return -1;
		s->refs = p;
		r = &s->refs[s->nrefs];
		r->key = k;
		if (bpf_map_lookup_elem(sites, &k, &r->val))
			continue;
		if (r->key.group == NO_GROUP)
			r->key.group = sysfs_group(r->key.dev);
		stack_caller(stacks, k.stack_id, k.caller, sym, r->caller, sizeof(r->caller));
		s->nrefs++;
	}
	/* The same caller can appear under several stack ids: merge them. */
	if (s->nrefs)	/* qsort's array may not be NULL, even for no element */
		qsort(s->refs, s->nrefs, sizeof(*s->refs), by_ref);
	for (i = 0, n = 0; i < s->nrefs; i++) {
		if (n && !by_ref(&s->refs[n - 1], &s->refs[i]))
			s->refs[n - 1].val.count += s->refs[i].val.count;
		else
			s->refs[n++] = s->refs[i];
	}
	s->nrefs = n;
	return 0;
}

static int collect_devices(struct snapshot *s, const struct vfiotrace_bpf *skel)
{
	int devices = bpf_map__fd(skel->maps.devices);
	unsigned long long k, *prev = NULL;
	int i, n;

	while (!bpf_map_get_next_key(devices, prev, &k)) {
		struct dev_row *r, *p;

		prev = &k;
		p = realloc(s->devs, (s->ndevs + 1) * sizeof(*p));
		if (!p)
			return -1;
		s->devs = p;
		r = &s->devs[s->ndevs];
		r->ptr = k;
		if (bpf_map_lookup_elem(devices, &k, &r->d))
			continue;
		if (r->d.group == NO_GROUP)
			r->d.group = sysfs_group(r->d.name);
		s->ndevs++;
	}
	/* one row per device name: a re-registered device has a new address */
	if (s->ndevs)
		qsort(s->devs, s->ndevs, sizeof(*s->devs), by_dev);
	for (i = 0, n = 0; i < s->ndevs; i++) {
		struct dev_row *last = n ? &s->devs[n - 1] : NULL;

		if (last && !by_dev(last, &s->devs[i])) {
			last->d.gets += s->devs[i].d.gets;
			last->d.puts += s->devs[i].d.puts;
			if (s->devs[i].d.peak > last->d.peak)
				last->d.peak = s->devs[i].d.peak;
			if (s->devs[i].d.refcount != REFCOUNT_UNAVAILABLE)
				last->d.refcount = s->devs[i].d.refcount;
		} else {
			s->devs[n++] = s->devs[i];
		}
	}
	s->ndevs = n;
	return 0;
}

static int collect(struct snapshot *s, const struct vfiotrace_bpf *skel, const struct symbolizer *sym)
{
	return collect_sites(s, skel, sym) || collect_devices(s, skel) ? -1 : 0;
}

/* Gets of the devices of one group. */
static unsigned long long refs_group_gets(const struct snapshot *s, int group)
{
	unsigned long long n = 0;
	int i;

	for (i = 0; i < s->ndevs; i++)
		if (s->devs[i].d.group == group)
			n += s->devs[i].d.gets;
	return n;
}

/* ---- the live model: who holds each device ---- */

static struct live_dev *live_dev(struct refs_live *l, unsigned long long ptr, const char *name)
{
	struct live_dev *d;
	int i;

	for (i = 0; i < l->ndevs; i++)
		if (l->devs[i].ptr == ptr)
			goto found;
	d = realloc(l->devs, (l->ndevs + 1) * sizeof(*d));
	if (!d)
		return NULL;
	l->devs = d;
	i = l->ndevs++;
	memset(&l->devs[i], 0, sizeof(l->devs[i]));
	l->devs[i].ptr = ptr;
found:
	if (name && name[0])
		snprintf(l->devs[i].name, sizeof(l->devs[i].name), "%s", name);
	return &l->devs[i];
}

static void hold(struct refs_live *l, struct live_dev *d, const struct event *e)
{
	struct ref_holder *h;
	int i;

	for (i = 0; i < d->nholders && d->holders[i].pid != e->h.pid; i++)
		;
	if (i == d->nholders) {
		if (d->nholders == MAX_HOLDERS) {
			l->untracked++;
			i = MAX_HOLDERS - 1;
		} else {
			h = &d->holders[d->nholders++];
			memset(h, 0, sizeof(*h));
			h->pid = e->h.pid;
			memcpy(h->comm, e->h.comm, COMM_LEN);
			h->since_ns = e->h.ts_ns;
		}
	}
	d->holders[i].refs++;
}

static void release(struct live_dev *d, const struct event *e)
{
	int i, k = 0;

	if (!d->nholders)
		return;	/* taken before tracing started */
	for (i = 0; i < d->nholders; i++)
		if (d->holders[i].pid == e->h.pid)
			k = i;	/* else: the oldest holder (index 0), see refs.h */
	if (--d->holders[k].refs)
		return;
	memmove(&d->holders[k], &d->holders[k + 1], (d->nholders - k - 1) * sizeof(d->holders[0]));
	d->nholders--;
}

static void json_holders(struct json *j, const struct live_dev *d, unsigned long long now)
{
	int i;

	json_arr_begin(j, "holders");
	for (i = 0; i < d->nholders; i++) {
		json_obj_begin(j, NULL);
		json_uint(j, "pid", d->holders[i].pid);
		json_str(j, "comm", d->holders[i].comm);
		vm_json(j, vmcache_get(d->holders[i].pid, d->holders[i].comm));
		json_uint(j, "refs", d->holders[i].refs);
		json_uint(j, "held_ns", now - d->holders[i].since_ns);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* "pid N (comm) R refs for T, ..." appended to buf. */
static void holders_text(const struct live_dev *d, unsigned long long now, char *buf, size_t len)
{
	char b[16], name[TEXT_NAME_LEN], vm[VM_TEXT_LEN];
	int i;

	if (!d->nholders)
		text_append(buf, len, "no holder seen (taken before tracing started)");
	for (i = 0; i < d->nholders; i++)
		text_append(buf, len, "%spid %u (%s%s) %u ref%s for %s", i ? ", " : "", d->holders[i].pid,
			    text_name(d->holders[i].comm, name, sizeof(name)),
			    vm_text(vmcache_get(d->holders[i].pid, d->holders[i].comm), ", vm ", vm, sizeof(vm)),
			    d->holders[i].refs,
			    d->holders[i].refs == 1 ? "" : "s",
			    fmt_ns(now - d->holders[i].since_ns, b, sizeof(b)));
}

static void text_holders(FILE *f, const struct live_dev *d, unsigned long long now)
{
	char buf[1024] = "";

	holders_text(d, now, buf, sizeof(buf));
	fputs(buf, f);
}

static void json_refcount(struct json *j, const char *key, long long v)
{
	if (v == REFCOUNT_UNAVAILABLE)
		json_null(j, key);
	else
		json_int(j, key, v);
}

static void json_device(struct json *j, const char *name)
{
	if (name[0])
		json_str(j, "device", name);
	else
		json_null(j, "device");
}

struct live_dev *refs_live_apply(struct refs_live *l, const struct event *e, enum live_change *ch)
{
	struct live_dev *d = live_dev(l, e->dev_ptr, e->name);

	*ch = LIVE_SAME;
	if (!d)
		return NULL;
	switch (e->h.type) {
	case EV_DEVICE_GET:
		hold(l, d, e);
		break;
	case EV_DEVICE_PUT:
		if (e->h.pid != d->unreg_pid)
			release(d, e);
		break;
	case EV_UNREG_BEGIN:
		d->unreg_pid = e->h.pid;
		/* only the registration's reference left (or none held, where unreadable): no wait */
		if (e->refcount == REFCOUNT_UNAVAILABLE ? !d->nholders : e->refcount <= REFS_BASELINE)
			break;
		d->unreg_ns = e->h.ts_ns;
		*ch = LIVE_WAIT_BEGAN;
		break;
	case EV_UNREG_END:
		d->unreg_pid = 0;
		if (!d->unreg_ns)
			break;
		d->unreg_ns = 0;
		*ch = LIVE_WAIT_ENDED;
		break;
	}
	return d;
}

/* The device's name: as last seen live, else as the event read it. */
static const char *ref_device(const struct live_dev *d, const struct event *e)
{
	return d->name[0] ? d->name : e->name[0] ? e->name : "?";
}

static long long refcount_after(const struct event *e)
{
	if (e->refcount == REFCOUNT_UNAVAILABLE)
		return REFCOUNT_UNAVAILABLE;
	/* a refcount_t is 32 bits: whatever the record says, this cannot overflow */
	return (long long)(int)e->refcount + (e->h.type == EV_DEVICE_GET ? 1 : -1);
}

static void transition_json(struct json *j, const struct event_line *l)
{
	const struct event *e = l->rec;

	json_device(j, e->name);
	json_refcount(j, "refcount", e->refcount);	/* before, as snoop always had it */
	json_refcount(j, "refcount_before", e->refcount);
	json_refcount(j, "refcount_after", refcount_after(e));
	json_str(j, "caller", l->name[0] ? l->name : "?");
}

static void unbind_wait_json(struct json *j, const struct event_line *l)
{
	const struct event *e = l->rec;

	json_str(j, "device", ref_device(l->state, e));
	json_refcount(j, "refcount", e->refcount);
	json_holders(j, l->state, e->h.ts_ns);
}

static void unbind_done_json(struct json *j, const struct event_line *l)
{
	const struct event *e = l->rec;

	json_str(j, "device", ref_device(l->state, e));
	json_uint(j, "waited_ns", e->h.latency_ns);
}

static int refs_decode(const void *rec, struct event_ctx *c, struct event_line *l)
{
	const struct event *e = rec;
	char b[16], comm[TEXT_NAME_LEN], caller[CALLER_LEN], dev[TEXT_LEN(NAME_LEN)];
	struct live_dev *d;
	enum live_change ch;

	d = refs_live_apply(c->live, e, &ch);
	if (!d)
		return 0;
	switch (e->h.type) {
	case EV_DEVICE_GET:
	case EV_DEVICE_PUT:
		stack_caller(c->stacks_fd, e->stack_id, e->caller, c->sym, caller, sizeof(caller));
		event_line_init(l, e->h.type == EV_DEVICE_GET ? "device_get" : "device_put", &e->h);
		l->fields = LINE_GROUP | LINE_PID | LINE_TID | LINE_COMM;
		snprintf(l->name, sizeof(l->name), "%s", caller);
		if (e->refcount == REFCOUNT_UNAVAILABLE)
			snprintf(l->result, sizeof(l->result), "ref n/a");
		else
			snprintf(l->result, sizeof(l->result), "ref %lld->%lld", e->refcount,
				 refcount_after(e));
		event_line_detail(l, "%s by %s", e->name[0] ? text_name(e->name, dev, sizeof(dev)) : "?",
				  caller[0] ? caller : "?");
		l->json = transition_json;
		break;
	case EV_UNREG_BEGIN:
		if (ch != LIVE_WAIT_BEGAN)
			return 0;
		event_line_init(l, "unbind_wait", &e->h);
		l->fields = LINE_PID | LINE_COMM;
		l->banner = true;
		event_line_detail(l, "%s: unregistration by pid %u (%s) waits for ",
				  text_name(ref_device(d, e), dev, sizeof(dev)),
				  e->h.pid, text_name(e->h.comm, comm, sizeof(comm)));
		holders_text(d, e->h.ts_ns, l->detail, sizeof(l->detail));
		l->json = unbind_wait_json;
		break;
	case EV_UNREG_END:
		if (ch != LIVE_WAIT_ENDED)
			return 0;
		event_line_init(l, "unbind_done", &e->h);
		l->fields = 0;
		l->banner = true;
		event_line_detail(l, "%s: unregistration completed after %s",
				  text_name(ref_device(d, e), dev, sizeof(dev)),
				  fmt_ns(e->h.latency_ns, b, sizeof(b)));
		l->json = unbind_done_json;
		break;
	default:
		return 0;
	}
	l->rec = e;
	l->state = d;
	return 1;
}

void refs_live_free(struct refs_live *l)
{
	free(l->devs);
	memset(l, 0, sizeof(*l));
}

/* ---- printers ---- */

/* "device_refs":[...] for the devices of one group (NO_GROUP: unattributed). */
static void refs_json_rows(struct json *j, const struct snapshot *s, int group)
{
	int i, k;

	json_arr_begin(j, "device_refs");
	for (i = 0; i < s->ndevs; i++) {
		const struct dev_refs *d = &s->devs[i].d;

		if (d->group != group)
			continue;
		json_obj_begin(j, NULL);
		json_int(j, "group", d->group);
		json_device(j, d->name);
		json_uint(j, "gets", d->gets);
		json_uint(j, "puts", d->puts);
		json_refcount(j, "current", d->refcount);
		json_refcount(j, "peak", d->peak);
		json_arr_begin(j, "callers");
		for (k = 0; k < s->nrefs; k++) {
			const struct ref_row *r = &s->refs[k];

			if (r->key.group != group || strcmp(r->key.dev, d->name))
				continue;
			json_obj_begin(j, NULL);
			json_str(j, "caller", r->caller[0] ? r->caller : "?");
			json_str(j, "kind", r->key.kind == REF_GET ? "get" : "put");
			json_uint(j, "count", r->val.count);
			json_refcount(j, "last_refcount", r->val.last_refcount);
			json_obj_end(j);
		}
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* The live device of a snapshot row, by name (NULL if none was seen live). */
static const struct live_dev *live_of(const struct snapshot *s, const struct dev_row *r)
{
	int i;

	for (i = 0; s->live && i < s->live->ndevs; i++)
		if (s->live->devs[i].ptr == r->ptr ||
		    (r->d.name[0] && !strcmp(s->live->devs[i].name, r->d.name)))
			return &s->live->devs[i];
	return NULL;
}

/* References above the baseline (where the refcount is readable) or outstanding gets seen. */
static bool left_behind(const struct snapshot *s, const struct dev_row *r)
{
	const struct live_dev *l = live_of(s, r);

	if (r->d.refcount != REFCOUNT_UNAVAILABLE)
		return r->d.refcount > REFS_BASELINE;
	return l && l->nholders;
}

static void refs_json(FILE *f, const struct snapshot *s)
{
	unsigned long long now = mono_ns();
	struct json j;
	int i;

	json_line_begin(&j, f, "refs");
	json_bool(&j, "refcount_available", s->refcount_known);
	json_arr_begin(&j, "groups");
	for (i = 0; i < s->ngroups; i++) {
		json_obj_begin(&j, NULL);
		json_int(&j, "group", s->groups[i].group);
		refs_json_rows(&j, s, s->groups[i].group);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "left");
	for (i = 0; i < s->ndevs; i++) {
		const struct dev_row *r = &s->devs[i];
		const struct live_dev *l = live_of(s, r);

		if (!left_behind(s, r))
			continue;
		json_obj_begin(&j, NULL);
		json_device(&j, r->d.name);
		json_int(&j, "group", r->d.group);
		json_refcount(&j, "current", r->d.refcount);
		json_int(&j, "baseline", REFS_BASELINE);
		if (l) {
			json_holders(&j, l, now);
		} else {
			json_arr_begin(&j, "holders");
			json_arr_end(&j);
		}
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_uint(&j, "holders_untracked", s->live ? s->live->untracked : 0);
	json_uint(&j, "drops", s->drops);
	json_uint(&j, "map_full", s->map_full);
	json_obj_end(&j);
}

static void refs_text(FILE *f, const struct snapshot *s)
{
	unsigned long long now = mono_ns();
	char rc[24], pk[24];
	int i, shown = 0;

	fprintf(f, "\n%-6s %-16s %-6s %-6s %-8s %-5s %s\n", "GROUP", "DEVICE", "GETS", "PUTS",
		"CURRENT", "PEAK", "CALLERS");
	for (i = 0; i < s->ndevs; i++) {
		const struct dev_refs *d = &s->devs[i].d;
		char grp[16], callers[256] = "";
		int k;

		for (k = 0; k < s->nrefs; k++) {
			const struct ref_row *r = &s->refs[k];

			if (r->key.group == d->group && !strcmp(r->key.dev, d->name))
				snprintf(callers + strlen(callers), sizeof(callers) - strlen(callers),
					 "%s%s %s %llu", callers[0] ? ", " : "",
					 r->key.kind == REF_GET ? "get" : "put",
					 r->caller[0] ? r->caller : "?", r->val.count);
		}
		snprintf(grp, sizeof(grp), d->group == NO_GROUP ? "-" : "%d", d->group);
		snprintf(rc, sizeof(rc), d->refcount == REFCOUNT_UNAVAILABLE ? "n/a" : "%lld", d->refcount);
		snprintf(pk, sizeof(pk), d->peak == REFCOUNT_UNAVAILABLE ? "n/a" : "%lld", d->peak);
		fprintf(f, "%-6s %-16s %-6llu %-6llu %-8s %-5s %s\n", grp, d->name[0] ? d->name : "?",
			d->gets, d->puts, rc, pk, callers);
	}
	if (!s->ndevs)
		fprintf(f, "(no device references seen)\n");
	for (i = 0; i < s->ndevs; i++) {
		const struct dev_row *r = &s->devs[i];
		const struct live_dev *l = live_of(s, r);

		if (!left_behind(s, r))
			continue;
		if (!shown++)
			fprintf(f, "\nreferences held at exit (above the registration's own):\n");
		snprintf(rc, sizeof(rc), r->d.refcount == REFCOUNT_UNAVAILABLE ? "n/a" : "%lld",
			 r->d.refcount);
		fprintf(f, "  %s (group %d): refcount %s; held by ", r->d.name[0] ? r->d.name : "?",
			r->d.group, rc);
		if (l)
			text_holders(f, l, now);
		else
			fprintf(f, "no holder seen (taken before tracing started)");
		fputc('\n', f);
	}
	if (s->live && s->live->untracked)
		fprintf(f, "WARNING: %llu gets by more than %d processes per device were counted under "
			   "the last holder\n", s->live->untracked, MAX_HOLDERS);
	if (s->drops)
		fprintf(f, "WARNING: %llu events dropped (ring buffer full): holders may be incomplete\n",
			s->drops);
	if (!s->refcount_known)
		fprintf(f, "note: refcounts are unavailable on this kernel (no BTF for vfio.ko); devices "
			   "are named from VFIO_GROUP_GET_DEVICE_FD; pass --btf with BTF that describes it\n");
}

void render_refs(FILE *f, const struct snapshot *s, bool json)
{
	if (json)
		refs_json(f, s);
	else
		refs_text(f, s);
	fflush(f);
}

/* ---- its sections of stat and the Prometheus text ---- */

static void group_json(struct json *j, const struct snapshot *s, const struct group_row *g)
{
	refs_json_rows(j, s, g->group);
}

static void unattributed_json(struct json *j, const struct snapshot *s)
{
	refs_json_rows(j, s, NO_GROUP);
}

/*
 * One series per device name: a name can still sit in two rows (its group
 * unreadable once, known later); those are summed. Unnamed rows are skipped.
 */
static bool device_merged(const struct snapshot *s, int i, struct dev_refs *out)
{
	int k;

	if (!s->devs[i].d.name[0])
		return false;
	for (k = 0; k < i; k++)
		if (!strcmp(s->devs[k].d.name, s->devs[i].d.name))
			return false;
	*out = s->devs[i].d;
	for (k = i + 1; k < s->ndevs; k++) {
		if (strcmp(s->devs[k].d.name, s->devs[i].d.name))
			continue;
		out->gets += s->devs[k].d.gets;
		out->puts += s->devs[k].d.puts;
		if (s->devs[k].d.refcount != REFCOUNT_UNAVAILABLE)
			out->refcount = s->devs[k].d.refcount;
	}
	return true;
}

static void prom(FILE *f, const struct metrics *m)
{
	const struct snapshot *s = m->s;
	char esc[3 * NAME_LEN];
	struct dev_refs d;
	int i;

	prom_family(f, "vfiotrace_device_references", "gauge",
		    "Current reference count of a VFIO device, where this kernel's BTF lets it be read.");
	for (i = 0; s->refcount_known && i < s->ndevs; i++)
		if (device_merged(s, i, &d) && d.refcount != REFCOUNT_UNAVAILABLE)
			fprintf(f, "vfiotrace_device_references{device=\"%s\"} %lld\n",
				prom_escape(d.name, esc, sizeof(esc)), d.refcount);
	prom_family(f, "vfiotrace_device_gets_total", "counter", "VFIO device references taken.");
	for (i = 0; i < s->ndevs; i++)
		if (device_merged(s, i, &d))
			fprintf(f, "vfiotrace_device_gets_total{device=\"%s\"} %llu\n",
				prom_escape(d.name, esc, sizeof(esc)), d.gets);
	prom_family(f, "vfiotrace_device_puts_total", "counter", "VFIO device references dropped.");
	for (i = 0; i < s->ndevs; i++)
		if (device_merged(s, i, &d))
			fprintf(f, "vfiotrace_device_puts_total{device=\"%s\"} %llu\n",
				prom_escape(d.name, esc, sizeof(esc)), d.puts);
	prom_family(f, "vfiotrace_unbind_wait_seconds", "gauge",
		    "How long an unbind (vfio_unregister_group_dev) has been waiting for references; only while one waits, only with the refs command.");
	for (i = 0; s->live && i < s->live->ndevs; i++) {
		const struct live_dev *d = &s->live->devs[i];

		if (d->unreg_ns && d->name[0] && m->now_ns >= d->unreg_ns)
			fprintf(f, "vfiotrace_unbind_wait_seconds{device=\"%s\"} %.3f\n",
				prom_escape(d->name, esc, sizeof(esc)), (m->now_ns - d->unreg_ns) / 1e9);
	}
}

static const struct event_kind events[] = {
	{ EV_DEVICE_GET, sizeof(struct event), refs_decode, event_bound, true },
	{ EV_DEVICE_PUT, sizeof(struct event), refs_decode, event_bound, true },
	{ EV_UNREG_BEGIN, sizeof(struct event), refs_decode, event_bound, true },
	{ EV_UNREG_END, sizeof(struct event), refs_decode, event_bound, true },
};

const struct feature refs_feature = {
	.name = "refs",
	.collect = collect,
	FEATURE_EVENTS(events),
	.group_json = group_json,
	.unattributed_json = unattributed_json,
	.column = { "GETS", refs_group_gets },
	.prom = prom,
};
