// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-workload: drives the VFIO container API the way QEMU does and prints,
 * as one JSON line per group, exactly what it did. The VM tests compare
 * vfiotrace's output with these lines, so every count here is an action the
 * kernel really saw, never a planned one.
 *
 *   open /dev/vfio/vfio -> open /dev/vfio/N -> GROUP_SET_CONTAINER ->
 *   SET_IOMMU(TYPE1v2)  (this is where vfio_iommu_type1_attach_group runs) ->
 *   GROUP_GET_DEVICE_FD for every device of the group -> [--reset: DEVICE_RESET on each
 *   device fd] -> [--hot-reset: GET_PCI_HOT_RESET_INFO and PCI_HOT_RESET on the first
 *   device fd] -> [--dma-fault: the device DMAs where nothing is mapped, vfio-fault.c] ->
 *   hold -> close all
 *
 * --iommufd: the same through /dev/iommu and the device cdevs (tools/vfio-iommufd.c):
 *   open /dev/iommu -> IOAS_ALLOC -> for each device: open /dev/vfio/devices/vfioN ->
 *   BIND_IOMMUFD -> ATTACH_IOMMUFD_PT(IOAS) -> [--dma: IOAS_MAP / IOAS_UNMAP] -> [--reset] ->
 *   hold -> DETACH_IOMMUFD_PT, close each -> DESTROY the IOAS, close
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vfio-fault.h"
#include "vfio-iommufd.h"

#define MAX_GROUPS 256
#define MAX_DEVS 16
#define MAX_AFFECTED 64	/* devices a hot reset may affect that are recorded */

struct group_run {
	int group;
	int attaches, attach_ok, attach_fail;
	int err_no;		/* errno of the last failed attach */
	int err_count;
	int dev_opened, dev_closed, dev_open_fail;
	int ndevs;
	char devs[MAX_DEVS][64];
	int closes[MAX_DEVS];	/* device fds closed, per device */
	/* --dma: what VFIO_IOMMU_MAP_DMA / UNMAP_DMA returned */
	int maps, map_fail, unmaps, unmap_fail, dma_errno;
	unsigned long long bytes_mapped, bytes_unmapped;
	/* --dma-fail: the map that failed, the mapping it overlapped, maps that succeeded first */
	struct range { unsigned long long iova, size, vaddr; } failed, existing;
	int mapped_before_fail;
	/* --report: errno the kernel returned at each stage (0: not failed) */
	int open_errno, set_container_errno, get_device_fd_errno;
	/* --reset: VFIO_DEVICE_RESET per device (index as devs), errno of the last failure */
	int reset_ok[MAX_DEVS], reset_fail[MAX_DEVS], reset_errno[MAX_DEVS];
	/* --hot-reset: the last attach's GET_PCI_HOT_RESET_INFO (ground truth of the affected
	 * devices) and PCI_HOT_RESET; attempts/ok/fail count every attach's reset */
	int hr_attempts, hr_ok, hr_fail, hr_fail_errno;
	int hr_dev;			/* devs index the last attempt used */
	int hr_ret, hr_errno;		/* the last attempt's ioctl return and errno (0: success) */
	int hr_ngroups, hr_groups[MAX_GROUPS];	/* group fds passed in the last attempt */
	int hr_nskip, hr_skip[MAX_GROUPS], hr_skip_errno[MAX_GROUPS];	/* open of /dev/vfio/N failed */
	int info_errno;			/* the last attach's info ioctl failed with this errno */
	int info_count;			/* devices the last info listed (may exceed MAX_AFFECTED) */
	/* --iommufd: IOAS allocations, binds, detaches; the last run's paging objects (HWPTs) */
	int ioas_allocs, ioas_errno, binds, bind_fail, bind_errno, detaches, detach_fail;
	int hwpt_allocs;		/* distinct HWPTs per run, summed: each a fresh IOAS's allocation */
	int nhwpts;
	unsigned int hwpts[MAX_DEVS];
	struct { unsigned int group; unsigned short segment; unsigned char bus, devfn; } info[MAX_AFFECTED];
};

static int attach_times = 1;
static int hold_seconds;
static int open_devices = 1;
static unsigned long long dma_size;	/* --dma SIZE: map and unmap a buffer of SIZE bytes */
static int dma_count = 1;
static long long memlock = -1;		/* --memlock BYTES: RLIMIT_MEMLOCK, CAP_IPC_LOCK dropped */
#define DMA_IOVA 0x10000000ULL

