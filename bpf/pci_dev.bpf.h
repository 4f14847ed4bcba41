/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the device sources share (vfio_pci.bpf.c: who asked, reset.bpf.c: the
 * resets, power.bpf.c: the D-states): the call of vfio-pci in progress per
 * thread, the per-device and per-reset tables, the reads of a struct pci_dev
 * and the event of a device. The maps are defined once, in common.bpf.c.
 */
#ifndef VFIOTRACE_PCI_DEV_BPF_H
#define VFIOTRACE_PCI_DEV_BPF_H

#include "kcast.bpf.h"
#include "vfio_shared.bpf.h"

#define ENOTTY 25

/* A vfio-pci open, close or reset ioctl in progress on this thread. */
struct vfio_call {
	__u64 ts;
	struct pci_dev *pdev;
	char name[NAME_LEN];		/* pdev's, read once for the hooks inside the call */
	int trigger;			/* enum reset_trigger */
	int emitted;			/* a reset inside it was reported */
	int power_failed;		/* open: its D0 transition failed */
	unsigned int nfds;
	int groups[HOT_RESET_FDS];
};

/* A function reset in progress (reset.bpf.c): the methods tried so far. */
struct fn_reset {
	__u64 ts;
	struct pci_dev *pdev;
	unsigned int ntries;
	struct reset_try tries[RESET_TRIES];
};

/* A bus or slot reset in progress (reset.bpf.c). */
struct bus_reset {
	__u64 ts;
	struct pci_dev *pdev;
	int slot;			/* a hotplug slot's reset ran */
	int sbr;			/* a secondary bus reset ran */
};

/* A D-state change in progress (power.bpf.c). */
struct power_call {
	__u64 ts;
	struct pci_dev *pdev;
	int from, to;
	int depth;			/* pci_set_power_state calls pci_power_up: the outer one reports */
	int up;				/* pci_power_up: returns 1 (state to restore) or -EIO (no PM capability) */
};

#define TID_MAP(name, vtype)				\
	struct {					\
		__uint(type, BPF_MAP_TYPE_HASH);	\
		__uint(max_entries, MAX_ENTRIES);	\
		__type(key, __u64);	/* thread id */	\
		__type(value, vtype);			\
	} name SEC(".maps")

typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u64);	/* thread id */
	__type(value, struct vfio_call);
} vfio_calls_map;
extern vfio_calls_map vfio_calls SEC(".maps");

typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, struct reset_key);
	__type(value, struct reset_stats);
} reset_stats_map;
extern reset_stats_map reset_stats SEC(".maps");

typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, struct dev_key);
	__type(value, struct dev_stats);
} dev_stats_map;
extern dev_stats_map dev_stats SEC(".maps");

/*
 * The current thread's id, asked of the kernel at most once a program run and only when a map
 * is searched: under TCG a helper call costs more than the instructions around it
 * (docs/benchmarks.md, run 20). A program declares one, zeroed, for all its searches.
 */
struct thread {
	__u32 id;
	bool known;
};

static __always_inline __u32 thread_id(struct thread *th)
{
	if (!th->known) {
		th->id = (__u32)bpf_get_current_pid_tgid();
		th->known = true;
	}
	return th->id;
}

/*
 * The calls in progress of the PCI programs (common.bpf.h call_*), one per thread and kind.
 * The PCI core's reset and power functions run for every device, and their returns and inner
 * hooks in a call that was not recorded (not VFIO's) read the count of calls in flight, not the
 * slots: a missed return leaves its call in progress, and the count above zero; the searches
 * come back, nothing is lost.
 */
CALL_VALUE(struct vfio_call);
CALL_VALUE(struct fn_reset);
CALL_VALUE(struct bus_reset);
CALL_VALUE(struct power_call);

/*
 * A thread's slots of the four kinds side by side, a record per slot index: a reset or a power
 * change inside a vfio-pci open touches one record, where four arrays were four pages.
 */
struct pci_thread {
	CALL_SLOT_TYPE(vfio_call) vfio_calls;
	CALL_SLOT_TYPE(fn_reset) fn_resets;
	CALL_SLOT_TYPE(bus_reset) bus_resets;
	CALL_SLOT_TYPE(power_call) power_calls;
};
/* in words: the skeleton would have to name the type of a global */
extern __u64 pci_thread_words[CALL_SLOTS * sizeof(struct pci_thread) / 8];
#define pci_threads ((struct pci_thread *)pci_thread_words)
#define PCI_CALLS(kind) &kind, &calls_n[KIND_##kind], (void *)&pci_threads[0].kind, sizeof(struct pci_thread)

/* val: size bytes, beginning with a non-zero ts */
static __always_inline void tid_begin(void *map, struct tid_counts *n, void *slots, __u32 stride,
				      struct thread *th, const void *val, __u32 size)
{
	call_begin(map, n, slots, stride, thread_id(th), val, size);
}

static __always_inline void *tid_find(void *map, const struct tid_counts *n, void *slots, __u32 stride,
				      struct thread *th)
{
	/* before the helper: this is all that a call of a device not traced costs */
	if (!*(const volatile __u32 *)&n->inflight)
		return NULL;
	return call_find(map, n, slots, stride, thread_id(th));
}

