// SPDX-License-Identifier: GPL-2.0
/*
 * stat: per-group attaches, errors, domain allocations and puts, and each
 * feature's sections (sections.c); text and JSON.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "errnames.h"
#include "histogram.h"
#include "json.h"
#include "sections.h"
#include "text.h"
#include "stat.h"
#include "vmby.h"
#include "vmident.h"

static int group_ndevs(const struct group_row *g)
{
	if (!g->has_mem)
		return 0;
	return g->mem.ndevs < GROUP_MAX_DEVS ? (int)g->mem.ndevs : GROUP_MAX_DEVS;
}

/* One group's object in "groups". */
static void json_group(struct json *j, const struct snapshot *s, const struct group_row *g)
{
	const char *buses[GROUP_MAX_DEVS + 1];
	const struct feature *ft;
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
	json_latency(j, "attach_latency_ns", g->st.attach_hist);
	json_uint(j, "domain_allocs", g->st.domain_allocs);
	json_uint(j, "domain_alloc_fail", g->st.domain_alloc_fail);
	json_latency(j, "domain_alloc_latency_ns", g->st.alloc_hist);
	json_uint(j, "device_puts", g->st.device_puts);
	if (group_backend(g))
		json_str(j, "backend", group_backend(g));
	else
		json_null(j, "backend");
	if (g->st.iommufd_attaches || g->st.iommufd_binds || g->st.iommufd_bind_fail) {
		json_obj_begin(j, "iommufd");
		json_uint(j, "binds", g->st.iommufd_binds);
		json_uint(j, "bind_fail", g->st.iommufd_bind_fail);
		json_uint(j, "detaches", g->st.iommufd_detaches);
		json_obj_end(j);
	} else {
		json_null(j, "iommufd");
	}
	for (i = 0; (ft = feature_next(s, &i));)
		if (ft->group_json)
			ft->group_json(j, s, g);
	json_obj_end(j);
}

static void stat_json(FILE *f, const struct snapshot *s)
{
	const struct group_row *other = NULL;
	const struct feature *ft;
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
	for (i = 0; (ft = feature_next(s, &i));)
		if (ft->unattributed_json)
			ft->unattributed_json(&j, s);
	json_obj_end(&j);
	for (i = 0; (ft = feature_next(s, &i));)
		if (ft->json)
			ft->json(&j, s);
	if (s->by_vm)
		vms_json(&j, s);
	if (s->vm)
		json_str(&j, "vm_filter", s->vm);
	json_bool(&j, "refcount_available", s->refcount_known);
	json_uint(&j, "drops", s->drops);
	json_uint(&j, "map_full", s->map_full);
	if (s->probes_missed >= 0)
		json_int(&j, "probes_missed", s->probes_missed);
	else
		json_null(&j, "probes_missed");
	json_uint(&j, "vm_unread", s->vm_unread);
	json_uint(&j, "vm_evicted", s->vm_evicted);
	json_obj_end(&j);
}

/* The group table's own columns, each feature's count column after ATTACH_P50. */
static void table_header(FILE *f, const struct snapshot *s)
{
	const struct feature *ft;
	int i;

	fprintf(f, "%-6s %-6s %-9s %-11s %-10s %-6s %-9s %-9s %-10s ", "GROUP", "BUSES", "ATTACH_OK",
		"ATTACH_FAIL", "LAST_ERR", "ALLOCS", "ALLOC_P50", "ALLOC_P99", "ATTACH_P50");
	for (i = 0; (ft = feature_next(s, &i));)
		if (ft->column.name)
			fprintf(f, "%-5s ", ft->column.name);
	fprintf(f, "%-5s %-13s %s\n", "PUTS", "ALLOC_DEV", "DEVICES");
}

