/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The perf events of the kprobe rows, opened in a thread while the object
 * loads. Opening a kprobe's perf event is what arms it (register_kprobe and
 * an ftrace update per probe: run 12's `attach`, 0.175 s for 21 module
 * probes on 6.12 under TCG, as long as the whole load); it needs no program.
 * The events open disabled; attaching gives each its program and enables it.
 * A return program may so be attached before its entry program, up to a load
 * earlier than before (rows were attached entry first): every return
 * program finds its entry's record by thread and returns without one.
 */
#ifndef VFIOTRACE_PREOPEN_H
#define VFIOTRACE_PREOPEN_H

#include <pthread.h>
#include <stdbool.h>
#include "targets.h"

struct preopen {
	pthread_t thread;
	bool running;
	int maxactive;
	const char *func[NR_HOOKS];
	bool have[NR_HOOKS][2];		/* fd and slot hold an event not taken yet */
	int fd[NR_HOOKS][2];
	int slot[NR_HOOKS][2];		/* retprobe.h's tracefs event, -1: a kprobe PMU event */
};

/* Opens, in a thread, an event for each program of res's kprobe rows (return probes as retprobe.h makes them). */
void preopen_start(struct preopen *po, const struct resolved res[NR_HOOKS], int maxactive);
/*
 * Row i's event for its entry (k 0) or return (k 1) program on func (the table's
 * string), once the thread is done: its fd, now the caller's, and *slot; -1 if none opened.
 */
int preopen_take(struct preopen *po, int i, int k, const char *func, int *slot);
/* Waits for the thread and closes what was not taken. */
void preopen_close(struct preopen *po);

#endif
