// SPDX-License-Identifier: GPL-2.0
/* The IOVA ledger: live mappings and recent unmaps per container, from the DMA events. */
#include <stdlib.h>
#include <string.h>
#include "dma_ledger.h"

struct box {
	struct container_key key;
	unsigned long long used;	/* the ledger's clock at its last event: least recently used goes */
	struct ledger_range *maps;	/* sorted by iova; type1 refuses overlaps */
	int nmaps, capmaps;
	struct ledger_range *unmaps;	/* oldest first, one per distinct range */
	int nunmaps, capunmaps;
	bool lost;			/* a bound was hit or memory ran out: no "never" */
};

static struct box boxes[LEDGER_CONTAINERS];
static int nboxes;
static unsigned long long ticks, evicted;

static void box_free(struct box *b)
{
	free(b->maps);
	free(b->unmaps);
	memset(b, 0, sizeof(*b));
}

void ledger_reset(void)
{
	int i;

	for (i = 0; i < nboxes; i++)
		box_free(&boxes[i]);
	nboxes = 0;
	ticks = evicted = 0;
}

static struct box *box_find(const struct container_key *c)
{
	int i;

	for (i = 0; i < nboxes; i++)
		if (boxes[i].key.addr == c->addr && boxes[i].key.gen == c->gen)
			return &boxes[i];
	return NULL;
}

static struct box *box_get(const struct container_key *c)
{
	struct box *b = box_find(c);
	int i, old = 0;

	if (!b) {
		if (nboxes == LEDGER_CONTAINERS) {
			for (i = 1; i < nboxes; i++)
				if (boxes[i].used < boxes[old].used)
					old = i;
			box_free(&boxes[old]);
			evicted++;
			b = &boxes[old];
		} else {
			b = &boxes[nboxes++];
		}
		b->key = *c;
		b->lost = evicted > 0;	/* it may have been one of those forgotten */
	}
	b->used = ++ticks;
	return b;
}

static bool grow(struct ledger_range **a, int *cap, int n)
{
	struct ledger_range *p;
	int want = *cap ? *cap * 2 : 16;

	if (n < *cap)
		return true;
	if (!(p = realloc(*a, want * sizeof(*p))))
		return false;
	*a = p;
	*cap = want;
	return true;
}

/* The index of the first mapping that ends above addr (nmaps if none). */
static int first_ending_above(const struct box *b, unsigned long long addr)
{
	int lo = 0, hi = b->nmaps;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		const struct ledger_range *m = &b->maps[mid];

		if (m->iova + m->size <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void range_of(struct ledger_range *r, const struct dma_event *e, unsigned long long iova,
		     unsigned long long size)
{
	memset(r, 0, sizeof(*r));
	r->iova = iova;
	r->size = size;
	r->ns = e->h.ts_ns;
	r->pid = e->h.pid;
	r->flags = e->flags;
	memcpy(r->comm, e->h.comm, COMM_LEN);
	r->comm[COMM_LEN - 1] = 0;
}

static void add_map(struct box *b, const struct dma_event *e)
{
	int at;

	if (b->nmaps >= LEDGER_MAPS || !grow(&b->maps, &b->capmaps, b->nmaps)) {
		b->lost = true;
		return;
	}
	at = first_ending_above(b, e->iova);
	memmove(&b->maps[at + 1], &b->maps[at], (b->nmaps - at) * sizeof(*b->maps));
	range_of(&b->maps[at], e, e->iova, e->size);
	b->nmaps++;
}

/* The newest unmap of this range; the older one of the same range is dropped. */
static void add_unmap(struct box *b, const struct dma_event *e, unsigned long long iova,
		      unsigned long long size)
{
	int i;

	for (i = 0; i < b->nunmaps; i++)
		if (b->unmaps[i].iova == iova && b->unmaps[i].size == size)
			break;
	if (i == b->nunmaps && b->nunmaps == LEDGER_UNMAPS) {
		i = 0;			/* the oldest goes: an address only it covered is "unknown" */
		b->lost = true;
	}
	if (i < b->nunmaps) {
		memmove(&b->unmaps[i], &b->unmaps[i + 1], (b->nunmaps - i - 1) * sizeof(*b->unmaps));
		b->nunmaps--;
	} else if (!grow(&b->unmaps, &b->capunmaps, b->nunmaps)) {
		b->lost = true;
		return;
	}
	range_of(&b->unmaps[b->nunmaps++], e, iova, size);
	b->unmaps[b->nunmaps - 1].flags = 0;
}

static void del_range(struct box *b, const struct dma_event *e)
{
	bool all = e->flags & LEDGER_UNMAP_ALL;
	unsigned long long lo = all ? 0 : e->iova, hi = all ? ~0ULL : e->iova + e->req_size;
	int from = first_ending_above(b, lo), to = from;

	if (hi < lo)			/* wraps: what type1 would refuse */
		hi = ~0ULL;
	while (to < b->nmaps && b->maps[to].iova < hi) {
		add_unmap(b, e, b->maps[to].iova, b->maps[to].size);
		to++;
	}
	if (to == from && !all)		/* a mapping the ledger never saw (it predates it, or was lost) */
		add_unmap(b, e, e->iova, e->req_size);
	if (to == from)			/* nothing removed (maps may still be NULL: no memmove on it) */
		return;
	memmove(&b->maps[from], &b->maps[to], (b->nmaps - to) * sizeof(*b->maps));
	b->nmaps -= to - from;
}

void ledger_event(const struct dma_event *e)
{
	struct container_key k = { .addr = e->container, .gen = e->container_gen };

	if (e->h.ret)
		return;
	if (e->h.type == EV_DMA_MAP && !(e->flags & LEDGER_MAP_VADDR) && e->size)
		add_map(box_get(&k), e);
	else if (e->h.type == EV_DMA_UNMAP && !(e->flags & LEDGER_UNMAP_VADDR) && e->size)
		del_range(box_get(&k), e);	/* size: what the kernel unmapped; 0 is nothing */
}

void ledger_lookup(const struct container_key *c, bool complete, unsigned long long addr, int access,
		   struct ledger_answer *out)
{
	const struct box *b = box_find(c);
	int i;

	memset(out, 0, sizeof(*out));
	if (!b) {
		out->verdict = complete && !evicted ? LEDGER_NEVER : LEDGER_UNKNOWN;
		return;
	}
	i = first_ending_above(b, addr);
	if (i < b->nmaps && b->maps[i].iova <= addr) {
		out->range = b->maps[i];
		out->verdict = access == ACCESS_WRITE && !(out->range.flags & LEDGER_MAP_WRITE) ?
			       LEDGER_READ_ONLY : LEDGER_MAPPED;
		return;
	}
	for (i = b->nunmaps - 1; i >= 0; i--) {
		const struct ledger_range *u = &b->unmaps[i];

		if (addr >= u->iova && addr - u->iova < u->size) {
			out->range = *u;
			out->verdict = LEDGER_UNMAPPED;
			return;
		}
	}
	out->verdict = complete && !b->lost ? LEDGER_NEVER : LEDGER_UNKNOWN;
}

const char *ledger_verdict_name(enum ledger_verdict v)
{
	switch (v) {
	case LEDGER_NEVER:
		return "never";
	case LEDGER_UNMAPPED:
		return "unmapped";
	case LEDGER_READ_ONLY:
		return "read_only";
	case LEDGER_MAPPED:
		return "mapped";
	default:
		return "unknown";
	}
}
