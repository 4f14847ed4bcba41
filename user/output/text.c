// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include "text.h"

const char *text_name(const char *name, char *buf, size_t len)
{
	size_t o = 0;

	for (; *name && o + 5 <= len; name++) {
		unsigned char c = (unsigned char)*name;

		if (c < 0x20 || c == 0x7f || c == '\\')
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (len)
		buf[o < len ? o : len - 1] = 0;
	return buf;
}
