// SPDX-License-Identifier: GPL-2.0
/*
 * vfiotrace kernel side. Three hooks, each with a kprobe and an fentry
 * variant sharing one body; the loader enables one variant per hook:
 *   attach  vfio_iommu_type1_attach_group  entry + return
 *   alloc   iommu_domain_alloc (bus) / iommu_paging_domain_alloc[_flags] (dev)
 *   put     vfio_device_put / vfio_device_put_registration  entry
 * Aggregates live in maps the loader reads; the ring buffer carries events
 * only when snoop asked for them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "vfiotrace.h"
#include "core_fixes.bpf.h"

#define MAX_ERRNO 4095
#define GROUP_WALK_MAX 64	/* members counted per group; the first GROUP_MAX_DEVS are named */

/* Set by the loader before load. */
const volatile int target_group = -1;
const volatile __u32 target_tgid = 0;
const volatile bool emit_events = false;

__u64 ringbuf_drops = 0;	/* snoop events lost: ring buffer full */
__u64 map_full = 0;		/* aggregate updates lost: a map was full */

struct inflight {
	__u64 ts;
	int group;
	char bus[BUS_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct inflight);
} inflight_attach SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct inflight);
} inflight_alloc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, int);
	__type(value, struct group_stats);
} group_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, int);
	__type(value, struct group_members);
} group_members SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, struct err_key);
	__type(value, __u64);
} errors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * MAX_ENTRIES);
	__type(key, struct put_key);
	__type(value, struct put_val);
} puts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, MAX_ENTRIES);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Scratch for values too large for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct group_members);
} info_scratch SEC(".maps");

/* Zeroed values that lookup_or_init() inserts (the largest is too big for the stack). */
static const struct group_stats zero_stats;
static const struct put_val zero_put;
static const __u64 zero_count;

#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "+r"(var))
#endif

static __always_inline void hist_add(unsigned long long *hist, __u64 v)
{
	unsigned int slot = hist_slot(v);

	/* clang folds the clamp in hist_slot into a form the verifier cannot bound */
	barrier_var(slot);
	if (slot < HIST_SLOTS)
		__sync_fetch_and_add(&hist[slot], 1);
}

static __always_inline bool task_selected(void)
{
	return !target_tgid || (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

static __always_inline bool group_selected(int group)
{
	return target_group < 0 || group == target_group;
}

/* The value under key, inserted as zero first if absent; NULL (counted) when the map is full. */
static __always_inline void *lookup_or_init(void *map, const void *key, const void *zero)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	v = bpf_map_lookup_elem(map, key);
	if (!v)
		__sync_fetch_and_add(&map_full, 1);
	return v;
}

static __always_inline struct group_stats *stats_for(int group)
{
	return lookup_or_init(&group_stats, &group, &zero_stats);
}

static __always_inline void read_dev_name(struct device *dev, char *buf)
{
	const char *name = BPF_CORE_READ(dev, kobj.name);

	bpf_probe_read_kernel_str(buf, NAME_LEN, name);
}

static __always_inline void read_bus_name(const struct bus_type *bus, char *buf)
{
	const char *name = BPF_CORE_READ(bus, name);

	if (name)
		bpf_probe_read_kernel_str(buf, BUS_LEN, name);
}

static __always_inline void emit(void *ctx, __u32 type, int group, long long ret,
				 __u64 latency, long long refcount, int stack_id,
				 const char *name)
{
	struct event *e;

	if (!emit_events)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&ringbuf_drops, 1);
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->latency_ns = latency;
	e->ret = ret;
	e->refcount = refcount;
	e->type = type;
	e->group = group;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->stack_id = stack_id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->name[0] = 0;
	if (name)
		bpf_probe_read_kernel_str(e->name, NAME_LEN, name);
	bpf_ringbuf_submit(e, 0);
}

