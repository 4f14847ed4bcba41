// SPDX-License-Identifier: GPL-2.0
#include "histogram.h"
#include "json.h"
#include "text.h"

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
}

/*
 * Task names are bytes, JSON text is UTF-8: a byte outside any valid UTF-8
 * sequence is written as \u00XX (its value), so every line stays parseable.
 */
void json_escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			n = *p < 0x20 ? 0 : text_utf8_len(p);
			if (!n) {
				fprintf(f, "\\u%04x", *p);
			} else {
				fwrite(p, 1, n, f);
				p += n - 1;
			}
		}
	}
	fputc('"', f);
}

static void member(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (key) {
		json_escape(j->f, key);
		fputc(':', j->f);
	}
}

static void open_nested(struct json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void close_nested(struct json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0) {
		fputc('\n', j->f);
		fflush(j->f);
		j->first[0] = true;
	}
}

void json_obj_begin(struct json *j, const char *key) { open_nested(j, key, '{'); }
void json_obj_end(struct json *j) { close_nested(j, '}'); }
void json_arr_begin(struct json *j, const char *key) { open_nested(j, key, '['); }
void json_arr_end(struct json *j) { close_nested(j, ']'); }

void json_str(struct json *j, const char *key, const char *val)
{
	member(j, key);
	json_escape(j->f, val);
}

void json_int(struct json *j, const char *key, long long val)
{
	member(j, key);
	fprintf(j->f, "%lld", val);
}

void json_uint(struct json *j, const char *key, unsigned long long val)
{
	member(j, key);
	fprintf(j->f, "%llu", val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	member(j, key);
	fputs(val ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

void json_line_begin(struct json *j, FILE *f, const char *type)
{
	json_init(j, f);
	json_obj_begin(j, NULL);
	json_str(j, "type", type);
}

void json_latency(struct json *j, const char *key, const unsigned long long *h)
{
	json_obj_begin(j, key);
	json_uint(j, "count", hist_total(h));
	json_uint(j, "p50", hist_percentile(h, 50));
	json_uint(j, "p90", hist_percentile(h, 90));
	json_uint(j, "p99", hist_percentile(h, 99));
	json_obj_end(j);
}

