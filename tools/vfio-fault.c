// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-workload --dma-fault KIND[,N]: the ground truth of IOMMU faults (issue 24).
 *
 * On a vfio-bound e1000 (8086:100e, QEMU's model): memory space and bus mastering on in the
 * config region, then through BAR0 the transmit descriptor ring (TDBAL/TDBAH/TDLEN/TDH/TDT) is
 * pointed at an IOVA and the tail bumped by one, N times: each bump makes the device fetch one
 * 16-byte descriptor, a DMA read at ring + 16 * TDH. KIND:
 *   never     the IOVA was never mapped in this container;
 *   unmapped  a page is mapped there, one descriptor fetched while it is mapped (no fault), the
 *             page unmapped, then the N fetches.
 * A zeroed descriptor asks for nothing else (no buffer, no write-back), so each bump is one read
 * and, when the IOVA is not mapped, one fault. Paced: after each bump the DMAR interrupt count in
 * /proc/interrupts is awaited (at most 2 s), then --fault-pace MS (default 10; Nus: microseconds)
 * pass, so that the IOMMU has reported and the kernel cleared one fault before the next (QEMU's
 * VT-d keeps one fault recording register and drops a new fault of a source that still has one
 * pending). --fault-nowait: a storm, no wait for each interrupt (only the pace); the interrupts are
 * counted once they stop (irq_seen 0): QEMU then records fewer faults than fetches.
 * Everything programmed and observed is printed in the group's JSON line ("dma_fault").
 */
#include <errno.h>
#include <limits.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vfio-fault.h"
#include "pcialias.h"

/* e1000 registers (Intel 8254x manual; QEMU hw/net/e1000_regs.h) */
#define E1000_CTRL	0x0000
#define E1000_CTRL_RST	(1u << 26)
#define E1000_IMC	0x00d8
#define E1000_TCTL	0x0400
#define E1000_TCTL_EN	(1u << 1)
#define E1000_TCTL_PSP	(1u << 3)
#define E1000_TDBAL	0x3800
#define E1000_TDBAH	0x3804
#define E1000_TDLEN	0x3808
#define E1000_TDH	0x3810
#define E1000_TDT	0x3818
#define RING_LEN	4096ULL	/* 256 descriptors of 16 bytes: one page */
#define DESC		16ULL

#define MAX_HIST 8

static struct {
	const char *kind;		/* NULL: no --dma-fault */
	int count;
	unsigned long long iova;	/* 0: the kind's default */
	int pace_us;			/* --fault-pace: after each fault */
	int nowait;			/* --fault-nowait: do not wait for each fault's interrupt */
	const char *device;		/* --fault-device; NULL: the first e1000 with an fd */
} cfg = { .count = 1, .pace_us = 10000 };

static struct {
	int ran;
	char device[64], requester[16];
	unsigned long long ring, irqs_before, irqs_after, first_ns, last_ns, first_addr, last_addr;
	int provoked, irq_seen, irq_timeouts;
	int mapped_fetches, mapped_fetch_irqs;	/* unmapped: fetches while mapped, DMAR irqs they raised */
	int nhist;
	struct { const char *op; unsigned long long iova, size, ns; int err; } hist[MAX_HIST];
	const char *fail;		/* step that failed (the faults were not all provoked) */
	int fail_errno;
} st;

int fault_enabled(void)
{
	return cfg.kind != NULL;
}

static void bad(const char *msg, const char *arg)
{
	fprintf(stderr, "vfio-workload: %s, not '%s'\n", msg, arg);
	exit(2);
}

int fault_option(int opt, const char *arg)
{
	char *end;
	unsigned long long v;

	errno = 0;
	switch (opt) {
	case FAULT_OPT_KIND: {
		const char *comma = strchr(arg, ',');
		size_t n = comma ? (size_t)(comma - arg) : strlen(arg);

		if (n == 5 && !strncmp(arg, "never", 5))
			cfg.kind = "never";
		else if (n == 8 && !strncmp(arg, "unmapped", 8))
			cfg.kind = "unmapped";
		else
			bad("--dma-fault needs KIND[,N] with KIND never or unmapped", arg);
		if (comma) {
			v = strtoull(comma + 1, &end, 10);
			if (errno || end == comma + 1 || *end || v < 1 || v > 1000000)
				bad("--dma-fault: N from 1 to 1000000", arg);
			cfg.count = (int)v;
		}
		return 0;
	}
	case FAULT_OPT_IOVA:
		v = strtoull(arg, &end, 0);
		if (errno || end == arg || *end || !v || v % 4096 || v > (1ULL << 47))
			bad("--fault-iova needs a page-aligned address below 2^47", arg);
		cfg.iova = v;
		return 0;
	case FAULT_OPT_PACE:
		v = strtoull(arg, &end, 10);
		if (!errno && end != arg && !strcmp(end, "us") && v <= 10000000)
			cfg.pace_us = (int)v;
		else if (errno || end == arg || *end || v > 10000)
			bad("--fault-pace needs milliseconds from 0 to 10000 (or microseconds: Nus)", arg);
		else
			cfg.pace_us = (int)v * 1000;
		return 0;
	case FAULT_OPT_NOWAIT:
		cfg.nowait = 1;
		return 0;
	case FAULT_OPT_DEVICE:
		cfg.device = arg;
		return 0;
	}
	return -1;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* the clock of bpf_ktime_get_ns */
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_us(int us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The DMAR fault interrupts so far: every CPU's count on every /proc/interrupts line naming DMAR. */
static unsigned long long dmar_irqs(void)
{
	FILE *f = fopen("/proc/interrupts", "r");
	unsigned long long sum = 0;
	char line[4096];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), *end;

		if (!p || !strstr(line, "DMAR"))
			continue;
		for (p++;; p = end) {
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p)
				break;
			sum += v;
		}
	}
	fclose(f);
	return sum;
}