/* Members of the group as the IOMMU core lists them (struct group_device). */
static __always_inline void record_members(struct iommu_group *grp, int id)
{
	struct list_head *head = __builtin_preserve_access_index(&grp->devices);
	struct list_head *pos = BPF_CORE_READ(grp, devices.next);
	__u32 zero = 0;
	struct group_members *gi = bpf_map_lookup_elem(&info_scratch, &zero);
	struct group_members *old;
	unsigned int i;

	if (!gi)
		return;
	old = bpf_map_lookup_elem(&group_members, &id);
	if (old)
		bpf_probe_read_kernel(gi->alloc_bus, BUS_LEN, old->alloc_bus);
	else
		gi->alloc_bus[0] = 0;
	for (i = 0; i < GROUP_WALK_MAX; i++) {
		struct group_device *gd;
		struct device *dev;

		if (!pos || pos == head)
			break;
		if (i < GROUP_MAX_DEVS) {
			gd = (void *)pos - bpf_core_field_offset(struct group_device, list);
			dev = BPF_CORE_READ(gd, dev);
			read_dev_name(dev, gi->devs[i]);
			gi->buses[i][0] = 0;
			read_bus_name(BPF_CORE_READ(dev, bus), gi->buses[i]);
		}
		pos = BPF_CORE_READ(pos, next);
	}
	gi->ndevs = i;
	if (bpf_map_update_elem(&group_members, &id, gi, BPF_ANY))
		__sync_fetch_and_add(&map_full, 1);
}

static __always_inline int attach_enter(struct iommu_group *grp)
{
	struct inflight in = {};
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	int id;

	if (!task_selected())
		return 0;
	id = BPF_CORE_READ(grp, id);
	if (!group_selected(id))
		return 0;
	in.ts = bpf_ktime_get_ns();
	in.group = id;
	bpf_map_update_elem(&inflight_attach, &tid, &in, BPF_ANY);
	record_members(grp, id);
	return 0;
}

/* Moves this task's entry out of an in-flight map; false if there was none. */
static __always_inline bool take_inflight(void *map, struct inflight *out, __u64 *latency)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct inflight *in = bpf_map_lookup_elem(map, &tid);

	if (!in)
		return false;
	*out = *in;
	*latency = bpf_ktime_get_ns() - in->ts;
	bpf_map_delete_elem(map, &tid);
	return true;
}

static __always_inline int attach_exit(void *ctx, int ret)
{
	struct group_stats *s;
	struct inflight in;
	__u64 lat;
	int group;

	if (!take_inflight(&inflight_attach, &in, &lat))
		return 0;
	group = in.group;
	s = stats_for(group);
	if (!s)
		return 0;
	if (ret == 0) {
		__sync_fetch_and_add(&s->attach_ok, 1);
	} else {
		struct err_key k = { .group = group, .err = -ret };
		__u64 *n = lookup_or_init(&errors, &k, &zero_count);

		__sync_fetch_and_add(&s->attach_fail, 1);
		s->last_ret = ret;
		if (n)
			__sync_fetch_and_add(n, 1);
	}
	hist_add(s->attach_hist, lat);
	emit(ctx, EV_ATTACH, group, ret, lat, REFCOUNT_UNAVAILABLE, -1, NULL);
	return 0;
}

static __always_inline int alloc_enter(const struct bus_type *bus)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct inflight *attach, in = { .group = NO_GROUP };

	if (!task_selected())
		return 0;
	attach = bpf_map_lookup_elem(&inflight_attach, &tid);
	if (attach)
		in.group = attach->group;
	if (!group_selected(in.group))
		return 0;
	in.ts = bpf_ktime_get_ns();
	read_bus_name(bus, in.bus);
	bpf_map_update_elem(&inflight_alloc, &tid, &in, BPF_ANY);
	return 0;
}

/* ret: the struct iommu_domain pointer; NULL (<= 6.12) or ERR_PTR (6.11+) on failure. */
static __always_inline int alloc_exit(void *ctx, unsigned long ret)
{
	struct group_stats *s;
	long long code = 0;	/* 0 ok, -errno for ERR_PTR, 1 for NULL */
	struct inflight in;
	__u64 lat;
	int group;

	if (!take_inflight(&inflight_alloc, &in, &lat))
		return 0;
	group = in.group;
	if (!ret)
		code = 1;
	else if (ret >= (unsigned long)-MAX_ERRNO)
		code = (long)ret;
	if (group != NO_GROUP) {
		struct group_members *gi = bpf_map_lookup_elem(&group_members, &group);

		if (gi)
			__builtin_memcpy(gi->alloc_bus, in.bus, BUS_LEN);
	}
	s = stats_for(group);
	if (s) {
		__sync_fetch_and_add(&s->domain_allocs, 1);
		if (code)
			__sync_fetch_and_add(&s->domain_alloc_fail, 1);
		hist_add(s->alloc_hist, lat);
	}
	emit(ctx, EV_DOMAIN_ALLOC, group, code, lat, REFCOUNT_UNAVAILABLE, -1, in.bus);
	return 0;
}

