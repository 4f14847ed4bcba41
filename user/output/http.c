// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE	/* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "http.h"

struct http_conn {
	int fd;				/* -1: free slot */
	time_t deadline;
	size_t got;
	char req[HTTP_MAX_REQ];
	char *out;			/* response being sent, NULL while reading */
	size_t outlen, sent;
};

int http_parse_addr(const char *spec, struct sockaddr_storage *sa, socklen_t *len,
		    char *err, int errlen)
{
	char host[64];
	const char *colon = strrchr(spec, ':'), *port;
	size_t hl;
	char *end;
	long p;

	memset(sa, 0, sizeof(*sa));
	if (!colon) {
		snprintf(err, errlen, "invalid --prometheus '%s': expected [ADDR]:PORT, e.g. :9400 or 0.0.0.0:9400", spec);
		return -1;
	}
	port = colon + 1;
	errno = 0;
	p = strtol(port, &end, 10);
	if (!(*port >= '0' && *port <= '9') || *end || errno || p < 1 || p > 65535) {
		snprintf(err, errlen, "invalid --prometheus '%s': port must be a number from 1 to 65535", spec);
		return -1;
	}
	hl = colon - spec;
	if (hl >= sizeof(host)) {
		snprintf(err, errlen, "invalid --prometheus '%s': address too long, give an IPv4 or "
			 "[bracketed] IPv6 address", spec);
		return -1;
	}
	memcpy(host, spec, hl);
	host[hl] = 0;
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

		host[hl - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			goto bad_addr;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)p);
		*len = sizeof(*s6);
		return 0;
	}
	{
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

		if (inet_pton(AF_INET, hl ? host : "127.0.0.1", &s4->sin_addr) != 1)
			goto bad_addr;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)p);
		*len = sizeof(*s4);
		return 0;
	}
bad_addr:
	snprintf(err, errlen, "invalid --prometheus '%s': '%.*s' is not an IPv4 address or a [bracketed] IPv6 "
		 "address (leave it empty for 127.0.0.1)", spec, (int)hl, spec);
	return -1;
}

int http_start(struct http_server *h, const char *spec, http_render render, void *ctx,
	       char *err, int errlen)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int one = 1, i;

	memset(h, 0, sizeof(*h));
	h->fd = -1;
	if (http_parse_addr(spec, &sa, &len, err, errlen))
		return -1;
	h->conns = calloc(HTTP_MAX_CONNS, sizeof(*h->conns));
	if (!h->conns) {
		snprintf(err, errlen, "--prometheus %s: out of memory", spec);
		return -1;
	}
	for (i = 0; i < HTTP_MAX_CONNS; i++)
		h->conns[i].fd = -1;
	h->render = render;
	h->ctx = ctx;
	h->fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0) {
		snprintf(err, errlen, "--prometheus %s: cannot create a socket: %s", spec, strerror(errno));
		return -1;
	}
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->fd, (struct sockaddr *)&sa, len) || listen(h->fd, HTTP_MAX_CONNS)) {
		snprintf(err, errlen, "--prometheus %s: cannot listen: %s%s", spec, strerror(errno),
			 errno == EADDRINUSE ? " (another exporter on this port? choose another PORT)" :
			 errno == EADDRNOTAVAIL ? " (no interface has this address)" : "");
		close(h->fd);
		h->fd = -1;
		return -1;
	}
	return 0;
}

static void conn_close(struct http_conn *c)
{
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->got = c->outlen = c->sent = 0;
}

int http_pollfds(const struct http_server *h, struct pollfd *fds, int max)
{
	int n = 0, i;

	if (h->fd < 0 || max < 1)
		return 0;
	fds[n++] = (struct pollfd){ .fd = h->fd, .events = POLLIN };
	for (i = 0; i < HTTP_MAX_CONNS && n < max; i++)
		if (h->conns[i].fd >= 0)
			fds[n++] = (struct pollfd){ .fd = h->conns[i].fd,
						    .events = h->conns[i].out ? POLLOUT : POLLIN };
	return n;
}

/* Room before a rendered body for its response head, so that the body is not copied behind it. */
#define HEAD_ROOM 256

static int head(char *dst, size_t len, const char *status, const char *type, size_t blen)
{
	return snprintf(dst, len, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			"Connection: close\r\n\r\n", status, type, blen);
}

/* out: HEAD_ROOM bytes, then the body (len in all, malloc'd): sent from its head, taken by c. */
static void respond_rendered(struct http_conn *c, const char *status, const char *type, char *out,
			     size_t len)
{
	char h[HEAD_ROOM];
	int n = head(h, sizeof(h), status, type, len - HEAD_ROOM);

	if (n < 0 || n >= HEAD_ROOM) {
		free(out);
		conn_close(c);
		return;
	}
	memcpy(out + HEAD_ROOM - n, h, n);
	c->out = out;
	c->outlen = len;
	c->sent = HEAD_ROOM - n;
}

static void respond(struct http_conn *c, const char *status, const char *type, const char *body,
		    size_t blen)
{
	char *out = malloc(HEAD_ROOM + blen);

	if (!out) {
		conn_close(c);
		return;
	}
	memcpy(out + HEAD_ROOM, body, blen);
	respond_rendered(c, status, type, out, HEAD_ROOM + blen);
}

