// SPDX-License-Identifier: GPL-2.0
/* hist: log2 latency histograms of attaches, domain allocations and the features', per group. */
#include "histogram.h"
#include "json.h"
#include "sections.h"
#include "stat.h"

static void text_hist(FILE *f, int group, const char *name, const unsigned long long *h)
{
	if (!hist_total(h))
		return;
	if (group == NO_GROUP)
		fprintf(f, "\n%s latency, outside VFIO attaches:\n", name);
	else
		fprintf(f, "\n%s latency, group %d:\n", name, group);
	hist_print_log2(f, h, "nsecs");
}

static void json_hist(struct json *j, const char *name, const unsigned long long *h)
{
	unsigned long long b[HIST_MAX_LOG2 + 1];
	int n;

	hist_to_log2(h, b, HIST_MAX_LOG2 + 1);
	json_obj_begin(j, name);
	json_latency(j, "latency_ns", h);
	json_arr_begin(j, "log2_buckets");
	for (n = 0; n <= HIST_MAX_LOG2; n++) {
		if (!b[n])
			continue;
		json_obj_begin(j, NULL);
		json_uint(j, "low", n ? 1ULL << n : 0);
		json_uint(j, "high", (1ULL << (n + 1)) - 1);
		json_uint(j, "count", b[n]);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

/* One histogram of a group, in text or in j; none where h is NULL. */
static void one(FILE *f, struct json *j, int group, const char *name, const unsigned long long *h)
{
	if (!h)
		return;
	if (j)
		json_hist(j, name, h);
	else
		text_hist(f, group, name, h);
}

static void group_hists(FILE *f, struct json *j, const struct snapshot *s, const struct group_row *g)
{
	const struct feature *ft;
	int i;

	one(f, j, g->group, "attach", g->st.attach_hist);
	one(f, j, g->group, "domain_alloc", g->st.alloc_hist);
	for (i = 0; (ft = feature_next(s, &i));)
		if (ft->hist.slots)
			one(f, j, g->group, ft->hist.name, ft->hist.slots(s, g->group));
}

void render_hist(FILE *f, const struct snapshot *s, bool json)
{
	struct json j;
	int i;

	if (json) {
		json_line_begin(&j, f, "hist");
		json_arr_begin(&j, "groups");
	}
	for (i = 0; i < s->ngroups; i++) {
		if (json) {
			json_obj_begin(&j, NULL);
			json_int(&j, "group", s->groups[i].group);
		}
		group_hists(f, json ? &j : NULL, s, &s->groups[i]);
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
