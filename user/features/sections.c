// SPDX-License-Identifier: GPL-2.0
/* The one table of features: adding one is its file and its row here. */
#include "sections.h"

static const struct feature *const table[] = {
	&attach_feature, &diag_feature, &refs_feature, &dma_feature, &resets_feature, &faults_feature,
};

const struct feature *feature_all(int *i)
{
	return *i < (int)(sizeof(table) / sizeof(table[0])) ? table[(*i)++] : NULL;
}

const struct feature *feature_next(const struct snapshot *s, int *i)
{
	const struct feature *ft;

	while ((ft = feature_all(i)))
		if (!ft->enabled || ft->enabled(s))
			return ft;
	return NULL;
}

void features_start(void)
{
	const struct feature *ft;
	int i;

	for (i = 0; (ft = feature_all(&i));)
		if (ft->start)
			ft->start();
}

void render_prom(FILE *f, const struct metrics *m)
{
	const struct feature *ft;
	int i;

	for (i = 0; (ft = feature_next(m->s, &i));)
		if (ft->prom)
			ft->prom(f, m);
	prom_self(f, m, m->s->drops, m->s->map_full, m->s->probes_missed, m->s->vm_unread, m->s->vm_evicted);
}