/* v: the call's entry, from tid_find() */
static __always_inline void tid_end(void *map, struct tid_counts *n, void *slots, __u32 stride,
				    struct thread *th, void *v)
{
	call_end(map, n, slots, stride, thread_id(th), v);
}

/* The thread's call moved into out (size bytes) and ended; false when there was none. */
static __always_inline bool tid_take(void *map, struct tid_counts *n, void *slots, __u32 stride,
				     void *out, __u32 size)
{
	struct thread th = {};
	void *v = tid_find(map, n, slots, stride, &th);

	if (!v)
		return false;
	__builtin_memcpy(out, v, size);
	tid_end(map, n, slots, stride, &th, v);
	return true;
}

static __always_inline struct device *pdev_dev(struct pci_dev *pdev)
{
	return __builtin_preserve_access_index(&pdev->dev);
}

/*
 * Bound to vfio-pci or a vfio-pci variant driver (their names begin "vfio"):
 * every device's resets and power changes ask. With casts, a device without a
 * driver costs no helper call, one with a driver one.
 */
static __always_inline bool vfio_bound(struct pci_dev *pdev)
{
	struct device_driver *drv;
	char name[4] = {};

	if (pci_dev_btf_id)
		drv = ((struct device___diag *)&pci_cast(pdev)->dev)->driver;
	else
		drv = dev_driver(pdev_dev(pdev));
	if (!drv)
		return false;
	/* a name shorter than 4 bytes at the end of a page: the read fails, and it is not "vfio" */
	bpf_probe_read_kernel(name, sizeof(name), pci_dev_btf_id ? drv->name : BPF_CORE_READ(drv, name));
	return name[0] == 'v' && name[1] == 'f' && name[2] == 'i' && name[3] == 'o';
}

static __always_inline int pdev_group(struct pci_dev *pdev)
{
	struct iommu_group *grp;

	if (pci_dev_btf_id) {
		grp = pci_cast(pdev)->dev.iommu_group;
		return grp ? grp->id : NO_GROUP;
	}
	grp = BPF_CORE_READ(pdev_dev(pdev), iommu_group);
	return grp ? BPF_CORE_READ(grp, id) : NO_GROUP;
}

static __always_inline void pdev_name(struct pci_dev *pdev, char *buf)
{
	if (pci_dev_btf_id)
		bpf_probe_read_kernel_str(buf, NAME_LEN, pci_cast(pdev)->dev.kobj.name);
	else
		read_dev_name(pdev_dev(pdev), buf);
}

/* The D-state (pci_power_t), and whether the device has a PM capability. */
static __always_inline int pdev_state(struct pci_dev *pdev)
{
	return pci_dev_btf_id ? pci_cast(pdev)->current_state : BPF_CORE_READ(pdev, current_state);
}

static __always_inline bool pdev_pm_cap(struct pci_dev *pdev)
{
	return pci_dev_btf_id ? pci_cast(pdev)->pm_cap : BPF_CORE_READ(pdev, pm_cap);
}

static __always_inline struct dev_stats *dev_stats_for(const char *name, int group)
{
	struct dev_stats zero = { .group = group, .state = POWER_UNKNOWN };
	struct dev_key k = {};
	struct dev_stats *d;

	__builtin_memcpy(k.dev, name, NAME_LEN);
	d = lookup_or_init(&dev_stats, &k, &zero);
	if (d)
		d->group = group;
	return d;
}

/* The device a hook saw: its name and group, read once for the counts and the event. */
struct seen {
	char name[NAME_LEN];
	int group;
};

/* c: the vfio-pci call the hook runs in (NULL: none), whose device's name is read already */
static __always_inline void seen_read(struct seen *s, struct pci_dev *pdev, const struct vfio_call *c)
{
	if (c && c->pdev == pdev)
		__builtin_memcpy(s->name, c->name, NAME_LEN);
	else
		pdev_name(pdev, s->name);
	s->group = pdev_group(pdev);
}

/* An event naming the device (dev and target) and its group; NULL when events are off or lost. */
static __always_inline struct dev_event *dev_event_reserve(__u32 type, const struct seen *s)
{
	struct dev_event *e = record_reserve(sizeof(*e), sizeof(*e));

	if (!e)
		return NULL;
	record_hdr_fill(&e->h, type, s->group);
	__builtin_memcpy(e->target, s->name, NAME_LEN);
	__builtin_memcpy(e->dev, s->name, NAME_LEN);
	e->from = e->to = e->reached = POWER_UNKNOWN;
	return e;
}

static __always_inline void count_reset(const struct seen *d, int method, int scope, long long ret,
				       __u64 ns)
{
	struct reset_key k = { .method = method, .scope = scope };
	static const struct reset_stats zero_reset;
	struct reset_stats *s;

	__builtin_memcpy(k.dev, d->name, NAME_LEN);
	s = lookup_or_init(&reset_stats, &k, &zero_reset);
	if (!s)
		return;
	s->group = d->group;
	if (ret < 0) {
		__sync_fetch_and_add(&s->fail, 1);
		s->last_err = -ret;
	} else {
		__sync_fetch_and_add(&s->ok, 1);
	}
	__sync_fetch_and_add(&s->ns, ns);
	hist_add(s->hist, ns);
}

#endif
