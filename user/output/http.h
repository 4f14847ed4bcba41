/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal GET-only HTTP/1.x server for the exporter, driven from the poll
 * loop with non-blocking sockets, so a scrape never stalls tracing. Debian's
 * libmicrohttpd does not link into the static binary (it needs gnutls, and
 * gnutls needs p11-kit, which has no static archive). Bounded: HTTP_MAX_REQ
 * bytes of request head, HTTP_MAX_CONNS connections (a new one evicts the
 * oldest still sending its request), HTTP_TIMEOUT_S seconds per connection
 * from accept to the last byte sent.
 */
#ifndef VFIOTRACE_HTTP_H
#define VFIOTRACE_HTTP_H

#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>

#define HTTP_MAX_REQ 8192
#define HTTP_MAX_CONNS 16
#define HTTP_TIMEOUT_S 10
#define HTTP_MAX_FDS (HTTP_MAX_CONNS + 1)

/* Writes the body of GET /metrics; returns 0, or -1 (the scrape gets a 500). */
typedef int (*http_render)(void *ctx, FILE *f);

struct http_conn;

struct http_server {
	int fd;
	struct http_conn *conns;
	http_render render;
	void *ctx;
	unsigned long long served, refused;
};

/*
 * "[ADDR]:PORT": ADDR an IPv4 or bracketed IPv6 literal, 127.0.0.1 when empty.
 * 0, or -1 with a one-line reason in err.
 */
int http_parse_addr(const char *spec, struct sockaddr_storage *sa, socklen_t *len,
		    char *err, int errlen);
/* What a complete, NUL-terminated request head asks for. */
enum http_route { HTTP_METRICS, HTTP_BAD_REQUEST, HTTP_BAD_METHOD, HTTP_NOT_FOUND };
enum http_route http_route(const char *req);
/* The first got bytes of a request head, NUL-terminated at req[got]: answer it yet? */
enum http_head { HTTP_HEAD_INCOMPLETE, HTTP_HEAD_COMPLETE, HTTP_HEAD_BAD, HTTP_HEAD_TOO_LARGE };
enum http_head http_head_state(const char *req, size_t got);
/* Binds and listens. 0, or -1 with a one-line reason in err. */
int http_start(struct http_server *h, const char *spec, http_render render, void *ctx,
	       char *err, int errlen);
/* The fds to poll and their events; returns how many were filled (at most max). */
int http_pollfds(const struct http_server *h, struct pollfd *fds, int max);
/* Accepts, reads, answers and expires connections; never blocks. */
void http_service(struct http_server *h);
void http_stop(struct http_server *h);

#endif
