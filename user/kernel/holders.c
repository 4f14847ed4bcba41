// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "holders.h"

/* The N of a link target "/dev/vfio/N" (also "noiommu-N"); -1 for anything else. */
static int vfio_group_of(const char *target)
{
	const char *p = target + strlen("/dev/vfio/");
	char *end;
	long n;

	if (strncmp(target, "/dev/vfio/", strlen("/dev/vfio/")))
		return -1;
	if (!strncmp(p, "noiommu-", 8))
		p += 8;
	if (!isdigit((unsigned char)*p))
		return -1;
	n = strtol(p, &end, 10);
	return *end || n > 1000000 ? -1 : (int)n;
}

static void read_comm(const char *proc, int pid, char *comm)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/comm", proc, pid);
	comm[0] = 0;
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(comm, COMM_LEN, f))
		comm[strcspn(comm, "\n")] = 0;
	fclose(f);
}

static int by_group_pid(const void *a, const void *b)
{
	const struct held *x = a, *y = b;

	return x->group != y->group ? x->group - y->group : x->pid - y->pid;
}

int holders_scan(const char *proc, struct held *out, int max)
{
	DIR *d = opendir(proc), *fd;
	struct dirent *e, *fe;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < max) {
		char path[300], target[64];
		int pid = atoi(e->d_name), seen = -1;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "%s/%d/fd", proc, pid);
		fd = opendir(path);
		if (!fd)
			continue;	/* gone, or not ours to read */
		while ((fe = readdir(fd)) && n < max) {
			ssize_t len;
			int g;

			snprintf(path, sizeof(path), "%s/%d/fd/%s", proc, pid, fe->d_name);
			len = readlink(path, target, sizeof(target) - 1);
			if (len <= 0)
				continue;
			target[len] = 0;
			g = vfio_group_of(target);
			if (g < 0 || g == seen)
				continue;
			seen = g;
			out[n].group = g;
			out[n].pid = pid;
			read_comm(proc, pid, out[n].comm);
			n++;
		}
		closedir(fd);
	}
	closedir(d);
	qsort(out, n, sizeof(*out), by_group_pid);
	return n;
}

int holders_seed(int map_fd)
{
	struct held h[256];
	int i, n = holders_scan("/proc", h, 256), seeded = 0;

	for (i = 0; i < n; i++) {
		struct holder v = { .pid = h[i].pid, .from_proc = 1 };

		if (i && h[i].group == h[i - 1].group)
			continue;	/* the lowest pid: usually the opener, the others inherited */
		memcpy(v.comm, h[i].comm, COMM_LEN);
		/* a holder the probes already saw open the group is more precise */
		if (!holder_get(map_fd, h[i].group, &(struct holder){ 0 }))
			continue;
		if (!bpf_map_update_elem(map_fd, &h[i].group, &v, BPF_ANY))
			seeded++;
	}
	return seeded;
}

/* The entry of group, copied whole: BPF writes a holder of the same command in place (bpf/diag.bpf.c) */
static int holder_read(int map_fd, int group, struct holder *h)
{
	struct holder again;
	int i;

	if (group == NO_GROUP || map_fd < 0 || bpf_map_lookup_elem(map_fd, &group, h))
		return -1;
	for (i = 0; i < 8; i++) {
		if (bpf_map_lookup_elem(map_fd, &group, &again))
			return -1;
		if (!memcmp(h, &again, sizeof(again)))
			return 0;
		*h = again;
	}
	return 0;
}

int holder_at(int map_fd, int group, unsigned long long ts, struct holder *h)
{
	int ret = 0;

	if (holder_read(map_fd, group, h) || !h->pid)
		ret = -1;
	else if (!h->from_proc && h->since_ns > ts)
		ret = HOLDER_CHANGED;
	else if (h->released_ns && h->released_ns < ts)
		ret = -1;
	if (ret)
		memset(h, 0, sizeof(*h));
	h->comm[COMM_LEN - 1] = 0;
	return ret;
}

int holder_get(int map_fd, int group, struct holder *h)
{
	return holder_at(map_fd, group, ~0ULL, h) ? -1 : 0;
}
