// SPDX-License-Identifier: GPL-2.0
/* refs: device reference counts from the maps, and the reference events (get, put, unbind). */
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "histogram.h"
#include "json.h"
#include "map_read.h"
#include "refs.h"
#include "text.h"
#include "vmname.h"
#include "vfiotrace.skel.h"
#include "grow.h"

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

/* Asks for the caller of every site: one read of kallsyms names those that are new. */
static void want_sites(const struct map_entries *sites, int stacks, const struct symbolizer *sym)
{
	struct ref_key k;
	size_t e;

	for (e = 0; e < sites->n; e++) {
		map_entry(sites, e, &k, NULL);
		stack_want(stacks, k.stack_id, k.caller, sym);
	}
}

static int collect_sites(struct snapshot *s, const struct vfiotrace_bpf *skel,
			 const struct symbolizer *sym)
{
	int stacks = bpf_map__fd(skel->maps.stacks);
	struct map_entries sites;
	size_t e;
	int i, n;

	if (map_read(bpf_map__fd(skel->maps.ref_sites), &sites))
		return -1;
	want_sites(&sites, stacks, sym);
	for (e = 0; e < sites.n; e++) {
		struct ref_row *r;

		if (!grow_for(&s->refs, s->nrefs, sizeof(*r))) {
			map_entries_free(&sites);
			return -1;
		}
		r = &s->refs[s->nrefs];
		map_entry(&sites, e, &r->key, &r->val);
		stack_caller(stacks, r->key.stack_id, r->key.caller, sym, r->caller, sizeof(r->caller));
		if (r->key.group == NO_GROUP)
			r->key.group = sysfs_group(r->key.dev);
		s->nrefs++;
	}
	map_entries_free(&sites);
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
	struct map_entries devices;
	size_t e;
	int i, n;

	if (map_read(bpf_map__fd(skel->maps.devices), &devices))
		return -1;
	for (e = 0; e < devices.n; e++) {
		struct dev_row *r;

		if (!grow_for(&s->devs, s->ndevs, sizeof(*r))) {
			map_entries_free(&devices);
			return -1;
		}
		r = &s->devs[s->ndevs];
		map_entry(&devices, e, &r->ptr, &r->d);
		if (r->d.group == NO_GROUP)
			r->d.group = sysfs_group(r->d.name);
		s->ndevs++;
	}
	map_entries_free(&devices);
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

int refs_collect(struct snapshot *s, const struct vfiotrace_bpf *skel, const struct symbolizer *sym)
{
	return collect_sites(s, skel, sym) || collect_devices(s, skel) ? -1 : 0;
}

unsigned long long refs_group_gets(const struct snapshot *s, int group)
{
	unsigned long long n = 0;
	int i;

	for (i = 0; i < s->ndevs; i++)
		if (s->devs[i].d.group == group)
			n += s->devs[i].d.gets;
	return n;
}

/* ---- the events: get, put, unbind_wait, unbind_done ---- */

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

	refs_json_device(j, e->name);
	refs_json_refcount(j, "refcount", e->refcount);	/* before, as snoop always had it */
	refs_json_refcount(j, "refcount_before", e->refcount);
	refs_json_refcount(j, "refcount_after", refcount_after(e));
	json_str(j, "caller", l->name[0] ? l->name : "?");
}

static void unbind_wait_json(struct json *j, const struct event_line *l)
{
	const struct event *e = l->rec;

	json_str(j, "device", ref_device(l->state, e));
	refs_json_refcount(j, "refcount", e->refcount);
	refs_json_holders(j, l->state, e->h.ts_ns);
}

static void unbind_done_json(struct json *j, const struct event_line *l)
{
	const struct event *e = l->rec;

	json_str(j, "device", ref_device(l->state, e));
	json_uint(j, "waited_ns", e->h.latency_ns);
}

int refs_want(const void *rec, struct event_ctx *c)
{
	const struct event *e = rec;
	struct map_entries sites;
	int r = stack_want(c->stacks_fd, e->stack_id, e->caller, c->sym);

	/* a new caller: the records queued behind this one have their sites in the map already */
	if (r > 0 && c->ref_sites_fd >= 0 && !map_read(c->ref_sites_fd, &sites)) {
		want_sites(&sites, c->stacks_fd, c->sym);
		map_entries_free(&sites);
	}
	return r;
}

int refs_decode(const void *rec, struct event_ctx *c, struct event_line *l)
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
		refs_holders_text(d, e->h.ts_ns, l->detail, sizeof(l->detail));
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
