// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's HTTP server alone, for hostile-client tests on this machine
 * (tests/http/hostile.py): serves a fixed body at /metrics on the given
 * [ADDR]:PORT from a poll loop like vfiotrace's, and counts loop turns so the
 * test can see that the loop never blocked on a client. Stops on SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "http.h"

static volatile sig_atomic_t stop;
static unsigned long long turns;

static void on_term(int sig) { (void)sig; stop = 1; }

static int render(void *ctx, FILE *f)
{
	(void)ctx;
	fprintf(f, "# TYPE test_loop_turns counter\ntest_loop_turns %llu\n", turns);
	return 0;
}

int main(int argc, char **argv)
{
	struct http_server h;
	char err[256];

	if (argc != 2 || http_start(&h, argv[1], render, NULL, err, sizeof(err))) {
		fprintf(stderr, "httpd: %s\n", argc == 2 ? err : "usage: httpd [ADDR]:PORT");
		return 2;
	}
	signal(SIGTERM, on_term);
	fprintf(stderr, "listening\n");
	while (!stop) {
		struct pollfd fds[HTTP_MAX_FDS];

		poll(fds, http_pollfds(&h, fds, HTTP_MAX_FDS), 100);
		http_service(&h);
		turns++;
	}
	http_stop(&h);
	return 0;
}
