/* SPDX-License-Identifier: GPL-2.0 */
/* Cause and remedy of an IOMMU fault (docs/diagnosis.md "IOMMU faults"). */
#ifndef VFIOTRACE_FAULTS_EXPLAIN_H
#define VFIOTRACE_FAULTS_EXPLAIN_H

#include "../../bpf/vfiotrace.h"
#include "dma_ledger.h"

#define ANY_VERDICT -1

struct fault_advice {
	int source;		/* enum fault_source */
	int lo, hi;		/* hardware reasons, inclusive (report_iommu_fault: 0) */
	int verdict;		/* enum ledger_verdict (--dma), ANY_VERDICT */
	const char *cause, *remedy;
};

/* The first row matching (specific verdicts first); NULL: none. verdict: ANY_VERDICT without --dma. */
const struct fault_advice *fault_explain(int source, int reason, int verdict);
/* The whole table, for documentation checks. */
const struct fault_advice *fault_advice_entries(int *n);

#endif
