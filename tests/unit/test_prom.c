// SPDX-License-Identifier: GPL-2.0
/*
 * Included by test_main.c: the Prometheus exposition of a hand-made model
 * (label escaping, cumulative buckets, one series per device name) and the
 * --prometheus address parser. With VFIOTRACE_PROM_SAMPLE=FILE the exposition
 * is also written to FILE, for `promtool check metrics` in tests/run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <unistd.h>
#include "dma.h"
#include "exporter.h"
#include "http.h"
#include "prom.h"
#include "sections.h"

static void test_prom_escape(void)
{
	char out[64];

	CHECK(!strcmp(prom_escape("a\"b\\c\nd", out, sizeof(out)), "a\\\"b\\\\c\\nd"), "%s", out);
	CHECK(!strcmp(prom_escape("0000:00:03.0", out, sizeof(out)), "0000:00:03.0"), "%s", out);
	/* never a dangling backslash when truncated */
	prom_escape("\"\"\"\"\"\"\"\"\"\"", out, 8);
	CHECK(strlen(out) < 8 && strlen(out) % 2 == 0, "truncated: %s", out);
}

static const char *line_value(const char *text, const char *series)
{
	static char want[256];
	const char *p;

	snprintf(want, sizeof(want), "\n%s ", series);
	p = strstr(text, want);
	return p ? p + strlen(want) : "(missing)";
}

