/* SPDX-License-Identifier: GPL-2.0 */
/* Threads with small stacks. */
#ifndef VFIOTRACE_THREAD_H
#define VFIOTRACE_THREAD_H

#include <pthread.h>

/*
 * pthread_create with a 512 KiB stack: glibc's default is 8 MiB of address
 * space, a few pages of it ever touched, kept cached after the thread ends.
 * Where ASLR leaves a 2 MiB-aligned stretch of that mapping around the
 * touched pages, khugepaged (THP "always", Debian's default) makes them one
 * huge page at a later scan: VmRSS jumped by 2 MiB in the middle of the 6.1
 * soak, once, at a random time (reproduced: the 9 MiB anonymous mapping of
 * a start-up thread's stack, resident 12 KiB, then 2048 KiB). A mapping
 * below 2 MiB holds no such stretch. 0, or an error number.
 */
static inline int thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t a;
	int e;

	if (pthread_attr_init(&a))
		return pthread_create(t, NULL, fn, arg);
	pthread_attr_setstacksize(&a, 512 * 1024);
	e = pthread_create(t, &a, fn, arg);
	pthread_attr_destroy(&a);
	return e;
}

#endif
