// SPDX-License-Identifier: GPL-2.0
/*
 * kprobe-cost: what arming and disarming a perf-event kprobe costs the kernel,
 * apart from any tracer. Opens a kprobe and a kretprobe on every FUNCTION
 * (disabled, as libbpf and vfiotrace open them: the open arms the probe),
 * closes them, and prints the time of each half; twice, by name and by the
 * address /proc/kallsyms gives (before 6.2 a kprobe by name scans every
 * symbol). Run in a guest under `-icount` (tools/vmtest VMTEST_ICOUNT) the
 * times count instructions. Built by hand: gcc -O2 -static (docs/benchmarks.md, run 28).
 * usage: kprobe-cost FUNCTION...
 */
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_FUNCS 128

static int pmu_type, retprobe_bit;

static int sysfs_int(const char *path, const char *prefix)
{
	char b[64];
	int v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fgets(b, sizeof(b), f) && !strncmp(b, prefix, strlen(prefix)))
		sscanf(b + strlen(prefix), "%d", &v);
	fclose(f);
	return v;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* A disabled kprobe (ret: kretprobe) by name, or by addr when name is NULL: its fd, or -1. */
static int open_probe(const char *name, unsigned long long addr, int ret)
{
	struct perf_event_attr a = { .size = sizeof(a), .disabled = 1, .type = pmu_type };

	a.config = ret ? 1ULL << retprobe_bit : 0;
	a.config1 = name ? (uint64_t)(uintptr_t)name : 0;
	a.config2 = name ? 0 : addr;
	return (int)syscall(SYS_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
}

int main(int argc, char **argv)
{
	static unsigned long long addr[MAX_FUNCS];
	static int fds[2 * MAX_FUNCS];
	int n = argc - 1, i, by_addr;
	char line[512], name[256], type;
	unsigned long long a;
	FILE *f;

	if (n < 1 || n > MAX_FUNCS) {
		fprintf(stderr, "usage: kprobe-cost FUNCTION... (1 to %d)\n", MAX_FUNCS);
		return 2;
	}
	pmu_type = sysfs_int("/sys/bus/event_source/devices/kprobe/type", "");
	retprobe_bit = sysfs_int("/sys/bus/event_source/devices/kprobe/format/retprobe", "config:");
	if (pmu_type < 0 || retprobe_bit < 0 || !(f = fopen("/proc/kallsyms", "r"))) {
		fprintf(stderr, "kprobe-cost: no kprobe PMU or /proc/kallsyms: run as root on a kernel with kprobes\n");
		return 1;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &a, &type, name) == 3)
			for (i = 0; i < n; i++)
				if (!addr[i] && !strcmp(name, argv[i + 1]))
					addr[i] = a;
	fclose(f);
	for (by_addr = 0; by_addr < 2; by_addr++) {
		double t0 = now(), t1, t2;
		int opened = 0;

		for (i = 0; i < 2 * n; i++) {
			fds[i] = open_probe(by_addr ? NULL : argv[i / 2 + 1], addr[i / 2], i % 2);
			opened += fds[i] >= 0;
		}
		t1 = now();
		for (i = 0; i < 2 * n; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		t2 = now();
		printf("%s: %d of %d opened in %.3f s (%.2f ms each), closed in %.3f s (%.2f ms each)\n",
		       by_addr ? "by address" : "by name", opened, 2 * n, t1 - t0,
		       opened ? (t1 - t0) * 1e3 / opened : 0.0, t2 - t1, opened ? (t2 - t1) * 1e3 / opened : 0.0);
	}
	return 0;
}
