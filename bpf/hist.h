/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log-linear latency histogram shared by the BPF side (which fills it) and the
 * loader (which draws log2 bars and computes percentiles from it).
 *
 * Each power of two is split into HIST_SUB sub-buckets, so a percentile is
 * known to within 1/HIST_SUB of its power of two instead of a factor of two as
 * with a plain log2 histogram. Values 0..HIST_SUB-1 get exact slots.
 * No helpers, no libc: this compiles for -target bpf and for the host.
 */
#ifndef VFIOTRACE_HIST_H
#define VFIOTRACE_HIST_H

#ifndef __always_inline		/* bpf_helpers.h and glibc's sys/cdefs.h have it */
#define __always_inline inline __attribute__((always_inline))
#endif

#define HIST_SUB_BITS 2
#define HIST_SUB (1 << HIST_SUB_BITS)
#define HIST_MAX_LOG2 40 /* 2^40 ns ~ 18 minutes; larger values share the top slot */
#define HIST_SLOTS (HIST_SUB * (HIST_MAX_LOG2 - HIST_SUB_BITS + 2))

/*
 * Without a branch: the verifier follows both ways of every comparison, and a
 * slot that indexes the histogram keeps those ways apart to the program's end
 * (each comparison doubled what it verified after it). The top bit is smeared
 * down and the ones counted; 0 gives 0.
 */
static __always_inline unsigned int hist_log2(unsigned long long v)
{
	v |= 1;
	v |= v >> 1;
	v |= v >> 2;
	v |= v >> 4;
	v |= v >> 8;
	v |= v >> 16;
	v |= v >> 32;
	v -= (v >> 1) & 0x5555555555555555ULL;
	v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
	v = (v + (v >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
	return (unsigned int)((v * 0x0101010101010101ULL) >> 56) - 1;
}

static __always_inline unsigned int hist_slot(unsigned long long v)
{
	unsigned int msb, slot;

	if (v < HIST_SUB)
		return (unsigned int)v;
	msb = hist_log2(v);
	slot = HIST_SUB * (msb - HIST_SUB_BITS + 1) +
	       (unsigned int)((v >> (msb - HIST_SUB_BITS)) & (HIST_SUB - 1));
	return slot < HIST_SLOTS ? slot : HIST_SLOTS - 1;
}

/* Smallest value that falls into slot. */
static __always_inline unsigned long long hist_slot_low(unsigned int slot)
{
	unsigned int msb, sub;

	if (slot < HIST_SUB)
		return slot;
	msb = slot / HIST_SUB + HIST_SUB_BITS - 1;
	sub = slot % HIST_SUB;
	return (unsigned long long)(HIST_SUB + sub) << (msb - HIST_SUB_BITS);
}

#endif
