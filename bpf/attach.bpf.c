// SPDX-License-Identifier: GPL-2.0
/*
 * Group attach and IOMMU domain allocation. Each hook has a kprobe and an
 * fentry variant sharing one body; the loader enables one variant per hook:
 *   attach  vfio_iommu_type1_attach_group  entry + return
 *   alloc   iommu_domain_alloc (bus) / iommu_paging_domain_alloc[_flags] (dev)
 *   iommufd (6.6+, CONFIG_IOMMUFD): vfio_iommufd_physical_attach_ioas, a device
 *           attached to an IOAS or HWPT, counted as its group's attach;
 *           iommufd_hwpt_paging_alloc, the paging domain (HWPT) it allocates
 *           (the IOMMU driver's domain_alloc_user, not the hooks above)
 * A domain allocated by a task while it is inside an attach is counted under
 * that attach's group.
 */
#include "common.bpf.h"
#include "diag.bpf.h"

#define GROUP_WALK_MAX 64	/* members counted per group; the first GROUP_MAX_DEVS are named */

struct inflight {
	__u64 ts;
	int group;
	int backend;		/* attach: BACKEND_* */
	char bus[BUS_LEN];
	char dev[NAME_LEN];	/* the device a domain allocation is for; "" by bus */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u64);	/* thread id */
	__type(value, struct inflight);
} inflight_attach SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u64);	/* thread id */
	__type(value, struct inflight);
} inflight_alloc SEC(".maps");

static CALL_SLOT_TYPE(inflight) inflight_attach_slots[CALL_SLOTS], inflight_alloc_slots[CALL_SLOTS];
CALL_VALUE(struct inflight);

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

/* Scratch for values too large for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct group_members);
} info_scratch SEC(".maps");

static const __u64 zero_count;

/*
 * A walk of a group's members into gi: where it is, how many it passed, the
 * group's members as last recorded (old, or NULL) and whether any differs.
 */
struct members_walk {
	struct list_head *head, *pos;
	struct group_members *gi;
	const struct group_members *old;
	unsigned int n;
	bool changed;
};

/*
 * Member i of the walk (named if among the first GROUP_MAX_DEVS); 1 when the list ended. A
 * member recorded before at the same place, the same struct device, keeps its name and bus:
 * a device's name and bus stay while it is in the group.
 */
static __always_inline int member_step(__u32 i, struct members_walk *w)
{
	struct device *dev;

	if (group_devs_end(w->head, w->pos))
		return 1;
	if (i < GROUP_MAX_DEVS) {
		dev = group_dev_at(w->pos);
		if (w->old && w->old->devp[i] == (__u64)dev) {
			__builtin_memcpy(w->gi->devs[i], w->old->devs[i], NAME_LEN);
			__builtin_memcpy(w->gi->buses[i], w->old->buses[i], BUS_LEN);
		} else {
			read_dev_name(dev, w->gi->devs[i]);
			w->gi->buses[i][0] = 0;
			read_dev_bus_name(dev, w->gi->buses[i]);
			w->changed = true;
		}
		w->gi->devp[i] = (__u64)dev;
	}
	w->pos = group_devs_next(w->pos);
	w->n = i + 1;
	return 0;
}

static int member_cb(__u32 i, void *ctx)
{
	return member_step(i, ctx);
}

/*
 * How a program walks a group's members: with bpf_loop (5.17+), whose body
 * the verifier checks once, or unrolled, which it checks once per member
 * (kp_attach: 486 instructions processed against 3,386 on 7.2).
 */
enum walk { WALK_LOOP, WALK_UNROLLED };

/* Members of the group as the IOMMU core lists them (struct group_device). */
static __always_inline void record_members(struct iommu_group *grp, int id, enum walk how)
{
	struct members_walk w = { .head = group_devs_head(grp), .pos = group_devs_first(grp) };
	__u32 zero = 0, i;
	struct group_members *gi = bpf_map_lookup_elem(&info_scratch, &zero);
	struct group_members *old;

	if (!gi)
		return;
	old = bpf_map_lookup_elem(&group_members, &id);
	w.gi = gi;
	w.old = old;
	if (how == WALK_LOOP)
		bpf_loop(GROUP_WALK_MAX, member_cb, &w, 0);
	else
		for (i = 0; i < GROUP_WALK_MAX; i++)
			if (member_step(i, &w))
				break;
	/* unchanged, the usual case: no update, which would take the bucket's lock with interrupts off */
	if (old && !w.changed && old->ndevs == w.n)
		return;
	if (old) {
		__builtin_memcpy(gi->alloc_bus, old->alloc_bus, BUS_LEN);
		__builtin_memcpy(gi->alloc_dev, old->alloc_dev, NAME_LEN);
	} else {
		gi->alloc_bus[0] = 0;
		gi->alloc_dev[0] = 0;
	}
	gi->ndevs = w.n;
	update_counted(&group_members, &id, gi);
}

