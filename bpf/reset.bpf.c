// SPDX-License-Identifier: GPL-2.0
/*
 * Device open and close, resets and power transitions of VFIO-bound PCI
 * devices (issue 23). Three layers of calls, each a per-thread context:
 *   vfio-pci's open, close and reset ioctls say who asked (the trigger) and
 *   through which device;
 *   __pci_reset_function_locked (a function reset) and pci_reset_bus (a bus
 *   or slot reset) say what was reset, how long it took and how it ended;
 *   the reset methods' functions, in between, return one by one: the last
 *   that did not return -ENOTTY is the method that answered.
 * PCI core hooks run for every device: the check that the device is VFIO's
 * comes first (docs/kernels-resets.md lists the functions per kernel).
 */
#include "vfio_shared.bpf.h"

/* include/uapi/linux/vfio.h */
#define VFIO_DEVICE_RESET VFIO_IO(11)		/* 0x3b6f */
#define VFIO_DEVICE_PCI_HOT_RESET VFIO_IO(13)	/* 0x3b71, on a device fd */
#define ENOTTY 25

/*
 * Set by the loader: bit m set when method m's function is not probed on this
 * kernel (inlined: pci_pm_reset on 5.10). A reset that succeeded after the
 * probed methods before m all returned -ENOTTY was m's: the order is fixed.
 */
const volatile __u32 reset_unhooked = 0;

/* A vfio-pci open, close or reset ioctl in progress on this thread. */
struct vfio_call {
	__u64 ts;
	struct pci_dev *pdev;
	int trigger;			/* enum reset_trigger */
	int emitted;			/* a reset inside it was reported */
	int power_failed;		/* open: its D0 transition failed */
	unsigned int nfds;
	int groups[HOT_RESET_FDS];
};

struct fn_reset {
	__u64 ts;
	struct pci_dev *pdev;
	unsigned int ntries;
	struct reset_try tries[RESET_TRIES];
};

struct bus_reset {
	__u64 ts;
	struct pci_dev *pdev;
	int slot;			/* a hotplug slot's reset ran */
	int sbr;			/* a secondary bus reset ran */
};

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
		__type(key, __u32);			\
		__type(value, vtype);			\
	} name SEC(".maps")

TID_MAP(vfio_calls, struct vfio_call);
TID_MAP(fn_resets, struct fn_reset);
TID_MAP(bus_resets, struct bus_reset);
TID_MAP(power_calls, struct power_call);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, struct reset_key);
	__type(value, struct reset_stats);
} reset_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, struct dev_key);
	__type(value, struct dev_stats);
} dev_stats SEC(".maps");

static __always_inline __u32 tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

static __always_inline struct device *pdev_dev(struct pci_dev *pdev)
{
	return __builtin_preserve_access_index(&pdev->dev);
}

/* Bound to vfio-pci or a vfio-pci variant driver (their names begin "vfio"). */
static __always_inline bool vfio_bound(struct pci_dev *pdev)
{
	struct device_driver *drv = dev_driver(pdev_dev(pdev));
	char name[5] = {};

	if (!drv)
		return false;
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(drv, name));
	return name[0] == 'v' && name[1] == 'f' && name[2] == 'i' && name[3] == 'o';
}

static __always_inline int pdev_group(struct pci_dev *pdev)
{
	struct iommu_group *grp = BPF_CORE_READ(pdev_dev(pdev), iommu_group);

	return grp ? BPF_CORE_READ(grp, id) : NO_GROUP;
}

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

