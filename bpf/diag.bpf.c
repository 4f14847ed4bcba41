// SPDX-License-Identifier: GPL-2.0
/*
 * Attach-failure diagnosis: the steps inside a type1 attach or a group ioctl
 * (kretprobes recording their results in the task's op_state, diag.bpf.h), the
 * group ioctls that fail before any attach (set-container: the DMA-ownership
 * claim, 6.0+; get-device-fd: the viability check, up to 5.19), the group open
 * (EBUSY: who holds it) and the holders of each /dev/vfio/N. Kprobes only:
 * these are rare calls, and kprobes work without module BTF (5.10).
 */
#include "diag.bpf.h"
#include "group_name.h"
#include "kcast.bpf.h"

#define GROUP_SCAN_MAX 16	/* members examined for DMA ownership per failure */

_Static_assert(GROUP_NAME_MAX == 16, "a file's name passes to file_group_of as two words");

/*
 * The N of "N" or "noiommu-N": the name's first 16 bytes (lo, hi) and its length
 * with the NUL (< 0: unread); NO_GROUP otherwise. A global function, which the
 * verifier checks once; it takes scalars only (5.10, and 7.x types a string
 * pointer loaded through a cast as untrusted memory, not a number), and the
 * loader rewrites the casts' calls in programs only: the name is read by the caller.
 */
__noinline int file_group_of(__u64 lo, __u64 hi, long len)
{
	unsigned char buf[GROUP_NAME_MAX];
	int id;

	if (len < 0)
		return NO_GROUP;
	__builtin_memcpy(buf, &lo, 8);
	__builtin_memcpy(buf + 8, &hi, 8);
	id = group_of_name(buf, len);
	return id < 0 ? NO_GROUP : id;
}

/* The group of /dev/vfio/N (also noiommu-N) from the file's name; NO_GROUP otherwise. */
static __always_inline int file_group(struct file *f)
{
	const unsigned char *p;
	__u64 name[2] = {};
	long len;

	if (file_btf_id)
		p = file_cast(f)->f_path.dentry->d_name.name;
	else
		p = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	len = bpf_probe_read_kernel_str(name, sizeof(name), p);
	return file_group_of(name[0], name[1], len);
}

static __always_inline void add_blocking(struct op_state *d, struct device *dev)
{
	struct device_driver *drv = dev_driver(dev);
	unsigned int i = d->c.nblock;

	if (i < BLOCK_MAX) {
		read_dev_name(dev, d->c.block_dev[i]);
		d->c.block_drv[i][0] = 0;
		if (drv)
			bpf_probe_read_kernel_str(d->c.block_drv[i], DRV_LEN, BPF_CORE_READ(drv, name));
	}
	d->c.nblock = i + 1;
}

/*
 * Does this member hold the group's DMA ownership? 5.19+: a PCI device bound
 * to a driver without driver_managed_dma (the kernel's own test in
 * pci_dma_configure). Other buses: any bound driver (their flag lives in
 * bus-specific driver structs not read here).
 */
static __always_inline bool owns_dma(struct device *dev)
{
	struct device_driver *drv = dev_driver(dev);
	char bus[BUS_LEN] = {};

	if (!drv)
		return false;
	read_dev_bus_name(dev, bus);
	if (bus[0] != 'p' || bus[1] != 'c' || bus[2] != 'i' || bus[3])
		return true;
	return !pci_driver_managed_dma(drv);
}

struct owners_walk {
	struct list_head *head, *pos;
	struct op_state *d;
};

static int owner_cb(__u32 i, void *ctx)
{
	struct owners_walk *w = ctx;
	struct device *dev;

	if (group_devs_end(w->head, w->pos))
		return 1;
	dev = group_dev_at(w->pos);
	if (owns_dma(dev))
		add_blocking(w->d, dev);
	w->pos = group_devs_next(w->pos);
	return 0;
}

/* bpf_loop: the hook is 5.19+ (its body verified once, not once per member: 4,220 instructions processed before) */
static __always_inline void find_dma_owners(struct op_state *d, struct iommu_group *grp)
{
	struct owners_walk w = { .head = group_devs_head(grp), .pos = group_devs_first(grp), .d = d };

	bpf_loop(GROUP_SCAN_MAX, owner_cb, &w, 0);
}

/* A group open or ioctl failed: count it, keep its culprit, emit the event. */
static __always_inline void group_failed(void *ctx, struct op_state *d, int ret)
{
	int step = d->op == OP_GROUP_OPEN ? STEP_GROUP_OPEN : failed_step(d, ret);
	int group = d->group;
	struct fail_event *e;

	count_failure(group, d->op, step, ret);
	update_counted(&group_culprit, &group, &d->c);
	/* the culprit is written below: only what precedes it is zeroed */
	e = record_reserve(sizeof(*e), offsetof(struct fail_event, c));
	if (!e)
		return;
	record_hdr_fill(&e->h, EV_GROUP_FAIL, group);
	e->h.latency_ns = e->h.ts_ns - d->ts;
	e->h.ret = ret;
	e->op = d->op;
	e->step = step;
	e->stack_id = failed_stack(d, step);
	bpf_probe_read_kernel(&e->c, sizeof(e->c), &d->c);
	bpf_ringbuf_submit(e, 0);
}