static int reset_times;			/* --reset N: VFIO_DEVICE_RESET N times per device fd */
static int hot_reset;			/* --hot-reset GROUPS given */
static int hr_ngroups, hr_groups[MAX_GROUPS];	/* its groups, in the order given */

static const char *dma_fail;		/* --dma-fail KIND: provoke one map failure */
static int use_iommufd;			/* --iommufd: /dev/iommu and the cdevs, not the container */
static unsigned int ioas_id;		/* --iommufd: the IOAS of the run in progress */
static unsigned long long fail_iova;

static void *buffer(unsigned long long size)
{
	void *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED) {
		perror("vfio-workload: mmap");
		exit(1);
	}
	return buf;
}

static int map_one(struct group_run *r, int container, unsigned long long iova, unsigned long long size,
		   void *buf)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (unsigned long)buf, .iova = iova, .size = size };

	r->maps++;
	if (use_iommufd ? iommufd_map(container, ioas_id, iova, size, buf) :
			  ioctl(container, VFIO_IOMMU_MAP_DMA, &map)) {
		r->map_fail++;
		r->dma_errno = errno;
		r->failed = (struct range){ iova, size, map.vaddr };
		return -1;
	}
	r->bytes_mapped += size;
	return 0;
}

static void unmap_one(struct group_run *r, int container, unsigned long long iova, unsigned long long size)
{
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap), .iova = iova, .size = size };
	unsigned long long done;

	r->unmaps++;
	if (use_iommufd) {
		if (iommufd_unmap(container, ioas_id, iova, size, &done)) {
			r->unmap_fail++;
			r->dma_errno = errno;
		} else {
			r->bytes_unmapped += done;
		}
		return;
	}
	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap)) {
		r->unmap_fail++;
		r->dma_errno = errno;
	} else {
		r->bytes_unmapped += unmap.size;
	}
}

/* After SET_IOMMU: map and unmap an anonymous buffer dma_count times, counting what the kernel did. */
static void run_dma(struct group_run *r, int container)
{
	int i;

	for (i = 0; i < dma_count; i++) {
		void *buf = buffer(dma_size);

		if (!map_one(r, container, DMA_IOVA, dma_size, buf))
			unmap_one(r, container, DMA_IOVA, dma_size);
		munmap(buf, dma_size);
	}
}

/* --dma-fail: one map the kernel refuses, for each cause type1 tells apart by errno. */
static void run_dma_fail(struct group_run *r, int container)
{
	unsigned long long half = dma_size / 2 & ~4095ULL;
	char *buf = buffer(2 * dma_size);
	int i;

	if (!strcmp(dma_fail, "fault")) {		/* EFAULT: the user range is not mapped */
		munmap(buf, 2 * dma_size);
		map_one(r, container, DMA_IOVA, dma_size, buf);
		return;
	}
	if (!strcmp(dma_fail, "misalign")) {		/* EINVAL: size not a multiple of the page */
		map_one(r, container, DMA_IOVA, dma_size + 2048, buf);
	} else if (!strcmp(dma_fail, "iova")) {		/* EINVAL: outside the valid IOVA ranges */
		if (!map_one(r, container, fail_iova, dma_size, buf))
			unmap_one(r, container, fail_iova, dma_size);
	} else if (!strcmp(dma_fail, "overlap")) {	/* EEXIST: half of it is mapped already */
		if (!map_one(r, container, DMA_IOVA, dma_size, buf)) {
			r->existing = (struct range){ DMA_IOVA, dma_size, (unsigned long)buf };
			map_one(r, container, DMA_IOVA + half, dma_size, buf + dma_size);
			unmap_one(r, container, DMA_IOVA, dma_size);
		}
	} else if (!strcmp(dma_fail, "limit")) {	/* ENOSPC: dma_count maps kept, past dma_entry_limit */
		munmap(buf, 2 * dma_size);
		buf = buffer(dma_count * dma_size);
		for (i = 0; i < dma_count; i++) {
			if (map_one(r, container, DMA_IOVA + i * dma_size, dma_size, buf + i * dma_size))
				break;
			r->mapped_before_fail++;
		}
		while (i--)
			unmap_one(r, container, DMA_IOVA + i * dma_size, dma_size);
		munmap(buf, dma_count * dma_size);
		return;
	}
	munmap(buf, 2 * dma_size);
}

