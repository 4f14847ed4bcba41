// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON writer (user/output/json.c): a line built from the input's keys,
 * strings and numbers must be one line of valid JSON in which every string
 * and number reads back as written. A byte outside valid UTF-8 reads back as
 * the code point of its value (json_escape writes it as \u00XX).
 */
#include "fuzz.h"
#include "json.h"
#include "jsoncheck.h"

#define MAX_ITEMS 512
#define STR_MAX 256

struct expect {
	int n, next;
	struct { int is_num; char s[STR_MAX]; } item[MAX_ITEMS];
};

static void want_str(struct expect *e, const char *s)
{
	if (e->n < MAX_ITEMS) {
		e->item[e->n].is_num = 0;
		snprintf(e->item[e->n++].s, STR_MAX, "%s", s);
	}
}

static void want_num(struct expect *e, const char *s)
{
	if (e->n < MAX_ITEMS) {
		e->item[e->n].is_num = 1;
		snprintf(e->item[e->n++].s, STR_MAX, "%s", s);
	}
}

static void on_string(void *ctx, const unsigned int *cp, size_t n)
{
	struct expect *e = ctx;
	const unsigned char *p, *end;
	size_t k = 0;

	if (e->next >= e->n || e->item[e->next].is_num)
		FUZZ_FAIL("string #%d not written", e->next);
	p = (const unsigned char *)e->item[e->next].s;
	end = p + strlen((const char *)p);
	while (p < end) {
		int len;
		unsigned int want = jc_utf8(p, end, &len);

		if (!len)
			want = *p, len = 1;
		if (k >= n || cp[k] != want)
			FUZZ_FAIL("string #%d differs at code point %zu", e->next, k);
		p += len;
		k++;
	}
	if (k != n)
		FUZZ_FAIL("string #%d longer than written", e->next);
	e->next++;
}

static void on_number(void *ctx, const char *s, size_t n)
{
	struct expect *e = ctx;

	if (e->next >= e->n || !e->item[e->next].is_num || strlen(e->item[e->next].s) != n ||
	    memcmp(s, e->item[e->next].s, n))
		FUZZ_FAIL("number #%d is %.*s", e->next, (int)n, s);
	e->next++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct expect e;
	static unsigned int cpbuf[STR_MAX * 2];
	struct input in = { data, size };
	struct jc jc = { on_string, on_number, &e, cpbuf, sizeof(cpbuf) / sizeof(cpbuf[0]), 0 };
	char key[STR_MAX], val[STR_MAX], num[32];
	char kinds[JSON_MAX_DEPTH];	/* o: object, a: array */
	int depth = 0, ops = 0;
	char *out = NULL;
	size_t len = 0;
	struct json j;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return 0;
	e.n = e.next = 0;
	json_line_begin(&j, f, take_str(&in, val, sizeof(val)));
	want_str(&e, "type");
	want_str(&e, val);
	kinds[depth++] = 'o';
	while (in.n && ops++ < 200) {
		unsigned int op = take_byte(&in) % 7;
		const char *k = NULL;

		if (op == 2) {
			if (depth > 1) {
				if (kinds[--depth] == 'o')
					json_obj_end(&j);
				else
					json_arr_end(&j);
			}
			continue;
		}
		if (kinds[depth - 1] == 'o') {
			k = take_str(&in, key, sizeof(key));
			want_str(&e, k);
		}
		switch (op) {
		case 0:
		case 1:
			/* the writer nests at most JSON_MAX_DEPTH - 1 levels */
			if (depth >= JSON_MAX_DEPTH - 2) {
				json_null(&j, k);
				break;
			}
			kinds[depth++] = op ? 'a' : 'o';
			if (op)
				json_arr_begin(&j, k);
			else
				json_obj_begin(&j, k);
			break;
		case 3:
			json_str(&j, k, take_str(&in, val, sizeof(val)));
			want_str(&e, val);
			break;
		case 4: {
			long long v = (long long)take_u64(&in);

			json_int(&j, k, v);
			snprintf(num, sizeof(num), "%lld", v);
			want_num(&e, num);
			break;
		}
		case 5: {
			unsigned long long v = take_u64(&in);

			json_uint(&j, k, v);
			snprintf(num, sizeof(num), "%llu", v);
			want_num(&e, num);
			break;
		}
		case 6:
			if (take_byte(&in) & 1)
				json_bool(&j, k, take_byte(&in) & 1);
			else
				json_null(&j, k);
			break;
		}
	}
	while (depth > 0) {
		if (kinds[--depth] == 'o')
			json_obj_end(&j);
		else
			json_arr_end(&j);
	}
	if (fclose(f))
		FUZZ_FAIL("cannot write the memory stream");
	if (!len || out[len - 1] != '\n' || memchr(out, '\n', len - 1))
		FUZZ_FAIL("not exactly one line: %.*s", (int)len, out);
	if (jc_value(&jc, (const unsigned char *)out, (const unsigned char *)out + len - 1) !=
	    (const unsigned char *)out + len - 1)
		FUZZ_FAIL("invalid JSON: %.*s", (int)len, out);
	if (e.next != e.n)
		FUZZ_FAIL("%d of %d strings and numbers read back", e.next, e.n);
	free(out);
	return 0;
}
