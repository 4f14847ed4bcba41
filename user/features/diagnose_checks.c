// SPDX-License-Identifier: GPL-2.0
/* What diagnose.c and diagnose_devices.c share: adding a check, reading sysfs. */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "diagnose_checks.h"

const char *diagnose_root = "";

void path_of(char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
	char rel[512];

	snprintf(rel, sizeof(rel), fmt, a, b);
	snprintf(buf, len, "%s%s", diagnose_root, rel);
}

void link_base(const char *link, char *out, size_t len)
{
	char target[512];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	const char *b;

	out[0] = 0;
	if (n <= 0)
		return;
	target[n] = 0;
	b = strrchr(target, '/');
	snprintf(out, len, "%.63s", b ? b + 1 : target);
}

int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int is_vfio_driver(const char *drv)
{
	return strstr(drv, "vfio") != NULL;
}

/* A bool module parameter: 1 (Y), 0 (N), -1 when there is no such file (module not loaded) */
int module_param_bool(const char *rel)
{
	char p[512], v[8] = "";
	FILE *f;

	path_of(p, sizeof(p), "%s", rel, "");
	f = fopen(p, "r");
	if (!f)
		return -1;
	if (!fgets(v, sizeof(v), f))
		v[0] = 0;
	fclose(f);
	return v[0] == 'Y' || v[0] == '1';
}

void check_add(struct check *c, int *n, const char *name, enum status st, const char *remedy, int group,
		const char *fmt, ...)
{
	va_list ap;

	c[*n].name = name;
	c[*n].st = st;
	c[*n].remedy = remedy;
	c[*n].group = group;
	c[*n].device[0] = 0;
	va_start(ap, fmt);
	vsnprintf(c[*n].detail, sizeof(c[*n].detail), fmt, ap);
	va_end(ap);
	(*n)++;
}