/* --memlock: the limit applies only without CAP_IPC_LOCK, so drop it (as an unprivileged VMM runs). */
static void limit_memlock(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	struct rlimit rl = { .rlim_cur = memlock, .rlim_max = memlock };

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || syscall(SYS_capget, &h, d)) {
		perror("vfio-workload: --memlock");
		exit(1);
	}
	d[0].effective &= ~(1U << CAP_IPC_LOCK);
	d[0].permitted &= ~(1U << CAP_IPC_LOCK);
	if (syscall(SYS_capset, &h, d)) {
		perror("vfio-workload: dropping CAP_IPC_LOCK");
		exit(1);
	}
}
static volatile sig_atomic_t released;	/* SIGUSR1: end the hold, even one not begun yet */

static void release_hold(int sig)
{
	(void)sig;
	released = 1;
}

/* --comm-hex HEX: the task name, as bytes (quotes, backslashes, control bytes, UTF-8) */
static char comm[16];

static void set_comm(const char *hex)
{
	size_t i, n = strlen(hex) / 2;

	if (strlen(hex) % 2 || !n || n >= sizeof(comm)) {
		fprintf(stderr, "vfio-workload: --comm-hex needs 1 to 15 bytes in hex\n");
		exit(2);
	}
	for (i = 0; i < n; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1 || !b) {
			fprintf(stderr, "vfio-workload: --comm-hex: '%s' is not hex without 00\n", hex);
			exit(2);
		}
		comm[i] = (char)b;
	}
	if (prctl(PR_SET_NAME, comm)) {
		perror("vfio-workload: PR_SET_NAME");
		exit(1);
	}
}

static int report;	/* --report: a failed open / SET_CONTAINER is recorded, not fatal */

static int parse_count(const char *s, const char *opt)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 1000000) {
		fprintf(stderr, "vfio-workload: %s needs a count from 1 to 1000000, not '%s'\n", opt, s);
		exit(2);
	}
	return (int)v;
}

