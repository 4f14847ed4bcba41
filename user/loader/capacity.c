// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include "capacity.h"
#include "log.h"
#include "vfiotrace.h"
#include "vfiotrace.skel.h"

int capacity_rows(struct vfiotrace_bpf *s, const struct options *o, bool emit_events,
		  struct capacity_row *out, int max)
{
	unsigned int g = o->max_groups, dma = o->dma ? g : 1, f = o->max_inflight;
	/* put stacks: -v, and fentry (no registers for the return address there) */
	unsigned int stacks = o->verbose || o->mode == MODE_FENTRY ? 1024 : 1;
	unsigned int fail_stacks = o->verbose ? 1024 : 1;
	const struct capacity_row rows[] = {
		{ s->maps.group_stats, g }, { s->maps.group_members, g }, { s->maps.errors, 4 * g },
		{ s->maps.devices, g }, { s->maps.ref_sites, 4 * g }, { s->maps.holders, g },
		{ s->maps.group_culprit, g }, { s->maps.failures, 4 * g },
		{ s->maps.inflight_attach, f }, { s->maps.inflight_alloc, f }, { s->maps.inflight_bind, f },
		{ s->maps.inflight_get, f }, { s->maps.inflight_ioctl, f },
		{ s->maps.inflight_unreg, f }, { s->maps.diag_ops, 2 * f },
		{ s->maps.inflight_dma, o->dma ? f : 1 }, { s->maps.inflight_pin, o->dma ? f : 1 },
		{ s->maps.dma_containers, dma }, { s->maps.dma_clients, dma }, { s->maps.dma_failures, dma },
		{ s->maps.group_containers, dma }, { s->maps.container_gens, dma },
		/* devices (as many as groups, --max-groups), two (method, scope) rows of resets each */
		{ s->maps.dev_stats, g }, { s->maps.reset_stats, 2 * g },
		{ s->maps.vfio_calls, f }, { s->maps.fn_resets, f }, { s->maps.bus_resets, f },
		{ s->maps.power_calls, f },
		/* IOMMU faults: a few (requester, reason, access) per group */
		{ s->maps.iommu_faults, 4 * g },
		{ s->maps.stacks, stacks }, { s->maps.stack_ids, stacks },
		{ s->maps.fail_stacks, fail_stacks }, { s->maps.fail_stack_ids, fail_stacks },
		/* stat and hist emit no events: one page, the least a ring buffer can be */
		{ s->maps.events, !emit_events ? 4096 : o->ringbuf ? o->ringbuf : 256 * 1024 },
	};
	int n = sizeof(rows) / sizeof(rows[0]);

	if (n > max)
		return -1;
	memcpy(out, rows, sizeof(rows));
	return n;
}

/* Maps whose entries come and go with what is traced; arrays have the size BPF gave them. */
static bool grows(const struct bpf_map *m)
{
	switch (bpf_map__type(m)) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_RINGBUF:
		return true;
	default:
		return false;
	}
}

const char *capacity_unsized(const struct bpf_object *obj, const struct capacity_row *rows, int n)
{
	const struct bpf_map *m;
	int i;

	bpf_object__for_each_map(m, obj) {
		for (i = 0; i < n && rows[i].map != m; i++)
			;
		if (i == n && grows(m))
			return bpf_map__name(m);
	}
	return NULL;
}

int capacity_apply(struct vfiotrace_bpf *s, const struct options *o, bool emit_events,
		   bool on_use)
{
	struct capacity_row rows[CAPACITY_ROWS];
	int i, n = capacity_rows(s, o, emit_events, rows, CAPACITY_ROWS);
	const char *unsized = n < 0 ? NULL : capacity_unsized(s->obj, rows, n);

	if (n < 0 || unsized) {
		err("internal error: %s has no capacity row (user/loader/capacity.c)",
		    unsized ? unsized : "a map");
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct bpf_map *m = rows[i].map;

		if (bpf_map__set_max_entries(m, rows[i].entries))
			return -1;
		if (on_use && bpf_map__type(m) == BPF_MAP_TYPE_HASH &&
		    bpf_map__set_map_flags(m, bpf_map__map_flags(m) | BPF_F_NO_PREALLOC))
			return -1;
	}
	dbg("tables for %u groups, %u calls in flight; hash maps %s", o->max_groups, o->max_inflight,
	    on_use ? "allocated on use" : "preallocated");
	return 0;
}
