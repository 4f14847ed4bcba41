/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VFIOTRACE_GROW_H
#define VFIOTRACE_GROW_H

#include <stdbool.h>
#include <stdlib.h>

/*
 * Room in *arr (n elements of unit bytes, appended only through here) for
 * element n. The capacity doubles at each power of two from 4, so a snapshot
 * of G groups copies O(G) bytes, where a realloc per element copied O(G^2)
 * at every interval and scrape. false: out of memory, *arr intact.
 */
static inline bool grow_for(void *arr, int n, size_t unit)
{
	void **a = arr, *p;

	if (n && (n < 4 || (n & (n - 1))))
		return true;
	if (!(p = realloc(*a, (n ? 2 * (size_t)n : 4) * unit)))
		return false;
	*a = p;
	return true;
}

#endif
