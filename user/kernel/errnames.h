/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VFIOTRACE_ERRNAMES_H
#define VFIOTRACE_ERRNAMES_H

/* "EPERM" for 1; "E<n>" (in a static buffer) for numbers not in the table. */
const char *errno_name(int err);
#endif
