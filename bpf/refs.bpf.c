// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO device references: the put (vfio_device_put / _registration), counted
 * per (device, call site) with the refcount it dropped from.
 */
#include "common.bpf.h"

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

static const struct put_val zero_put;

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

SEC("kprobe")
int BPF_KPROBE(kp_put, void *vdev)
{
	return put_enter(ctx, vdev);
}

SEC("fentry")
int BPF_PROG(fe_put, void *vdev)
{
	return put_enter(ctx, vdev);
}
