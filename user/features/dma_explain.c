// SPDX-License-Identifier: GPL-2.0
/*
 * Why one VFIO_IOMMU_MAP_DMA failed: the step, told apart from the errno, the
 * request and the container state read at the failure (bpf/dma.bpf.c), then
 * cause and remedy from the catalogue and one line of detail with the numbers.
 * The checks mirror vfio_dma_do_map()'s order (shared/KERNELS.md).
 */
#include <stdio.h>
#include <string.h>
#include "catalogue.h"
#include "dma_explain.h"
#include "errnames.h"

#define ENOMEM_ 12
#define EFAULT_ 14
#define EEXIST_ 17
#define EINVAL_ 22
#define ENOSPC_ 28

/* include/uapi/linux/vfio.h */
#define MAP_READ 1u
#define MAP_WRITE 2u
#define MAP_VADDR 4u
#define MAP_MINSZ 32u
#define MIN_PAGE 4096ull	/* no IOMMU page is smaller: misalignment below it is certain */

static const char *const entry_limit_path = "/sys/module/vfio_iommu_type1/parameters/dma_entry_limit";

long long dma_entry_limit(void)
{
	FILE *f = fopen(entry_limit_path, "r");
	long long v = -1;

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void misaligned(const struct dma_failure *f, unsigned long long pg, char *d, size_t n)
{
	const struct {
		const char *name;
		unsigned long long v;
	} v[] = { { "size", f->size }, { "iova", f->iova }, { "vaddr", f->vaddr } };
	size_t len = (size_t)snprintf(d, n, "not aligned to the IOMMU page size 0x%llx:", pg);
	unsigned int i, k = 0;

	for (i = 0; i < 3 && len < n; i++)
		if (v[i].v & (pg - 1))
			len += (size_t)snprintf(d + len, n - len, "%s %s 0x%llx", k++ ? "," : "", v[i].name, v[i].v);
}

/* EINVAL: which of the request's checks failed, if one did (detail written). */
static bool bad_request(const struct dma_failure *f, char *d, size_t n)
{
	unsigned long long pg = f->pgsize ? f->pgsize : MIN_PAGE;
	unsigned long long mis = (f->size | f->iova | f->vaddr) & (pg - 1);
	bool rw = f->flags & (MAP_READ | MAP_WRITE), vaddr = f->flags & MAP_VADDR;

	if (f->argsz < MAP_MINSZ)
		snprintf(d, n, "argsz %u is below the %u bytes of struct vfio_iommu_type1_dma_map", f->argsz,
			 MAP_MINSZ);
	else if (f->flags & ~(MAP_READ | MAP_WRITE | MAP_VADDR))
		snprintf(d, n, "flags 0x%x has bits VFIO does not know", f->flags);
	else if (rw == vaddr)
		snprintf(d, n, "flags 0x%x: a map needs READ and/or WRITE, and VADDR only alone", f->flags);
	else if (!f->size)
		snprintf(d, n, "size is 0");
	else if (mis)
		misaligned(f, pg, d, n);
	else if (f->iova + f->size - 1 < f->iova || f->vaddr + f->size - 1 < f->vaddr)
		snprintf(d, n, "iova 0x%llx or vaddr 0x%llx + size 0x%llx wraps around", f->iova, f->vaddr,
			 f->size);
	else
		return false;
	return true;
}

static bool in_ranges(const struct dma_failure *f)
{
	unsigned long long end = f->iova + f->size - 1;
	unsigned int i;

	for (i = 0; i < f->nranges && i < DMA_RANGES; i++)
		if (f->iova >= f->ranges[i][0] && end <= f->ranges[i][1])
			return true;
	return false;
}

static void ranges_text(const struct dma_failure *f, char *d, size_t n)
{
	size_t len;
	unsigned int i;

	len = (size_t)snprintf(d, n, "iova 0x%llx-0x%llx is in none of the container's %u valid IOVA ranges:",
			       f->iova, f->iova + f->size - 1, f->nranges);
	for (i = 0; i < f->nranges && i < DMA_RANGES && len < n; i++)
		len += (size_t)snprintf(d + len, n - len, "%s 0x%llx-0x%llx", i ? "," : "", f->ranges[i][0],
					f->ranges[i][1]);
	if (f->nranges > DMA_RANGES && len < n)
		snprintf(d + len, n - len, " (and %u more)", f->nranges - DMA_RANGES);
}

/* lim: dma_entry_limit for an ENOSPC, read once per failure by dma_explain() */
static int classify(const struct dma_failure *f, int err, long long lim, char *d, size_t n)
{
	/* iommufd refuses the map at once when the user's pins would pass the limit */
	if (f->iommufd && err == ENOMEM_ && f->locked + f->size > f->memlock_limit) {
		snprintf(d, n, "RLIMIT_MEMLOCK %llu bytes; uid %u had %llu locked through iommufd (by all its "
			 "processes: iommufd accounts per user), mapping %llu more", f->memlock_limit, f->uid,
			 f->locked, f->size);
		return STEP_DMA_PIN_USER;
	}
	if (f->pin_failed) {
		if (err == ENOMEM_)
			snprintf(d, n, "RLIMIT_MEMLOCK %llu bytes, %llu locked before, pinning %llu more",
				 f->memlock_limit, f->locked, f->pin_size);
		else if (err == EFAULT_)
			snprintf(d, n, "no page at user address 0x%llx or after it, within the request's vaddr "
				 "0x%llx-0x%llx", f->pin_vaddr, f->vaddr, f->vaddr + f->size - 1);
		return STEP_DMA_PIN;
	}
	switch (err) {
	case EFAULT_:
		snprintf(d, n, "the request could not be read from the ioctl's argument");
		return STEP_DMA_REQUEST;
	case EEXIST_:
		if (f->has_existing)
			snprintf(d, n, "iova 0x%llx-0x%llx overlaps the mapping 0x%llx-0x%llx", f->iova,
				 f->iova + f->size - 1, f->existing_iova, f->existing_iova + f->existing_size - 1);
		else
			snprintf(d, n, "iova 0x%llx-0x%llx overlaps a mapping (not read: no type1 BTF)", f->iova,
				 f->iova + f->size - 1);
		return STEP_DMA_OVERLAP;
	case ENOSPC_:
		if (lim >= 0)
			snprintf(d, n, "every entry is used (dma_avail %s); vfio_iommu_type1.dma_entry_limit is now %lld",
				 f->known ? "0" : "not read", lim);
		else
			snprintf(d, n, "every entry is used; %s unreadable", entry_limit_path);
		return STEP_DMA_LIMIT;
	case EINVAL_:
		if (bad_request(f, d, n))
			return STEP_DMA_REQUEST;
		if (f->nranges && !in_ranges(f)) {
			ranges_text(f, d, n);
			return STEP_DMA_IOVA_RANGE;
		}
		snprintf(d, n, "%s", f->known ? "no check vfiotrace can read failed (a VADDR update?)" :
			 "the request is well formed; the IOVA ranges are not readable without type1 BTF");
		return STEP_UNKNOWN;
	default:
		return STEP_UNKNOWN;
	}
}

void dma_explain(const struct dma_failure *f, struct dma_explained *x)
{
	int err = (int)-f->ret;

	static unsigned int kver;

	if (!kver)
		kver = running_kernel();
	memset(x, 0, sizeof(*x));
	x->entry_limit = err == ENOSPC_ && !f->pin_failed ? dma_entry_limit() : -1;
	x->step = classify(f, err, x->entry_limit, x->detail, sizeof(x->detail));
	catalogue_explain(OP_DMA_MAP, x->step, err, kver, &x->cause, &x->remedy);
}

static void uint_or_null(struct json *j, const char *key, bool known, unsigned long long v)
{
	if (known)
		json_uint(j, key, v);
	else
		json_null(j, key);
}

void dma_json_numbers(struct json *j, const struct dma_failure *f, const struct dma_explained *x)
{
	bool pin = x->step == STEP_DMA_PIN, user = x->step == STEP_DMA_PIN_USER;
	bool memlock = (pin || user) && (int)-f->ret == ENOMEM_;
	bool ranges = (int)-f->ret == EINVAL_ && f->known && f->nranges;
	unsigned int i;

	json_str(j, "detail", x->detail);
	json_uint(j, "vaddr", f->vaddr);
	uint_or_null(j, "page_size", f->known && f->pgsize, f->pgsize);
	uint_or_null(j, "memlock_limit", memlock, f->memlock_limit);
	uint_or_null(j, "locked", memlock, f->locked);
	uint_or_null(j, "pin_size", memlock, user ? f->size : f->pin_size);
	if (memlock)	/* type1 counts the process's locked memory, iommufd its user's */
		json_str(j, "memlock_account", user ? "user" : "process");
	else
		json_null(j, "memlock_account");
	uint_or_null(j, "uid", user, f->uid);
	uint_or_null(j, "pin_vaddr", pin, f->pin_vaddr);
	uint_or_null(j, "existing_iova", f->has_existing, f->existing_iova);
	uint_or_null(j, "existing_size", f->has_existing, f->existing_size);
	uint_or_null(j, "dma_entry_limit", x->entry_limit >= 0, (unsigned long long)x->entry_limit);
	if (ranges) {
		json_arr_begin(j, "valid_iova_ranges");
		for (i = 0; i < f->nranges && i < DMA_RANGES; i++) {
			json_arr_begin(j, NULL);
			json_uint(j, NULL, f->ranges[i][0]);
			json_uint(j, NULL, f->ranges[i][1]);
			json_arr_end(j);
		}
		json_arr_end(j);
	} else {
		json_null(j, "valid_iova_ranges");
	}
	uint_or_null(j, "valid_iova_range_count", ranges, f->nranges);
}

void dma_json_failure(struct json *j, const struct dma_failure *f)
{
	struct dma_explained x;

	dma_explain(f, &x);
	json_str(j, "errno", errno_name((int)-f->ret));
	json_str(j, "failed_step", step_name(x.step));
	json_str(j, "cause", x.cause);
	json_str(j, "remedy", x.remedy);
	dma_json_numbers(j, f, &x);
}