/* The requester id the IOMMU sees for dev (user/kernel/pcialias.c: as pci_for_each_dma_alias walks
 * up, a PCIe-to-PCI bridge takes ownership with (its secondary bus, 00.0), a conventional PCI
 * bridge with its own id); dev itself if unknown. */
static void requester_of(const char *dev)
{
	int rid = pci_requester_id("/sys", dev);

	if (rid < 0)
		snprintf(st.requester, sizeof(st.requester), "%.15s", dev);
	else
		snprintf(st.requester, sizeof(st.requester), "%.4s:%02x:%02x.%x", dev, (rid >> 8) & 0xff, (rid >> 3) & 0x1f,
			 rid & 7);
}

static int region(int devfd, unsigned int index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, ri);
}

static int fail(const char *step)
{
	st.fail = step;
	st.fail_errno = errno;
	return -1;
}

static int bar_write(int devfd, const struct vfio_region_info *bar, unsigned int reg, unsigned int val)
{
	if (pwrite(devfd, &val, 4, bar->offset + reg) != 4)
		return fail("bar0 write");
	return 0;
}

static void history(const char *op, unsigned long long iova, unsigned long long size, int err)
{
	if (st.nhist < MAX_HIST)
		st.hist[st.nhist++] = (typeof(st.hist[0])){ op, iova, size, now_ns(), err };
}

/* One tail bump: the device fetches the descriptor at TDH; wait for the DMAR interrupt it raises
 * (when the IOVA is not mapped). Returns whether the interrupt count rose. */
static int fetch(int devfd, const struct vfio_region_info *bar, unsigned int *tail, int expect_fault)
{
	unsigned long long before = dmar_irqs(), addr = st.ring + DESC * *tail;
	int waited;

	*tail = (*tail + 1) % (RING_LEN / DESC);
	if (bar_write(devfd, bar, E1000_TDT, *tail))
		return 0;
	if (expect_fault) {
		if (!st.provoked++) {
			st.first_ns = now_ns();
			st.first_addr = addr;
		}
		st.last_ns = now_ns();
		st.last_addr = addr;
	}
	if (cfg.nowait && expect_fault) {	/* a storm: the interrupts are counted at the end */
		if (cfg.pace_us)
			sleep_us(cfg.pace_us);
		return 0;
	}
	for (waited = 0; dmar_irqs() == before && waited < (expect_fault ? 2000 : 100); waited++)
		sleep_us(1000);
	if (cfg.pace_us)
		sleep_us(cfg.pace_us);
	return dmar_irqs() != before;
}

static int pick(int ndevs, const char (*devs)[64], const int *devfds)
{
	char path[128], id[16];
	int i;

	for (i = 0; i < ndevs; i++) {
		FILE *f;
		unsigned int ven = 0, dev = 0;

		if (devfds[i] < 0 || (cfg.device && strcmp(cfg.device, devs[i])))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", devs[i]);
		if ((f = fopen(path, "r"))) {
			if (fgets(id, sizeof(id), f))
				ven = strtoul(id, NULL, 16);
			fclose(f);
		}
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", devs[i]);
		if ((f = fopen(path, "r"))) {
			if (fgets(id, sizeof(id), f))
				dev = strtoul(id, NULL, 16);
			fclose(f);
		}
		if (ven == 0x8086 && dev == 0x100e)
			return i;
	}
	return -1;
}

