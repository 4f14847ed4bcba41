/* SPDX-License-Identifier: GPL-2.0 */
/* Types shared by the BPF programs and the loader: map keys, values, events. */
#ifndef VFIOTRACE_H
#define VFIOTRACE_H

#include "hist.h"

#define NAME_LEN 32		/* device names such as 0000:00:02.0 */
#define BUS_LEN 16
#define COMM_LEN 16
#define GROUP_MAX_DEVS 8	/* devices recorded per group (the rest are counted) */
#define STACK_DEPTH 8		/* frames kept per put: the caller and its callers; cost grows with depth */
#define MAX_ENTRIES 1024	/* groups, in-flight calls, stacks; device call sites: 4x */
#define NO_GROUP (-1)		/* domain allocation outside any VFIO attach */
#define REFCOUNT_UNAVAILABLE (-1LL)

enum event_type {
	EV_ATTACH = 1,		/* vfio_iommu_type1_attach_group returned */
	EV_DOMAIN_ALLOC = 2,	/* an IOMMU paging-domain allocation returned */
	EV_DEVICE_PUT = 3,	/* a VFIO device registration reference is dropped */
};

/* What the domain allocation function takes: decides how its bus is read. */
enum alloc_arg {
	ALLOC_ARG_BUS = 0,	/* iommu_domain_alloc(struct bus_type *) */
	ALLOC_ARG_DEV = 1,	/* iommu_paging_domain_alloc[_flags](struct device *, ...) */
};

struct group_stats {
	unsigned long long attach_ok;
	unsigned long long attach_fail;
	long long last_ret;		/* ret of the most recent failed attach */
	unsigned long long domain_allocs;
	unsigned long long domain_alloc_fail;
	unsigned long long device_puts;
	unsigned long long attach_hist[HIST_SLOTS];
	unsigned long long alloc_hist[HIST_SLOTS];
};

/* Members of a group, read from struct iommu_group at attach time. */
struct group_members {
	unsigned int ndevs;		/* all members, may exceed GROUP_MAX_DEVS */
	char devs[GROUP_MAX_DEVS][NAME_LEN];
	char buses[GROUP_MAX_DEVS][BUS_LEN];
	char alloc_bus[BUS_LEN];	/* bus the last domain allocation was for */
	char alloc_dev[NAME_LEN];	/* device it was for; "" when allocated by bus (5.10) */
};

struct err_key {
	int group;
	int err;			/* positive errno */
};

/* One (device, call site) pair that dropped a reference. */
struct put_key {
	int group;
	int stack_id;			/* <0: stack not captured */
	char dev[NAME_LEN];		/* "" when the device is unreadable on this kernel */
};

struct put_val {
	unsigned long long count;
	long long last_refcount;	/* refcount before the put, or REFCOUNT_UNAVAILABLE */
};

struct event {
	unsigned long long ts_ns;
	unsigned long long latency_ns;
	long long ret;
	long long refcount;
	unsigned int type;
	int group;
	unsigned int pid;
	unsigned int tid;
	int stack_id;
	char comm[COMM_LEN];
	char name[NAME_LEN];		/* device (put) or bus (domain_alloc) */
	/* diagnosis (issue 8) */
	int step;			/* enum diag_step of a failed attach; STEP_NONE otherwise */
	char dev[NAME_LEN];		/* domain_alloc: the device allocated for, "" if by bus */
};

/* ---- attach-failure diagnosis ---- */

#define BLOCK_MAX 4		/* blocking devices named per failure (all are counted) */
#define FAIL_STACK_DEPTH 16	/* frames kept of a failing step's kernel stack (-v) */
#define DRV_LEN 32

/* The kernel step an operation failed in. Names: user/catalogue.c. */
enum diag_step {
	STEP_NONE = 0,
	STEP_UNKNOWN,		/* no observable step failed */
	STEP_DOMAIN_ALLOC,	/* iommu_domain_alloc / iommu_paging_domain_alloc[_flags] */
	STEP_ATTACH_GROUP,	/* iommu_attach_group */
	STEP_DRIVER_ATTACH,	/* the IOMMU driver's attach_dev (intel_iommu_attach_device) */
	STEP_MSI,		/* interrupt remapping / MSI isolation check in type1 */
	STEP_MSI_COOKIE,	/* iommu_get_msi_cookie */
	STEP_DMA_OWNER,		/* iommu_group_claim_dma_owner (6.0+) */
	STEP_VIABLE,		/* vfio_dev_viable (up to 5.19) */
	STEP_GROUP_OPEN,	/* vfio_group_fops_open itself (EBUSY: held) */
	STEP_TYPE1_ATTACH,	/* a type1 attach nested in a group ioctl failed */
	NR_STEPS,
};

/* The user-visible operation a failure ended. */
enum diag_op {
	OP_ATTACH = 1,		/* vfio_iommu_type1_attach_group (VFIO_SET_IOMMU) */
	OP_SET_CONTAINER,	/* VFIO_GROUP_SET_CONTAINER */
	OP_GET_DEVICE_FD,	/* VFIO_GROUP_GET_DEVICE_FD */
	OP_GROUP_OPEN,		/* open("/dev/vfio/N") */
	NR_OPS,
};

#define EV_GROUP_FAIL 16	/* a group open / set-container / get-device-fd failed */

struct fail_key {
	int group;
	int op;
	int step;
	int err;			/* positive errno */
};

struct holder {
	unsigned int pid;		/* the process that opened /dev/vfio/N */
	unsigned int from_proc;		/* 1: found in /proc at start-up, since_ns unknown */
	unsigned long long since_ns;	/* CLOCK_MONOTONIC of the open */
	char comm[COMM_LEN];
};

struct culprit {
	unsigned int nblock;		/* blocking devices, may exceed BLOCK_MAX */
	unsigned int has_holder;
	char block_dev[BLOCK_MAX][NAME_LEN];
	char block_drv[BLOCK_MAX][DRV_LEN];
	struct holder holder;
};

struct fail_event {
	struct event ev;		/* type EV_GROUP_FAIL; ev.step = failed step */
	int op;
	struct culprit c;
};

#endif
