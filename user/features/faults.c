// SPDX-License-Identifier: GPL-2.0
/* IOMMU faults: reason names and the "iommu_fault" event (snoop). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "dma.h"
#include "dma_ledger.h"
#include "faults.h"
#include "faults_explain.h"
#include "histogram.h"
#include "holders.h"
#include "text.h"
#include "vmcache.h"

/* drivers/iommu/intel/dmar.c dma_remap_fault_reasons[] and irq_remap_fault_reasons[] */
static const char *const dma_reasons[] = {
	"Software", "Present bit in root entry is clear", "Present bit in context entry is clear",
	"Invalid context entry", "Access beyond MGAW", "PTE Write access is not set",
	"PTE Read access is not set", "Next page table ptr is invalid", "Root table address invalid",
	"Context table ptr is invalid", "non-zero reserved fields in RTP", "non-zero reserved fields in CTP",
	"non-zero reserved fields in PTE", "PCE for translation request specifies blocking",
};

static const char *const irq_reasons[] = {
	"Detected reserved fields in the decoded interrupt-remapped request",
	"Interrupt index exceeded the interrupt-remapping table size",
	"Present field in the IRTE entry is clear",
	"Error accessing interrupt-remapping table pointed by IRTA_REG",
	"Detected reserved fields in the IRTE entry",
	"Blocked a compatibility format interrupt request",
	"Blocked an interrupt request due to source-id verification failure",
};

const char *fault_reason_name(int source, int reason)
{
	if (source == FAULT_REPORT)
		return "reported by the IOMMU driver (report_iommu_fault)";
	if (reason > 0 && reason < (int)(sizeof(dma_reasons) / sizeof(dma_reasons[0])))
		return dma_reasons[reason];
	if (reason >= 0x20 && reason < 0x20 + (int)(sizeof(irq_reasons) / sizeof(irq_reasons[0])))
		return irq_reasons[reason - 0x20];
	if (reason >= 0x30)
		return "scalable-mode translation fault";
	return NULL;
}

void fault_requester_name(unsigned int segment, unsigned int sid, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", segment, sid >> 8, (sid >> 3) & 0x1f, sid & 7);
}

void fault_reason_json(struct json *j, int source, int reason)
{
	const char *name = fault_reason_name(source, reason);

	if (source == FAULT_VTD)
		json_uint(j, "reason", reason);
	else
		json_null(j, "reason");
	if (name)
		json_str(j, "reason_name", name);
	else
		json_null(j, "reason_name");
}

unsigned long long faults_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

unsigned long long faults_missed(const struct faults_model *m)
{
	return m->kernel_irqs > 0 && (unsigned long long)m->kernel_irqs > m->irqs ?
	       (unsigned long long)m->kernel_irqs - m->irqs : 0;
}

void faults_free(struct faults_model *m)
{
	free(m->rows);
	memset(m, 0, sizeof(*m));
}

/* ---- events ---- */

static struct {
	char device[NAME_LEN];		/* the requester (VT-d) or report_iommu_fault's device */
	const struct alias_devs *devs;	/* VT-d: behind the requester id */
	struct alias_devs one;		/* report_iommu_fault: the device itself */
	int group;
	struct holder holder;		/* when the fault was recorded; pid 0: none seen */
	bool holder_changed;		/* the group changed hands since: its holder then is not kept */
	bool judged;			/* --dma, a DMA fault: mapping says what the address missed */
	struct ledger_answer mapping;
	unsigned long long ago;		/* unmapped: ns from the unmap to the fault */
	const struct fault_advice *advice;	/* cause and remedy; NULL: an unknown reason */
} view;

/* Interrupt-remapping faults (VT-d reasons 0x20-0x2f) carry an interrupt index, not an address. */
static bool is_dma_fault(const struct fault_event *e)
{
	return e->source != FAULT_VTD || e->reason < 0x20 || e->reason >= 0x30;
}