/* dev: the device attached (iommufd attaches devices; type1 groups: NULL) */
static __always_inline int attach_enter(struct iommu_group *grp, struct device *dev, int backend, enum walk how)
{
	struct inflight in = { .backend = backend };
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	int id;

	if (!task_selected())
		return 0;
	id = BPF_CORE_READ(grp, id);
	if (!group_selected(id))
		return 0;
	in.ts = bpf_ktime_get_ns();
	in.group = id;
	if (dev)
		read_dev_name(dev, in.dev);
	call_begin(CALLS(inflight_attach), tid, &in, sizeof(in));
	record_members(grp, id, how);
	op_begin(LEVEL_ATTACH, OP_ATTACH, id);
	return 0;
}

/* Moves this task's call out of an in-flight map; false if there was none. */
static __always_inline bool take_inflight(void *map, struct tid_counts *n, void *slots, __u32 stride,
					  struct inflight *out, __u64 *latency)
{
	if (!call_take(map, n, slots, stride, (__u32)bpf_get_current_pid_tgid(), out, sizeof(*out)))
		return false;
	*latency = bpf_ktime_get_ns() - out->ts;
	return true;
}

static __always_inline int attach_exit(void *ctx, int ret)
{
	struct group_stats *s;
	struct op_state *d, *outer;
	int group, step = STEP_NONE, stack = -1;
	struct inflight in;
	__u64 lat, th;

	if (!take_inflight(CALLS(inflight_attach), &in, &lat))
		return 0;
	group = in.group;
	th = op_thread();
	d = op_at_of(th, LEVEL_ATTACH);
	if (ret < 0) {
		step = d ? failed_step(d, ret) : STEP_UNKNOWN;
		stack = d ? failed_stack(d, step) : -1;
		count_failure(group, OP_ATTACH, step, ret);
		outer = op_at_of(th, LEVEL_GROUP);
		if (outer)
			outer->nested_attach_ret = ret;
	}
	op_done(d);
	s = stats_for(group);
	if (!s)
		return 0;
	if (in.backend == BACKEND_IOMMUFD)
		__sync_fetch_and_add(&s->iommufd_attaches, 1);
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
	/* an iommufd attach names its device (type1 attaches a group: "") */
	emit_diag(ctx, EV_ATTACH, group, ret, lat, REFCOUNT_UNAVAILABLE, stack, NULL, step,
		  in.dev[0] ? in.dev : NULL);
	return 0;
}

/* dev: the device argument (6.11+), NULL when allocating by bus */
static __always_inline int alloc_enter(const struct bus_type *bus, struct device *dev)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct inflight *attach, in = { .group = NO_GROUP };
	struct op_state *d;

	if (!task_selected())
		return 0;
	attach = call_find(CALLS(inflight_attach), tid);
	if (attach)
		in.group = attach->group;
	if (!group_selected(in.group))
		return 0;
	in.ts = bpf_ktime_get_ns();
	read_bus_name(bus, in.bus);
	if (dev)
		read_dev_name(dev, in.dev);
	else if (attach && attach->dev[0])
		__builtin_memcpy(in.dev, attach->dev, NAME_LEN);	/* iommufd: the device attached */
	else if (attach && (d = op_at(LEVEL_ATTACH)))
		/* 6.0-6.10: by bus, but from type1's per-device callback (diag.bpf.c) */
		__builtin_memcpy(in.dev, d->alloc_dev, NAME_LEN);
	call_begin(CALLS(inflight_alloc), tid, &in, sizeof(in));
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

	if (!take_inflight(CALLS(inflight_alloc), &in, &lat))
		return 0;
	group = in.group;
	if (!ret)
		code = 1;
	else if (ret >= (unsigned long)-MAX_ERRNO)
		code = (long)ret;
	if (group != NO_GROUP) {
		struct group_members *gi = bpf_map_lookup_elem(&group_members, &group);

		if (gi) {
			__builtin_memcpy(gi->alloc_bus, in.bus, BUS_LEN);
			__builtin_memcpy(gi->alloc_dev, in.dev, NAME_LEN);
		}
		if (code)
			step_failed(ctx, op_at(LEVEL_ATTACH), STEP_DOMAIN_ALLOC, (int)code);
	}
	s = stats_for(group);
	if (s) {
		__sync_fetch_and_add(&s->domain_allocs, 1);
		if (code)
			__sync_fetch_and_add(&s->domain_alloc_fail, 1);
		hist_add(s->alloc_hist, lat);
	}
	emit_diag(ctx, EV_DOMAIN_ALLOC, group, code, lat, REFCOUNT_UNAVAILABLE, -1, in.bus,
		  STEP_NONE, in.dev);
	return 0;
}

/* kprobe variants: any kernel with kprobes; the only choice without module BTF. */

