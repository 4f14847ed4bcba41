/* SPDX-License-Identifier: GPL-2.0 */
/* What a feature's event decoder may read, and the state reference events update. */
#ifndef VFIOTRACE_EVENT_CTX_H
#define VFIOTRACE_EVENT_CTX_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include "event_line.h"
#include "stacks.h"

struct refs_live;

struct event_ctx {
	int stacks_fd;			/* reference call stacks (-v): callers */
	int fail_stacks_fd;		/* -v: the failing steps' stacks; -1: none shown */
	int group_containers_fd;	/* --dma: the groups of a container */
	int holders_fd;			/* the holder of each group (struct holder by group) */
	bool dma;			/* --dma: map and unmap events feed the IOVA ledger (dma_ledger.h) */
	const volatile unsigned long long *dma_drops;	/* map and unmap records lost, NULL: none */
	int target_group;		/* -g, -1: all; for records BPF cannot filter (faults) */
	unsigned int target_pid;	/* -p, 0: all; the same */
	int ref_sites_fd;		/* the reference sites: their callers are named together */
	const struct symbolizer *sym;	/* callers of references, the failing steps' stacks */
	unsigned int kver;		/* KV() of the traced kernel: picks catalogue rows */
	struct refs_live *live;		/* holders and unbind waits */
	unsigned long long malformed;	/* records of an unknown type or too short: skipped */
	const char *vm;			/* --vm NAME: only the events of its processes are printed */
	unsigned long long filtered;	/* events decoded but not printed: another VM's (not drops) */
	FILE *out;			/* where the lines go */
	bool json;
	bool refs_only;			/* only reference events are shown (the refs command) */
	union {				/* the record being decoded, its strings ended */
		struct record_hdr hdr;
		struct event ev;
		struct dma_event dma;
		struct fail_event fail;
		struct dev_event dev;
		struct fault_event fault;
	} rec;
	struct event_line line;		/* the line being decoded: too large for the stack */
	/* run while a record waits for the kernel's symbols (events.c): the command's identity reads */
	void (*meanwhile)(void *arg);
	void *meanwhile_arg;
};

/*
 * Decodes one record (at least as long as its type's struct) into l, after
 * updating the state it changes: 1 when it has a line to show, 0 when not.
 */
typedef int (*event_decoder)(const void *rec, struct event_ctx *c, struct event_line *l);

/* One type of ring buffer record, in its feature's row (feature.h). */
struct event_kind {
	unsigned int type;		/* enum event_type */
	size_t size;			/* the struct the record is */
	event_decoder decode;
	/* ends the record's strings where BPF ends them, so no decoder reads past one (NULL: none) */
	void (*bound)(void *rec);
	bool reference;			/* shown by refs too */
	/* its decoder names kernel functions: asks sym for them, > 0 when one waits for a read */
	int (*want)(const void *rec, struct event_ctx *c);
};

/* A return value in the range the hooked functions return (an int): what the decoders negate. */
static inline long long event_int_ret(long long ret)
{
	return ret == (int)ret ? ret : INT_MIN + 1;
}

/* bound of a struct event (attach, domain_alloc, references) */
static inline void event_bound(void *rec)
{
	struct event *e = rec;

	e->name[NAME_LEN - 1] = 0;
	e->dev[NAME_LEN - 1] = 0;
}

#endif
