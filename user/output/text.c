// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "text.h"

int text_utf8_len(const unsigned char *p)
{
	unsigned int cp;
	int n, i;

	if (*p < 0x80)
		return 1;
	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2, cp = *p & 0x1f;
	else if ((*p & 0xf0) == 0xe0)
		n = 3, cp = *p & 0x0f;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 4, cp = *p & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the terminating NUL */
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

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
