// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-pci's open, last close and reset ioctls of a device (issue 23): who
 * asks for a reset (reset.bpf.c reads the call in progress), the opens and
 * closes with their results, and the reset ioctls that ran no reset.
 */
#include "pci_dev.bpf.h"

/* include/uapi/linux/vfio.h */
#define VFIO_DEVICE_RESET VFIO_IO(11)		/* 0x3b6f */
#define VFIO_DEVICE_PCI_HOT_RESET VFIO_IO(13)	/* 0x3b71, on a device fd */

/*
 * 6.1+: the callbacks take the struct vfio_device, whose dev is the PCI
 * device's. Guarded: on 5.10 (no module BTF) these programs are loaded for rows
 * whose module (vfio_pci_core) may come, and must load without the type.
 */
static __always_inline struct pci_dev *vdev_pdev(struct vfio_device *vdev)
{
	struct device *dev;

	if (!bpf_core_field_exists(vdev->dev))
		return NULL;
	dev = BPF_CORE_READ(vdev, dev);

	return dev ? (void *)dev - bpf_core_field_offset(struct pci_dev, dev) : NULL;
}

/*
 * 5.10: they take vfio-pci's struct vfio_pci_device, private to the module
 * (no module BTF there), whose first member is struct pci_dev *pdev
 * (drivers/vfio/pci/vfio_pci_private.h, 4.x through 5.14).
 */
static __always_inline struct pci_dev *data_pdev(void *data)
{
	struct pci_dev *pdev = NULL;

	bpf_probe_read_kernel(&pdev, sizeof(pdev), data);
	return pdev;
}

/* ---- vfio-pci: open, close, reset ioctls ---- */

/*
 * The group an fd of the current task is open on: /dev/vfio/N, read from the
 * file's dentry (N) and its parent's ("vfio"); -1 for any other file. Read
 * here, at the ioctl, because user space may not read another process's fds.
 * A global function: the verifier checks it once, not once per fd of the
 * hot reset's loop (kp_vioctl: 37.8 ms of verification on 7.2 inlined).
 */
__noinline int fd_group(int fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	char name[12] = {}, dir[6] = {};
	struct dentry *dentry;
	struct file **fds, *f = NULL;
	int i, g = 0;

	if (!fdt || fd < 0 || fd >= (int)BPF_CORE_READ(fdt, max_fds))
		return -1;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return -1;
	dentry = BPF_CORE_READ(f, f_path.dentry);
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(dentry, d_name.name));
	bpf_probe_read_kernel_str(dir, sizeof(dir), BPF_CORE_READ(dentry, d_parent, d_name.name));
	if (dir[0] != 'v' || dir[1] != 'f' || dir[2] != 'i' || dir[3] != 'o' || dir[4])
		return -1;
	for (i = 0; i < 10; i++) {
		if (!name[i])
			break;
		if (name[i] < '0' || name[i] > '9')
			return -1;
		g = g * 10 + name[i] - '0';
	}
	return i ? g : -1;
}

/* The hot reset's group fds read one bpf_loop step each (5.17+): c->groups[i] for i < c->nfds. */
_Static_assert(!(HOT_RESET_FDS & (HOT_RESET_FDS - 1)), "hot_reset_fd() bounds its index by a mask");

struct hot_reset_walk {
	struct vfio_call *c;
	void *arg;
};

static long hot_reset_fd(__u32 i, struct hot_reset_walk *w)
{
	/* i < HOT_RESET_FDS (the loop's count); the mask is what bounds the write for the verifier */
	__u32 k = i & (HOT_RESET_FDS - 1);
	int fd = -1;

	if (!bpf_probe_read_user(&fd, sizeof(fd), w->arg + 12 + 4 * k))
		w->c->groups[k] = fd_group(fd);
	return 0;
}

/*
 * by_loop: the fds through bpf_loop (5.17+), whose body the verifier checks once. Inline, 7.2's
 * stack analysis walks the whole program again per turn of the loop (docs/benchmarks.md, run 31).
 */
static __always_inline void vfio_enter(struct pci_dev *pdev, int trigger, void *hot_reset_arg, bool by_loop)
{
	struct vfio_call c = { .ts = bpf_ktime_get_ns(), .pdev = pdev, .trigger = trigger };
	struct hot_reset_walk w = { .c = &c, .arg = hot_reset_arg };
	struct thread th = {};
	int i;

	if (!pdev || !task_selected())
		return;
	pdev_name(pdev, c.name);
	if (hot_reset_arg) {
		/* struct vfio_pci_hot_reset: argsz, flags, count, then count group fds */
		bpf_probe_read_user(&c.nfds, sizeof(c.nfds), hot_reset_arg + 8);
		for (i = 0; i < HOT_RESET_FDS; i++)
			c.groups[i] = -1;
		if (by_loop)
			bpf_loop(c.nfds < HOT_RESET_FDS ? c.nfds : HOT_RESET_FDS, hot_reset_fd, &w, 0);
		else
			for (i = 0; i < HOT_RESET_FDS && i < c.nfds; i++)
				hot_reset_fd(i, &w);
	}
	tid_begin(PCI_CALLS(vfio_calls), &th, &c, sizeof(c));
}