static void test_prom_render(void)
{
	struct group_row g[2] = {};
	struct dev_row d[3] = {};
	struct snapshot s = { .groups = g, .ngroups = 2, .devs = d, .ndevs = 3, .drops = 5,
			      .map_full = 7, .refcount_known = true };
	struct prom_probe probes[5] = {
		{ "attach", "vfio_iommu_type1_attach_group", "vfio_iommu_type1", "kprobe", true },
		{ "device_get", NULL, NULL, "none", false },
		{ "device_get", "vfio_device_try_get_registration", "vfio", "fentry", true },
		{ "unregister", "vfio_unregister_group_dev", "vfio", "kprobe", false },
		{ "inlined", NULL, NULL, "none", false },
	};
	struct metrics m = { .s = &s, .probes = probes, .nprobes = 5, .version = "1.2\"3" };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *sample = getenv("VFIOTRACE_PROM_SAMPLE");

	g[0].group = NO_GROUP;
	g[0].st.domain_allocs = 1;
	g[0].st.alloc_hist[hist_slot(5000)] = 1;
	g[1].group = 12;
	g[1].has_mem = true;
	g[1].mem.ndevs = 1;
	strcpy(g[1].mem.devs[0], "0000:00:03.0");
	strcpy(g[1].mem.buses[0], "pci");
	strcpy(g[1].mem.alloc_bus, "pc\"i");
	g[1].st.attach_ok = 3;
	g[1].st.attach_fail = 4;
	g[1].nerrs = 1;
	g[1].errs[0].err = 1;
	g[1].errs[0].n = 3;
	/* 1000 ns -> le 1.024e-06; 3000 ns -> le 4.096e-06; 2 s -> le 2.147483648 */
	g[1].st.attach_hist[hist_slot(1000)] = 1;
	g[1].st.attach_hist[hist_slot(3000)] = 2;
	g[1].st.attach_hist[hist_slot(2000000000ULL)] = 1;
	d[0].d = (struct dev_refs){ "0000:00:03.0", 12, 2, 1, 2, 3, 0 };
	d[1].d = (struct dev_refs){ "", NO_GROUP, 9, 9, REFCOUNT_UNAVAILABLE, REFCOUNT_UNAVAILABLE, 0 };
	d[2].d = (struct dev_refs){ "0000:00:03.0", NO_GROUP, 1, 1, REFCOUNT_UNAVAILABLE, 1, 0 };
	render_prom(f, &m);
	fclose(f);

	CHECK(
	      !strncmp(line_value(text, "vfiotrace_attach_total{group=\"12\",result=\"ok\"}"), "3\n", 2),
	      "ok: %s", text);
	CHECK(!strncmp(line_value(text, "vfiotrace_attach_total{group=\"12\",result=\"EPERM\"}"), "3\n", 2),
	      "EPERM");
	CHECK(!strncmp(line_value(text, "vfiotrace_attach_total{group=\"12\",result=\"other\"}"), "1\n", 2),
	      "errnos beyond the model");
	CHECK(!strstr(text, "vfiotrace_attach_total{group=\"unattributed\""), "no attach outside groups");
	CHECK(!strncmp(line_value(text, "vfiotrace_attach_duration_seconds_bucket{group=\"12\",le=\"1.024e-06\"}"), "1\n", 2),
	      "first bucket");
	CHECK(!strncmp(line_value(text, "vfiotrace_attach_duration_seconds_bucket{group=\"12\",le=\"4.096e-06\"}"), "3\n", 2),
	      "cumulative");
	CHECK(!strncmp(line_value(text, "vfiotrace_attach_duration_seconds_bucket{group=\"12\",le=\"1.073741824\"}"), "3\n", 2),
	      "2 s not below 1.07 s");
	CHECK(!strncmp(line_value(text, "vfiotrace_attach_duration_seconds_bucket{group=\"12\",le=\"2.147483648\"}"), "4\n", 2),
	      "2 s below 2.15 s");
	CHECK(!strncmp(line_value(text, "vfiotrace_attach_duration_seconds_bucket{group=\"12\",le=\"+Inf\"}"), "4\n", 2),
	      "+Inf");
	CHECK(!strncmp(line_value(text, "vfiotrace_attach_duration_seconds_count{group=\"12\"}"), "4\n", 2), "count");
	{
		double sum = atof(line_value(text, "vfiotrace_attach_duration_seconds_sum{group=\"12\"}"));

		CHECK(sum <= 2.000007 && sum >= 0.8 * 2.000007, "sum %g is a lower bound within 20%%", sum);
	}
	CHECK(!strncmp(line_value(text, "vfiotrace_domain_alloc_duration_seconds_count{group=\"unattributed\"}"), "1\n", 2),
	      "allocations outside attaches");
	CHECK(strstr(text, "\nvfiotrace_group_info{group=\"12\",buses=\"pci,pc\\\"i\",alloc_device=\"\",backend=\"type1\"} 1\n"),
	      "group_info escaped: %s", text);
	CHECK(!strncmp(line_value(text, "vfiotrace_device_references{device=\"0000:00:03.0\"}"), "2\n", 2), "refs");
	CHECK(!strncmp(line_value(text, "vfiotrace_device_gets_total{device=\"0000:00:03.0\"}"), "3\n", 2),
	      "one series per name, summed");
	CHECK(!strstr(text, "{device=\"\""), "unnamed devices skipped");
	CHECK(!strncmp(line_value(text, "vfiotrace_events_dropped_total"), "5\n", 2), "drops");
	CHECK(!strncmp(line_value(text, "vfiotrace_map_full_total"), "7\n", 2), "map full");
	CHECK(strstr(text, "\nvfiotrace_probe_info{hook=\"attach\",function=\"vfio_iommu_type1_attach_group\","
		      "module=\"vfio_iommu_type1\",style=\"kprobe\"} 1\n"), "probe_info");
	CHECK(!strncmp(line_value(text, "vfiotrace_probe_attached{hook=\"device_get\"}"), "1\n", 2),
	      "a hook with one resolved candidate is attached");
	CHECK(!strncmp(line_value(text, "vfiotrace_probe_attached{hook=\"unregister\"}"), "0\n", 2),
	      "a detached hook is 0");
	CHECK(!strstr(text, "hook=\"unregister\",function"), "no probe_info for a detached hook");
	CHECK(!strstr(text, "{hook=\"inlined\"}"), "a hook this kernel has no function for is left out");
	CHECK(strstr(text, "\nvfiotrace_build_info{version=\"1.2\\\"3\"} 1\n"), "build_info");
	CHECK(text[len - 1] == '\n', "ends with a newline");
	if (sample) {
		FILE *o = fopen(sample, "w");

		CHECK(o && fputs(text, o) >= 0 && !fclose(o), "cannot write %s", sample);
	}
	free(text);
}

