// SPDX-License-Identifier: GPL-2.0
/*
 * D-state transitions of VFIO-bound PCI devices (issue 23): vfio-pci's D0 at
 * open and its idle D3hot after the last close; a failed D0 inside an open is
 * that open's failed step (the vfio-pci call in progress, pci_dev.bpf.h).
 */
#include "pci_dev.bpf.h"

TID_MAP(power_calls, struct power_call);

/* ---- power ---- */

/* 1: no call begun and none nested, so the return has nothing to do (entry_only_ret ends it) */
static __always_inline int power_enter(struct pci_dev *pdev, int to, int up)
{
	struct thread th = {};
	struct power_call *p = tid_find(PCI_CALLS(power_calls), &th);
	struct power_call c = {};
	int from;

	if (p) {
		p->depth++;
		return 0;
	}
	/*
	 * Asked for the state it is in: __pci_set_power_state returns 0 at once, which the return
	 * would drop as no transition (most of vfio-pci's D0 requests). pci_power_up always works.
	 */
	from = pdev_state(pdev);
	if (!up && from == to)
		return 1;
	/* every device's power changes come here */
	if (!vfio_bound(pdev) || !task_selected())
		return 1;
	c.ts = bpf_ktime_get_ns();
	c.pdev = pdev;
	c.to = to;
	c.up = up;
	c.from = from;
	tid_begin(PCI_CALLS(power_calls), &th, &c, sizeof(c));
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_power, struct pci_dev *pdev, int state)
{
	return power_enter(pdev, state, 0) ? entry_only_ret : 0;
}

/* pci_power_up: to D0, from runtime resume (6.1+) and the D0 path of pci_set_power_state */
SEC("kprobe")
int BPF_KPROBE(kp_power_up, struct pci_dev *pdev)
{
	return power_enter(pdev, 0, 1) ? entry_only_ret : 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_power, long ret)
{
	struct thread th = {};
	struct power_call *p = tid_find(PCI_CALLS(power_calls), &th);
	struct vfio_call *vc = NULL;
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
	reached = pdev_state(pdev);
	/* pci_power_up's result is whether the device is in D0 */
	if (p->up)
		ret = reached == 0 ? 0 : ret < 0 ? ret : -EIO;
	/*
	 * asked for the state it was in: no transition; nor is a device without a
	 * PM capability refused a low-power state (-EIO: it stays in D0, 5.10)
	 */
	if (reached == p->from && (ret == 0 || reached == p->to || !pdev_pm_cap(pdev)))
		goto out;
	if (ret < 0 && p->to == 0 && (vc = tid_find(PCI_CALLS(vfio_calls), &th)))
		vc->power_failed = 1;
	seen_read(&s, pdev, vc);
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
	tid_end(PCI_CALLS(power_calls), &th, p);
	return 0;
}
