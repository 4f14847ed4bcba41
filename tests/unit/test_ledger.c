/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Included by test_main.c: the IOVA ledger (user/features/dma_ledger.c) that tells what an IOMMU
 * fault's address missed: mapped, read-only, unmapped earlier (by whom, when), never mapped,
 * unknown past its bounds or for a container it did not see from its first attach.
 */
#include "dma_ledger.h"

static struct dma_event ledger_ev(unsigned int type, unsigned long long iova, unsigned long long size,
				  unsigned long long req, unsigned int flags, unsigned int pid, unsigned long long ns)
{
	struct dma_event e;

	memset(&e, 0, sizeof(e));
	e.h.type = type;
	e.h.pid = pid;
	e.h.ts_ns = ns;
	snprintf(e.h.comm, sizeof(e.h.comm), "qemu-%u", pid);
	e.container = 0xffff888001000000ULL;
	e.container_gen = 7;
	e.iova = iova;
	e.size = size;
	e.req_size = req;
	e.flags = flags;
	return e;
}

static enum ledger_verdict judged(const struct container_key *k, bool complete, unsigned long long addr,
				  int access, struct ledger_answer *a)
{
	ledger_lookup(k, complete, addr, access, a);
	return a->verdict;
}

static void test_ledger(void)
{
	struct container_key k = { 0xffff888001000000ULL, 7 }, other = { 0xffff888001000000ULL, 8 };
	struct dma_event e;
	struct ledger_answer a;
	int i;

	ledger_reset();
	/* nothing seen: never if the container was watched from its first attach, else unknown */
	CHECK(judged(&k, true, 0x40000000, ACCESS_READ, &a) == LEDGER_NEVER, "%d", a.verdict);
	CHECK(judged(&k, false, 0x40000000, ACCESS_READ, &a) == LEDGER_UNKNOWN, "%d", a.verdict);

	e = ledger_ev(EV_DMA_MAP, 0x20000000, 0x4000, 0x4000, LEDGER_MAP_READ | LEDGER_MAP_WRITE, 100, 1000);
	ledger_event(&e);
	e = ledger_ev(EV_DMA_MAP, 0x30000000, 0x2000, 0x2000, LEDGER_MAP_READ, 100, 1100);
	ledger_event(&e);
	e = ledger_ev(EV_DMA_MAP, 0x10000000, 0x1000, 0x1000, LEDGER_MAP_WRITE, 100, 1200);
	ledger_event(&e);
	CHECK(judged(&k, true, 0x20003000, ACCESS_WRITE, &a) == LEDGER_MAPPED && a.range.iova == 0x20000000 &&
	      a.range.size == 0x4000, "%d 0x%llx", a.verdict, a.range.iova);
	CHECK(judged(&k, true, 0x20004000, ACCESS_READ, &a) == LEDGER_NEVER, "one past the end: %d", a.verdict);
	CHECK(judged(&k, true, 0x30001000, ACCESS_WRITE, &a) == LEDGER_READ_ONLY && a.range.iova == 0x30000000,
	      "%d", a.verdict);
	CHECK(judged(&k, true, 0x30001000, ACCESS_READ, &a) == LEDGER_MAPPED, "%d", a.verdict);
	CHECK(judged(&k, true, 0x10000000, ACCESS_READ, &a) == LEDGER_MAPPED, "write-only, read: %d", a.verdict);
	CHECK(judged(&other, true, 0x20000000, ACCESS_READ, &a) == LEDGER_NEVER, "another generation: %d", a.verdict);

	/* a failed unmap, a vaddr-only unmap and an unmap of nothing change nothing */
	e = ledger_ev(EV_DMA_UNMAP, 0x20000000, 0, 0x4000, 0, 200, 2000);
	e.h.ret = -22;
	ledger_event(&e);
	e = ledger_ev(EV_DMA_UNMAP, 0x20000000, 0x4000, 0x4000, LEDGER_UNMAP_VADDR, 200, 2000);
	ledger_event(&e);
	e = ledger_ev(EV_DMA_UNMAP, 0x20000000, 0, 0x4000, 0, 200, 2000);
	ledger_event(&e);
	CHECK(judged(&k, true, 0x20000000, ACCESS_READ, &a) == LEDGER_MAPPED, "%d", a.verdict);

	/* an unmap over a range that holds two mappings: each is named as unmapped by it */
	e = ledger_ev(EV_DMA_UNMAP, 0x20000000, 0x6000, 0x20000000, 0, 200, 5000);
	ledger_event(&e);
	CHECK(judged(&k, true, 0x20001000, ACCESS_READ, &a) == LEDGER_UNMAPPED && a.range.pid == 200 &&
	      a.range.ns == 5000 && a.range.iova == 0x20000000 && a.range.size == 0x4000 &&
	      !strcmp(a.range.comm, "qemu-200"), "%d pid %u ns %llu", a.verdict, a.range.pid, a.range.ns);
	CHECK(judged(&k, true, 0x30000000, ACCESS_WRITE, &a) == LEDGER_UNMAPPED && a.range.iova == 0x30000000,
	      "%d", a.verdict);
	CHECK(judged(&k, true, 0x38000000, ACCESS_READ, &a) == LEDGER_NEVER,
	      "inside the unmap's range but never mapped: %d", a.verdict);
	CHECK(judged(&k, true, 0x10000000, ACCESS_READ, &a) == LEDGER_MAPPED, "outside the unmap: %d", a.verdict);

	/* mapped again: mapped; unmapped again: the newer unmap is named */
	e = ledger_ev(EV_DMA_MAP, 0x20000000, 0x4000, 0x4000, 3, 100, 6000);
	ledger_event(&e);
	CHECK(judged(&k, true, 0x20000000, ACCESS_READ, &a) == LEDGER_MAPPED, "%d", a.verdict);
	e = ledger_ev(EV_DMA_UNMAP, 0x20000000, 0x4000, 0x4000, 0, 300, 7000);
	ledger_event(&e);
	CHECK(judged(&k, true, 0x20000000, ACCESS_READ, &a) == LEDGER_UNMAPPED && a.range.pid == 300 &&
	      a.range.ns == 7000, "%d pid %u", a.verdict, a.range.pid);

	/* an unmap of a mapping the ledger never saw: its requested range is named */
	e = ledger_ev(EV_DMA_UNMAP, 0x50000000, 0x1000, 0x1000, 0, 400, 8000);
	ledger_event(&e);
	CHECK(judged(&k, false, 0x50000000, ACCESS_READ, &a) == LEDGER_UNMAPPED && a.range.pid == 400,
	      "%d", a.verdict);

	/* VFIO_DMA_UNMAP_FLAG_ALL: everything goes */
	e = ledger_ev(EV_DMA_UNMAP, 0, 0x1000, 0, LEDGER_UNMAP_ALL, 500, 9000);
	ledger_event(&e);
	CHECK(judged(&k, true, 0x10000000, ACCESS_READ, &a) == LEDGER_UNMAPPED && a.range.pid == 500,
	      "%d", a.verdict);

	/* past LEDGER_UNMAPS distinct ranges the oldest is forgotten: unknown, not never */
	for (i = 0; i < LEDGER_UNMAPS; i++) {
		e = ledger_ev(EV_DMA_MAP, 0x100000000ULL + i * 0x1000ULL, 0x1000, 0x1000, 3, 100, 10000 + i);
		ledger_event(&e);
		e.h.type = EV_DMA_UNMAP;
		ledger_event(&e);
	}
	CHECK(judged(&k, true, 0x20000000, ACCESS_READ, &a) == LEDGER_UNKNOWN, "%d", a.verdict);
	CHECK(judged(&k, true, 0x100000000ULL + 5 * 0x1000ULL, ACCESS_READ, &a) == LEDGER_UNMAPPED,
	      "%d", a.verdict);
	CHECK(!strcmp(ledger_verdict_name(LEDGER_NEVER), "never") &&
	      !strcmp(ledger_verdict_name(LEDGER_UNMAPPED), "unmapped") &&
	      !strcmp(ledger_verdict_name(LEDGER_READ_ONLY), "read_only") &&
	      !strcmp(ledger_verdict_name(LEDGER_MAPPED), "mapped") &&
	      !strcmp(ledger_verdict_name(LEDGER_UNKNOWN), "unknown"), "verdict names");
	ledger_reset();
}
