/* SPDX-License-Identifier: GPL-2.0 */
/* Jobs 0..n-1 run on up to `threads` threads (thread.h's small stacks); inline where a thread cannot start. */
#ifndef VFIOTRACE_PARALLEL_H
#define VFIOTRACE_PARALLEL_H

void parallel_for(int n, int threads, void (*job)(void *ctx, int i), void *ctx);

#endif
