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

static __always_inline unsigned int hist_log2(unsigned long long v)
{
	unsigned int r = 0, s;

	s = (v > 0xFFFFFFFFULL) << 5; v >>= s; r |= s;
	s = (v > 0xFFFF) << 4; v >>= s; r |= s;
	s = (v > 0xFF) << 3; v >>= s; r |= s;
	s = (v > 0xF) << 2; v >>= s; r |= s;
	s = (v > 0x3) << 1; v >>= s; r |= s;
	r |= (v >> 1);
	return r;
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
