// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU fault sections: the counts read from bpf/iommu_fault.bpf.c's map, stat -j per group
 * ("iommu_faults" and per device and reason), the summary's interrupt counts, the Prometheus
 * family vfiotrace_iommu_faults_total, and the feature's row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "faults.h"
#include "faults_explain.h"
#include "feature.h"
#include "holders.h"
#include "irqcount.h"
#include "map_read.h"
#include "prom.h"
#include "text.h"
#include "vfiotrace.skel.h"
#include "grow.h"

static int row_cmp(const void *a, const void *b)
{
	const struct fault_row *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->key.segment != y->key.segment)
		return x->key.segment < y->key.segment ? -1 : 1;
	if (x->key.sid != y->key.sid)
		return x->key.sid < y->key.sid ? -1 : 1;
	if (x->key.reason != y->key.reason)
		return x->key.reason < y->key.reason ? -1 : 1;
	if (x->key.access != y->key.access)
		return x->key.access < y->key.access ? -1 : 1;
	return strcmp(x->key.dev, y->key.dev);
}

#define INTERRUPTS "/proc/interrupts"

static long long irqs_at_start = -1;	/* the kernel's DMAR interrupt count when tracing began */

static void start(void)
{
	irqs_at_start = irq_count(INTERRUPTS, "DMAR");
}

/* -g, -p: BPF cannot filter a VT-d fault (it knows the requester, not the group or its holder) */
static bool row_selected(const struct vfiotrace_bpf *skel, int group)
{
	struct holder h;

	if (skel->rodata->target_group >= 0 && group != skel->rodata->target_group)
		return false;
	if (!skel->rodata->target_tgid)
		return true;
	return group != NO_GROUP && !holder_get(bpf_map__fd(skel->maps.holders), group, &h) &&
	       h.pid == skel->rodata->target_tgid;
}

static int collect(struct snapshot *s, const struct vfiotrace_bpf *skel, const struct symbolizer *sym)
{
	struct faults_model *m = &s->faults;
	struct map_entries faults;
	long long now;
	size_t i;
	int ret = -1;

	(void)sym;
	/* the kernel's count first: an interrupt between the two reads is then not taken as missed */
	now = irqs_at_start < 0 ? -1 : irq_count(INTERRUPTS, "DMAR");
	m->kernel_irqs = now < 0 ? -1 : now - irqs_at_start;
	m->irqs = skel->bss->dmar_irqs;
	m->no_record = skel->bss->dmar_no_record;
	m->overflows = skel->bss->dmar_overflows;
	if (map_read(bpf_map__fd(skel->maps.iommu_faults), &faults))
		return -1;
	for (i = 0; i < faults.n; i++) {
		struct fault_row *r;

		if (!grow_for(&m->rows, m->nrows, sizeof(*m->rows)))
			goto out;
		r = &m->rows[m->nrows];
		memset(r, 0, sizeof(*r));
		map_entry(&faults, i, &r->key, &r->st);
		r->key.dev[NAME_LEN - 1] = 0;
		if (r->key.source == FAULT_VTD) {
			r->devs = *pci_alias_cached(r->key.segment, r->key.sid, faults_now_ns());
			r->group = r->devs.group;
		} else {
			r->devs.n = 1;
			snprintf(r->devs.devs[0], NAME_LEN, "%s", r->key.dev);
			r->group = r->st.group;
		}
		if (!row_selected(skel, r->group))
			continue;
		if (!snapshot_group(s, r->group))
			goto out;
		m->nrows++;
	}
	if (m->nrows)
		qsort(m->rows, m->nrows, sizeof(*m->rows), row_cmp);
	ret = 0;
out:
	map_entries_free(&faults);
	return ret;
}

static void row_device(const struct fault_row *r, char *buf, size_t len)
{
	if (r->key.source == FAULT_VTD)
		fault_requester_name(r->key.segment, r->key.sid, buf, len);
	else
		snprintf(buf, len, "%s", r->key.dev);
}

