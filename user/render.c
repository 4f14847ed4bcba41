// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <time.h>
#include "errnames.h"
#include "histogram.h"
#include "json.h"
#include "render.h"

static const char *const event_names[] = {
	[EV_ATTACH] = "attach", [EV_DOMAIN_ALLOC] = "domain_alloc", [EV_DEVICE_PUT] = "device_put",
};

int group_buses(const struct group_row *g, const char *out[], int max)
{
	const char *cand[GROUP_MAX_DEVS + 1];
	int n = 0, nc = 0, i, k;

	if (!g->has_mem)
		return 0;
	for (i = 0; i < (int)g->mem.ndevs && i < GROUP_MAX_DEVS; i++)
		cand[nc++] = g->mem.buses[i];
	cand[nc++] = g->mem.alloc_bus;
	for (i = 0; i < nc; i++) {
		if (!cand[i][0])
			continue;
		for (k = 0; k < n && strcmp(out[k], cand[i]); k++)
			;
		if (k == n && n < max)
			out[n++] = cand[i];
	}
	return n;
}

static int group_ndevs(const struct group_row *g)
{
	if (!g->has_mem)
		return 0;
	return g->mem.ndevs < GROUP_MAX_DEVS ? (int)g->mem.ndevs : GROUP_MAX_DEVS;
}

/* Starts a top-level object {"type":TYPE,... on its own line. */
static void json_line_begin(struct json *j, FILE *f, const char *type)
{
	json_init(j, f);
	json_obj_begin(j, NULL);
	json_str(j, "type", type);
}

static void json_latency(struct json *j, const char *key, const unsigned long long *h)
{
	json_obj_begin(j, key);
	json_uint(j, "count", hist_total(h));
	json_uint(j, "p50", hist_percentile(h, 50));
	json_uint(j, "p90", hist_percentile(h, 90));
	json_uint(j, "p99", hist_percentile(h, 99));
	json_obj_end(j);
}

