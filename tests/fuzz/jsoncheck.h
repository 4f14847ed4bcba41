/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A strict JSON validator (RFC 8259, UTF-8 text) for the fuzz targets: it
 * parses one value and hands every string it decodes, as code points, and
 * every number, as text, to the caller's callbacks. Returns the end of the
 * value, or NULL on the first violation.
 */
#ifndef VFIOTRACE_JSONCHECK_H
#define VFIOTRACE_JSONCHECK_H

#include <stddef.h>
#include <string.h>

struct jc {
	void (*on_string)(void *ctx, const unsigned int *cp, size_t n);
	void (*on_number)(void *ctx, const char *s, size_t n);
	void *ctx;
	unsigned int *buf;		/* decoded code points of the current string */
	size_t cap;
	int depth;
};

/* The code point of the UTF-8 sequence at p..end; *len its length, 0 if invalid. */
static inline unsigned int jc_utf8(const unsigned char *p, const unsigned char *end, int *len)
{
	unsigned int cp;
	int n, i;

	*len = 0;
	if (*p < 0x80)
		return *len = 1, *p;
	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2, cp = *p & 0x1f;
	else if ((*p & 0xf0) == 0xe0)
		n = 3, cp = *p & 0x0f;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 4, cp = *p & 0x07;
	else
		return 0;
	if (end - p < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*len = n;
	return cp;
}

static int jc_hex4(const unsigned char *p, const unsigned char *end, unsigned int *v)
{
	int i;

	if (end - p < 4)
		return -1;
	*v = 0;
	for (i = 0; i < 4; i++) {
		unsigned char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return -1;
	}
	return 0;
}

static const unsigned char *jc_string(struct jc *j, const unsigned char *p, const unsigned char *end)
{
	size_t n = 0;

	if (p >= end || *p++ != '"')
		return NULL;
	for (;;) {
		unsigned int cp;
		int len;

		if (p >= end)
			return NULL;
		if (*p == '"')
			break;
		if (*p < 0x20)
			return NULL;
		if (*p == '\\') {
			if (++p >= end)
				return NULL;
			switch (*p++) {
			case '"': cp = '"'; break;
			case '\\': cp = '\\'; break;
			case '/': cp = '/'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				if (jc_hex4(p, end, &cp))
					return NULL;
				p += 4;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return NULL;	/* lone low surrogate */
				if (cp >= 0xd800 && cp <= 0xdbff) {
					unsigned int lo;

					if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
					    jc_hex4(p + 2, end, &lo) || lo < 0xdc00 || lo > 0xdfff)
						return NULL;
					p += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				break;
			default:
				return NULL;
			}
		} else {
			cp = jc_utf8(p, end, &len);
			if (!len)
				return NULL;
			p += len;
		}
		if (n < j->cap)
			j->buf[n] = cp;
		n++;
	}
	if (j->on_string)
		j->on_string(j->ctx, j->buf, n < j->cap ? n : j->cap);
	return p + 1;
}

static const unsigned char *jc_digits(const unsigned char *p, const unsigned char *end)
{
	const unsigned char *s = p;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p > s ? p : NULL;
}

static const unsigned char *jc_number(struct jc *j, const unsigned char *p, const unsigned char *end)
{
	const unsigned char *s = p;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (!(p = jc_digits(p, end)))
		return NULL;
	if (p < end && *p == '.' && !(p = jc_digits(p + 1, end)))
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!(p = jc_digits(p, end)))
			return NULL;
	}
	if (j->on_number)
		j->on_number(j->ctx, (const char *)s, p - s);
	return p;
}

static const unsigned char *jc_value(struct jc *j, const unsigned char *p, const unsigned char *end);

static const unsigned char *jc_members(struct jc *j, const unsigned char *p, const unsigned char *end,
				       char close, int keyed)
{
	if (++j->depth > 64)
		return NULL;
	if (p < end && *p == close) {
		j->depth--;
		return p + 1;
	}
	for (;;) {
		if (keyed) {
			if (!(p = jc_string(j, p, end)) || p >= end || *p++ != ':')
				return NULL;
		}
		if (!(p = jc_value(j, p, end)) || p >= end)
			return NULL;
		if (*p == close) {
			j->depth--;
			return p + 1;
		}
		if (*p++ != ',')
			return NULL;
	}
}

static const unsigned char *jc_value(struct jc *j, const unsigned char *p, const unsigned char *end)
{
	if (p >= end)
		return NULL;
	switch (*p) {
	case '{': return jc_members(j, p + 1, end, '}', 1);
	case '[': return jc_members(j, p + 1, end, ']', 0);
	case '"': return jc_string(j, p, end);
	case 't': return end - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
	case 'f': return end - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
	case 'n': return end - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
	default: return jc_number(j, p, end);
	}
}

#endif
