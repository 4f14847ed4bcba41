// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kprobe_pmu.h"
#include "log.h"
#include "preopen.h"
#include "retprobe.h"
#include "thread.h"

/* A disabled kprobe (or kretprobe) on func, as libbpf makes one: its fd, or -1. */
static int kprobe_pmu_open(const char *func, bool ret)
{
	static int type = -2, bit = -2;		/* read once, by the one thread that opens */
	struct perf_event_attr a = { .size = sizeof(a), .disabled = 1 };

	if (type == -2) {
		type = kprobe_pmu_type();
		bit = kprobe_pmu_retprobe_bit();
	}
	if (type < 0 || (ret && (bit < 0 || bit > 63))) {
		errno = ENOENT;		/* no kprobe PMU: attaching says what libbpf finds */
		return -1;
	}
	a.type = type;
	a.config = ret ? 1ULL << bit : 0;
	a.config1 = (uint64_t)(uintptr_t)func;
	return (int)syscall(SYS_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
}

static void *open_all(void *arg)
{
	struct preopen *po = arg;
	int i, k;

	for (i = 0; i < NR_HOOKS; i++)
		for (k = 0; k < 2; k++) {
			int *fd = &po->fd[i][k], *slot = &po->slot[i][k];

			if (!po->func[i] || !po->have[i][k])
				continue;
			*fd = k ? retprobe_event_open(po->func[i], po->maxactive, slot) : -1;
			if (*fd < 0)
				*fd = kprobe_pmu_open(po->func[i], k);
			if (*fd < 0)
				dbg("%s on %s not opened ahead: %s", k ? "kretprobe" : "kprobe", po->func[i],
				    strerror(errno));
			po->have[i][k] = *fd >= 0;
		}
	return NULL;
}

void preopen_start(struct preopen *po, const struct resolved res[NR_HOOKS], int maxactive)
{
	const char *names[2];
	int i, k, n = 0;

	preopen_close(po);
	memset(po, 0, sizeof(*po));
	po->maxactive = maxactive;
	for (i = 0; i < NR_HOOKS; i++) {
		if (!res[i].func || res[i].waiting || res[i].style != STYLE_KPROBE)
			continue;
		target_programs(&targets[i], &res[i], names);
		po->func[i] = res[i].func;
		for (k = 0; k < 2; k++) {
			po->have[i][k] = names[k] != NULL;
			po->slot[i][k] = -1;
			n += names[k] != NULL;
		}
	}
	if (n && thread_start(&po->thread, open_all, po))
		memset(po->have, 0, sizeof(po->have));	/* no thread: attaching opens them */
	else
		po->running = n > 0;
}

static void wait_done(struct preopen *po)
{
	if (!po->running)
		return;
	pthread_join(po->thread, NULL);
	po->running = false;
}

int preopen_take(struct preopen *po, int i, int k, const char *func, int *slot)
{
	wait_done(po);
	*slot = -1;
	if (!po->have[i][k] || po->func[i] != func)
		return -1;
	po->have[i][k] = false;
	*slot = po->slot[i][k];
	return po->fd[i][k];
}

void preopen_close(struct preopen *po)
{
	int i, k;

	wait_done(po);
	for (i = 0; i < NR_HOOKS; i++)
		for (k = 0; k < 2; k++)
			if (po->have[i][k]) {
				retprobe_event_close(po->fd[i][k], po->slot[i][k]);
				po->have[i][k] = false;
			}
}
