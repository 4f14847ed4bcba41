/* SPDX-License-Identifier: GPL-2.0 */
/* The one JSON writer all output goes through: one object per line. */
#ifndef VFIOTRACE_JSON_H
#define VFIOTRACE_JSON_H

#include <stdbool.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f);
void json_escape(FILE *f, const char *s);
/* key is NULL inside arrays and for the top-level object. */
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);	/* ends the line at depth 0 */
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_int(struct json *j, const char *key, long long val);
void json_uint(struct json *j, const char *key, unsigned long long val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/* Starts a top-level object {"type":TYPE,... on its own line. */
void json_line_begin(struct json *j, FILE *f, const char *type);
/* {"count","p50","p90","p99"} of a latency histogram (bpf/hist.h slots). */
void json_latency(struct json *j, const char *key, const unsigned long long *slots);

#endif
