/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VFIOTRACE_LOG_H
#define VFIOTRACE_LOG_H

#include <stdio.h>

extern int verbose;

/* Errors are one line: what is wrong, then what to do. */
#define err(fmt, ...) fprintf(stderr, "vfiotrace: " fmt "\n", ##__VA_ARGS__)
#define info(fmt, ...) fprintf(stderr, fmt "\n", ##__VA_ARGS__)
#define dbg(fmt, ...) do { if (verbose) fprintf(stderr, "vfiotrace: " fmt "\n", ##__VA_ARGS__); } while (0)

/* A message that quotes user input stays one line: control bytes become '?'. */
static inline char *one_line(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

#endif
