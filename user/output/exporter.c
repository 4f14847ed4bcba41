// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "exporter.h"
#include "log.h"

int exporter_check(const struct options *o, char *err, int errlen)
{
	char copy[PATH_MAX], *dir;
	struct stat st;

	if (!o->textfile)
		return 0;
	if (snprintf(copy, sizeof(copy), "%s", o->textfile) >= (int)sizeof(copy)) {
		snprintf(err, errlen, "--textfile %s: path too long", o->textfile);
		return -1;
	}
	if (!stat(o->textfile, &st) && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--textfile %s is a directory: give a file path in it, such as "
			 "%s/vfiotrace.prom", o->textfile, o->textfile);
		return -1;
	}
	dir = dirname(copy);
	if (access(dir, W_OK)) {
		snprintf(err, errlen, "--textfile %s: directory %s is not writable (%s): create it or "
			 "choose node_exporter's --collector.textfile.directory", o->textfile, dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int textfile_write(const char *path, http_render render, void *ctx)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, e = 0;

	/* not *.prom: node_exporter must never read a half-written file */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		e = -errno;
		close(fd);
		unlink(tmp);
		return e;
	}
	if (render(ctx, f))
		e = -EIO;
	if (fflush(f) && !e)
		e = -errno;
	if (fclose(f) && !e)
		e = -errno;
	if (!e && rename(tmp, path))
		e = -errno;
	if (e)
		unlink(tmp);
	return e;
}

static void textfile_update(struct exporter *e)
{
	int r = textfile_write(e->textfile, e->render, e->ctx);

	if (r && -r != e->last_errno)
		err("cannot write --textfile %s: %s (will retry every %u s)", e->textfile, strerror(-r),
		    e->tf_interval);
	else if (!r && e->last_errno)
		info("--textfile %s written again", e->textfile);
	e->last_errno = -r;
}

int exporter_start(struct exporter *e, const struct options *o, http_render render, void *ctx)
{
	char msg[256];

	memset(e, 0, sizeof(*e));
	e->http.fd = -1;
	e->render = render;
	e->ctx = ctx;
	e->textfile = o->textfile;
	e->tf_interval = o->interval ? o->interval : TEXTFILE_DEFAULT_INTERVAL;
	if (!o->prometheus)
		return 0;
	if (http_start(&e->http, o->prometheus, render, ctx, msg, sizeof(msg))) {
		err("%s", msg);
		return -1;
	}
	e->serving = true;
	return 0;
}

int exporter_pollfds(const struct exporter *e, struct pollfd *fds, int max)
{
	return e->serving ? http_pollfds(&e->http, fds, max) : 0;
}

void exporter_tick(struct exporter *e, double now)
{
	if (e->serving)
		http_service(&e->http);
	if (e->textfile && now >= e->next_tf) {
		textfile_update(e);
		e->next_tf = now + e->tf_interval;
	}
}

void exporter_stop(struct exporter *e)
{
	if (e->textfile && e->render)
		textfile_update(e);
	if (e->serving)
		http_stop(&e->http);
	e->serving = false;
	e->textfile = NULL;
}