/* --hot-reset GROUPS: IOMMU group numbers separated by commas, e.g. 5 or 1,5 */
static void parse_groups(const char *s)
{
	const char *p = s;
	char *end;
	long v;

	hot_reset = 1;
	hr_ngroups = 0;
	for (;;) {
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno || end == p || *p == '-' || *p == '+' || v > 0x7fffffff ||
		    (*end && *end != ',') || hr_ngroups == MAX_GROUPS) {
			fprintf(stderr, "vfio-workload: --hot-reset needs 1 to %d group numbers separated "
				"by commas, not '%s'\n", MAX_GROUPS, s);
			exit(2);
		}
		hr_groups[hr_ngroups++] = (int)v;
		if (!*end)
			return;
		p = end + 1;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vfio-workload [-g GROUP]... [-n ATTACHES] [-s HOLD_SECONDS] [--no-devices] [--report]\n"
		"                     [--dma BYTES [--dma-count N] [--memlock BYTES] [--dma-fail KIND]]\n"
		"                     [--reset N] [--hot-reset GROUP[,GROUP...]]\n"
		"                     [--dma-fault never|unmapped[,N] [--fault-iova ADDR] [--fault-pace MS|Nus]\n"
		"                      [--fault-nowait] [--fault-device BDF]] [--iommufd] [-- ARGS...]\n"
		"  Attaches each VFIO group (default: every /dev/vfio/N) to a fresh type1v2\n"
		"  container ATTACHES times; each time opens a device fd for every device of\n"
		"  the group, holds them HOLD_SECONDS (SIGUSR1 ends the hold), then closes everything.\n"
		"  Prints one JSON line per group with what the kernel did.\n"
		"  --dma maps and unmaps an anonymous buffer of BYTES N times after each attach;\n"
		"  --memlock sets RLIMIT_MEMLOCK and drops CAP_IPC_LOCK first (an unprivileged VMM).\n"
		"  --dma-fail KIND provokes one failed map instead: fault (unmapped buffer, EFAULT),\n"
		"  misalign (size not page-aligned, EINVAL), iova:ADDR (map at ADDR), overlap (over a\n"
		"  mapping, EEXIST), limit (--dma-count maps kept at once; ENOSPC past dma_entry_limit).\n"
		"  --comm-hex HEX names the task with those bytes (PR_SET_NAME), e.g. hostile names.\n"
		"  --report: a failing open, SET_CONTAINER or GET_DEVICE_FD is reported (open_errno,\n"
		"  set_container_errno, get_device_fd_errno) instead of ending the program.\n"
		"  --reset N: after the device fds are opened, VFIO_DEVICE_RESET N times on each;\n"
		"  \"resets\":[{\"device\",\"ok\",\"fail\",\"errno\"(of the last failure, 0: none)}] per\n"
		"  device opened, summed over the ATTACHES.\n"
		"  --hot-reset GROUPS: then, on the first device fd opened, GET_PCI_HOT_RESET_INFO\n"
		"  (\"hot_reset_info\":[{\"device\",\"group\"}] or \"hot_reset_info_errno\", of the last\n"
		"  attach) and PCI_HOT_RESET with a group fd per group of GROUPS (the one held for the\n"
		"  group being run, else /dev/vfio/N opened for the call; a failed open is listed in\n"
		"  group_open_fail and skipped): \"hot_reset\":{\"device\",\"groups\" (passed),\n"
		"  \"group_open_fail\",\"ret\",\"errno\" (the last attach's), \"attempts\",\"ok\",\"fail\",\n"
		"  \"fail_errno\" (of the last failure)}; both are null if no device fd was opened.\n"
		"  --dma-fault KIND[,N]: then an e1000 (8086:100e; --fault-device picks one) of the group\n"
		"  fetches N transmit descriptors from an IOVA that was never mapped (never, default\n"
		"  0x40000000) or was mapped, fetched from once, and unmapped (unmapped, 0x20000000):\n"
		"  N DMA reads the IOMMU faults. Each waits for the DMAR interrupt (/proc/interrupts,\n"
		"  at most 2 s) and --fault-pace MS (default 10; Nus: microseconds); --fault-nowait: no\n"
		"  wait, a storm whose interrupts are counted once they stop. \"dma_fault\":{\"kind\",\"device\",\n"
		"  \"requester\" (the id the IOMMU sees: a PCIe-to-PCI bridge's alias),\"access\",\"ring\",\n"
		"  \"requested\",\"provoked\",\"first_addr\",\"last_addr\",\"first_ns\",\"last_ns\" (CLOCK_MONOTONIC),\n"
		"  \"pace_ms\",\"pace_us\",\"wait_irq\",\n"
		"  \"dmar_irqs_before\",\"dmar_irqs_after\",\"irq_seen\",\"irq_timeouts\",\"mapped_fetches\",\n"
		"  \"mapped_fetch_irqs\",\"mappings\":[{\"op\",\"iova\",\"size\",\"ns\",\"errno\"}],\"error\"}.\n"
		"  --iommufd: through /dev/iommu and each device's cdev (/dev/vfio/devices/vfioN, 6.6+)\n"
		"  instead of the container: per attach an IOAS, each device bound and attached to it\n"
		"  (\"attaches\" counts devices), --dma maps into the IOAS; the line adds \"ioas_allocs\",\n"
		"  \"ioas_errno\",\"binds\",\"bind_fail\",\"bind_errno\",\"detaches\",\"detach_fail\",\"hwpt_ids\"\n"
		"  (the last attach's paging objects), \"hwpt_allocs\" (distinct paging objects per attach,\n"
		"  summed: each IOAS is new, so each was allocated); \"backend\" is \"iommufd\" (else \"type1\").\n"
		"  ARGS after -- are ignored: a VMM's command line to be seen in /proc (e.g. -id 104).\n");
}

static int list_groups(int *groups)
{
	DIR *d = opendir("/dev/vfio");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < MAX_GROUPS) {
		char *end;
		long g = strtol(e->d_name, &end, 10);

		if (end != e->d_name && !*end)
			groups[n++] = (int)g;
	}
	closedir(d);
	return n;
}

static void list_devices(struct group_run *r)
{
	char path[96];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", r->group);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)) && r->ndevs < MAX_DEVS) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(r->devs[r->ndevs++], sizeof(r->devs[0]), "%.63s", e->d_name);
	}
	closedir(d);
}

/* --reset: VFIO_DEVICE_RESET reset_times times on each open device fd. */
static void run_resets(struct group_run *r, const int *devfds)
{
	int i, k;

	for (i = 0; i < r->ndevs; i++) {
		if (devfds[i] < 0)
			continue;
		for (k = 0; k < reset_times; k++) {
			if (ioctl(devfds[i], VFIO_DEVICE_RESET) == 0) {
				r->reset_ok[i]++;
			} else {
				r->reset_fail[i]++;
				r->reset_errno[i] = errno;
			}
		}
	}
}