static void respond_text(struct http_conn *c, const char *status, const char *msg)
{
	respond(c, status, "text/plain; charset=utf-8", msg, strlen(msg));
}

enum http_route http_route(const char *req)
{
	char method[8], path[256], version[16];

	if (sscanf(req, "%7s %255s %15s", method, path, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7))
		return HTTP_BAD_REQUEST;
	if (strcmp(method, "GET"))
		return HTTP_BAD_METHOD;
	if (strcmp(path, "/metrics") && strncmp(path, "/metrics?", 9))
		return HTTP_NOT_FOUND;
	return HTTP_METRICS;
}

enum http_head http_head_state(const char *req, size_t got)
{
	if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
		return HTTP_HEAD_COMPLETE;
	if (memchr(req, 0, got))
		return HTTP_HEAD_BAD;
	if (got >= HTTP_MAX_REQ - 1)
		return HTTP_HEAD_TOO_LARGE;
	return HTTP_HEAD_INCOMPLETE;
}

/* The request head is complete in c->req: answer it. */
static void handle(struct http_server *h, struct http_conn *c)
{
	char *body = NULL;
	size_t blen = 0;
	bool ok;
	FILE *f;

	c->req[c->got] = 0;
	switch (http_route(c->req)) {
	case HTTP_BAD_REQUEST:
		respond_text(c, "400 Bad Request", "bad request\n");
		return;
	case HTTP_BAD_METHOD:
		respond_text(c, "405 Method Not Allowed", "only GET is served\n");
		return;
	case HTTP_NOT_FOUND:
		respond_text(c, "404 Not Found", "not found: metrics are at /metrics\n");
		return;
	case HTTP_METRICS:
		break;
	}
	/* rendered behind room for the head: a scrape of 64 groups is 0.6 MB, held once */
	f = open_memstream(&body, &blen);
	ok = f && fprintf(f, "%*s", HEAD_ROOM, "") == HEAD_ROOM && !h->render(h->ctx, f);
	if (f && fclose(f))
		ok = false;
	if (!ok) {
		free(body);
		respond_text(c, "500 Internal Server Error", "cannot render the metrics\n");
		return;
	}
	respond_rendered(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body, blen);
	h->served++;
}

static void conn_read(struct http_server *h, struct http_conn *c)
{
	ssize_t n = read(c->fd, c->req + c->got, HTTP_MAX_REQ - 1 - c->got);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	if (n < 0)
		return;
	c->got += n;
	c->req[c->got] = 0;
	switch (http_head_state(c->req, c->got)) {
	case HTTP_HEAD_COMPLETE:
		handle(h, c);
		break;
	case HTTP_HEAD_BAD:
		respond_text(c, "400 Bad Request", "bad request\n");
		break;
	case HTTP_HEAD_TOO_LARGE:
		respond_text(c, "431 Request Header Fields Too Large", "request head too large\n");
		break;
	case HTTP_HEAD_INCOMPLETE:
		break;
	}
}

static void conn_write(struct http_conn *c)
{
	ssize_t n = send(c->fd, c->out + c->sent, c->outlen - c->sent, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->sent += n;
	if (c->sent == c->outlen) {
		shutdown(c->fd, SHUT_WR);
		conn_close(c);
	}
}

/*
 * Every slot taken: the connection that has been sending its request the
 * longest goes, so slow clients cannot lock a scraper out. -1: all are
 * being answered.
 */
static int evict_oldest_reader(struct http_server *h)
{
	int i, old = -1;

	for (i = 0; i < HTTP_MAX_CONNS; i++)
		if (!h->conns[i].out && (old < 0 || h->conns[i].deadline < h->conns[old].deadline))
			old = i;
	if (old >= 0) {
		conn_close(&h->conns[old]);
		h->refused++;
	}
	return old;
}

void http_service(struct http_server *h)
{
	time_t now = time(NULL);
	int i, fd;

	if (h->fd < 0)
		return;
	while ((fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < HTTP_MAX_CONNS && h->conns[i].fd >= 0; i++)
			;
		if (i == HTTP_MAX_CONNS)
			i = evict_oldest_reader(h);
		if (i < 0) {
			close(fd);
			h->refused++;
			continue;
		}
		h->conns[i].fd = fd;
		h->conns[i].deadline = now + HTTP_TIMEOUT_S;
	}
	for (i = 0; i < HTTP_MAX_CONNS; i++) {
		struct http_conn *c = &h->conns[i];

		if (c->fd < 0)
			continue;
		if (now >= c->deadline) {
			conn_close(c);
			h->refused++;
			continue;
		}
		if (!c->out)
			conn_read(h, c);
		if (c->fd >= 0 && c->out)
			conn_write(c);
	}
}

void http_stop(struct http_server *h)
{
	int i;

	for (i = 0; h->conns && i < HTTP_MAX_CONNS; i++)
		if (h->conns[i].fd >= 0)
			conn_close(&h->conns[i]);
	free(h->conns);
	h->conns = NULL;
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}