SEC("kprobe")
int BPF_KPROBE(kp_attach, void *iommu_data, struct iommu_group *grp)
{
	return attach_enter(grp, NULL, BACKEND_TYPE1, WALK_LOOP);
}

/* before 5.17 (no bpf_loop): targets.c names it as the row's .kprobe_unrolled */
SEC("kprobe")
int BPF_KPROBE(kp_attach_unrolled, void *iommu_data, struct iommu_group *grp)
{
	return attach_enter(grp, NULL, BACKEND_TYPE1, WALK_UNROLLED);
}

/* vfio_iommufd_physical_attach_ioas(vdev, pt_id): returns through krp_attach */
SEC("kprobe")
int BPF_KPROBE(kp_iommufd_attach, void *vdev)
{
	long long refcount;
	struct device *dev = vdev_read(vdev, &refcount);

	if (!dev)
		return 0;
	return attach_enter(BPF_CORE_READ(dev, iommu_group), dev, BACKEND_IOMMUFD, WALK_LOOP);	/* 6.6+ */
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u32);
	__type(value, int);
} inflight_bind SEC(".maps");

/* The group of a VFIO device whose task and group are traced; NO_GROUP if not. */
static __always_inline int vdev_group(void *vdev)
{
	long long refcount;
	struct device *dev = vdev_read(vdev, &refcount);
	int id;

	if (!dev || !task_selected())
		return NO_GROUP;
	id = BPF_CORE_READ(dev, iommu_group, id);
	return group_selected(id) ? id : NO_GROUP;
}

/* vfio_iommufd_physical_bind(vdev, ictx, out_device_id): a device bound to an iommufd */
SEC("kprobe")
int BPF_KPROBE(kp_iommufd_bind, void *vdev)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	int group = vdev_group(vdev);

	if (group != NO_GROUP)
		update_counted(&inflight_bind, &tid, &group);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_iommufd_bind, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	int *group = bpf_map_lookup_elem(&inflight_bind, &tid);
	struct group_stats *s;

	if (!group)
		return 0;
	s = stats_for(*group);
	if (s)
		__sync_fetch_and_add(ret ? &s->iommufd_bind_fail : &s->iommufd_binds, 1);
	bpf_map_delete_elem(&inflight_bind, &tid);
	return 0;
}

/* vfio_iommufd_physical_detach_ioas(vdev), 6.6+: a device detached from its IOAS or HWPT */
SEC("kprobe")
int BPF_KPROBE(kp_iommufd_detach, void *vdev)
{
	int group = vdev_group(vdev);
	struct group_stats *s = group != NO_GROUP ? stats_for(group) : NULL;

	if (s)
		__sync_fetch_and_add(&s->iommufd_detaches, 1);
	return 0;
}

/* iommufd_hwpt_paging_alloc(ictx, ioas, idev, ...): returns a domain like the others (ERR_PTR on failure) */
SEC("kprobe")
int BPF_KPROBE(kp_alloc_hwpt)
{
	return alloc_enter(NULL, NULL);
}

/* krp_alloc's twin: a module's row, while krp_alloc may be loaded for kprobe.multi (user/loader/multi.h) */
SEC("kretprobe")
int BPF_KRETPROBE(krp_alloc_hwpt, void *domain)
{
	return alloc_exit(ctx, (unsigned long)domain);
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_attach, int ret)
{
	return attach_exit(ctx, ret);
}

SEC("kprobe")
int BPF_KPROBE(kp_alloc_bus, const struct bus_type *bus)
{
	return alloc_enter(bus, NULL);
}

SEC("kprobe")
int BPF_KPROBE(kp_alloc_dev, struct device *dev)
{
	return alloc_enter(BPF_CORE_READ(dev, bus), dev);
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_alloc, void *domain)
{
	return alloc_exit(ctx, (unsigned long)domain);
}


/* fentry/fexit variants: cheaper, need BTF for the target (module BTF for vfio). */

SEC("fentry")
int BPF_PROG(fe_attach, void *iommu_data, struct iommu_group *grp)
{
	return attach_enter(grp, NULL, BACKEND_TYPE1, WALK_LOOP);
}

/* 5.11-5.16: module BTF without bpf_loop */
SEC("fentry")
int BPF_PROG(fe_attach_unrolled, void *iommu_data, struct iommu_group *grp)
{
	return attach_enter(grp, NULL, BACKEND_TYPE1, WALK_UNROLLED);
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
	return alloc_enter(bus, NULL);
}

SEC("fexit")
int BPF_PROG(fx_alloc_bus1, const struct bus_type *bus, void *domain)
{
	return alloc_exit(ctx, (unsigned long)domain);
}

SEC("fentry")
int BPF_PROG(fe_alloc_dev, struct device *dev)
{
	return alloc_enter(BPF_CORE_READ(dev, bus), dev);
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
