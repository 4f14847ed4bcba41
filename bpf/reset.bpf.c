// SPDX-License-Identifier: GPL-2.0
/*
 * Resets of VFIO-bound PCI devices (issue 23). Three layers of calls, each a
 * per-thread context:
 *   vfio-pci's open, close and reset ioctls say who asked (the trigger) and
 *   through which device (vfio_pci.bpf.c);
 *   __pci_reset_function_locked (a function reset) and pci_reset_bus (a bus
 *   or slot reset) say what was reset, how long it took and how it ended;
 *   the reset methods' functions, in between, return one by one: the last
 *   that did not return -ENOTTY is the method that answered.
 * PCI core hooks run for every device: the check that the device is VFIO's
 * comes first (docs/kernels-resets.md lists the functions per kernel).
 */
#include "pci_dev.bpf.h"

/*
 * Set by the loader: bit m set when method m's function is not probed on this
 * kernel (inlined: pci_pm_reset on 5.10). A reset that succeeded after the
 * probed methods before m all returned -ENOTTY was m's: the order is fixed.
 */
const volatile __u32 reset_unhooked = 0;

TID_MAP(fn_resets, struct fn_reset);
TID_MAP(bus_resets, struct bus_reset);

/* ---- the resets ---- */

/* The vfio call this reset runs in (its trigger and device), marked as reported; NULL: none. */
static __always_inline struct vfio_call *reset_cause(struct thread *th)
{
	struct vfio_call *c = tid_find(PCI_CALLS(vfio_calls), th);

	if (c)
		c->emitted = 1;
	return c;
}

/* Whether a reset of pdev is reported: a VFIO device, or one reset inside a vfio-pci call. */
static __always_inline bool reset_traced(struct pci_dev *pdev, struct thread *th)
{
	return (tid_find(PCI_CALLS(vfio_calls), th) || vfio_bound(pdev)) && task_selected();
}

static __always_inline void reset_event_from(struct dev_event *e, struct vfio_call *c)
{
	int i;

	if (!c)
		return;
	e->trigger = c->trigger;
	__builtin_memcpy(e->dev, c->name, NAME_LEN);
	e->nfds = c->nfds;
	for (i = 0; i < HOT_RESET_FDS; i++)
		e->groups[i] = c->groups[i];
}

SEC("kprobe")
int BPF_KPROBE(kp_reset_fn, struct pci_dev *pdev)
{
	struct fn_reset r = {};
	struct thread th = {};

	/* first: every device's resets come here */
	if (!reset_traced(pdev, &th))
		return 0;
	r.ts = bpf_ktime_get_ns();
	r.pdev = pdev;
	tid_begin(PCI_CALLS(fn_resets), &th, &r, sizeof(r));
	return 0;
}

static __always_inline int method_returned(int method, long ret)
{
	struct thread th = {};
	struct fn_reset *r = tid_find(PCI_CALLS(fn_resets), &th);
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
	struct thread th = {};
	struct fn_reset *r = tid_find(PCI_CALLS(fn_resets), &th);
	int i, method, inferred = 0;
	struct vfio_call *cause;
	struct dev_event *e;
	struct seen s = {};
	__u64 ns;

	if (!r)
		return 0;
	ret = (int)ret;
	ns = bpf_ktime_get_ns() - r->ts;
	cause = reset_cause(&th);
	seen_read(&s, r->pdev, cause);
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
	tid_end(PCI_CALLS(fn_resets), &th, r);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_reset_bus, struct pci_dev *pdev)
{
	struct bus_reset r = {};
	struct thread th = {};

	if (!reset_traced(pdev, &th))
		return 0;
	r.ts = bpf_ktime_get_ns();
	r.pdev = pdev;
	tid_begin(PCI_CALLS(bus_resets), &th, &r, sizeof(r));
	return 0;
}

/* pci_reset_hotplug_slot(hotplug, probe): probe 0 (PCI_RESET_DO_RESET) resets; 1 only asks */
SEC("kprobe")
int BPF_KPROBE(kp_slot_reset, void *hotplug, int probe)
{
	struct thread th = {};
	struct bus_reset *r = tid_find(PCI_CALLS(bus_resets), &th);

	if (r && !probe)
		r->slot = 1;
	return entry_only_ret;
}

SEC("kprobe")
int BPF_KPROBE(kp_sbr)
{
	struct thread th = {};
	struct bus_reset *r = tid_find(PCI_CALLS(bus_resets), &th);

	if (r)
		r->sbr = 1;
	return entry_only_ret;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_reset_bus, long ret)
{
	struct thread th = {};
	struct bus_reset *r = tid_find(PCI_CALLS(bus_resets), &th);
	struct vfio_call *cause;
	struct dev_event *e;
	struct seen s = {};
	int method;
	__u64 ns;

	if (!r)
		return 0;
	ret = (int)ret;
	ns = bpf_ktime_get_ns() - r->ts;
	cause = reset_cause(&th);
	seen_read(&s, r->pdev, cause);
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
	tid_end(PCI_CALLS(bus_resets), &th, r);
	return 0;
}
