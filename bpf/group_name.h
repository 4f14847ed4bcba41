/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The group id in the name of a /dev/vfio file: "N" or "noiommu-N". Shared by
 * the BPF side (bpf/diag.bpf.c) and the unit tests; no helpers, no libc.
 */
#ifndef VFIOTRACE_GROUP_NAME_H
#define VFIOTRACE_GROUP_NAME_H

#define GROUP_NAME_MAX 16	/* bytes of the name read, its NUL included */

#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "+r"(var))
#endif

/*
 * buf: the name's first len bytes, its NUL last (len <= GROUP_NAME_MAX; a
 * longer name is cut). The digits after any non-digits, read as a number;
 * -1 when there are none, or a non-digit follows them.
 *
 * Without a branch per character: the BPF verifier would follow both ways of
 * each (1,400 instructions processed, against 100 or so).
 */
static __always_inline int group_of_name(const unsigned char buf[GROUP_NAME_MAX], long len)
{
	unsigned long long started = 0, bad = 0, id = 0;
	int i;

	barrier_var(len);	/* its range hidden: clang would test it against each i with a branch */
#ifdef __clang__
#pragma nounroll	/* 16 passes of the verifier over the body cost less than 16 bodies to load */
#endif
	for (i = 0; i < GROUP_NAME_MAX; i++) {
		unsigned long long d = (unsigned long long)buf[i] - '0';
		unsigned long long digit = ((d - 10) & ~d) >> 63;			/* '0' <= c <= '9' */
		unsigned long long live = ((unsigned long long)i - (unsigned long long)(len - 1)) >> 63;	/* before the NUL */
		unsigned long long here = live & digit;

		bad |= live & (digit ^ 1) & started;					/* "12x" */
		id = id * (1 + 9 * here) + here * d;
		started |= here;
	}
	return started && !bad ? (int)id : -1;
}

#endif
