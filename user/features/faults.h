/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IOMMU faults (issue 24): the model read from bpf/iommu_fault.bpf.c's counts, the reason
 * names, the snoop event "iommu_fault".
 */
#ifndef VFIOTRACE_FAULTS_H
#define VFIOTRACE_FAULTS_H

#include "../../bpf/vfiotrace.h"
#include "event_ctx.h"
#include "pcialias.h"

struct fault_row {
	struct fault_key key;
	struct fault_stats st;
	int group;			/* VT-d: the group of the devices behind the requester id */
	struct alias_devs devs;		/* VT-d: the devices behind the requester id */
};

struct faults_model {
	struct fault_row *rows;		/* sorted by group, requester, reason, access */
	int nrows;
	unsigned long long irqs;	/* VT-d fault interrupts (dmar_fault calls) */
	unsigned long long no_record;	/* of which found no fault recorded */
	unsigned long long overflows;	/* of which found the IOMMU's overflow bit: faults it lost */
	long long kernel_irqs;		/* the same interrupts as the kernel counted them since tracing
					 * began (/proc/interrupts, DMAR lines); -1 unknown */
};

/* The hardware reason's name: VT-d's table (DMA remapping, interrupt remapping), NULL unknown. */
const char *fault_reason_name(int source, int reason);
/* "0000:03:00.0" from a segment and a requester id */
void fault_requester_name(unsigned int segment, unsigned int sid, char *buf, size_t len);

/* "reason" (null for report_iommu_fault) and "reason_name" (null: unknown) */
void fault_reason_json(struct json *j, int source, int reason);
/* CLOCK_MONOTONIC now: the age of the requester-id cache (pcialias.c) */
unsigned long long faults_now_ns(void);

void faults_free(struct faults_model *m);
/* Fault interrupts the kernel counted that the hook did not see (a kprobe skipped inside another
 * BPF program or a bpf() syscall on that CPU): 0 when unknown */
unsigned long long faults_missed(const struct faults_model *m);

extern const struct event_kind faults_events[1];

#endif
