/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent outputs: --prometheus (the HTTP exporter, http.c) and --textfile
 * (node_exporter's textfile collector). Both render the model through the
 * caller's render function (prom.c over a fresh snapshot).
 */
#ifndef VFIOTRACE_EXPORTER_H
#define VFIOTRACE_EXPORTER_H

#include <stdbool.h>
#include "http.h"
#include "options.h"

#define TEXTFILE_DEFAULT_INTERVAL 15	/* seconds, when no INTERVAL is given */

struct exporter {
	bool serving;
	struct http_server http;
	const char *textfile;
	unsigned int tf_interval;
	double next_tf;
	http_render render;
	void *ctx;
	int last_errno;			/* of the last textfile write, to report each change once */
};

/* Checks that need no kernel: the textfile directory. 0, or -1 with a one-line reason. */
int exporter_check(const struct options *o, char *err, int errlen);
/* Binds the exporter port. 0, or -1 with the error printed. */
int exporter_start(struct exporter *e, const struct options *o, http_render render, void *ctx);
int exporter_pollfds(const struct exporter *e, struct pollfd *fds, int max);
/* Serves pending scrapes; writes the textfile when due (now: CLOCK_MONOTONIC s). */
void exporter_tick(struct exporter *e, double now);
/* The textfile at exit; then closes everything. */
void exporter_stop(struct exporter *e);
/* Writes PATH atomically (PATH.tmp in the same directory, then rename). 0 or -errno. */
int textfile_write(const char *path, http_render render, void *ctx);

#endif
