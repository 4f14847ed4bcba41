// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
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

void text_vappend(char *buf, size_t len, const char *fmt, va_list ap)
{
	size_t n = strlen(buf);
	int w = vsnprintf(buf + n, len - n, fmt, ap);

	if (w >= 0 && (size_t)w >= len - n && len >= 4)
		memcpy(buf + len - 4, "...", 4);
}

void text_append(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_vappend(buf, len, fmt, ap);
	va_end(ap);
}
