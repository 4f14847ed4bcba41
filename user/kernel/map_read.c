// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "../../bpf/vfiotrace.h"
#include "log.h"
#include "map_read.h"

#define MAX_MAPS 32

/* a map read before: its sizes, and its iterator link (made at its first read; -1: none) */
static struct mapped {
	int map_fd, link_fd;
	size_t ks, vs;
} maps[MAX_MAPS];
static int nmaps, prog = -1;

void map_read_init(int prog_fd)
{
	while (nmaps > 0)
		if (maps[--nmaps].link_fd >= 0)
			close(maps[nmaps].link_fd);
	prog = prog_fd;
}

/* fd's sizes and link into m, kept from its first read: 0, or -1 with errno. */
static int mapped(int fd, struct mapped *m)
{
	union bpf_iter_link_info li = { .map.map_fd = (__u32)fd };
	LIBBPF_OPTS(bpf_link_create_opts, o, .iter_info = &li, .iter_info_len = sizeof(li));
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int i;

	for (i = 0; i < nmaps; i++)
		if (maps[i].map_fd == fd) {
			*m = maps[i];
			return 0;
		}
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -1;
	*m = (struct mapped){ .map_fd = fd, .link_fd = -1, .ks = info.key_size, .vs = info.value_size };
	if (m->ks >= MAP_DUMP_MAX / 2 || !m->ks || !m->vs) {
		errno = EINVAL;
		return -1;
	}
	if (prog >= 0 && nmaps < MAX_MAPS && m->vs < MAP_DUMP_MAX / 2) {
		m->link_fd = bpf_link_create(prog, 0, BPF_TRACE_ITER, &o);
		if (m->link_fd < 0)
			dbg("map %d: no iterator (%s): read with lookups, which can make probes miss", fd,
			    strerror(errno));
	}
	if (nmaps < MAX_MAPS)
		maps[nmaps++] = *m;
	return 0;
}

static int grow(struct map_entries *e, size_t *cap, size_t need)
{
	unsigned char *b;

	if (need <= *cap)
		return 0;
	*cap = need * 2 > 4096 ? need * 2 : 4096;
	b = realloc(e->buf, *cap);
	if (!b)
		return -1;
	e->buf = b;
	return 0;
}

static int read_iter(int link, struct map_entries *e)
{
	size_t cap = 0, len = 0, rec = e->ks + e->vs;
	int fd = bpf_iter_create(link), err = 0;
	ssize_t r;

	if (fd < 0)
		return -1;
	for (;;) {
		if (grow(e, &cap, len + 4096)) {
			err = ENOMEM;
			break;
		}
		r = read(fd, e->buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? errno : 0;
			break;
		}
		len += (size_t)r;
	}
	close(fd);
	if (!err && len % rec)
		err = EPROTO;
	e->n = err ? 0 : len / rec;
	errno = err;
	return err ? -1 : 0;
}

/* The guarded way: each lookup holds bpf_prog_active (map_read.h). */
static int read_lookups(int fd, struct map_entries *e)
{
	unsigned char key[MAP_DUMP_MAX / 2], prev[MAP_DUMP_MAX / 2];
	size_t cap = 0, rec = e->ks + e->vs;
	bool first = true;

	while (!bpf_map_get_next_key(fd, first ? NULL : prev, key)) {
		first = false;
		memcpy(prev, key, e->ks);
		if (grow(e, &cap, (e->n + 1) * rec)) {
			errno = ENOMEM;
			return -1;
		}
		memcpy(e->buf + e->n * rec, key, e->ks);
		if (!bpf_map_lookup_elem(fd, key, e->buf + e->n * rec + e->ks))
			e->n++;	/* else deleted since get_next_key */
	}
	return errno == ENOENT ? 0 : -1;	/* ENOENT: the last key */
}

int map_read(int fd, struct map_entries *e)
{
	struct mapped m;

	memset(e, 0, sizeof(*e));
	if (mapped(fd, &m))
		return -1;
	e->ks = m.ks;
	e->vs = m.vs;
	if (m.link_fd >= 0) {
		if (!read_iter(m.link_fd, e))
			return 0;
		dbg("map %d: the iterator failed (%s): read with lookups", fd, strerror(errno));
		e->n = 0;
	}
	return read_lookups(fd, e);
}

void map_entry(const struct map_entries *e, size_t i, void *key, void *value)
{
	const unsigned char *r = e->buf + i * (e->ks + e->vs);

	if (key)
		memcpy(key, r, e->ks);
	if (value)
		memcpy(value, r + e->ks, e->vs);
}

int map_find(const struct map_entries *e, const void *key, void *value)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (!memcmp(e->buf + i * (e->ks + e->vs), key, e->ks)) {
			map_entry(e, i, NULL, value);
			return 0;
		}
	return -1;
}

void map_entries_free(struct map_entries *e)
{
	free(e->buf);
	memset(e, 0, sizeof(*e));
}
