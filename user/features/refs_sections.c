// SPDX-License-Identifier: GPL-2.0
/* refs' outputs: the refs command's summary, its sections of stat and the Prometheus text, its row. */
#include <string.h>
#include "clock.h"
#include "feature.h"
#include "json.h"
#include "prom.h"
#include "refs.h"
#include "text.h"

static void text_holders(FILE *f, const struct live_dev *d, unsigned long long now)
{
	char buf[1024] = "";

	refs_holders_text(d, now, buf, sizeof(buf));
	fputs(buf, f);
}

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
		refs_json_device(j, d->name);
		json_uint(j, "gets", d->gets);
		json_uint(j, "puts", d->puts);
		refs_json_refcount(j, "current", d->refcount);
		refs_json_refcount(j, "peak", d->peak);
		json_arr_begin(j, "callers");
		for (k = 0; k < s->nrefs; k++) {
			const struct ref_row *r = &s->refs[k];

			if (r->key.group != group || strcmp(r->key.dev, d->name))
				continue;
			json_obj_begin(j, NULL);
			json_str(j, "caller", r->caller[0] ? r->caller : "?");
			json_str(j, "kind", r->key.kind == REF_GET ? "get" : "put");
			json_uint(j, "count", r->val.count);
			refs_json_refcount(j, "last_refcount", r->val.last_refcount);
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
		refs_json_device(&j, r->d.name);
		json_int(&j, "group", r->d.group);
		refs_json_refcount(&j, "current", r->d.refcount);
		json_int(&j, "baseline", REFS_BASELINE);
		if (l) {
			refs_json_holders(&j, l, now);
		} else {
			json_arr_begin(&j, "holders");
			json_arr_end(&j);
		}
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_uint(&j, "holders_untracked", s->live ? s->live->untracked : 0);
	if (s->vm) {
		json_str(&j, "vm_filter", s->vm);
		json_uint(&j, "filtered", s->vm_filtered);
		json_uint(&j, "vm_unread", s->vm_unread);
	}
	json_uint(&j, "drops", s->drops);
	json_uint(&j, "map_full", s->map_full);
	if (s->probes_missed >= 0)
		json_int(&j, "probes_missed", s->probes_missed);
	else
		json_null(&j, "probes_missed");
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
	{ EV_DEVICE_GET, sizeof(struct event), refs_decode, event_bound, true, refs_want },
	{ EV_DEVICE_PUT, sizeof(struct event), refs_decode, event_bound, true, refs_want },
	{ EV_UNREG_BEGIN, sizeof(struct event), refs_decode, event_bound, true, NULL },
	{ EV_UNREG_END, sizeof(struct event), refs_decode, event_bound, true, NULL },
};

const struct feature refs_feature = {
	.name = "refs",
	.collect = refs_collect,
	FEATURE_EVENTS(events),
	.group_json = group_json,
	.unattributed_json = unattributed_json,
	.column = { "GETS", refs_group_gets },
	.prom = prom,
};