static __always_inline void ioctl_enter(struct pci_dev *pdev, unsigned int cmd, unsigned long arg, bool by_loop)
{
	if (cmd == VFIO_DEVICE_RESET)
		vfio_enter(pdev, TRIG_IOCTL_RESET, NULL, false);
	else if (cmd == VFIO_DEVICE_PCI_HOT_RESET)
		vfio_enter(pdev, TRIG_HOT_RESET, (void *)arg, by_loop);
}

/* The call's context, removed; false when there is none. */
static __always_inline bool vfio_exit(struct vfio_call *out)
{
	return tid_take(PCI_CALLS(vfio_calls), out, sizeof(*out));
}

SEC("kprobe")
int BPF_KPROBE(kp_vopen, struct vfio_device *vdev)
{
	vfio_enter(vdev_pdev(vdev), TRIG_OPEN, NULL, false);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_vopen_510, void *data)
{
	vfio_enter(data_pdev(data), TRIG_OPEN, NULL, false);
	return 0;
}

/* An open (ret: its result) or a close returned: counted, and its event. */
static __always_inline int vfio_returned(__u32 type, long ret)
{
	int step = STEP_NONE;
	struct dev_stats *d;
	struct dev_event *e;
	struct vfio_call c;
	struct seen s = {};

	if (!vfio_exit(&c))
		return 0;
	seen_read(&s, c.pdev, &c);
	if (!group_selected(s.group))
		return 0;
	if (ret < 0)
		step = c.power_failed ? STEP_POWER_UP : STEP_UNKNOWN;
	d = dev_stats_for(s.name, s.group);
	if (d && type == EV_DEVICE_CLOSE) {
		__sync_fetch_and_add(&d->closes, 1);
	} else if (d) {
		__sync_fetch_and_add(&d->opens, 1);
		if (ret < 0) {
			__sync_fetch_and_add(&d->open_fail, 1);
			d->open_err = -ret;
			d->open_step = step;
			if (step == STEP_POWER_UP)
				__sync_fetch_and_add(&d->open_fail_power, 1);
		}
	}
	e = dev_event_reserve(type, &s);
	if (e) {
		e->h.ret = ret;
		e->h.latency_ns = bpf_ktime_get_ns() - c.ts;
		e->step = step;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_vopen, long ret)
{
	return vfio_returned(EV_DEVICE_OPEN, (int)ret);
}

SEC("kprobe")
int BPF_KPROBE(kp_vclose, struct vfio_device *vdev)
{
	vfio_enter(vdev_pdev(vdev), TRIG_CLOSE, NULL, false);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_vclose_510, void *data)
{
	vfio_enter(data_pdev(data), TRIG_CLOSE, NULL, false);
	return 0;
}

/* close returns void: no ret */
SEC("kretprobe")
int BPF_KRETPROBE(krp_vclose)
{
	return vfio_returned(EV_DEVICE_CLOSE, 0);
}

SEC("kprobe")
int BPF_KPROBE(kp_vioctl, struct vfio_device *vdev, unsigned int cmd, unsigned long arg)
{
	if (cmd == VFIO_DEVICE_RESET || cmd == VFIO_DEVICE_PCI_HOT_RESET)
		ioctl_enter(vdev_pdev(vdev), cmd, arg, true);
	return 0;
}

/* before 5.17 (no bpf_loop): targets.c names it as the row's .kprobe_unrolled */
SEC("kprobe")
int BPF_KPROBE(kp_vioctl_unrolled, struct vfio_device *vdev, unsigned int cmd, unsigned long arg)
{
	if (cmd == VFIO_DEVICE_RESET || cmd == VFIO_DEVICE_PCI_HOT_RESET)
		ioctl_enter(vdev_pdev(vdev), cmd, arg, false);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_vioctl_510, void *data, unsigned int cmd, unsigned long arg)
{
	if (cmd == VFIO_DEVICE_RESET || cmd == VFIO_DEVICE_PCI_HOT_RESET)
		ioctl_enter(data_pdev(data), cmd, arg, false);
	return 0;
}

/* A reset ioctl that ran no reset (refused: not resettable, groups not owned, busy): reported here. */
SEC("kretprobe")
int BPF_KRETPROBE(krp_vioctl, long ret)
{
	struct dev_event *e;
	struct vfio_call c;
	struct seen s = {};
	__u64 ns;
	int i;

	if (!vfio_exit(&c) || c.emitted)
		return 0;
	ret = (int)ret;
	ns = bpf_ktime_get_ns() - c.ts;
	seen_read(&s, c.pdev, &c);
	if (!group_selected(s.group))
		return 0;
	count_reset(&s, RM_NONE, RESET_REFUSED, ret < 0 ? ret : -ENOTTY, ns);
	e = dev_event_reserve(EV_RESET, &s);
	if (!e)
		return 0;
	e->h.ret = ret;
	e->h.latency_ns = ns;
	e->trigger = c.trigger;
	e->scope = RESET_REFUSED;
	e->nfds = c.nfds;
	for (i = 0; i < HOT_RESET_FDS; i++)
		e->groups[i] = c.groups[i];
	bpf_ringbuf_submit(e, 0);
	return 0;
}
