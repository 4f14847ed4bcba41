/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VM identity of each process vfiotrace names, read from /proc once and
 * kept: a VM that exited is still named by the pid it had. Bounded; a pid
 * reused by a new process (another starttime) is read again.
 */
#ifndef VFIOTRACE_VMCACHE_H
#define VFIOTRACE_VMCACHE_H

#include "vmident.h"

#define VMCACHE_MAX 1024	/* processes kept; the least recently named goes first */

struct vmcache_counts {
	unsigned long long gone;	/* exited before their identity was read */
	unsigned long long evicted;	/* dropped for room: named again, read again (or gone) */
};

/*
 * The identity of pid (comm: what the event carried, kept if the process is
 * gone); NULL for pid 0. Valid until the next call.
 */
const struct vm_ident *vmcache_get(unsigned int pid, const char *comm);
struct vmcache_counts vmcache_counts(void);
/* Tests: where /proc is, how often a pid is checked for reuse; forgets every process and count. */
void vmcache_reset(const char *proc, unsigned long long recheck_ns);

#endif