static void rows_json(struct json *j, const struct faults_model *m, int group)
{
	unsigned long long total = 0;
	char dev[NAME_LEN];
	int i, k;

	for (i = 0; i < m->nrows; i++)
		if (m->rows[i].group == group)
			total += m->rows[i].st.count;
	json_uint(j, "iommu_faults", total);
	json_arr_begin(j, "iommu_fault_counts");
	for (i = 0; i < m->nrows; i++) {
		const struct fault_row *r = &m->rows[i];

		if (r->group != group)
			continue;
		row_device(r, dev, sizeof(dev));
		json_obj_begin(j, NULL);
		json_str(j, "device", dev);
		json_arr_begin(j, "devices");
		for (k = 0; k < r->devs.n && k < ALIAS_MAX_DEVS; k++)
			json_str(j, NULL, r->devs.devs[k]);
		json_arr_end(j);
		fault_reason_json(j, r->key.source, r->key.reason);
		json_str(j, "access", r->key.access == ACCESS_WRITE ? "write" : "read");
		json_uint(j, "count", r->st.count);
		json_uint(j, "first_address", r->st.first_addr);
		json_uint(j, "last_address", r->st.last_addr);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void group_json(struct json *j, const struct snapshot *s, const struct group_row *g)
{
	rows_json(j, &s->faults, g->group);
}

static void unattributed_json(struct json *j, const struct snapshot *s)
{
	rows_json(j, &s->faults, NO_GROUP);
}

static void json(struct json *j, const struct snapshot *s)
{
	const struct faults_model *m = &s->faults;

	json_obj_begin(j, "iommu_fault_interrupts");
	json_uint(j, "dmar", m->irqs);
	json_uint(j, "without_record", m->no_record);
	json_uint(j, "overflow", m->overflows);
	if (m->kernel_irqs < 0) {
		json_null(j, "kernel");
		json_null(j, "missed");
	} else {
		json_uint(j, "kernel", (unsigned long long)m->kernel_irqs);
		json_uint(j, "missed", faults_missed(m));
	}
	json_obj_end(j);
}

/* stat: the faults per group and requester, then each reason's cause and remedy once */
static void text(FILE *f, const struct snapshot *s)
{
	const struct faults_model *m = &s->faults;
	char dev[NAME_LEN], devs[ALIAS_MAX_DEVS * NAME_LEN + 16], grp[16], name[TEXT_LEN(NAME_LEN)];
	int i, k;

	if (!m->nrows && !m->irqs)
		return;
	fprintf(f, "\nIOMMU faults: %llu VT-d fault interrupt%s", m->irqs, m->irqs == 1 ? "" : "s");
	if (m->kernel_irqs >= 0)
		fprintf(f, " (the kernel counted %lld, missed %llu)", m->kernel_irqs, faults_missed(m));
	if (m->no_record || m->overflows)
		fprintf(f, "; %llu found no fault pending (one recorded while the handler ran, not decoded), %llu "
			"with the IOMMU's overflow bit (faults it lost)", m->no_record, m->overflows);
	fprintf(f, "\n");
	if (!m->nrows)
		return;
	fprintf(f, "%-6s %-14s %-6s %-6s %-9s %-18s %-18s %s\n", "GROUP", "REQUESTER", "REASON", "ACCESS", "COUNT",
		"FIRST_ADDR", "LAST_ADDR", "DEVICES");
	for (i = 0; i < m->nrows; i++) {
		const struct fault_row *r = &m->rows[i];
		char reason[8] = "-", a1[24], a2[24];

		row_device(r, dev, sizeof(dev));
		devs[0] = 0;
		for (k = 0; k < r->devs.n && k < ALIAS_MAX_DEVS; k++)
			snprintf(devs + strlen(devs), sizeof(devs) - strlen(devs), "%s%s", k ? "," : "",
				 text_name(r->devs.devs[k], name, sizeof(name)));
		if (r->devs.n > ALIAS_MAX_DEVS)
			snprintf(devs + strlen(devs), sizeof(devs) - strlen(devs), ",+%d more", r->devs.n - ALIAS_MAX_DEVS);
		if (r->key.source == FAULT_VTD)
			snprintf(reason, sizeof(reason), "0x%02x", r->key.reason);
		snprintf(grp, sizeof(grp), r->group == NO_GROUP ? "-" : "%d", r->group);
		snprintf(a1, sizeof(a1), "0x%llx", r->st.first_addr);
		snprintf(a2, sizeof(a2), "0x%llx", r->st.last_addr);
		fprintf(f, "%-6s %-14s %-6s %-6s %-9llu %-18s %-18s %s\n", grp, text_name(dev, name, sizeof(name)), reason,
			r->key.access == ACCESS_WRITE ? "write" : "read", r->st.count, a1, a2, devs[0] ? devs : "-");
	}
	for (i = 0; i < m->nrows; i++) {
		const struct fault_row *r = &m->rows[i];
		const struct fault_advice *a = fault_explain(r->key.source, r->key.reason, ANY_VERDICT);
		const char *rn = fault_reason_name(r->key.source, r->key.reason);

		for (k = 0; k < i; k++)		/* once per reason */
			if (m->rows[k].key.source == r->key.source && m->rows[k].key.reason == r->key.reason)
				break;
		if (k < i || !a)
			continue;
		if (r->key.source == FAULT_VTD)
			fprintf(f, "reason 0x%02x (%s):\n", r->key.reason, rn ? rn : "unknown");
		else
			fprintf(f, "reported by the IOMMU driver (report_iommu_fault):\n");
		fprintf(f, "  cause:  %s\n  remedy: %s\n", a->cause, a->remedy);
	}
}

static void prom(FILE *f, const struct metrics *m)
{
	const struct faults_model *fm = &m->s->faults;
	char dev[NAME_LEN], esc[4 * NAME_LEN + 1], group[16];
	int i;

	prom_family(f, "vfiotrace_iommu_faults_total", "counter",
		    "Faults the IOMMU recorded, by group, requester device, hardware reason and access.");
	for (i = 0; i < fm->nrows; i++) {
		const struct fault_row *r = &fm->rows[i];

		row_device(r, dev, sizeof(dev));
		fprintf(f, "vfiotrace_iommu_faults_total{group=\"%s\",device=\"%s\",reason=\"%u\",access=\"%s\"} %llu\n",
			prom_group_label(r->group, group, sizeof(group)), prom_escape(dev, esc, sizeof(esc)),
			r->key.reason, r->key.access == ACCESS_WRITE ? "write" : "read", r->st.count);
	}
	prom_family(f, "vfiotrace_iommu_fault_interrupts_total", "counter",
		    "VT-d fault interrupts (dmar_fault calls), whether or not a fault was recorded.");
	fprintf(f, "vfiotrace_iommu_fault_interrupts_total %llu\n", fm->irqs);
	if (fm->kernel_irqs < 0)
		return;
	prom_family(f, "vfiotrace_iommu_fault_interrupts_missed_total", "counter",
		    "VT-d fault interrupts the kernel counted since tracing began that the hook did not see.");
	fprintf(f, "vfiotrace_iommu_fault_interrupts_missed_total %llu\n", faults_missed(fm));
}

const struct feature faults_feature = {
	.name = "faults",
	.collect = collect,
	.start = start,
	FEATURE_EVENTS(faults_events),
	.group_json = group_json,
	.unattributed_json = unattributed_json,
	.json = json,
	.text = text,
	.prom = prom,
};
