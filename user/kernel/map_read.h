/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A hash map's entries, read at once through a BPF iterator (bpf/map_dump.bpf.c)
 * rather than with bpf() lookups. A lookup holds its CPU's bpf_prog_active; a
 * reader preempted there (preempt=full or lazy, PREEMPT_RT) makes every kprobe
 * and kprobe.multi program of that CPU miss until it runs again, and a stat
 * interval or a scrape reads every map. Without the iterator (map_read_init
 * not called, or the kernel refused the map's link): get_next_key and lookups.
 * One thread reads at a time (the iterator's program has one buffer).
 */
#ifndef VFIOTRACE_MAP_READ_H
#define VFIOTRACE_MAP_READ_H

#include <stddef.h>

struct map_entries {
	unsigned char *buf;	/* n records: the key (ks bytes), then the value (vs bytes) */
	size_t n, ks, vs;
};

/*
 * The iterator program (its fd) that reads maps from now on; -1: none. Forgets the maps read
 * so far (their sizes and links, kept by fd): call it before any of them is closed.
 */
void map_read_init(int prog_fd);
/* Every entry of the hash map fd into e (e->buf malloc-ed): 0, or -1 with errno. */
int map_read(int fd, struct map_entries *e);
/* Entry i's key into key and its value into value (either may be NULL). */
void map_entry(const struct map_entries *e, size_t i, void *key, void *value);
/* The value of key into value: 0, or -1 when e has no such key. */
int map_find(const struct map_entries *e, const void *key, void *value);
void map_entries_free(struct map_entries *e);

#endif
