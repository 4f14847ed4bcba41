// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO device references: every get and put of a device's registration
 * reference, per device (keyed by the struct vfio_device address, so a device
 * is followed even where no BTF names it) and per call site, plus the
 * unregistration that waits for the last references (a hung unbind).
 * Where each get is observed differs per kernel (user/kernel/targets.c):
 *   6.2+       vfio_device_try_get_registration  entry + return (true: taken)
 *   5.10       vfio_group_get_device, vfio_device_get_from_dev return a held device
 *   5.10, 6.1  the get of VFIO_GROUP_GET_DEVICE_FD is inlined into the group
 *              ioctl: its return (a new fd) holds one reference, read from the fd
 */
#include "vfio_shared.bpf.h"
#include "stacks.bpf.h"
#include "kcast.bpf.h"

/* Set by the loader: count GET_DEVICE_FD returns as gets (no probeable try_get). */
const volatile bool gets_at_ioctl = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * MAX_ENTRIES);
	__type(key, struct ref_key);
	__type(value, struct ref_val);
} ref_sites SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u64);
	__type(value, struct dev_refs);
} devices SEC(".maps");

/* The callers' stacks (stacks.bpf.h): id -> frames, frames -> id */
struct put_frames {
	__u64 ip[STACK_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct put_frames);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, struct put_frames);
	__type(value, __u32);
} stack_ids SEC(".maps");

#define put_stack(ctx) stack_keep(ctx, &stack_ids, &stacks, STACK_DEPTH)

/* Where a reference transition came from: a stack (-v, fentry) or the caller's address. */
struct site {
	int stack_id;
	__u64 caller;
};

/*
 * -v: the stack. Otherwise one address, as the stack's first frame that is
 * not the hooked get or put would give it: self, where the probed function
 * itself takes the reference (5.10's lookups, the GET_DEVICE_FD ioctl), is
 * inside it; else the caller's, the return address a kprobe on the function's
 * entry finds on top of the stack.
 */
static __always_inline struct site site_of(struct pt_regs *regs, bool self)
{
	struct site s = { .stack_id = -1 };

	if (deep_stacks)
		s.stack_id = put_stack(regs);
	else if (self)
		s.caller = PT_REGS_IP(regs);
	else
		bpf_probe_read_kernel(&s.caller, sizeof(s.caller), (void *)PT_REGS_SP(regs));
	return s;
}

/* A get, ioctl or unregistration between its entry and its return, per thread. */
struct ref_call {
	__u64 ts;
	__u64 vdev;
	struct site site;
	char name[NAME_LEN];	/* GET_DEVICE_FD: the device name user space asked for */
};

struct ref_calls {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u64);	/* thread id */
	__type(value, struct ref_call);
};

/* Separate maps: a GET_DEVICE_FD ioctl calls the get, an unregistration the put. */
struct ref_calls inflight_get SEC(".maps");
struct ref_calls inflight_ioctl SEC(".maps");
struct ref_calls inflight_unreg SEC(".maps");
static CALL_SLOT_TYPE(ref_call) inflight_get_slots[CALL_SLOTS], inflight_ioctl_slots[CALL_SLOTS],
	inflight_unreg_slots[CALL_SLOTS];
CALL_VALUE(struct ref_call);

static const struct ref_val zero_ref;

static __always_inline struct dev_refs *device_for(__u64 vdev)
{
	struct dev_refs *d = bpf_map_lookup_elem(&devices, &vdev);

	if (d)
		return d;
	{
		struct dev_refs z = { .group = NO_GROUP, .refcount = REFCOUNT_UNAVAILABLE,
				      .peak = REFCOUNT_UNAVAILABLE };

		d = lookup_or_init(&devices, &vdev, &z);
	}
	return d;
}

/*
 * One reference taken (REF_GET) or dropped (REF_PUT) on vdev; before: the
 * refcount before it, or REFCOUNT_UNAVAILABLE (read where BTF allows).
 * name: what user space asked for at GET_DEVICE_FD, or NULL.
 */