/* GET_PCI_HOT_RESET_INFO: once with no room (the kernel says ENOSPC and the count), then with room. */
static void hot_reset_info(struct group_run *r, int devfd)
{
	struct vfio_pci_hot_reset_info hdr = { .argsz = sizeof(hdr) }, *info;
	unsigned int i;
	size_t sz;

	r->info_errno = 0;
	r->info_count = 0;
	if (ioctl(devfd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &hdr) == 0)
		return;			/* no device affected: an empty list */
	if (errno != ENOSPC) {
		r->info_errno = errno;
		return;
	}
	sz = sizeof(*info) + (size_t)hdr.count * sizeof(info->devices[0]);
	info = calloc(1, sz);
	if (!info) {
		perror("vfio-workload: calloc");
		exit(1);
	}
	info->argsz = sz;
	if (ioctl(devfd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info)) {
		r->info_errno = errno;
	} else {
		r->info_count = info->count;
		for (i = 0; i < info->count && i < MAX_AFFECTED; i++) {
			r->info[i].group = info->devices[i].group_id;
			r->info[i].segment = info->devices[i].segment;
			r->info[i].bus = info->devices[i].bus;
			r->info[i].devfn = info->devices[i].devfn;
		}
	}
	free(info);
}

/* --hot-reset: info, then PCI_HOT_RESET on device fd dev with a group fd for each group given:
 * the held one for this group, a fresh open of /dev/vfio/N (closed after) for the others. */
static void run_hot_reset(struct group_run *r, int dev, int devfd, int group)
{
	struct vfio_pci_hot_reset *hr;
	int fds[MAX_GROUPS], n = 0, i, ret;
	size_t sz = sizeof(*hr) + MAX_GROUPS * sizeof(hr->group_fds[0]);
	char path[32];

	hot_reset_info(r, devfd);
	r->hr_nskip = 0;
	for (i = 0; i < hr_ngroups; i++) {
		if (hr_groups[i] == r->group) {
			fds[n] = group;
		} else {
			snprintf(path, sizeof(path), "/dev/vfio/%d", hr_groups[i]);
			fds[n] = open(path, O_RDWR);
			if (fds[n] < 0) {
				r->hr_skip[r->hr_nskip] = hr_groups[i];
				r->hr_skip_errno[r->hr_nskip++] = errno;
				continue;
			}
		}
		r->hr_groups[n++] = hr_groups[i];
	}
	r->hr_ngroups = n;
	hr = calloc(1, sz);
	if (!hr) {
		perror("vfio-workload: calloc");
		exit(1);
	}
	hr->argsz = sizeof(*hr) + n * sizeof(hr->group_fds[0]);
	hr->count = n;
	for (i = 0; i < n; i++)
		hr->group_fds[i] = fds[i];
	ret = ioctl(devfd, VFIO_DEVICE_PCI_HOT_RESET, hr);
	r->hr_attempts++;
	r->hr_dev = dev;
	r->hr_ret = ret;
	r->hr_errno = ret ? errno : 0;
	if (ret) {
		r->hr_fail++;
		r->hr_fail_errno = errno;
	} else {
		r->hr_ok++;
	}
	free(hr);
	for (i = 0; i < n; i++)
		if (fds[i] != group)
			close(fds[i]);
}

static void hold(void)
{
	unsigned int left;

	for (left = hold_seconds; left && !released;)
		left = sleep(left);
}

/* Records the paging object (HWPT) a device was attached to, each once. */
static void note_hwpt(struct group_run *r, unsigned int hwpt)
{
	int i;

	for (i = 0; i < r->nhwpts && r->hwpts[i] != hwpt; i++)
		;
	if (i == r->nhwpts && r->nhwpts < MAX_DEVS)
		r->hwpts[r->nhwpts++] = hwpt;
}

