// SPDX-License-Identifier: GPL-2.0
/* hist: log2 latency histograms of attaches and domain allocations, per group. */
#include "histogram.h"
#include "dma.h"
#include "json.h"
#include "stat.h"

void render_hist(FILE *f, const struct snapshot *s, bool json)
{
	struct json j;
	int i;

	if (json) {
		json_line_begin(&j, f, "hist");
		json_arr_begin(&j, "groups");
	}
	for (i = 0; i < s->ngroups; i++) {
		const struct group_row *g = &s->groups[i];
		const unsigned long long *dma = s->dma_traced ? dma_map_hist(&s->dma, g->group) : NULL;
		const struct { const char *name; const unsigned long long *h; } hs[] = {
			{ "attach", g->st.attach_hist }, { "domain_alloc", g->st.alloc_hist },
			{ "dma_map", dma },	/* --dma only */
		};
		unsigned long long b[HIST_MAX_LOG2 + 1];
		int k, n;

		if (json) {
			json_obj_begin(&j, NULL);
			json_int(&j, "group", g->group);
		}
		for (k = 0; k < 3; k++) {
			if (!hs[k].h)
				continue;
			if (!json) {
				if (!hist_total(hs[k].h))
					continue;
				if (g->group == NO_GROUP)
					fprintf(f, "\n%s latency, outside VFIO attaches:\n", hs[k].name);
				else
					fprintf(f, "\n%s latency, group %d:\n", hs[k].name, g->group);
				hist_print_log2(f, hs[k].h, "nsecs");
				continue;
			}
			hist_to_log2(hs[k].h, b, HIST_MAX_LOG2 + 1);
			json_obj_begin(&j, hs[k].name);
			json_latency(&j, "latency_ns", hs[k].h);
			json_arr_begin(&j, "log2_buckets");
			for (n = 0; n <= HIST_MAX_LOG2; n++) {
				if (!b[n])
					continue;
				json_obj_begin(&j, NULL);
				json_uint(&j, "low", n ? 1ULL << n : 0);
				json_uint(&j, "high", (1ULL << (n + 1)) - 1);
				json_uint(&j, "count", b[n]);
				json_obj_end(&j);
			}
			json_arr_end(&j);
			json_obj_end(&j);
		}
		if (json)
			json_obj_end(&j);
	}
	if (json) {
		json_arr_end(&j);
		json_uint(&j, "drops", s->drops);
		json_obj_end(&j);
	} else if (!s->ngroups) {
		fprintf(f, "(no attaches or domain allocations seen)\n");
	}
	fflush(f);
}

