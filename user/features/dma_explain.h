/* SPDX-License-Identifier: GPL-2.0 */
/* Why a VFIO_IOMMU_MAP_DMA failed: step, cause, remedy and the numbers (docs/diagnosis.md). */
#ifndef VFIOTRACE_DMA_EXPLAIN_H
#define VFIOTRACE_DMA_EXPLAIN_H

#include "../../bpf/vfiotrace.h"
#include "json.h"

struct dma_explained {
	int step;			/* enum diag_step: STEP_DMA_* or STEP_UNKNOWN */
	const char *cause, *remedy;	/* from the catalogue, never NULL */
	char detail[512];		/* this failure's numbers, one line */
	long long entry_limit;		/* ENOSPC: dma_entry_limit when explained; -1 otherwise or unreadable */
};

void dma_explain(const struct dma_failure *f, struct dma_explained *x);
/*
 * The failure's fields inside the current JSON object: errno, failed_step,
 * cause, remedy, then dma_json_numbers. Every failure carries every key (null
 * where the step does not apply), so the schema is one.
 */
void dma_json_failure(struct json *j, const struct dma_failure *f);
/* What dma_json_failure writes after the remedy: detail, vaddr, page_size, ... */
void dma_json_numbers(struct json *j, const struct dma_failure *f, const struct dma_explained *x);
/* vfio_iommu_type1.dma_entry_limit as it is now, -1 if unreadable. */
long long dma_entry_limit(void);

#endif