/* What the address missed, from the IOVA ledger of the group's container. */
static void judge(const struct event_ctx *c, const struct fault_event *e)
{
	struct container_key k;
	bool fresh;

	memset(&view.mapping, 0, sizeof(view.mapping));
	view.ago = 0;
	if (view.group == NO_GROUP || dma_container_of(c->group_containers_fd, view.group, &k, &fresh))
		return;		/* unknown: no attach of this group was seen */
	ledger_lookup(&k, fresh && !(c->dma_drops && *c->dma_drops), e->addr, e->access, &view.mapping);
	if (view.mapping.verdict == LEDGER_UNMAPPED && e->h.ts_ns > view.mapping.range.ns)
		view.ago = e->h.ts_ns - view.mapping.range.ns;
}

static void mapping_json(struct json *j)
{
	const struct ledger_range *r = &view.mapping.range;
	enum ledger_verdict v = view.mapping.verdict;

	json_str(j, "mapping", ledger_verdict_name(v));
	if (v == LEDGER_UNMAPPED) {
		json_uint(j, "unmapped_by", r->pid);
		json_str(j, "unmapped_comm", r->comm);
		json_uint(j, "unmapped_ns", view.ago);
	}
	if (v == LEDGER_UNMAPPED || v == LEDGER_MAPPED || v == LEDGER_READ_ONLY) {
		json_uint(j, "mapping_iova", r->iova);
		json_uint(j, "mapping_size", r->size);
	}
}

static void mapping_text(struct event_line *l)
{
	const struct ledger_range *r = &view.mapping.range;
	char a[TEXT_LEN(COMM_LEN)], t[24];

	switch (view.mapping.verdict) {
	case LEDGER_NEVER:
		event_line_detail(l, "; never mapped");
		break;
	case LEDGER_UNMAPPED:
		event_line_detail(l, "; unmapped %s earlier by pid %u (%s): iova 0x%llx size 0x%llx",
				  fmt_ns(view.ago, t, sizeof(t)), r->pid, text_name(r->comm, a, sizeof(a)),
				  r->iova, r->size);
		break;
	case LEDGER_READ_ONLY:
		event_line_detail(l, "; a write into a read-only mapping: iova 0x%llx size 0x%llx", r->iova, r->size);
		break;
	case LEDGER_MAPPED:
		event_line_detail(l, "; mapped: iova 0x%llx size 0x%llx", r->iova, r->size);
		break;
	default:
		event_line_detail(l, "; mapping unknown (maps before tracing, or map events lost)");
	}
}

static void fault_json(struct json *j, const struct event_line *l)
{
	const struct fault_event *e = l->rec;
	int i;

	json_str(j, "device", view.device);
	json_arr_begin(j, "devices");
	for (i = 0; i < view.devs->n && i < ALIAS_MAX_DEVS; i++)
		json_str(j, NULL, view.devs->devs[i]);
	json_arr_end(j);
	json_uint(j, "address", e->addr);
	json_str(j, "access", e->access == ACCESS_WRITE ? "write" : "read");
	fault_reason_json(j, e->source, e->reason);
	if (e->pasid == FAULT_NO_PASID)
		json_null(j, "pasid");
	else
		json_uint(j, "pasid", e->pasid);
	if (!view.holder.pid) {
		json_null(j, "pid");
		json_null(j, "comm");
	}
	json_bool(j, "holder_changed", view.holder_changed);
	json_str(j, "source", e->source == FAULT_VTD ? "dmar" : "report_iommu_fault");
	if (view.advice) {
		json_str(j, "cause", view.advice->cause);
		json_str(j, "remedy", view.advice->remedy);
	} else {
		json_null(j, "cause");
		json_null(j, "remedy");
	}
	if (view.judged)
		mapping_json(j);
	else if (l->state)		/* --dma, an interrupt-remapping fault: no address to judge */
		json_null(j, "mapping");
}

