// SPDX-License-Identifier: GPL-2.0
/* The live model of references: who holds each VFIO device now, and unbinds waiting (refs_live.h). */
#include <stdlib.h>
#include <string.h>
#include "histogram.h"
#include "refs_live.h"
#include "text.h"
#include "vmcache.h"
#include "vmname.h"
#include "grow.h"

static struct live_dev *live_dev(struct refs_live *l, unsigned long long ptr, const char *name)
{
	struct live_dev *d;
	int i;

	for (i = 0; i < l->ndevs; i++)
		if (l->devs[i].ptr == ptr)
			goto found;
	if (!grow_for(&l->devs, l->ndevs, sizeof(*d)))
		return NULL;
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

void refs_json_holders(struct json *j, const struct live_dev *d, unsigned long long now)
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

void refs_holders_text(const struct live_dev *d, unsigned long long now, char *buf, size_t len)
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

void refs_live_free(struct refs_live *l)
{
	free(l->devs);
	memset(l, 0, sizeof(*l));
}