static void table_row(FILE *f, const struct snapshot *s, const struct group_row *g)
{
	char b1[16], b2[16], b3[16], busstr[64] = "", devstr[256] = "";
	const char *buses[GROUP_MAX_DEVS + 1];
	const struct feature *ft;
	int k, nb = group_buses(g, buses, GROUP_MAX_DEVS + 1);

	for (k = 0; k < nb; k++)
		snprintf(busstr + strlen(busstr), sizeof(busstr) - strlen(busstr), "%s%s",
			 k ? "," : "", buses[k]);
	for (k = 0; k < group_ndevs(g); k++)
		snprintf(devstr + strlen(devstr), sizeof(devstr) - strlen(devstr), "%s%s",
			 k ? "," : "", g->mem.devs[k]);
	if (g->has_mem && g->mem.ndevs > GROUP_MAX_DEVS)
		snprintf(devstr + strlen(devstr), sizeof(devstr) - strlen(devstr),
			 ",+%u more", g->mem.ndevs - GROUP_MAX_DEVS);
	fprintf(f, "%-6d %-6s %-9llu %-11llu %-10s %-6llu %-9s %-9s %-10s ",
		g->group, nb ? busstr : "-", g->st.attach_ok, g->st.attach_fail,
		g->st.attach_fail ? errno_name((int)-g->st.last_ret) : "-",
		g->st.domain_allocs,
		g->st.domain_allocs ? fmt_ns(hist_percentile(g->st.alloc_hist, 50), b1, sizeof(b1)) : "-",
		g->st.domain_allocs ? fmt_ns(hist_percentile(g->st.alloc_hist, 99), b2, sizeof(b2)) : "-",
		hist_total(g->st.attach_hist) ? fmt_ns(hist_percentile(g->st.attach_hist, 50), b3, sizeof(b3)) : "-");
	for (k = 0; (ft = feature_next(s, &k));)
		if (ft->column.name)
			fprintf(f, "%-5llu ", ft->column.value(s, g->group));
	fprintf(f, "%-5llu %-13s %s\n", g->st.device_puts,
		g->has_mem && g->mem.alloc_dev[0] ? g->mem.alloc_dev : "-", devstr[0] ? devstr : "-");
}

static void stat_text(FILE *f, const struct snapshot *s)
{
	const struct group_row *other = NULL;
	const struct feature *ft;
	int i, shown = 0;

	if (s->vm) {
		char name[TEXT_LEN(VM_NAME_LEN)];

		fprintf(f, "VM %s only: the groups its processes held, its DMA clients\n",
			text_name(s->vm, name, sizeof(name)));
	}
	table_header(f, s);
	for (i = 0; i < s->ngroups; i++) {
		if (s->groups[i].group == NO_GROUP) {
			other = &s->groups[i];
			continue;
		}
		table_row(f, s, &s->groups[i]);
		shown++;
	}
	if (!shown)
		fprintf(f, "(no VFIO group attaches seen)\n");
	for (i = 0, shown = 0; i < s->ngroups; i++)
		if (s->groups[i].st.iommufd_attaches)
			fprintf(f, "%s%d (%s)", shown++ ? ", " : "\nattached through iommufd: group ",
				s->groups[i].group, group_backend(&s->groups[i]));
	if (shown)
		fprintf(f, "\n");
	for (i = 0; i < s->ngroups; i++) {
		const struct group_stats *st = &s->groups[i].st;

		if (st->iommufd_binds || st->iommufd_bind_fail || st->iommufd_detaches)
			fprintf(f, "  group %d: %llu device bind%s to an iommufd (%llu failed), %llu detach%s\n",
				s->groups[i].group, st->iommufd_binds, st->iommufd_binds == 1 ? "" : "s",
				st->iommufd_bind_fail, st->iommufd_detaches, st->iommufd_detaches == 1 ? "" : "es");
	}
	for (i = 0; (ft = feature_next(s, &i));)
		if (ft->group_text)
			ft->group_text(f, s);
	if (other && (other->st.domain_allocs || other->st.device_puts))
		fprintf(f, "\noutside VFIO attaches: %llu domain allocation%s (%llu failed), "
			"%llu device put%s of devices without a readable group\n",
			other->st.domain_allocs, other->st.domain_allocs == 1 ? "" : "s",
			other->st.domain_alloc_fail, other->st.device_puts,
			other->st.device_puts == 1 ? "" : "s");
	for (i = 0; (ft = feature_next(s, &i));)
		if (ft->text)
			ft->text(f, s);
	if (s->by_vm)
		vms_text(f, s);
	if (s->drops)
		fprintf(f, "\nWARNING: %llu events dropped (ring buffer full)\n", s->drops);
	if (s->map_full)
		fprintf(f, "\nWARNING: %llu updates lost: a BPF map was full (more groups, devices "
			"or calls in flight than it holds; see --max-groups and --max-inflight)\n", s->map_full);
	if (s->probes_missed > 0)
		fprintf(f, "\nWARNING: %lld hook hits missed: the kernel ran no program for them (its BPF "
			"recursion guard was held on that CPU) or a return probe had no free instance\n",
			s->probes_missed);
}

void render_stat(FILE *f, const struct snapshot *s, bool json)
{
	if (json)
		stat_json(f, s);
	else
		stat_text(f, s);
	fflush(f);
}
