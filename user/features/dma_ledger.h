/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IOVA ledger (--dma, snoop): what the map and unmap events said about each type1
 * container's address space, its live mappings and its recent unmaps, so that an IOMMU fault
 * can be told apart (faults.c): in a mapping, in one that lacks the access, unmapped earlier (by
 * whom, when), or never mapped. Fed in ring-buffer order, so a fault is judged against the
 * mappings as they stood when it was recorded. Bounded: LEDGER_CONTAINERS containers (least
 * recently used forgotten), LEDGER_MAPS live mappings and LEDGER_UNMAPS distinct unmapped
 * ranges each; past a bound it says "unknown" rather than "never".
 */
#ifndef VFIOTRACE_DMA_LEDGER_H
#define VFIOTRACE_DMA_LEDGER_H

#include <stdbool.h>
#include "../../bpf/vfiotrace.h"

#define LEDGER_CONTAINERS 256
#define LEDGER_MAPS 65536
#define LEDGER_UNMAPS 1024

/* include/uapi/linux/vfio.h */
#define LEDGER_MAP_READ		(1u << 0)
#define LEDGER_MAP_WRITE	(1u << 1)
#define LEDGER_MAP_VADDR	(1u << 2)	/* a map that only updates a mapping's vaddr */
#define LEDGER_UNMAP_ALL	(1u << 1)
#define LEDGER_UNMAP_VADDR	(1u << 2)	/* an unmap that only invalidates vaddrs */

enum ledger_verdict {
	LEDGER_UNKNOWN,		/* the ledger did not see every map of the container */
	LEDGER_NEVER,		/* no mapping there since the container's first group was attached */
	LEDGER_UNMAPPED,	/* a mapping there was removed (range: the last such unmap) */
	LEDGER_READ_ONLY,	/* a write into a mapping without VFIO_DMA_MAP_FLAG_WRITE */
	LEDGER_MAPPED,		/* mapped (with the access) when the fault was recorded */
};

struct ledger_range {
	unsigned long long iova, size;	/* [iova, iova + size) */
	unsigned long long ns;		/* the map's or unmap's return (bpf_ktime_get_ns) */
	unsigned int pid, flags;	/* flags: a map's VFIO_DMA_MAP_FLAG_* */
	char comm[COMM_LEN];
};

struct ledger_answer {
	enum ledger_verdict verdict;
	struct ledger_range range;	/* mapped, read_only: the mapping; unmapped: the unmap */
};

/* A map or unmap event that returned 0 (ret < 0 changed nothing). */
void ledger_event(const struct dma_event *e);
/*
 * The mapping addr (a page address) of container c missed, for an access (enum fault_access).
 * complete: the ledger saw every map of c (its first group was attached while traced, no map or
 * unmap event was lost); without it, no "never".
 */
void ledger_lookup(const struct container_key *c, bool complete, unsigned long long addr, int access,
		   struct ledger_answer *out);
const char *ledger_verdict_name(enum ledger_verdict v);
/* Forgets everything (tests). */
void ledger_reset(void);

#endif