static __always_inline void seen_read(struct seen *s, struct pci_dev *pdev)
{
	read_dev_name(pdev_dev(pdev), s->name);
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

/* ---- vfio-pci: open, close, reset ioctls ---- */

/*
 * The group an fd of the current task is open on: /dev/vfio/N, read from the
 * file's dentry (N) and its parent's ("vfio"); -1 for any other file. Read
 * here, at the ioctl, because user space may not read another process's fds.
 */
static __always_inline int fd_group(int fd)
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

static __always_inline void vfio_enter(struct pci_dev *pdev, int trigger, void *hot_reset_arg)
{
	struct vfio_call c = { .ts = bpf_ktime_get_ns(), .pdev = pdev, .trigger = trigger };
	__u32 t = tid();
	int i;

	if (!pdev || !task_selected())
		return;
	if (hot_reset_arg) {
		/* struct vfio_pci_hot_reset: argsz, flags, count, then count group fds */
		bpf_probe_read_user(&c.nfds, sizeof(c.nfds), hot_reset_arg + 8);
		for (i = 0; i < HOT_RESET_FDS; i++) {
			int fd = -1;

			c.groups[i] = -1;
			if (i < c.nfds && !bpf_probe_read_user(&fd, sizeof(fd), hot_reset_arg + 12 + 4 * i))
				c.groups[i] = fd_group(fd);
		}
	}
	update_counted(&vfio_calls, &t, &c);
}

static __always_inline void ioctl_enter(struct pci_dev *pdev, unsigned int cmd, unsigned long arg)
{
	if (cmd == VFIO_DEVICE_RESET)
		vfio_enter(pdev, TRIG_IOCTL_RESET, NULL);
	else if (cmd == VFIO_DEVICE_PCI_HOT_RESET)
		vfio_enter(pdev, TRIG_HOT_RESET, (void *)arg);
}

/* The call's context, removed; false when there is none. */
static __always_inline bool vfio_exit(struct vfio_call *out)
{
	__u32 t = tid();
	struct vfio_call *c = bpf_map_lookup_elem(&vfio_calls, &t);

	if (!c)
		return false;
	*out = *c;
	bpf_map_delete_elem(&vfio_calls, &t);
	return true;
}

SEC("kprobe")
int BPF_KPROBE(kp_vopen, struct vfio_device *vdev)
{
	vfio_enter(vdev_pdev(vdev), TRIG_OPEN, NULL);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_vopen_510, void *data)
{
	vfio_enter(data_pdev(data), TRIG_OPEN, NULL);
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
	seen_read(&s, c.pdev);
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
	vfio_enter(vdev_pdev(vdev), TRIG_CLOSE, NULL);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_vclose_510, void *data)
{
	vfio_enter(data_pdev(data), TRIG_CLOSE, NULL);
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
		ioctl_enter(vdev_pdev(vdev), cmd, arg);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_vioctl_510, void *data, unsigned int cmd, unsigned long arg)
{
	if (cmd == VFIO_DEVICE_RESET || cmd == VFIO_DEVICE_PCI_HOT_RESET)
		ioctl_enter(data_pdev(data), cmd, arg);
	return 0;
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
	seen_read(&s, c.pdev);
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

/* ---- the resets ---- */

/* The vfio call this reset runs in (its trigger and device), marked as reported; NULL: none. */
static __always_inline struct vfio_call *reset_cause(void)
{
	__u32 t = tid();
	struct vfio_call *c = bpf_map_lookup_elem(&vfio_calls, &t);

	if (c)
		c->emitted = 1;
	return c;
}

/* Whether a reset of pdev is reported: a VFIO device, or one reset inside a vfio-pci call. */
static __always_inline bool reset_traced(struct pci_dev *pdev)
{
	__u32 t = tid();

	return (bpf_map_lookup_elem(&vfio_calls, &t) || vfio_bound(pdev)) && task_selected();
}

static __always_inline void reset_event_from(struct dev_event *e, struct vfio_call *c)
{
	int i;

	if (!c)
		return;
	e->trigger = c->trigger;
	read_dev_name(pdev_dev(c->pdev), e->dev);
	e->nfds = c->nfds;
	for (i = 0; i < HOT_RESET_FDS; i++)
		e->groups[i] = c->groups[i];
}

SEC("kprobe")
int BPF_KPROBE(kp_reset_fn, struct pci_dev *pdev)
{
	struct fn_reset r = { .ts = bpf_ktime_get_ns(), .pdev = pdev };
	__u32 t = tid();

	if (reset_traced(pdev))
		update_counted(&fn_resets, &t, &r);
	return 0;
}

static __always_inline int method_returned(int method, long ret)
{
	__u32 t = tid();
	struct fn_reset *r = bpf_map_lookup_elem(&fn_resets, &t);
	unsigned int n;

	if (!r)
		return 0;
	n = r->ntries;
	barrier_var(n);
	if (n < RESET_TRIES) {
		r->tries[n].method = method;
		r->tries[n].ret = (int)ret;
		r->ntries = n + 1;
	}
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_rm_specific, long ret) { return method_returned(RM_DEVICE_SPECIFIC, ret); }
SEC("kretprobe")
int BPF_KRETPROBE(krp_rm_acpi, long ret) { return method_returned(RM_ACPI, ret); }
SEC("kretprobe")
int BPF_KRETPROBE(krp_rm_flr, long ret) { return method_returned(RM_FLR, ret); }
SEC("kretprobe")
int BPF_KRETPROBE(krp_rm_af_flr, long ret) { return method_returned(RM_AF_FLR, ret); }
SEC("kretprobe")
int BPF_KRETPROBE(krp_rm_pm, long ret) { return method_returned(RM_PM, ret); }
SEC("kretprobe")
int BPF_KRETPROBE(krp_rm_bus, long ret) { return method_returned(RM_BUS, ret); }
SEC("kretprobe")
int BPF_KRETPROBE(krp_rm_cxl, long ret) { return method_returned(RM_CXL_BUS, ret); }

/*
 * The method that answered: the last to return something other than -ENOTTY
 * (a device-specific reset that does an FLR returns after it). None returned
 * an answer but the reset did: the first unprobed method after the last one
 * that declined.
 */
static __always_inline int answer(const struct fn_reset *r, long ret, int *inferred)
{
	int i, m, after = RM_NONE;

	for (i = RESET_TRIES - 1; i >= 0; i--) {
		if (i >= r->ntries)
			continue;
		if (r->tries[i].ret != -ENOTTY)
			return r->tries[i].method;
		if (after == RM_NONE)
			after = r->tries[i].method;
	}
	if (ret == -ENOTTY)
		return RM_NONE;
	for (m = RM_DEVICE_SPECIFIC; m <= RM_CXL_BUS; m++) {
		if (m > after && (reset_unhooked & (1u << m))) {
			*inferred = 1;
			return m;
		}
	}
	return RM_NONE;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_reset_fn, long ret)
{
	__u32 t = tid();
	struct fn_reset *r = bpf_map_lookup_elem(&fn_resets, &t);
	int i, method, inferred = 0;
	struct vfio_call *cause;
	struct dev_event *e;
	struct seen s = {};
	__u64 ns;

	if (!r)
		return 0;
	ret = (int)ret;
	ns = bpf_ktime_get_ns() - r->ts;
	seen_read(&s, r->pdev);
	cause = reset_cause();
	if (!group_selected(s.group))
		goto out;
	method = answer(r, ret, &inferred);
	count_reset(&s, method, RESET_FUNCTION, ret, ns);
	e = dev_event_reserve(EV_RESET, &s);
	if (e) {
		e->h.ret = ret;
		e->h.latency_ns = ns;
		e->scope = RESET_FUNCTION;
		e->method = method;
		e->inferred = inferred;
		e->ntries = r->ntries;
		for (i = 0; i < RESET_TRIES; i++)
			e->tries[i] = r->tries[i];
		reset_event_from(e, cause);
		bpf_ringbuf_submit(e, 0);
	}
out:
	bpf_map_delete_elem(&fn_resets, &t);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_reset_bus, struct pci_dev *pdev)
{
	struct bus_reset r = { .ts = bpf_ktime_get_ns(), .pdev = pdev };
	__u32 t = tid();

	if (reset_traced(pdev))
		update_counted(&bus_resets, &t, &r);
	return 0;
}

/* pci_reset_hotplug_slot(hotplug, probe): probe 0 (PCI_RESET_DO_RESET) resets; 1 only asks */
SEC("kprobe")
int BPF_KPROBE(kp_slot_reset, void *hotplug, int probe)
{
	__u32 t = tid();
	struct bus_reset *r = bpf_map_lookup_elem(&bus_resets, &t);

	if (r && !probe)
		r->slot = 1;
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_sbr)
{
	__u32 t = tid();
	struct bus_reset *r = bpf_map_lookup_elem(&bus_resets, &t);

	if (r)
		r->sbr = 1;
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_reset_bus, long ret)
{
	__u32 t = tid();
	struct bus_reset *r = bpf_map_lookup_elem(&bus_resets, &t);
	struct vfio_call *cause;
	struct dev_event *e;
	struct seen s = {};
	int method;
	__u64 ns;

	if (!r)
		return 0;
	ret = (int)ret;
	ns = bpf_ktime_get_ns() - r->ts;
	seen_read(&s, r->pdev);
	cause = reset_cause();
	if (!group_selected(s.group))
		goto out;
	method = r->slot ? RM_SLOT : r->sbr ? RM_BUS : RM_NONE;
	count_reset(&s, method, RESET_BUS, ret, ns);
	e = dev_event_reserve(EV_RESET, &s);
	if (e) {
		e->h.ret = ret;
		e->h.latency_ns = ns;
		e->scope = RESET_BUS;
		e->method = method;
		reset_event_from(e, cause);
		bpf_ringbuf_submit(e, 0);
	}
out:
	bpf_map_delete_elem(&bus_resets, &t);
	return 0;
}

/* ---- power ---- */

static __always_inline void power_enter(struct pci_dev *pdev, int to, int up)
{
	struct power_call c = { .ts = bpf_ktime_get_ns(), .pdev = pdev, .to = to, .up = up };
	__u32 t = tid();
	struct power_call *p = bpf_map_lookup_elem(&power_calls, &t);

	if (p) {
		p->depth++;
		return;
	}
	if (!vfio_bound(pdev) || !task_selected())
		return;
	c.from = BPF_CORE_READ(pdev, current_state);
	update_counted(&power_calls, &t, &c);
}

SEC("kprobe")
int BPF_KPROBE(kp_power, struct pci_dev *pdev, int state)
{
	power_enter(pdev, state, 0);
	return 0;
}

/* pci_power_up: to D0, from runtime resume (6.1+) and the D0 path of pci_set_power_state */
SEC("kprobe")
int BPF_KPROBE(kp_power_up, struct pci_dev *pdev)
{
	power_enter(pdev, 0, 1);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_power, long ret)
{
	__u32 t = tid();
	struct power_call *p = bpf_map_lookup_elem(&power_calls, &t);
	struct vfio_call *vc;
	struct pci_dev *pdev;
	struct dev_stats *d;
	struct dev_event *e;
	struct seen s = {};
	int reached;

	if (!p)
		return 0;
	if (p->depth) {
		p->depth--;
		return 0;
	}
	ret = (int)ret;
	pdev = p->pdev;
	reached = BPF_CORE_READ(pdev, current_state);
	/* pci_power_up's result is whether the device is in D0 */
	if (p->up)
		ret = reached == 0 ? 0 : ret < 0 ? ret : -EIO;
	/*
	 * asked for the state it was in: no transition; nor is a device without a
	 * PM capability refused a low-power state (-EIO: it stays in D0, 5.10)
	 */
	if (reached == p->from && (ret == 0 || reached == p->to || !BPF_CORE_READ(pdev, pm_cap)))
		goto out;
	if (ret < 0 && p->to == 0 && (vc = bpf_map_lookup_elem(&vfio_calls, &t)))
		vc->power_failed = 1;
	seen_read(&s, pdev);
	if (!group_selected(s.group))
		goto out;
	d = dev_stats_for(s.name, s.group);
	if (d) {
		__sync_fetch_and_add(&d->power_changes, 1);
		if (ret < 0)
			__sync_fetch_and_add(&d->power_fail, 1);
		d->state = reached;
	}
	e = dev_event_reserve(EV_POWER, &s);
	if (e) {
		e->h.ret = ret;
		e->h.latency_ns = bpf_ktime_get_ns() - p->ts;
		e->from = p->from;
		e->to = p->to;
		e->reached = reached;
		bpf_ringbuf_submit(e, 0);
	}
out:
	bpf_map_delete_elem(&power_calls, &t);
	return 0;
}
