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
	EV_DEVICE_GET = 4,	/* a VFIO device registration reference is taken */
	EV_UNREG_BEGIN = 5,	/* vfio_unregister_group_dev entered (may wait for references) */
	EV_UNREG_END = 6,	/* vfio_unregister_group_dev returned; latency_ns: time inside */
};

enum ref_kind { REF_PUT = 0, REF_GET = 1 };

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
};

struct err_key {
	int group;
	int err;			/* positive errno */
};

/* One (device, call site, get or put) that took or dropped a reference. */
struct ref_key {
	int group;
	int stack_id;			/* <0: stack not captured */
	int kind;			/* enum ref_kind */
	char dev[NAME_LEN];		/* "" when the device is unreadable on this kernel */
};

struct ref_val {
	unsigned long long count;
	long long last_refcount;	/* refcount before the transition, or REFCOUNT_UNAVAILABLE */
};

/* One struct vfio_device (keyed by its address): every get and put it saw. */
struct dev_refs {
	char name[NAME_LEN];		/* "" until known */
	int group;			/* NO_GROUP until known */
	unsigned long long gets, puts;
	long long refcount;		/* after the last transition, or REFCOUNT_UNAVAILABLE */
	long long peak;			/* highest refcount seen, or REFCOUNT_UNAVAILABLE */
};

struct event {
	unsigned long long ts_ns;
	unsigned long long latency_ns;
	long long ret;
	long long refcount;		/* references: the count before the transition */
	unsigned int type;
	int group;
	unsigned int pid;
	unsigned int tid;
	int stack_id;
	char comm[COMM_LEN];
	unsigned long long dev_ptr;	/* struct vfio_device address (gets, puts, unregistration) */
	char name[NAME_LEN];		/* device (references) or bus (domain_alloc) */
};

#endif
