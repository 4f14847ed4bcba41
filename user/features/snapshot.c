// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "snapshot.h"
#include "grow.h"

struct group_row *snapshot_group(struct snapshot *s, int group)
{
	struct group_row *g;
	int i;

	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i].group == group)
			return &s->groups[i];
	if (!grow_for(&s->groups, s->ngroups, sizeof(*g)))
		return NULL;
	g = &s->groups[s->ngroups++];
	memset(g, 0, sizeof(*g));
	g->group = group;
	return g;
}

static int by_group(const void *a, const void *b)
{
	const struct group_row *x = a, *y = b;

	return x->group - y->group;
}

void snapshot_sort(struct snapshot *s)
{
	if (s->ngroups)
		qsort(s->groups, s->ngroups, sizeof(*s->groups), by_group);
}

const char *group_backend(const struct group_row *g)
{
	static const char *const names[] = { NULL, "type1", "iommufd", "type1+iommufd" };

	bool type1 = g->st.attach_ok + g->st.attach_fail > g->st.iommufd_attaches;

	return names[(type1 ? BACKEND_TYPE1 : 0) | (g->st.iommufd_attaches ? BACKEND_IOMMUFD : 0)];
}

int group_buses(const struct group_row *g, const char *out[], int max)
{
	const char *cand[GROUP_MAX_DEVS + 1];
	int n = 0, nc = 0, i, k;

	if (!g->has_mem)
		return 0;
	for (i = 0; i < (int)g->mem.ndevs && i < GROUP_MAX_DEVS; i++)
		cand[nc++] = g->mem.buses[i];
	cand[nc++] = g->mem.alloc_bus;
	for (i = 0; i < nc; i++) {
		if (!cand[i][0])
			continue;
		for (k = 0; k < n && strcmp(out[k], cand[i]); k++)
			;
		if (k == n && n < max)
			out[n++] = cand[i];
	}
	return n;
}

void snapshot_free(struct snapshot *s)
{
	free(s->groups);
	free(s->refs);
	free(s->devs);
	dma_free(&s->dma);
	resets_free(&s->resets);
	faults_free(&s->faults);
	memset(s, 0, sizeof(*s));
}
