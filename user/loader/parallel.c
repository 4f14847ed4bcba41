// SPDX-License-Identifier: GPL-2.0
#include <pthread.h>
#include "parallel.h"
#include "thread.h"

#define MAX_THREADS 128

struct pool {
	void (*job)(void *ctx, int i);
	void *ctx;
	int n;
	int next;		/* the next job to take (atomic) */
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	int i;

	while ((i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED)) < p->n)
		p->job(p->ctx, i);
	return NULL;
}

void parallel_for(int n, int threads, void (*job)(void *ctx, int i), void *ctx)
{
	struct pool p = { .job = job, .ctx = ctx, .n = n };
	pthread_t th[MAX_THREADS];
	int k, started = 0;

	if (threads > n)
		threads = n;
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	/* this thread works too: threads - 1 more */
	for (k = 1; k < threads && !thread_start(&th[started], worker, &p); k++)
		started++;
	worker(&p);
	for (k = 0; k < started; k++)
		pthread_join(th[k], NULL);
}