/* v & mask, done where the verifier sees it (clang would fold a mask it can prove redundant) */
static __always_inline __u64 bounded(__u64 v, const __u64 mask)
{
	asm volatile("%0 &= %1" : "+r"(v) : "i"(mask));
	return v;
}

/* ---- group open and release: holders, EBUSY ---- */

/*
 * The group's holder is h. A holder of another command is replaced whole (an update), so that a
 * reader never sees one holder's pid with another's comm. One of the same command (QEMU's,
 * whichever VM) is written in place: an update takes the hash bucket's lock with interrupts
 * off, 4% of the samples per hit in docs/benchmarks.md's run 20. A lookup from user space copies
 * the entry while this may write it: it reads until two copies agree (user/kernel/holders.c).
 */
static __always_inline void holder_set(int group, const struct holder *h)
{
	struct holder *old = bpf_map_lookup_elem(&holders, &group);
	const __u64 *a, *b;

	if (!old) {
		update_counted(&holders, &group, h);
		return;
	}
	a = (const __u64 *)old->comm;
	b = (const __u64 *)h->comm;
	if (a[0] != b[0] || a[1] != b[1]) {
		update_counted(&holders, &group, h);
		return;
	}
	old->since_ns = h->since_ns;
	old->released_ns = 0;
	old->from_proc = 0;
	old->pid = h->pid;
}

SEC("kprobe")
int BPF_KPROBE(kp_group_open, void *inode, struct file *file)
{
	struct op_state *d;
	int group;

	if (!task_selected())
		return 0;
	group = file_group(file);
	if (group == NO_GROUP || !group_selected(group))
		return 0;
	d = op_begin(LEVEL_GROUP, OP_GROUP_OPEN, group);
	if (d)
		d->file = (__u64)file;
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_group_open, int ret)
{
	struct op_state *d = op_at(LEVEL_GROUP);
	int group;

	if (!d || d->op != OP_GROUP_OPEN)
		return 0;
	group = d->group;
	if (ret == 0) {
		struct holder h = { .pid = bpf_get_current_pid_tgid() >> 32,
				    .since_ns = bpf_ktime_get_ns() };

		__u64 cpu = bounded(bpf_get_smp_processor_id(), OPENER_CPUS - 1);
		__u64 i = opener_heads[cpu];
		struct opener *o = &opener_ring[bounded(cpu * OPENER_SLOTS + i, OPENER_CPUS * OPENER_SLOTS - 1)];

		/*
		 * As it is, the bytes after its NUL too (a holder's comm is compared whole, and read as
		 * a string): bpf_get_current_comm's strscpy was a fifth of this program (run 27).
		 */
		BPF_CORE_READ_INTO(&h.comm, (struct task_struct *)bpf_get_current_task(), comm);
		holder_set(group, &h);
		o->group = group;
		o->pid = h.pid;
		__builtin_memcpy(o->comm, h.comm, COMM_LEN);
		asm volatile("" ::: "memory");	/* the record before its seq (x86 keeps store order) */
		o->seq = i + 1;
		asm volatile("" ::: "memory");	/* the head last: user space reads up to it */
		opener_heads[bounded(cpu, OPENER_CPUS - 1)] = i + 1;
		__sync_fetch_and_add(&new_clients, 1);
	} else {
		struct holder *h = ret == -EBUSY ? bpf_map_lookup_elem(&holders, &group) : NULL;

		if (h && !h->released_ns) {
			d->c.holder = *h;
			d->c.has_holder = 1;
		}
		group_failed(ctx, d, ret);
	}
	op_done(d);
	return 0;
}

/*
 * The last close of /dev/vfio/N: nobody holds the group any more. Its entry
 * keeps the holder with the time of the close (user/kernel/holders.h: an
 * event decoded late is still told who held the group when it happened): one
 * store where a delete took the hash bucket's lock with interrupts off
 * (docs/benchmarks.md, run 15); a group has one entry, as many as groups.
 */
SEC("kprobe")
int BPF_KPROBE(kp_group_release, void *inode, struct file *file)
{
	int group = file_group(file);
	struct holder *h = group != NO_GROUP ? bpf_map_lookup_elem(&holders, &group) : NULL;

	/* the first close after the open seen: an open not traced (-p, -g) keeps the one before */
	if (h && !h->released_ns)
		h->released_ns = bpf_ktime_get_ns();
	return 0;
}

/* ---- group ioctls: VFIO_GROUP_SET_CONTAINER, VFIO_GROUP_GET_DEVICE_FD ---- */