/* --iommufd: one IOAS lifetime, each device of the group bound and attached to it. */
static void run_once_iommufd(struct group_run *r)
{
	int iommufd, devfds[MAX_DEVS], attached[MAX_DEVS] = {}, nattached = 0, i;
	unsigned int devid, hwpt;

	iommufd = iommufd_ioas_open(&ioas_id);
	if (iommufd < 0) {
		r->ioas_errno = errno;
		if (report)
			return;
		fprintf(stderr, "vfio-workload: /dev/iommu and IOAS_ALLOC: %s\n", strerror(errno));
		exit(1);
	}
	r->ioas_allocs++;
	r->nhwpts = 0;
	for (i = 0; i < r->ndevs; i++) {
		devfds[i] = iommufd_device_open(r->devs[i]);
		if (devfds[i] < 0) {
			r->dev_open_fail++;
			if (!r->get_device_fd_errno)
				r->get_device_fd_errno = errno;
			continue;
		}
		r->dev_opened++;
		if (iommufd_bind(devfds[i], iommufd, &devid)) {
			r->bind_fail++;
			r->bind_errno = errno;
			continue;
		}
		r->binds++;
		r->attaches++;
		if (iommufd_attach(devfds[i], ioas_id, &hwpt)) {
			r->attach_fail++;
			r->err_no = errno;
			r->err_count++;
			continue;
		}
		r->attach_ok++;
		attached[i] = 1;
		nattached++;
		note_hwpt(r, hwpt);
	}
	if (nattached && dma_size)
		(dma_fail ? run_dma_fail : run_dma)(r, iommufd);
	if (reset_times)
		run_resets(r, devfds);
	hold();
	for (i = 0; i < r->ndevs; i++) {
		if (attached[i]) {
			if (iommufd_detach(devfds[i]))
				r->detach_fail++;
			else
				r->detaches++;
		}
		if (devfds[i] >= 0 && close(devfds[i]) == 0) {
			r->dev_closed++;
			r->closes[i]++;
		}
	}
	iommufd_ioas_close(iommufd, ioas_id);
	r->hwpt_allocs += r->nhwpts;
}

/* One container lifetime: returns after every fd it opened is closed. */
static void run_once(struct group_run *r)
{
	int container, group, devfds[MAX_DEVS], i;
	char path[32];

	if (use_iommufd) {
		run_once_iommufd(r);
		return;
	}
	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0) {
		perror("open /dev/vfio/vfio");
		exit(1);
	}
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    !ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU)) {
		fprintf(stderr, "vfio-workload: container lacks type1v2\n");
		exit(1);
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", r->group);
	group = open(path, O_RDWR);
	if (group < 0 && report) {
		r->open_errno = errno;
		close(container);
		return;
	}
	if (group < 0) {
		fprintf(stderr, "vfio-workload: open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container)) {
		if (report) {
			r->set_container_errno = errno;
			goto out;
		}
		fprintf(stderr, "vfio-workload: SET_CONTAINER group %d: %s\n", r->group,
			strerror(errno));
		exit(1);
	}
	r->attaches++;
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		r->attach_fail++;
		r->err_no = errno;
		r->err_count++;
		goto out;
	}
	r->attach_ok++;
	if (dma_size)
		(dma_fail ? run_dma_fail : run_dma)(r, container);
	if (!open_devices)
		goto out;
	for (i = 0; i < r->ndevs; i++) {
		devfds[i] = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, r->devs[i]);
		if (devfds[i] < 0 && !r->get_device_fd_errno)
			r->get_device_fd_errno = errno;
		if (devfds[i] < 0)
			r->dev_open_fail++;
		else
			r->dev_opened++;
	}
	if (reset_times)
		run_resets(r, devfds);
	if (hot_reset) {
		for (i = 0; i < r->ndevs && devfds[i] < 0; i++)
			;
		if (i < r->ndevs)
			run_hot_reset(r, i, devfds[i], group);
	}
	if (fault_enabled())
		fault_run(container, r->ndevs, (const char (*)[64])r->devs, devfds);
	hold();
	for (i = 0; i < r->ndevs; i++) {
		if (devfds[i] >= 0 && close(devfds[i]) == 0) {
			r->dev_closed++;
			r->closes[i]++;
		}
	}
out:
	close(group);
	close(container);
}

static const char *errno_name(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case EBUSY: return "EBUSY";
	case ENOMEM: return "ENOMEM";
	case EIO: return "EIO";
	case ENODEV: return "ENODEV";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EEXIST: return "EEXIST";
	case EFAULT: return "EFAULT";
	case ENOSPC: return "ENOSPC";
	default: return "E?";
	}
}

