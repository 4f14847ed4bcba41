/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The group id in the name of a /dev/vfio file: "N" or "noiommu-N". Shared by
 * the BPF side (bpf/diag.bpf.c) and the unit tests; no helpers, no libc.
 */
#ifndef VFIOTRACE_GROUP_NAME_H
#define VFIOTRACE_GROUP_NAME_H

#define GROUP_NAME_MAX 16	/* bytes of the name read, its NUL included */

/*
 * buf: the name's first len bytes, its NUL last (len <= GROUP_NAME_MAX; a
 * longer name is cut). The digits after any non-digits, read as a number
 * (wrapping at 32 bits); -1 when there are none, or a non-digit follows them.
 *
 * Out at the NUL: the branch-free form this had always ran 16 passes, some 550
 * instructions at every group open, release and ioctl (docs/benchmarks.md run
 * 27). Its one BPF caller is a global function, which the verifier checks once.
 */
static __always_inline int group_of_name(const unsigned char buf[GROUP_NAME_MAX], long len)
{
	unsigned int id = 0, digits = 0;
	int i;

	for (i = 0; i < GROUP_NAME_MAX - 1 && i < len - 1; i++) {
		unsigned int d = (unsigned int)buf[i] - '0';

		if (d < 10) {
			id = id * 10 + d;
			digits = 1;
		} else if (digits) {
			return -1;	/* "12x" */
		}
	}
	return digits ? (int)id : -1;
}

#endif
