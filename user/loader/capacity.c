// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include "capacity.h"
#include "log.h"
#include "vfiotrace.skel.h"

int capacity_apply(struct vfiotrace_bpf *s, const struct options *o, bool emit_events,
		   bool on_use)
{
	unsigned int g = o->max_groups, dma = o->dma ? g : 1, f = o->max_inflight;
	/* put stacks: -v, and fentry (no registers for the return address there) */
	unsigned int stacks = o->verbose || o->mode == MODE_FENTRY ? 1024 : 1;
	const struct {
		struct bpf_map *map;
		unsigned int entries;
	} sizes[] = {
		{ s->maps.group_stats, g }, { s->maps.group_members, g }, { s->maps.errors, 4 * g },
		{ s->maps.devices, g }, { s->maps.ref_sites, 4 * g }, { s->maps.holders, g },
		{ s->maps.group_culprit, g }, { s->maps.failures, 4 * g },
		{ s->maps.inflight_attach, f }, { s->maps.inflight_alloc, f },
		{ s->maps.inflight_get, f }, { s->maps.inflight_ioctl, f },
		{ s->maps.inflight_unreg, f }, { s->maps.diag_ops, 2 * f },
		{ s->maps.inflight_dma, o->dma ? f : 1 }, { s->maps.inflight_pin, o->dma ? f : 1 },
		{ s->maps.dma_containers, dma }, { s->maps.dma_clients, dma }, { s->maps.dma_failures, dma },
		{ s->maps.group_containers, dma }, { s->maps.container_gens, dma },
		{ s->maps.stacks, stacks }, { s->maps.fail_stacks, o->verbose ? 1024 : 1 },
		/* stat and hist emit no events: one page, the least a ring buffer can be */
		{ s->maps.events, !emit_events ? 4096 : o->ringbuf ? o->ringbuf : 256 * 1024 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct bpf_map *m = sizes[i].map;

		if (bpf_map__set_max_entries(m, sizes[i].entries))
			return -1;
		if (on_use && bpf_map__type(m) == BPF_MAP_TYPE_HASH &&
		    bpf_map__set_map_flags(m, bpf_map__map_flags(m) | BPF_F_NO_PREALLOC))
			return -1;
	}
	dbg("tables for %u groups, %u calls in flight; hash maps %s", g, f,
	    on_use ? "allocated on use" : "preallocated");
	return 0;
}