static void print_run(const struct group_run *r)
{
	int i;

	if (comm[0]) {
		unsigned int k;

		printf("{\"comm_hex\":\"");
		for (k = 0; comm[k]; k++)
			printf("%02x", (unsigned char)comm[k]);
		printf("\",");
	} else {
		printf("{");
	}
	printf("\"group\":%d,\"pid\":%d,\"backend\":\"%s\",\"attaches\":%d,\"attach_ok\":%d,\"attach_fail\":%d,",
	       r->group, getpid(), use_iommufd ? "iommufd" : "type1", r->attaches, r->attach_ok, r->attach_fail);
	if (use_iommufd) {
		printf("\"ioas_allocs\":%d,\"ioas_errno\":%d,\"binds\":%d,\"bind_fail\":%d,\"bind_errno\":%d,"
		       "\"detaches\":%d,\"detach_fail\":%d,\"hwpt_allocs\":%d,\"hwpt_ids\":[", r->ioas_allocs,
		       r->ioas_errno, r->binds, r->bind_fail, r->bind_errno, r->detaches, r->detach_fail, r->hwpt_allocs);
		for (i = 0; i < r->nhwpts; i++)
			printf("%s%u", i ? "," : "", r->hwpts[i]);
		printf("],");
	}
	if (r->attach_fail)
		printf("\"errors\":{\"%s\":%d},\"errno\":%d,", errno_name(r->err_no),
		       r->err_count, r->err_no);
	else
		printf("\"errors\":{},");
	printf("\"device_fds_opened\":%d,\"device_fds_closed\":%d,\"device_fd_failures\":%d,"
	       "\"devices\":[",
	       r->dev_opened, r->dev_closed, r->dev_open_fail);
	for (i = 0; i < r->ndevs; i++)
		printf("%s\"%s\"", i ? "," : "", r->devs[i]);
	printf("],\"device_closes\":{");
	for (i = 0; i < r->ndevs; i++)
		printf("%s\"%s\":%d", i ? "," : "", r->devs[i], r->closes[i]);
	printf("}");
	if (dma_size)
		printf(",\"dma\":{\"size\":%llu,\"maps\":%d,\"map_fail\":%d,\"unmaps\":%d,\"unmap_fail\":%d,"
		       "\"bytes_mapped\":%llu,\"bytes_unmapped\":%llu,\"errno\":\"%s\",\"memlock\":%lld}",
		       dma_size, r->maps, r->map_fail, r->unmaps, r->unmap_fail, r->bytes_mapped,
		       r->bytes_unmapped, r->dma_errno ? errno_name(r->dma_errno) : "", memlock);
	if (dma_fail)
		printf(",\"dma_fail\":{\"kind\":\"%s\",\"errno\":\"%s\",\"iova\":%llu,\"size\":%llu,"
		       "\"vaddr\":%llu,\"existing\":{\"iova\":%llu,\"size\":%llu},\"mapped_before_fail\":%d}",
		       dma_fail, r->dma_errno ? errno_name(r->dma_errno) : "", r->failed.iova, r->failed.size,
		       r->failed.vaddr, r->existing.iova, r->existing.size, r->mapped_before_fail);
	if (report) {
		const int e[3] = { r->open_errno, r->set_container_errno, r->get_device_fd_errno };
		const char *k[3] = { "open_errno", "set_container_errno", "get_device_fd_errno" };

		for (i = 0; i < 3; i++)
			if (e[i])
				printf(",\"%s\":\"%s\"", k[i], errno_name(e[i]));
			else
				printf(",\"%s\":null", k[i]);
	}
	if (reset_times) {
		int n = 0;

		printf(",\"resets\":[");
		for (i = 0; i < r->ndevs; i++)
			if (r->reset_ok[i] + r->reset_fail[i])
				printf("%s{\"device\":\"%s\",\"ok\":%d,\"fail\":%d,\"errno\":%d}", n++ ? "," : "",
				       r->devs[i], r->reset_ok[i], r->reset_fail[i], r->reset_errno[i]);
		printf("]");
	}
	if (hot_reset && !r->hr_attempts)
		printf(",\"hot_reset_info\":null,\"hot_reset\":null");
	if (hot_reset && r->hr_attempts) {
		if (r->info_errno) {
			printf(",\"hot_reset_info_errno\":%d", r->info_errno);
		} else {
			printf(",\"hot_reset_info\":[");
			for (i = 0; i < r->info_count && i < MAX_AFFECTED; i++)
				printf("%s{\"device\":\"%04x:%02x:%02x.%x\",\"group\":%u}", i ? "," : "",
				       r->info[i].segment, r->info[i].bus, r->info[i].devfn >> 3 & 0x1f,
				       r->info[i].devfn & 7, r->info[i].group);
			printf("]");
			if (r->info_count > MAX_AFFECTED)
				printf(",\"hot_reset_info_count\":%d", r->info_count);
		}
		printf(",\"hot_reset\":{\"device\":\"%s\",\"groups\":[", r->devs[r->hr_dev]);
		for (i = 0; i < r->hr_ngroups; i++)
			printf("%s%d", i ? "," : "", r->hr_groups[i]);
		printf("],\"group_open_fail\":[");
		for (i = 0; i < r->hr_nskip; i++)
			printf("%s{\"group\":%d,\"errno\":%d}", i ? "," : "", r->hr_skip[i], r->hr_skip_errno[i]);
		printf("],\"ret\":%d,\"errno\":%d,\"attempts\":%d,\"ok\":%d,\"fail\":%d,\"fail_errno\":%d}",
		       r->hr_ret, r->hr_errno, r->hr_attempts, r->hr_ok, r->hr_fail, r->hr_fail_errno);
	}
	fault_print();
	printf("}\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "attaches", required_argument, NULL, 'n' },
		{ "hold", required_argument, NULL, 's' },
		{ "no-devices", no_argument, NULL, 'D' },
		{ "dma", required_argument, NULL, 'm' },
		{ "dma-count", required_argument, NULL, 'c' },
		{ "memlock", required_argument, NULL, 'L' },
		{ "dma-fail", required_argument, NULL, 'F' },
		{ "comm-hex", required_argument, NULL, 'C' },
		{ "report", no_argument, NULL, 'R' },
		{ "reset", required_argument, NULL, 'r' },
		{ "hot-reset", required_argument, NULL, 'H' },
		{ "dma-fault", required_argument, NULL, FAULT_OPT_KIND },
		{ "fault-iova", required_argument, NULL, FAULT_OPT_IOVA },
		{ "fault-pace", required_argument, NULL, FAULT_OPT_PACE },
		{ "fault-device", required_argument, NULL, FAULT_OPT_DEVICE },
		{ "fault-nowait", no_argument, NULL, FAULT_OPT_NOWAIT },
		{ "iommufd", no_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	static struct group_run runs[MAX_GROUPS];
	int groups[MAX_GROUPS], ngroups = 0, c, i, j;

	while ((c = getopt_long(argc, argv, "g:n:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
			if (ngroups < MAX_GROUPS)
				groups[ngroups++] = atoi(optarg);
			break;
		case 'n':
			attach_times = atoi(optarg);
			break;
		case 's':
			hold_seconds = atoi(optarg);
			break;
		case 'D':
			open_devices = 0;
			break;
		case 'm':
			dma_size = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			dma_count = atoi(optarg);
			break;
		case 'L':
			memlock = strtoll(optarg, NULL, 0);
			break;
		case 'R':
			report = 1;
			break;
		case 'I':
			use_iommufd = 1;
			break;
		case 'r':
			reset_times = parse_count(optarg, "--reset");
			break;
		case 'H':
			parse_groups(optarg);
			break;
		case 'C':
			set_comm(optarg);
			break;
		case 'F':
			dma_fail = optarg;
			if (!strncmp(optarg, "iova:", 5)) {
				fail_iova = strtoull(optarg + 5, NULL, 0);
				dma_fail = "iova";
			}
			break;
		case FAULT_OPT_KIND:
		case FAULT_OPT_IOVA:
		case FAULT_OPT_PACE:
		case FAULT_OPT_DEVICE:
		case FAULT_OPT_NOWAIT:
			fault_option(c, optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (attach_times < 1 || hold_seconds < 0) {
		fprintf(stderr, "vfio-workload: -n must be >= 1 and -s >= 0\n");
		return 2;
	}
	if (dma_fail && (!dma_size || (strcmp(dma_fail, "fault") && strcmp(dma_fail, "misalign") &&
					strcmp(dma_fail, "iova") && strcmp(dma_fail, "overlap") &&
					strcmp(dma_fail, "limit")))) {
		fprintf(stderr, "vfio-workload: --dma-fail needs --dma and one of fault, misalign, iova:ADDR, "
			"overlap, limit\n");
		return 2;
	}
	if (dma_size % 4096 || dma_count < 1) {
		fprintf(stderr, "vfio-workload: --dma must be a multiple of 4096, --dma-count >= 1\n");
		return 2;
	}
	if (use_iommufd && (!open_devices || hot_reset || fault_enabled())) {
		fprintf(stderr, "vfio-workload: --iommufd attaches the device fds: it takes neither --no-devices, "
			"--hot-reset nor --dma-fault\n");
		return 2;
	}
	signal(SIGUSR1, release_hold);
	if (memlock >= 0)
		limit_memlock();
	if (!ngroups)
		ngroups = list_groups(groups);
	if (!ngroups) {
		fprintf(stderr, "vfio-workload: no VFIO groups in /dev/vfio\n");
		return 1;
	}
	for (i = 0; i < ngroups; i++) {
		runs[i].group = groups[i];
		list_devices(&runs[i]);
		for (j = 0; j < attach_times; j++)
			run_once(&runs[i]);
		print_run(&runs[i]);
	}
	return 0;
}