static __always_inline void record_ref(int kind, void *vdev, long long before, struct site site,
				       const char *name)
{
	struct ref_key k = { .group = NO_GROUP, .stack_id = site.stack_id, .kind = kind,
			     .caller = site.caller };
	long long refcount, after = REFCOUNT_UNAVAILABLE;
	struct dev_refs *d = device_for((__u64)vdev);
	struct device *dev = vdev_read(vdev, &refcount);
	/* read before from the same struct device (the vfio_device's address may be reused) */
	bool kept = dev && d && d->dev == (__u64)dev;
	struct iommu_group *grp;
	struct group_stats *s;
	struct ref_val *v;
	struct event *e;

	if (before == REFCOUNT_UNAVAILABLE)
		before = refcount;
	if (kept) {
		k.group = d->group;
		__builtin_memcpy(k.dev, d->name, NAME_LEN);
	} else if (dev) {
		read_dev_name(dev, k.dev);
		grp = BPF_CORE_READ(dev, iommu_group);
		if (grp)
			k.group = BPF_CORE_READ(grp, id);
	}
	if (!group_selected(k.group))
		return;
	if (d && !kept) {
		if (k.dev[0]) {
			__builtin_memcpy(d->name, k.dev, NAME_LEN);
		} else {
			if (name && !d->name[0])
				bpf_probe_read_kernel_str(d->name, NAME_LEN, name);
			__builtin_memcpy(k.dev, d->name, NAME_LEN);
		}
		if (k.group != NO_GROUP)
			d->group = k.group;
		/* a device's name and group stay while it is registered: read once */
		if (dev && k.dev[0] && k.group != NO_GROUP) {
			asm volatile("" ::: "memory");	/* name and group before the mark (x86 keeps store order) */
			d->dev = (__u64)dev;
		}
	}
	if (d) {
		if (kind == REF_GET)
			__sync_fetch_and_add(&d->gets, 1);
		else
			__sync_fetch_and_add(&d->puts, 1);
		if (before != REFCOUNT_UNAVAILABLE) {
			after = kind == REF_GET ? before + 1 : before - 1;
			d->refcount = after;
			if (after > d->peak)
				d->peak = after;
		}
	}
	v = lookup_or_init(&ref_sites, &k, &zero_ref);
	if (v) {
		__sync_fetch_and_add(&v->count, 1);
		v->last_refcount = before;
	}
	if (kind == REF_PUT && (s = stats_for(k.group)))
		__sync_fetch_and_add(&s->device_puts, 1);
	e = event_reserve(kind == REF_GET ? EV_DEVICE_GET : EV_DEVICE_PUT, k.group);
	if (!e)
		return;
	e->refcount = before;
	e->stack_id = site.stack_id;
	e->caller = site.caller;
	e->dev_ptr = (__u64)vdev;
	__builtin_memcpy(e->name, k.dev, NAME_LEN);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int put_enter(void *vdev, struct site site)
{
	if (!task_selected())
		return 0;
	record_ref(REF_PUT, vdev, REFCOUNT_UNAVAILABLE, site, NULL);
	return 0;
}

static __always_inline void ref_call_enter(void *map, struct tid_counts *n, void *slots, __u32 stride, void *ctx,
					   void *vdev, bool self)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct ref_call c = { .ts = bpf_ktime_get_ns(), .vdev = (__u64)vdev };

	c.site = site_of(ctx, self);
	call_begin(map, n, slots, stride, tid, &c, sizeof(c));
}

static __always_inline bool ref_call_exit(void *map, struct tid_counts *n, void *slots, __u32 stride,
					  struct ref_call *out)
{
	return call_take(map, n, slots, stride, (__u32)bpf_get_current_pid_tgid(), out, sizeof(*out));
}

/*
 * kp_get's call, its caller taken again at the return: at entry the return
 * address on the stack may already be the kretprobe's trampoline (seen on
 * 6.12 and 7.2); at return the kernel has put the real one in the registers.
 * Unless the site is the probed function itself (gets_at_ioctl: self).
 */
static __always_inline bool get_exit(struct pt_regs *ctx, struct ref_call *c)
{
	if (!ref_call_exit(CALLS(inflight_get), c))
		return false;
	if (!deep_stacks && !gets_at_ioctl)
		c->site.caller = PT_REGS_IP(ctx);
	return true;
}

/* vfio_device_try_get_registration(device): the refcount before, at entry. */
static __always_inline int try_get_exit(struct pt_regs *ctx, bool taken)
{
	struct ref_call c;
	long long before;

	if (!get_exit(ctx, &c) || !taken)
		return 0;
	vdev_read((void *)c.vdev, &before);
	/* read after the increment: the count before is one less */
	record_ref(REF_GET, (void *)c.vdev, before == REFCOUNT_UNAVAILABLE ? before : before - 1,
		   c.site, NULL);
	return 0;
}

