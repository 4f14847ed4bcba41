// SPDX-License-Identifier: GPL-2.0
/*
 * The event pipeline (user/features/events.c, user/output/event_line.c): any
 * sequence of ring buffer records, whatever their bytes, types and sizes, is
 * decoded and printed without a crash; each JSON line is one valid object, and
 * each text line is one line per record whose later lines are indented
 * continuations, with no control byte but the newline. Pids 1 to 3 have hostile
 * VM identities (a made /proc, build/fuzz/proc); any other pid is gone.
 */
#include <stdbool.h>
#include <sys/stat.h>
#include "fuzz.h"
#include "jsoncheck.h"
#include "events.h"
#include "refs.h"
#include "vmcache.h"

static void no_string(void *ctx, const unsigned int *cp, size_t n)
{
	(void)ctx, (void)cp, (void)n;
}

static void no_number(void *ctx, const char *s, size_t n)
{
	(void)ctx, (void)s, (void)n;
}

static void check_json(const char *out, size_t len)
{
	static unsigned int cpbuf[8192];
	struct jc jc = { no_string, no_number, NULL, cpbuf, sizeof(cpbuf) / sizeof(cpbuf[0]), 0 };
	const char *p = out, *nl;

	for (; p < out + len; p = nl + 1) {
		nl = memchr(p, '\n', out + len - p);
		if (!nl)
			FUZZ_FAIL("JSON line without a newline: %.*s", (int)(out + len - p), p);
		if (jc_value(&jc, (const unsigned char *)p, (const unsigned char *)nl) !=
		    (const unsigned char *)nl)
			FUZZ_FAIL("invalid JSON: %.*s", (int)(nl - p), p);
	}
}

static void check_text(const char *out, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f)
			FUZZ_FAIL("control byte 0x%02x in text: %.*s", c, (int)len, out);
		if (c == '\n' && i + 1 < len && strncmp(out + i + 1, "  ", 2))
			FUZZ_FAIL("a second line that is not a continuation: %.*s", (int)len, out);
	}
}

/* Record types worth aiming at; any other byte value is tried too. */
static const unsigned int types[] = {
	EV_ATTACH, EV_DOMAIN_ALLOC, EV_DEVICE_GET, EV_DEVICE_PUT, EV_UNREG_BEGIN, EV_UNREG_END,
	EV_DMA_MAP, EV_DMA_UNMAP, EV_GROUP_FAIL,
};

static void put(const char *dir, const char *name, const char *data, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		FUZZ_FAIL("cannot write %s", path);
	fwrite(data, 1, n, f);
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char cmdline[] = "qemu-system-x86_64\0-name\0guest=a\"b\\c\nd\x01\xff\x7f,,e\0";
	static const char *const cgroup[] = {
		"0::/machine.slice/machine-qemu\\x2d1\\x2dq\\x22\\x0a\\x1b.scope\n",
		"0::/qemu.slice/104.scope\n",
		"0::/kubepods.slice/kubepods-pod0f1e2d3c_4b5a_6978_8a9b_0c1d2e3f4a5b.slice/crio-ab\x01.scope\n",
	};
	char dir[64];
	int pid;

	(void)argc, (void)argv;
	mkdir("build/fuzz/proc", 0755);
	for (pid = 1; pid <= 3; pid++) {
		snprintf(dir, sizeof(dir), "build/fuzz/proc/%d", pid);
		mkdir(dir, 0755);
		put(dir, "stat", "1 (x) S 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 42 0\n", 49);
		put(dir, "cmdline", cmdline, pid == 2 ? 0 : sizeof(cmdline) - 1);
		put(dir, "comm", "q\x01\n", 3);
		put(dir, "cgroup", cgroup[pid - 1], strlen(cgroup[pid - 1]));
	}
	vmcache_reset("build/fuzz/proc", 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct symnames none = { .failed = true };	/* no symbols: callers are "?" */
	static struct symbolizer sym = { .names = &none };
	static struct refs_live live;
	static struct event_ctx c;
	static unsigned char rec[sizeof(struct dma_event) + sizeof(struct fail_event)];
	struct input in = { data, size };
	int n;

	c = (struct event_ctx){ .stacks_fd = -1, .fail_stacks_fd = -1, .group_containers_fd = -1, .holders_fd = -1,
				.ref_sites_fd = -1,
				.sym = &sym, .kver = take_byte(&in) << 8 | take_byte(&in), .live = &live };
	for (n = 0; in.n && n < 16; n++) {
		unsigned int t = take_byte(&in);
		size_t len = take_byte(&in) * 4 % sizeof(rec), i;
		char *out = NULL;
		size_t outlen = 0;
		FILE *f;
		bool json = t & 0x80;

		memset(rec, 0, sizeof(rec));
		for (i = 0; i < len && in.n; i++)
			rec[i] = (unsigned char)take_byte(&in);
		/* mostly a known type, whatever the record's own bytes said */
		if (len >= sizeof(struct record_hdr) && (t & 0x40))
			((struct record_hdr *)rec)->type = types[t % (sizeof(types) / sizeof(types[0]))];
		f = open_memstream(&out, &outlen);
		if (!f)
			break;
		c.out = f;
		c.json = json;
		c.refs_only = t & 0x20;
		events_consume(&c, rec, len);
		if (fclose(f))
			FUZZ_FAIL("cannot write the memory stream");
		if (json)
			check_json(out, outlen);
		else if (outlen)
			check_text(out, outlen);
		free(out);
	}
	refs_live_free(&live);
	return 0;
}