static __always_inline int put_enter(void *ctx, void *vdev)
{
	struct put_key k = { .group = NO_GROUP };
	long long refcount = REFCOUNT_UNAVAILABLE;
	struct device *dev = NULL;
	struct iommu_group *grp;
	struct group_stats *s;
	struct put_val *v;

	if (!task_selected())
		return 0;
	if (bpf_core_field_exists(((struct vfio_device *)0)->refcount)) {
		struct vfio_device *d = vdev;

		dev = BPF_CORE_READ(d, dev);
		refcount = BPF_CORE_READ(d, refcount.refs.counter);
	} else if (bpf_core_field_exists(((struct vfio_device___kref *)0)->kref)) {
		struct vfio_device___kref *d = vdev;

		dev = BPF_CORE_READ(d, dev);
		refcount = BPF_CORE_READ(d, kref.refcount.refs.counter);
	}
	if (dev) {
		read_dev_name(dev, k.dev);
		grp = BPF_CORE_READ(dev, iommu_group);
		if (grp)
			k.group = BPF_CORE_READ(grp, id);
	}
	if (!group_selected(k.group))
		return 0;
	k.stack_id = bpf_get_stackid(ctx, &stacks, 0);
	v = lookup_or_init(&puts, &k, &zero_put);
	if (v) {
		__sync_fetch_and_add(&v->count, 1);
		v->last_refcount = refcount;
	}
	s = stats_for(k.group);
	if (s)
		__sync_fetch_and_add(&s->device_puts, 1);
	emit(ctx, EV_DEVICE_PUT, k.group, 0, 0, refcount, k.stack_id,
	     dev ? BPF_CORE_READ(dev, kobj.name) : NULL);
	return 0;
}

/* kprobe variants: any kernel with kprobes; the only choice without module BTF. */

SEC("kprobe")
int BPF_KPROBE(kp_attach, void *iommu_data, struct iommu_group *grp)
{
	return attach_enter(grp);
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_attach, int ret)
{
	return attach_exit(ctx, ret);
}

SEC("kprobe")
int BPF_KPROBE(kp_alloc_bus, const struct bus_type *bus)
{
	return alloc_enter(bus);
}

SEC("kprobe")
int BPF_KPROBE(kp_alloc_dev, struct device *dev)
{
	return alloc_enter(BPF_CORE_READ(dev, bus));
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_alloc, void *domain)
{
	return alloc_exit(ctx, (unsigned long)domain);
}

SEC("kprobe")
int BPF_KPROBE(kp_put, void *vdev)
{
	return put_enter(ctx, vdev);
}

/* fentry/fexit variants: cheaper, need BTF for the target (module BTF for vfio). */

SEC("fentry")
int BPF_PROG(fe_attach, void *iommu_data, struct iommu_group *grp)
{
	return attach_enter(grp);
}

/*
 * fexit sees the return value after the arguments, so each argument count is
 * its own program; the loader picks by the count BTF gives (targets.c).
 */
SEC("fexit")
int BPF_PROG(fx_attach2, void *iommu_data, struct iommu_group *grp, int ret)
{
	return attach_exit(ctx, ret);	/* 5.10-5.15 */
}

SEC("fexit")
int BPF_PROG(fx_attach3, void *iommu_data, struct iommu_group *grp, int type, int ret)
{
	return attach_exit(ctx, ret);	/* 5.16+: enum vfio_group_type added */
}

SEC("fentry")
int BPF_PROG(fe_alloc_bus, const struct bus_type *bus)
{
	return alloc_enter(bus);
}

SEC("fexit")
int BPF_PROG(fx_alloc_bus1, const struct bus_type *bus, void *domain)
{
	return alloc_exit(ctx, (unsigned long)domain);
}

SEC("fentry")
int BPF_PROG(fe_alloc_dev, struct device *dev)
{
	return alloc_enter(BPF_CORE_READ(dev, bus));
}

SEC("fexit")
int BPF_PROG(fx_alloc_dev1, struct device *dev, void *domain)
{
	return alloc_exit(ctx, (unsigned long)domain);	/* 6.11-6.12 */
}

SEC("fexit")
int BPF_PROG(fx_alloc_dev2, struct device *dev, unsigned int flags, void *domain)
{
	return alloc_exit(ctx, (unsigned long)domain);	/* 6.13+ _flags */
}

SEC("fentry")
int BPF_PROG(fe_put, void *vdev)
{
	return put_enter(ctx, vdev);
}

char LICENSE[] SEC("license") = "GPL";