SEC("kprobe")
int BPF_KPROBE(kp_group_ioctl, struct file *file, unsigned int cmd)
{
	int group, op;

	if (cmd == VFIO_GROUP_SET_CONTAINER)
		op = OP_SET_CONTAINER;
	else if (cmd == VFIO_GROUP_GET_DEVICE_FD)
		op = OP_GET_DEVICE_FD;
	else
		return 0;
	if (!task_selected())
		return 0;
	group = file_group(file);
	if (!group_selected(group))
		return 0;
	op_begin(LEVEL_GROUP, op, group);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_group_ioctl, long ret)
{
	struct op_state *d = op_at(LEVEL_GROUP);

	if (!d || (d->op != OP_SET_CONTAINER && d->op != OP_GET_DEVICE_FD))
		return 0;
	if (ret < 0)
		group_failed(ctx, d, (int)ret);
	op_done(d);
	return 0;
}

/* ---- steps ---- */

/* 6.0+: iommu_group_claim_dma_owner(group, owner); EPERM: a member's driver owns DMA. */
SEC("kprobe")
int BPF_KPROBE(kp_dma_owner, struct iommu_group *grp)
{
	struct op_state *d = op_current();

	if (d) {
		d->arg = (__u64)grp;
		d->entry_stack = fail_stack_if_deep(ctx);
	}
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_dma_owner, int ret)
{
	struct op_state *d = op_current();

	if (!d || ret >= 0)
		return 0;
	step_failed_at(d, STEP_DMA_OWNER, ret, d->entry_stack);
	if (ret == -EPERM && d->arg)
		find_dma_owners(d, (struct iommu_group *)d->arg);
	return 0;
}

/* up to 5.19: vfio_dev_viable(dev, group) per member; -EINVAL names the member. */
SEC("kprobe")
int BPF_KPROBE(kp_viable, struct device *dev)
{
	struct op_state *d = op_current();

	if (d) {
		d->arg = (__u64)dev;
		d->entry_stack = fail_stack_if_deep(ctx);
	}
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_viable, int ret)
{
	struct op_state *d = op_current();

	if (!d || ret >= 0)
		return 0;
	step_failed_at(d, STEP_VIABLE, ret, d->entry_stack);
	if (d->arg)
		add_blocking(d, (struct device *)d->arg);
	return 0;
}

/* The interrupt-remapping / MSI-isolation verdict: the last check call's result. stack <-1: take it now. */
static __always_inline void msi_verdict(void *ctx, unsigned long ret, int stack)
{
	struct op_state *d = op_current();

	if (!d)
		return;
	d->msi = (ret & 0xff) ? MSI_ISOLATED : MSI_NOT_ISOLATED;
	if (d->msi == MSI_NOT_ISOLATED)
		d->msi_stack = stack < -1 ? fail_stack_if_deep(ctx) : stack;
}

/* irq_domain_check_msi_remap() (up to 6.3), iommu_group_has_isolated_msi() (6.4+): bool */
SEC("kretprobe")
int BPF_KRETPROBE(krp_msi, unsigned long ret)
{
	msi_verdict(ctx, ret, -2);
	return 0;
}

/* iommu_capable(bus, cap) (up to 5.19), device_iommu_capable(dev, cap) (6.0-6.3): only cap INTR_REMAP */
SEC("kprobe")
int BPF_KPROBE(kp_msi_cap, void *bus_or_dev, int cap)
{
	struct op_state *d = op_current();

	if (!d)
		return 0;
	d->msi_cap_pending = iommu_cap_is_intr_remap(cap);
	if (d->msi_cap_pending)
		d->entry_stack = fail_stack_if_deep(ctx);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_msi_cap, unsigned long ret)
{
	struct op_state *d = op_current();

	if (!d || !d->msi_cap_pending)
		return 0;
	d->msi_cap_pending = 0;
	msi_verdict(ctx, ret, d->entry_stack);
	return 0;
}

static __always_inline int int_step(void *ctx, int step, long ret)
{
	if ((int)ret < 0)
		step_failed(ctx, op_current(), step, (int)ret);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_attach_group, long ret)
{
	return int_step(ctx, STEP_ATTACH_GROUP, ret);
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_driver_attach, long ret)
{
	return int_step(ctx, STEP_DRIVER_ATTACH, ret);
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_msi_cookie, long ret)
{
	return int_step(ctx, STEP_MSI_COOKIE, ret);
}

/* 6.0-6.10: type1's vfio_iommu_domain_alloc(dev, data) allocates by dev->bus for this device. */
SEC("kprobe")
int BPF_KPROBE(kp_alloc_cb, struct device *dev)
{
	struct op_state *d = op_at(LEVEL_ATTACH);

	if (d)
		read_dev_name(dev, d->alloc_dev);
	return 0;
}