static int fault_decode(const void *rec, struct event_ctx *c, struct event_line *l)
{
	const struct fault_event *e = rec;
	char a[TEXT_LEN(NAME_LEN)], b[TEXT_LEN(COMM_LEN)];
	const char *name = fault_reason_name(e->source, e->reason);
	int i;

	if (e->source == FAULT_VTD) {
		fault_requester_name(e->segment, e->sid, view.device, sizeof(view.device));
		view.devs = pci_alias_cached(e->segment, e->sid, faults_now_ns());
		view.group = view.devs->group;
	} else {
		snprintf(view.device, sizeof(view.device), "%s", e->dev);
		memset(&view.one, 0, sizeof(view.one));
		view.one.n = 1;
		snprintf(view.one.devs[0], NAME_LEN, "%s", e->dev);
		view.devs = &view.one;
		view.group = e->h.group;
	}
	view.holder_changed = holder_at(c->holders_fd, view.group, e->h.ts_ns, &view.holder) == HOLDER_CHANGED;
	/* -g, -p: BPF knows neither the group of a VT-d requester nor the holder; filtered here */
	if ((c->target_group >= 0 && view.group != c->target_group) ||
	    (c->target_pid && view.holder.pid != c->target_pid))
		return 0;
	view.judged = c->dma && is_dma_fault(e);
	if (view.judged)
		judge(c, e);
	view.advice = fault_explain(e->source, e->reason, view.judged ? (int)view.mapping.verdict : ANY_VERDICT);

	event_line_init(l, "iommu_fault", &e->h);
	l->state = c->dma ? &view : NULL;
	/* the header's task is whoever the interrupt came in: the process is the group's holder */
	l->fields &= ~(LINE_TID | LINE_RET | LINE_LATENCY | LINE_LATENCY_COLUMN | LINE_PID | LINE_COMM);
	l->group = view.group;
	if (view.holder.pid) {
		l->fields |= LINE_PID | LINE_COMM;
		l->pid = view.holder.pid;
		l->comm = view.holder.comm;
		l->vm = vmcache_get(view.holder.pid, view.holder.comm);
	}
	snprintf(l->result, sizeof(l->result), "%s", e->access == ACCESS_WRITE ? "write" : "read");
	l->json = fault_json;
	l->rec = e;
	event_line_detail(l, "%s", text_name(view.device, a, sizeof(a)));
	for (i = 0; i < view.devs->n && i < ALIAS_MAX_DEVS; i++)
		if (strcmp(view.devs->devs[i], view.device))
			event_line_detail(l, "%s%s", i ? " " : " (", text_name(view.devs->devs[i], a, sizeof(a)));
	if (view.devs->n && strcmp(view.devs->devs[0], view.device))
		event_line_detail(l, ")");
	event_line_detail(l, " addr 0x%llx", e->addr);
	if (e->source == FAULT_VTD)
		event_line_detail(l, " reason 0x%02x %s", e->reason, name ? name : "(unknown)");
	if (e->pasid != FAULT_NO_PASID)
		event_line_detail(l, " pasid %u", e->pasid);
	if (view.holder.pid)
		event_line_detail(l, "; group held by pid %u (%s)", view.holder.pid,
				  text_name(view.holder.comm, b, sizeof(b)));
	else if (view.holder_changed)
		event_line_detail(l, "; " HOLDER_CHANGED_TEXT);
	if (view.judged)
		mapping_text(l);
	if (view.advice)
		event_line_detail(l, "\n    cause: %s\n    remedy: %s", view.advice->cause, view.advice->remedy);
	return 1;
}

static void fault_bound(void *rec)
{
	struct fault_event *e = rec;

	e->dev[NAME_LEN - 1] = 0;
}

const struct event_kind faults_events[1] = {
	{ EV_IOMMU_FAULT, sizeof(struct fault_event), fault_decode, fault_bound, false, NULL },
};
