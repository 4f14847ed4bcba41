/* SPDX-License-Identifier: GPL-2.0 */
/* DMA (--dma): map/unmap per container shown on its groups, per client process, failures. */
#ifndef VFIOTRACE_DMA_H
#define VFIOTRACE_DMA_H

#include <stdbool.h>
#include <stdio.h>
#include "../../bpf/vfiotrace.h"
#include "event_ctx.h"
#include "json.h"

struct dma_maps {
	int containers, clients, failures, group_containers;
};

struct dma_group {
	int group;
	int ncontainers;		/* containers it was attached to while tracing */
	struct dma_stats st;		/* summed over them */
	bool failed;
	struct dma_failure fail;	/* the latest failed map in them */
};

struct dma_client {
	struct dma_client_key key;
	struct dma_stats st;
};

struct dma_model {
	struct dma_group *groups;
	int ngroups;
	struct dma_client *clients;
	int nclients;
};

int dma_collect(struct dma_model *m, const struct dma_maps *fds);
void dma_free(struct dma_model *m);

/* "dma":{...} of one group (nothing if the group has no container). */
void dma_json_group(struct json *j, const struct dma_model *m, int group);
/* "dma_clients":[...] */
void dma_json_clients(struct json *j, const struct dma_model *m);
void dma_text(FILE *f, const struct dma_model *m);
/* The map latency histogram of a group, NULL if none. */
const unsigned long long *dma_map_hist(const struct dma_model *m, int group);

/* A map or unmap (struct dma_event), shown on the lowest group of its container. */
int dma_decode(const void *rec, struct event_ctx *c, struct event_line *l);
/* A group attached to the container (the lowest), NO_GROUP if unknown. */
int dma_group_of(int group_containers_fd, const struct container_key *c);
/*
 * The container group is attached to (the one first seen last) and whether it was fresh when a
 * group was first attached to it (GC_FRESH: the ledger can have seen all its maps): 0, or -1 when
 * no attach of the group was seen.
 */
int dma_container_of(int group_containers_fd, int group, struct container_key *out, bool *fresh);

#endif
