/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel versions as one comparable number. */
#ifndef VFIOTRACE_KVERSION_H
#define VFIOTRACE_KVERSION_H

#define KV(maj, min) (((maj) << 8) | (min))

/* KV() of a release string such as "6.1.0-50-amd64"; 0 if unparsable. */
unsigned int kernel_version_code(const char *release);
/* KV() of the running kernel (uname), 0 if unknown. */
unsigned int running_kernel(void);

#endif
