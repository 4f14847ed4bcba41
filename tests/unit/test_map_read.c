// SPDX-License-Identifier: GPL-2.0
/*
 * map_read without its iterator (included by test_main.c): a real hash map of
 * this machine's kernel, read with get_next_key and lookups; the iterator path
 * is proven in the VM (tests/vm/guard.sh: no lookup while scraped).
 */
#include <unistd.h>
#include <bpf/bpf.h>
#include "map_read.h"

struct mr_val {
	unsigned long long n;
	char name[20];
};

static void test_map_read(void)
{
	struct map_entries e;
	struct mr_val v, got;
	int fd, k, seen = 0;
	size_t i;

	map_read_init(-1);
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "mr_test", sizeof(int), sizeof(v), 8, NULL);
	if (fd < 0 && errno == EPERM) {
		printf("NOTE map_read: not root, no hash map to read (unit tests as root test it)\n");
		return;
	}
	CHECK(fd >= 0, "bpf_map_create: %s", strerror(errno));
	if (fd < 0)
		return;
	CHECK(!map_read(fd, &e) && e.n == 0 && e.ks == sizeof(int) && e.vs == sizeof(v),
	      "an empty map: no entry, its sizes (%zu, %zu, %zu)", e.n, e.ks, e.vs);
	map_entries_free(&e);
	for (k = 1; k <= 3; k++) {
		v = (struct mr_val){ .n = 100ULL * k };
		snprintf(v.name, sizeof(v.name), "group-%d", k);
		CHECK(!bpf_map_update_elem(fd, &k, &v, BPF_ANY), "update %d", k);
	}
	CHECK(!map_read(fd, &e) && e.n == 3, "three entries read: %zu", e.n);
	for (i = 0; i < e.n; i++) {
		map_entry(&e, i, &k, &got);
		seen |= 1 << k;
		CHECK(got.n == 100ULL * k, "entry %zu: key %d has its value %llu", i, k, got.n);
	}
	CHECK(seen == 0xe, "every key once: mask %#x", seen);
	k = 2;
	CHECK(!map_find(&e, &k, &got) && got.n == 200 && !strcmp(got.name, "group-2"), "map_find 2: %llu %s",
	      got.n, got.name);
	k = 7;
	CHECK(map_find(&e, &k, &got) == -1, "map_find of an absent key: -1");
	map_entries_free(&e);
	CHECK(!e.buf && !e.n, "freed: empty");
	close(fd);
	map_read_init(-1);
	CHECK(map_read(fd, &e) == -1 && (errno == EBADF || errno == EBADFD), "a closed fd: -1, EBADF(D) (%s)", strerror(errno));
}

/* A fault decoded after its group changed hands: its holder then, never the later one. */
static void test_fault_holder(int fd, int g)
{
	struct fault_event e = { .h = { .type = EV_IOMMU_FAULT, .group = g, .ts_ns = 2000 },
				 .addr = 0x1000, .source = FAULT_REPORT, .access = ACCESS_READ };
	struct holder v = { .pid = 300, .since_ns = 1000 };
	char *out;

	snprintf(e.dev, sizeof(e.dev), "0000:03:02.0");
	snprintf(v.comm, sizeof(v.comm), "qemu-b");
	ev_ctx.holders_fd = fd;
	ev_ctx.target_group = -1;
	bpf_map_update_elem(fd, &g, &v, BPF_ANY);
	out = consume(&e, sizeof(e), false, false);
	CHECK(strstr(out, "; group held by pid 300 (qemu-b)"), "held when recorded: %s", out);
	out = consume(&e, sizeof(e), true, false);
	CHECK(strstr(out, "\"pid\":300,") && strstr(out, "\"holder_changed\":false"), "held when recorded, JSON: %s", out);
	v.since_ns = 3000;
	bpf_map_update_elem(fd, &g, &v, BPF_ANY);
	out = consume(&e, sizeof(e), false, false);
	CHECK(strstr(out, "; " HOLDER_CHANGED_TEXT) && !strstr(out, "300"), "opened again since: no holder named: %s", out);
	out = consume(&e, sizeof(e), true, false);
	CHECK(strstr(out, "\"pid\":null,\"comm\":null,\"holder_changed\":true"), "opened again since, JSON: %s", out);
	ev_ctx.holders_fd = -1;
	ev_ctx.target_group = 0;
}

/* holder_at: who held a group when an event happened, on a real hash map like BPF's holders map */
static void test_holder_at(void)
{
	struct holder h, v = { .pid = 100, .since_ns = 1000 };
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "holders_test", sizeof(int), sizeof(h), 8, NULL);
	int g = 5;

	if (fd < 0) {
		printf("NOTE holder_at: no hash map (%s); unit tests as root test it\n", strerror(errno));
		return;
	}
	snprintf(v.comm, sizeof(v.comm), "qemu-a");
	CHECK(holder_at(fd, g, 2000, &h) == -1 && !h.pid, "no entry: nobody, zeroed");
	CHECK(holder_at(fd, NO_GROUP, 2000, &h) == -1, "no group: nobody");
	bpf_map_update_elem(fd, &g, &v, BPF_ANY);
	CHECK(!holder_at(fd, g, 2000, &h) && h.pid == 100 && !strcmp(h.comm, "qemu-a"), "held since 1000: pid %u", h.pid);
	CHECK(!holder_at(fd, g, 1000, &h) && h.pid == 100, "an event at the open: its holder");
	CHECK(holder_at(fd, g, 500, &h) == HOLDER_CHANGED && !h.pid, "opened after the event: changed hands, none named");
	v.released_ns = 3000;
	bpf_map_update_elem(fd, &g, &v, BPF_ANY);
	CHECK(!holder_at(fd, g, 2000, &h) && h.pid == 100, "released after the event: still its holder then");
	CHECK(holder_at(fd, g, 4000, &h) == -1 && !h.pid, "released before the event: nobody");
	CHECK(!holder_at(fd, g, 3000, &h) && h.pid == 100, "an event at the close: its holder");
	CHECK(holder_get(fd, g, &h) == -1, "released: no holder now");
	v = (struct holder){ .pid = 7, .from_proc = 1 };
	bpf_map_update_elem(fd, &g, &v, BPF_ANY);
	CHECK(!holder_at(fd, g, 1, &h) && h.pid == 7 && !holder_get(fd, g, &h), "found in /proc at start: held before any event");
	test_fault_holder(fd, g);
	close(fd);
}
