/* SPDX-License-Identifier: GPL-2.0 */
/* What the fuzz targets share: reading typed pieces off the input, failing loudly. */
#ifndef VFIOTRACE_FUZZ_H
#define VFIOTRACE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_FAIL(...) do { fprintf(stderr, "fuzz check failed: " __VA_ARGS__); \
			    fputc('\n', stderr); abort(); } while (0)

struct input {
	const uint8_t *p;
	size_t n;
};

static inline unsigned int take_byte(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline unsigned long long take_u64(struct input *in)
{
	unsigned long long v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | take_byte(in);
	return v;
}

/* A C string of up to max - 1 bytes: a length byte, then the bytes up to a NUL. */
static inline char *take_str(struct input *in, char *out, size_t max)
{
	size_t len = take_byte(in), i, o = 0;

	for (i = 0; i < len && in->n; i++) {
		unsigned int c = take_byte(in);

		if (c && o + 1 < max)
			out[o++] = (char)c;
	}
	out[o] = 0;
	return out;
}

#endif