static void json_refs(struct json *j, const struct snapshot *s, int group)
{
	int i;

	json_arr_begin(j, "device_refs");
	for (i = 0; i < s->nputs; i++) {
		const struct put_row *p = &s->puts[i];

		if (p->key.group != group)
			continue;
		json_obj_begin(j, NULL);
		json_int(j, "group", p->key.group);
		if (p->key.dev[0])
			json_str(j, "device", p->key.dev);
		else
			json_null(j, "device");
		json_str(j, "caller", p->caller[0] ? p->caller : "?");
		json_uint(j, "puts", p->val.count);
		if (p->val.last_refcount == REFCOUNT_UNAVAILABLE)
			json_null(j, "last_refcount");
		else
			json_int(j, "last_refcount", p->val.last_refcount);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_group(struct json *j, const struct snapshot *s, const struct group_row *g)
{
	const char *buses[GROUP_MAX_DEVS + 1];
	int i, nb = group_buses(g, buses, GROUP_MAX_DEVS + 1);

	json_obj_begin(j, NULL);
	json_int(j, "group", g->group);
	json_arr_begin(j, "buses");
	for (i = 0; i < nb; i++)
		json_str(j, NULL, buses[i]);
	json_arr_end(j);
	json_arr_begin(j, "devices");
	for (i = 0; i < group_ndevs(g); i++)
		json_str(j, NULL, g->mem.devs[i]);
	json_arr_end(j);
	json_uint(j, "member_count", g->has_mem ? g->mem.ndevs : 0);
	json_uint(j, "attach_ok", g->st.attach_ok);
	json_uint(j, "attach_fail", g->st.attach_fail);
	json_obj_begin(j, "errors");
	for (i = 0; i < g->nerrs; i++)
		json_uint(j, errno_name(g->errs[i].err), g->errs[i].n);
	json_obj_end(j);
	if (g->st.attach_fail)
		json_str(j, "last_error", errno_name((int)-g->st.last_ret));
	else
		json_null(j, "last_error");
	json_arr_begin(j, "diagnosis");
	for (i = 0; i < g->nerrs; i++) {
		const char *cause = attach_cause(g->errs[i].err);

		json_obj_begin(j, NULL);
		json_str(j, "errno", errno_name(g->errs[i].err));
		json_uint(j, "count", g->errs[i].n);
		json_str(j, "cause", cause ? cause : "unknown");
		json_str(j, "remedy", cause ? attach_remedy(g->errs[i].err) : "see dmesg");
		json_obj_end(j);
	}
	json_arr_end(j);
	json_latency(j, "attach_latency_ns", g->st.attach_hist);
	json_uint(j, "domain_allocs", g->st.domain_allocs);
	json_uint(j, "domain_alloc_fail", g->st.domain_alloc_fail);
	json_latency(j, "domain_alloc_latency_ns", g->st.alloc_hist);
	json_uint(j, "device_puts", g->st.device_puts);
	json_refs(j, s, g->group);
	json_obj_end(j);
}

static void stat_json(FILE *f, const struct snapshot *s)
{
	const struct group_row *other = NULL;
	struct json j;
	int i;

	json_line_begin(&j, f, "summary");
	json_uint(&j, "time", (unsigned long long)time(NULL));
	json_arr_begin(&j, "groups");
	for (i = 0; i < s->ngroups; i++) {
		if (s->groups[i].group == NO_GROUP)
			other = &s->groups[i];
		else
			json_group(&j, s, &s->groups[i]);
	}
	json_arr_end(&j);
	/* allocations by other callers, puts of devices whose group is unreadable */
	json_obj_begin(&j, "unattributed");
	json_uint(&j, "domain_allocs", other ? other->st.domain_allocs : 0);
	json_uint(&j, "domain_alloc_fail", other ? other->st.domain_alloc_fail : 0);
	json_uint(&j, "device_puts", other ? other->st.device_puts : 0);
	json_refs(&j, s, NO_GROUP);
	json_obj_end(&j);
	json_bool(&j, "refcount_available", s->refcount_known);
	json_uint(&j, "drops", s->drops);
	json_uint(&j, "map_full", s->map_full);
	json_obj_end(&j);
}

static void stat_text(FILE *f, const struct snapshot *s)
{
	char b1[16], b2[16], b3[16];
	const struct group_row *other = NULL;
	int i, k, shown = 0;

	fprintf(f, "%-6s %-6s %-9s %-11s %-10s %-6s %-9s %-9s %-10s %-5s %s\n", "GROUP",
		"BUSES", "ATTACH_OK", "ATTACH_FAIL", "LAST_ERR", "ALLOCS", "ALLOC_P50", "ALLOC_P99",
		"ATTACH_P50", "PUTS", "DEVICES");
	for (i = 0; i < s->ngroups; i++) {
		const struct group_row *g = &s->groups[i];
		const char *buses[GROUP_MAX_DEVS + 1];
		char busstr[64] = "", devstr[256] = "";
		int nb = group_buses(g, buses, GROUP_MAX_DEVS + 1);

		if (g->group == NO_GROUP) {
			other = g;
			continue;
		}
		for (k = 0; k < nb; k++)
			snprintf(busstr + strlen(busstr), sizeof(busstr) - strlen(busstr), "%s%s",
				 k ? "," : "", buses[k]);
		for (k = 0; k < group_ndevs(g); k++)
			snprintf(devstr + strlen(devstr), sizeof(devstr) - strlen(devstr), "%s%s",
				 k ? "," : "", g->mem.devs[k]);
		if (g->has_mem && g->mem.ndevs > GROUP_MAX_DEVS)
			snprintf(devstr + strlen(devstr), sizeof(devstr) - strlen(devstr),
				 ",+%u more", g->mem.ndevs - GROUP_MAX_DEVS);
		fprintf(f, "%-6d %-6s %-9llu %-11llu %-10s %-6llu %-9s %-9s %-10s %-5llu %s\n",
			g->group, nb ? busstr : "-", g->st.attach_ok, g->st.attach_fail,
			g->st.attach_fail ? errno_name((int)-g->st.last_ret) : "-",
			g->st.domain_allocs,
			g->st.domain_allocs ? fmt_ns(hist_percentile(g->st.alloc_hist, 50), b1, sizeof(b1)) : "-",
			g->st.domain_allocs ? fmt_ns(hist_percentile(g->st.alloc_hist, 99), b2, sizeof(b2)) : "-",
			hist_total(g->st.attach_hist) ? fmt_ns(hist_percentile(g->st.attach_hist, 50), b3, sizeof(b3)) : "-",
			g->st.device_puts, devstr[0] ? devstr : "-");
		shown++;
	}
	if (!shown)
		fprintf(f, "(no VFIO group attaches seen)\n");
	for (i = 0; i < s->ngroups; i++) {
		const struct group_row *g = &s->groups[i];

		for (k = 0; k < g->nerrs; k++) {
			const char *cause = attach_cause(g->errs[k].err);

			fprintf(f, "\ngroup %d: %llu attach%s failed with %s\n  cause:  %s\n  remedy: %s\n",
				g->group, g->errs[k].n, g->errs[k].n == 1 ? "" : "es",
				errno_name(g->errs[k].err), cause ? cause : "unknown",
				cause ? attach_remedy(g->errs[k].err) : "see dmesg");
		}
	}
	if (other && (other->st.domain_allocs || other->st.device_puts))
		fprintf(f, "\noutside VFIO attaches: %llu domain allocation%s (%llu failed), "
			"%llu device put%s of devices without a readable group\n",
			other->st.domain_allocs, other->st.domain_allocs == 1 ? "" : "s",
			other->st.domain_alloc_fail, other->st.device_puts,
			other->st.device_puts == 1 ? "" : "s");
	if (s->drops)
		fprintf(f, "\nWARNING: %llu events dropped (ring buffer full)\n", s->drops);
	if (s->map_full)
		fprintf(f, "\nWARNING: %llu updates lost: a BPF map was full (more than %d groups "
			"or %d device call sites)\n", s->map_full, MAX_ENTRIES, 4 * MAX_ENTRIES);
}

void render_stat(FILE *f, const struct snapshot *s, bool json)
{
	if (json)
		stat_json(f, s);
	else
		stat_text(f, s);
	fflush(f);
}

void render_hist(FILE *f, const struct snapshot *s, bool json)
{
	struct json j;
	int i;

	if (json) {
		json_line_begin(&j, f, "hist");
		json_arr_begin(&j, "groups");
	}
	for (i = 0; i < s->ngroups; i++) {
		const struct group_row *g = &s->groups[i];
		const struct { const char *name; const unsigned long long *h; } hs[] = {
			{ "attach", g->st.attach_hist }, { "domain_alloc", g->st.alloc_hist },
		};
		unsigned long long b[HIST_MAX_LOG2 + 1];
		int k, n;

		if (json) {
			json_obj_begin(&j, NULL);
			json_int(&j, "group", g->group);
		}
		for (k = 0; k < 2; k++) {
			if (!json) {
				if (!hist_total(hs[k].h))
					continue;
				if (g->group == NO_GROUP)
					fprintf(f, "\n%s latency, outside VFIO attaches:\n", hs[k].name);
				else
					fprintf(f, "\n%s latency, group %d:\n", hs[k].name, g->group);
				hist_print_log2(f, hs[k].h, "nsecs");
				continue;
			}
			hist_to_log2(hs[k].h, b, HIST_MAX_LOG2 + 1);
			json_obj_begin(&j, hs[k].name);
			json_latency(&j, "latency_ns", hs[k].h);
			json_arr_begin(&j, "log2_buckets");
			for (n = 0; n <= HIST_MAX_LOG2; n++) {
				if (!b[n])
					continue;
				json_obj_begin(&j, NULL);
				json_uint(&j, "low", n ? 1ULL << n : 0);
				json_uint(&j, "high", (1ULL << (n + 1)) - 1);
				json_uint(&j, "count", b[n]);
				json_obj_end(&j);
			}
			json_arr_end(&j);
			json_obj_end(&j);
		}
		if (json)
			json_obj_end(&j);
	}
	if (json) {
		json_arr_end(&j);
		json_uint(&j, "drops", s->drops);
		json_obj_end(&j);
	} else if (!s->ngroups) {
		fprintf(f, "(no attaches or domain allocations seen)\n");
	}
	fflush(f);
}

void render_refs(FILE *f, const struct snapshot *s, bool json)
{
	struct json j;
	int i;

	if (json) {
		json_line_begin(&j, f, "refs");
		json_bool(&j, "refcount_available", s->refcount_known);
		json_arr_begin(&j, "groups");
		for (i = 0; i < s->ngroups; i++) {
			json_obj_begin(&j, NULL);
			json_int(&j, "group", s->groups[i].group);
			json_refs(&j, s, s->groups[i].group);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
		return;
	}
	fprintf(f, "%-6s %-16s %-36s %-6s %s\n", "GROUP", "DEVICE", "CALLER", "PUTS", "LAST_REFCOUNT");
	for (i = 0; i < s->nputs; i++) {
		const struct put_row *p = &s->puts[i];
		char grp[16], rc[24];

		snprintf(grp, sizeof(grp), p->key.group == NO_GROUP ? "-" : "%d", p->key.group);
		snprintf(rc, sizeof(rc), p->val.last_refcount == REFCOUNT_UNAVAILABLE ? "n/a" : "%lld",
			 p->val.last_refcount);
		fprintf(f, "%-6s %-16s %-36s %-6llu %s\n", grp, p->key.dev[0] ? p->key.dev : "?",
			p->caller[0] ? p->caller : "?", p->val.count, rc);
	}
	if (!s->nputs)
		fprintf(f, "(no device reference drops seen)\n");
	if (!s->refcount_known)
		fprintf(f, "note: device names, groups and refcounts are unavailable on this kernel "
			   "(no BTF for vfio.ko); pass --btf with BTF that describes it\n");
	fflush(f);
}

void render_event_header(FILE *f)
{
	fprintf(f, "%-8s %-13s %-7s %-16s %-5s %-12s %-9s %s\n", "TIME", "EVENT", "PID", "COMM",
		"GROUP", "RESULT", "LATENCY", "DETAIL");
}

void render_event(FILE *f, const struct event *e, const char *caller, bool json)
{
	const char *ev = e->type < sizeof(event_names) / sizeof(event_names[0]) &&
			 event_names[e->type] ? event_names[e->type] : "unknown";
	char res[32], lat[16], tbuf[16], grp[16];
	time_t now = time(NULL);
	struct json j;

	if (json) {
		json_init(&j, f);
		json_obj_begin(&j, NULL);
		json_str(&j, "event", ev);
		json_uint(&j, "ts_ns", e->ts_ns);
		json_int(&j, "group", e->group);
		json_uint(&j, "pid", e->pid);
		json_uint(&j, "tid", e->tid);
		json_str(&j, "comm", e->comm);
		switch (e->type) {
		case EV_ATTACH:
			json_int(&j, "ret", e->ret);
			if (e->ret < 0)
				json_str(&j, "errno", errno_name((int)-e->ret));
			json_uint(&j, "latency_ns", e->latency_ns);
			break;
		case EV_DOMAIN_ALLOC:
			/* 1 stands for a NULL return: a failure without an errno */
			if (e->ret == 1)
				json_null(&j, "ret");
			else
				json_int(&j, "ret", e->ret);
			json_str(&j, "result", e->ret == 0 ? "ok" : e->ret == 1 ? "NULL" : "ERR_PTR");
			if (e->ret < 0)
				json_str(&j, "errno", errno_name((int)-e->ret));
			json_uint(&j, "latency_ns", e->latency_ns);
			json_str(&j, "bus", e->name);
			break;
		case EV_DEVICE_PUT:
			if (e->name[0])
				json_str(&j, "device", e->name);
			else
				json_null(&j, "device");
			if (e->refcount == REFCOUNT_UNAVAILABLE)
				json_null(&j, "refcount");
			else
				json_int(&j, "refcount", e->refcount);
			json_str(&j, "caller", caller && caller[0] ? caller : "?");
			break;
		}
		json_obj_end(&j);
		return;
	}
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&now));
	lat[0] = 0;
	snprintf(grp, sizeof(grp), e->group == NO_GROUP ? "-" : "%d", e->group);
	switch (e->type) {
	case EV_ATTACH:
		snprintf(res, sizeof(res), e->ret ? "%s" : "ok", errno_name((int)-e->ret));
		fmt_ns(e->latency_ns, lat, sizeof(lat));
		fprintf(f, "%-8s %-13s %-7u %-16s %-5s %-12s %-9s\n", tbuf, ev, e->pid, e->comm,
			grp, res, lat);
		break;
	case EV_DOMAIN_ALLOC:
		snprintf(res, sizeof(res), "%s", e->ret == 0 ? "ok" : e->ret == 1 ? "NULL" :
			 errno_name((int)-e->ret));
		fmt_ns(e->latency_ns, lat, sizeof(lat));
		fprintf(f, "%-8s %-13s %-7u %-16s %-5s %-12s %-9s bus=%s\n", tbuf, ev, e->pid, e->comm,
			grp, res, lat, e->name[0] ? e->name : "?");
		break;
	case EV_DEVICE_PUT:
		if (e->refcount == REFCOUNT_UNAVAILABLE)
			snprintf(res, sizeof(res), "ref n/a");
		else
			snprintf(res, sizeof(res), "ref %lld->%lld", e->refcount, e->refcount - 1);
		fprintf(f, "%-8s %-13s %-7u %-16s %-5s %-12s %-9s %s by %s\n", tbuf, ev, e->pid,
			e->comm, grp, res, "", e->name[0] ? e->name : "?",
			caller && caller[0] ? caller : "?");
		break;
	}
	fflush(f);
}

void render_probes(FILE *f, const struct resolved r[NR_HOOKS], const char *count_field,
		   const char *fallback, bool json)
{
	struct json j;
	int i;

	if (json) {
		json_line_begin(&j, f, "probes");
		json_arr_begin(&j, "hooks");
	} else {
		fprintf(f, "%-13s %-34s %-17s %-7s %s\n", "HOOK", "FUNCTION", "MODULE", "STYLE", "WHY / DEGRADED");
	}
	for (i = 0; i < NR_HOOKS; i++) {
		const struct target *t = &targets[i];
		char degraded[200] = "";

		if (i == HOOK_PUT && r[i].func && !count_field)
			snprintf(degraded, sizeof(degraded), "device, group and refcount unavailable: "
				 "no BTF describes struct vfio_device (pass --btf)");
		if (json) {
			json_obj_begin(&j, NULL);
			json_str(&j, "hook", t->hook);
			json_str(&j, "purpose", t->purpose);
			if (r[i].func)
				json_str(&j, "function", r[i].func);
			else
				json_null(&j, "function");
			json_str(&j, "module", r[i].func ? (r[i].module ? r[i].module : "vmlinux") :
				 (t->module ? t->module : "vmlinux"));
			json_str(&j, "style", style_name(r[i].style));
			json_bool(&j, "return_probe", has_return_probe(t));
			json_int(&j, "nargs", r[i].nargs);
			json_str(&j, "why", r[i].why);
			if (i == HOOK_PUT)
				json_bool(&j, "refcount_available", count_field != NULL);
			if (degraded[0])
				json_str(&j, "degraded", degraded);
			else
				json_null(&j, "degraded");
			json_obj_end(&j);
			continue;
		}
		fprintf(f, "%-13s %-34s %-17s %-7s %s%s%s\n", t->hook, r[i].func ? r[i].func : "-",
			r[i].func ? (r[i].module ? r[i].module : "vmlinux") : "-",
			style_name(r[i].style), r[i].why, degraded[0] ? "; " : "", degraded);
	}
	if (json) {
		json_arr_end(&j);
		if (fallback)
			json_str(&j, "fentry_fallback", fallback);
		json_obj_end(&j);
	} else if (fallback) {
		fprintf(f, "fentry was refused by the kernel (%s); kprobes are used instead\n", fallback);
	}
	fflush(f);
}