static void test_prom_dma(void)
{
	struct dma_group dg = { .group = 5, .ncontainers = 2 };
	struct snapshot s = { .dma_traced = true, .dma = { .groups = &dg, .ngroups = 1 } };
	struct metrics m = { .s = &s, .version = "x" };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	dg.st.maps = 3;
	dg.st.map_fail = 1;
	dg.st.bytes_mapped = 2 << 20;
	dg.st.pages_pinned = 512;
	dg.st.map_ns = 3000000;
	dg.st.map_hist[hist_slot(1000000)] = 3;
	render_prom(f, &m);
	fclose(f);
	CHECK(!strncmp(line_value(text, "vfiotrace_dma_maps_total{group=\"5\"}"), "3\n", 2), "maps: %s", text);
	CHECK(!strncmp(line_value(text, "vfiotrace_dma_map_failures_total{group=\"5\"}"), "1\n", 2), "map failures");
	CHECK(!strncmp(line_value(text, "vfiotrace_dma_mapped_bytes_total{group=\"5\"}"), "2097152\n", 8), "bytes");
	CHECK(!strncmp(line_value(text, "vfiotrace_dma_pinned_pages_total{group=\"5\"}"), "512\n", 4), "pages");
	CHECK(!strncmp(line_value(text, "vfiotrace_dma_map_duration_seconds_sum{group=\"5\"}"), "0.003\n", 6),
	      "exact sum from map_ns");
	CHECK(!strncmp(line_value(text, "vfiotrace_dma_map_duration_seconds_count{group=\"5\"}"), "3\n", 2), "count");
	free(text);
	s.dma_traced = false;
	text = NULL;
	f = open_memstream(&text, &len);
	render_prom(f, &m);
	fclose(f);
	CHECK(!strstr(text, "vfiotrace_dma_"), "no DMA families without --dma");
	free(text);
}

static void test_prom_addr(void)
{
	struct sockaddr_storage sa;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
	socklen_t len;
	char err[256];

	CHECK(!http_parse_addr(":9400", &sa, &len, err, sizeof(err)) && s4->sin_family == AF_INET &&
	      s4->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && ntohs(s4->sin_port) == 9400,
	      "empty address is loopback");
	CHECK(!http_parse_addr("0.0.0.0:1", &sa, &len, err, sizeof(err)) && !s4->sin_addr.s_addr, "any");
	CHECK(!http_parse_addr("[::1]:9400", &sa, &len, err, sizeof(err)) && sa.ss_family == AF_INET6, "v6");
	CHECK(http_parse_addr("9400", &sa, &len, err, sizeof(err)) && strstr(err, "[ADDR]:PORT"), "%s", err);
	CHECK(http_parse_addr("localhost:9400", &sa, &len, err, sizeof(err)) && strstr(err, "IPv4"), "%s", err);
	CHECK(http_parse_addr(":0", &sa, &len, err, sizeof(err)) && strstr(err, "1 to 65535"), "%s", err);
	CHECK(http_parse_addr(":9x", &sa, &len, err, sizeof(err)), "trailing junk");
}

static int render_fixed(void *ctx, FILE *f)
{
	fputs(ctx, f);
	return 0;
}

static int render_fails(void *ctx, FILE *f)
{
	(void)ctx;
	fputs("half", f);
	return -1;
}

/* textfile_write: whole file or nothing, never a .tmp left behind */
static void test_textfile(void)
{
	char dir[] = "/tmp/vfiotrace-unit.XXXXXX", path[64], tmp[80], buf[64] = "";
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/v.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	CHECK(!textfile_write(path, render_fixed, "a 1\n"), "write");
	CHECK(!textfile_write(path, render_fixed, "a 2\n"), "rewrite");
	f = fopen(path, "r");
	CHECK(f && fgets(buf, sizeof(buf), f) && !strcmp(buf, "a 2\n"), "content: %s", buf);
	if (f)
		fclose(f);
	CHECK(textfile_write(path, render_fails, NULL) == -EIO, "a failed render is an error");
	f = fopen(path, "r");
	CHECK(f && fgets(buf, sizeof(buf), f) && !strcmp(buf, "a 2\n"), "old file kept: %s", buf);
	if (f)
		fclose(f);
	CHECK(access(tmp, F_OK), "no temporary file left");
	unlink(path);
	rmdir(dir);
	CHECK(textfile_write(path, render_fixed, "x") == -ENOENT, "missing directory: -ENOENT");
}