/* A lookup that returns a device with a reference held (5.10), NULL if none. */
static __always_inline int lookup_exit(struct pt_regs *ctx, void *vdev)
{
	struct ref_call c;
	long long now;

	if (!get_exit(ctx, &c) || !vdev)
		return 0;
	vdev_read(vdev, &now);
	record_ref(REF_GET, vdev, now == REFCOUNT_UNAVAILABLE ? now : now - 1, c.site, NULL);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_put, void *vdev)
{
	return put_enter(vdev, site_of(ctx, false));
}

SEC("fentry")
int BPF_PROG(fe_put, void *vdev)
{
	/* no registers under a trampoline: the stack, which stops at it (seen on 6.1) */
	struct site site = { .stack_id = put_stack(ctx) };

	return put_enter(vdev, site);
}

SEC("kprobe")
int BPF_KPROBE(kp_get, void *vdev)
{
	if (task_selected())
		/* try_get (6.2+) is skipped like the put; without it the lookups take the reference (5.10) */
		ref_call_enter(CALLS(inflight_get), ctx, vdev, gets_at_ioctl);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_get, bool taken)
{
	return try_get_exit(ctx, taken);
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_lookup, void *vdev)
{
	return lookup_exit(ctx, vdev);
}

/* vfio_group_fops_unl_ioctl(file, cmd, arg): GET_DEVICE_FD names the device. */
SEC("kprobe")
int BPF_KPROBE(kp_devfd_ioctl, void *file, unsigned int cmd, unsigned long arg)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct ref_call c = {};

	if (cmd != VFIO_GROUP_GET_DEVICE_FD || !task_selected())
		return 0;
	c.ts = bpf_ktime_get_ns();
	c.site = site_of(ctx, true);
	bpf_probe_read_user_str(c.name, NAME_LEN, (const char *)arg);
	call_begin(CALLS(inflight_ioctl), tid, &c, sizeof(c));
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_devfd_ioctl, long fd)
{
	struct task_struct *task;
	struct file **fds, *f = NULL;
	struct ref_call c;
	void *vdev;

	if (!ref_call_exit(CALLS(inflight_ioctl), &c) || fd < 0)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	fds = BPF_CORE_READ(task, files, fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), fds + fd);
	vdev = file_btf_id ? file_cast(f)->private_data : BPF_CORE_READ(f, private_data);
	if (!vdev)
		return 0;
	if (gets_at_ioctl) {
		long long now;

		vdev_read(vdev, &now);
		record_ref(REF_GET, vdev, now == REFCOUNT_UNAVAILABLE ? now : now - 1, c.site,
			   c.name);
	} else {
		/* the get itself was recorded by try_get: only teach the device its name */
		struct dev_refs *d = bpf_map_lookup_elem(&devices, &vdev);

		if (d && !d->name[0])
			__builtin_memcpy(d->name, c.name, NAME_LEN);
	}
	return 0;
}

/* vfio_unregister_group_dev(device): blocks until the last reference is dropped. */
SEC("kprobe")
int BPF_KPROBE(kp_unreg, void *vdev)
{
	struct dev_refs *d = bpf_map_lookup_elem(&devices, &vdev);
	long long refcount;
	struct device *dev;
	struct event *e;

	ref_call_enter(CALLS(inflight_unreg), ctx, vdev, true);
	dev = vdev_read(vdev, &refcount);
	e = event_reserve(EV_UNREG_BEGIN, NO_GROUP);
	if (!e)
		return 0;
	e->refcount = refcount;
	e->dev_ptr = (__u64)vdev;
	if (dev)
		read_dev_name(dev, e->name);
	else if (d)
		__builtin_memcpy(e->name, d->name, NAME_LEN);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_unreg)
{
	struct ref_call c;
	struct event *e;

	if (!ref_call_exit(CALLS(inflight_unreg), &c))
		return 0;
	e = event_reserve(EV_UNREG_END, NO_GROUP);
	if (!e)
		return 0;
	e->h.latency_ns = bpf_ktime_get_ns() - c.ts;
	e->dev_ptr = c.vdev;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
