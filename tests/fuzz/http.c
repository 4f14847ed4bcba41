// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's request parser (user/output/http.c): the input arrives in chunks as
 * conn_read would read it into its HTTP_MAX_REQ buffer; http_head_state decides
 * when to answer and http_route what. Only a well-formed GET of /metrics gets
 * the metrics.
 */
#include <ctype.h>
#include <stdbool.h>
#include "fuzz.h"
#include "http.h"

/*
 * The request line asks for the metrics: GET, then /metrics or /metrics?...,
 * then HTTP/1.x; blank lines before it are allowed (RFC 9112 2.2).
 */
static bool metrics_request(const char *r)
{
	r += strspn(r, " \t\r\n\v\f");
	if (strncmp(r, "GET", 3) || !isspace((unsigned char)r[3]))
		return false;
	r += 3 + strspn(r + 3, " \t\r\n\v\f");
	if (strncmp(r, "/metrics", 8) || !(isspace((unsigned char)r[8]) || r[8] == '?'))
		return false;
	return strstr(r, "HTTP/1.") != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char req[HTTP_MAX_REQ];
	struct input in = { data, size };
	size_t got = 0;
	enum http_head st = HTTP_HEAD_INCOMPLETE;

	while (in.n && st == HTTP_HEAD_INCOMPLETE) {
		size_t n = take_byte(&in) * 16 + 1;

		if (n > in.n)
			n = in.n;
		if (n > HTTP_MAX_REQ - 1 - got)
			n = HTTP_MAX_REQ - 1 - got;
		memcpy(req + got, in.p, n);
		in.p += n;
		in.n -= n;
		got += n;
		req[got] = 0;
		st = http_head_state(req, got);
	}
	if (st == HTTP_HEAD_INCOMPLETE && got >= HTTP_MAX_REQ - 1)
		FUZZ_FAIL("a full buffer still waits for more");
	if (st == HTTP_HEAD_COMPLETE && http_route(req) == HTTP_METRICS && !metrics_request(req))
		FUZZ_FAIL("metrics served for: %.80s", req);
	return 0;
}