void fault_run(int container, int ndevs, const char (*devs)[64], const int *devfds)
{
	struct vfio_region_info cfgr, bar;
	unsigned short cmd, on;
	unsigned int tail = 0;
	void *page = NULL;
	int d = pick(ndevs, devs, devfds), fd, i;

	if (d < 0) {
		st.fail = "no e1000 (8086:100e) device fd in the group";
		return;
	}
	fd = devfds[d];
	st.ran = 1;
	snprintf(st.device, sizeof(st.device), "%s", devs[d]);
	requester_of(devs[d]);
	st.ring = cfg.iova ? cfg.iova : !strcmp(cfg.kind, "never") ? 0x40000000ULL : 0x20000000ULL;
	if (region(fd, VFIO_PCI_CONFIG_REGION_INDEX, &cfgr) || region(fd, VFIO_PCI_BAR0_REGION_INDEX, &bar)) {
		fail("region info");
		return;
	}
	if (pread(fd, &cmd, 2, cfgr.offset + PCI_COMMAND) != 2) {
		fail("config read");
		return;
	}
	on = cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(fd, &on, 2, cfgr.offset + PCI_COMMAND) != 2) {
		fail("config write");
		return;
	}
	if (bar_write(fd, &bar, E1000_CTRL, E1000_CTRL_RST) || bar_write(fd, &bar, E1000_IMC, ~0u) ||
	    bar_write(fd, &bar, E1000_TCTL, 0) || bar_write(fd, &bar, E1000_TDBAL, (unsigned int)st.ring) ||
	    bar_write(fd, &bar, E1000_TDBAH, (unsigned int)(st.ring >> 32)) ||
	    bar_write(fd, &bar, E1000_TDLEN, RING_LEN) || bar_write(fd, &bar, E1000_TDH, 0) ||
	    bar_write(fd, &bar, E1000_TDT, 0) || bar_write(fd, &bar, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP))
		goto restore;
	if (!strcmp(cfg.kind, "unmapped")) {
		struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE, .iova = st.ring, .size = 4096 };
		struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap), .iova = st.ring, .size = 4096 };

		page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED) {
			page = NULL;
			fail("mmap");
			goto restore;
		}
		memset(page, 0, 4096);		/* zeroed descriptors: no buffer, no write-back */
		map.vaddr = (unsigned long)page;
		if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map)) {
			history("map", st.ring, 4096, errno);
			fail("map");
			goto restore;
		}
		history("map", st.ring, 4096, 0);
		st.mapped_fetches++;
		st.mapped_fetch_irqs += fetch(fd, &bar, &tail, 0);
		if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap)) {
			history("unmap", st.ring, 4096, errno);
			fail("unmap");
			goto restore;
		}
		history("unmap", st.ring, unmap.size, 0);
	}
	if (!st.provoked)		/* the first attach's (-n runs them again) */
		st.irqs_before = dmar_irqs();
	for (i = 0; i < cfg.count && !st.fail; i++) {
		if (fetch(fd, &bar, &tail, 1))
			st.irq_seen++;
		else if (!st.fail && !cfg.nowait)
			st.irq_timeouts++;
	}
	if (cfg.nowait) {		/* until the count stands still for 100 ms (at most 5 s) */
		unsigned long long last = dmar_irqs();
		int still = 0, waited;

		for (waited = 0; still < 100 && waited < 5000; waited++) {
			sleep_us(1000);
			if (dmar_irqs() == last) {
				still++;
			} else {
				last = dmar_irqs();
				still = 0;
			}
		}
	}
	st.irqs_after = dmar_irqs();
restore:
	bar_write(fd, &bar, E1000_TCTL, 0);
	if (pwrite(fd, &cmd, 2, cfgr.offset + PCI_COMMAND) != 2 && !st.fail)
		fail("config restore");
	if (page)
		munmap(page, 4096);
}

void fault_print(void)
{
	int i;

	if (!cfg.kind)
		return;
	if (!st.ran) {
		printf(",\"dma_fault\":null");
		if (st.fail)
			printf(",\"dma_fault_error\":\"%s\"", st.fail);
		return;
	}
	printf(",\"dma_fault\":{\"kind\":\"%s\",\"device\":\"%s\",\"requester\":\"%s\",\"access\":\"read\","
	       "\"ring\":%llu,\"ring_len\":%llu,\"requested\":%d,\"provoked\":%d,\"first_addr\":%llu,"
	       "\"last_addr\":%llu,\"first_ns\":%llu,\"last_ns\":%llu,\"pace_ms\":%d,\"pace_us\":%d,\"wait_irq\":%s,"
	       "\"dmar_irqs_before\":%llu,\"dmar_irqs_after\":%llu,\"irq_seen\":%d,\"irq_timeouts\":%d,"
	       "\"mapped_fetches\":%d,\"mapped_fetch_irqs\":%d,\"mappings\":[",
	       cfg.kind, st.device, st.requester, st.ring, RING_LEN, cfg.count, st.provoked, st.first_addr,
	       st.last_addr, st.first_ns, st.last_ns, cfg.pace_us / 1000, cfg.pace_us, cfg.nowait ? "false" : "true",
	       st.irqs_before, st.irqs_after, st.irq_seen,
	       st.irq_timeouts, st.mapped_fetches, st.mapped_fetch_irqs);
	for (i = 0; i < st.nhist; i++)
		printf("%s{\"op\":\"%s\",\"iova\":%llu,\"size\":%llu,\"ns\":%llu,\"errno\":%d}", i ? "," : "",
		       st.hist[i].op, st.hist[i].iova, st.hist[i].size, st.hist[i].ns, st.hist[i].err);
	printf("],\"error\":");
	if (st.fail)
		printf("{\"step\":\"%s\",\"errno\":%d}}", st.fail, st.fail_errno);
	else
		printf("null}");
	memset(&st, 0, sizeof(st));
}
