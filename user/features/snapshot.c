// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "snapshot.h"

struct group_row *snapshot_group(struct snapshot *s, int group)
{
	struct group_row *g;
	int i;

	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i].group == group)
			return &s->groups[i];
	g = realloc(s->groups, (s->ngroups + 1) * sizeof(*g));
	if (!g)
		return NULL;
	s->groups = g;
	g = &s->groups[s->ngroups++];
	memset(g, 0, sizeof(*g));
	g->group = group;
	return g;
}

void snapshot_free(struct snapshot *s)
{
	free(s->groups);
	free(s->refs);
	free(s->devs);
	dma_free(&s->dma);
	memset(s, 0, sizeof(*s));
}
