// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU faults at run time (issue 24), counted in the kernel per (IOMMU, requester, reason,
 * access), one ring buffer record each (snoop).
 *
 * VT-d: dmar_fault (the fault interrupt) decodes a fault only when its rate limit lets it
 * (10 tokens per 5 s, three spent per single-fault interrupt) and its per-fault function is
 * inlined on 5.10, 6.1, 6.12 and 7.2: no argument anywhere carries a rate-limited fault. The
 * fault recording registers do, until dmar_fault clears them: they are read here, at its entry,
 * through iommu->reg (bpf_probe_read_kernel of the ioremapped page; reads have no side effect).
 * Measured: 13 of 13 paced faults on all four kernels, where dmesg decoded 3
 * (docs/kernels-faults.md).
 * Other IOMMU drivers (AMD-Vi, Arm SMMU) report through report_iommu_fault(domain, dev, iova, flags).
 */
#include "common.bpf.h"
#include "vfio_shared.bpf.h"

#define DMAR_FSTS_REG	0x34
#define FSTS_PFO	(1u << 0)	/* primary fault overflow: the IOMMU dropped faults */
#define FSTS_PPF	(1u << 1)	/* primary pending fault: a record has F set */
#define FRCD_F		(1u << 31)	/* dword 3 of a record: fault */
#define FRCD_T		(1u << 30)	/* dword 3: 1 read, 0 write */
#define FRCD_PP		(1u << 31)	/* dword 2: PASID present */
#define FAULT_RECORDS	8		/* records read per interrupt (QEMU has 1; hardware 8 or more) */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, struct fault_key);
	__type(value, struct fault_stats);
} iommu_faults SEC(".maps");

__u64 dmar_irqs = 0;		/* dmar_fault calls */
__u64 dmar_no_record = 0;	/* calls that found no pending record (PPF clear) */
__u64 dmar_overflows = 0;	/* calls that found PFO set: the IOMMU itself lost faults */
__u64 fault_drops = 0;		/* iommu_fault records lost (ring buffer full); counted in iommu_faults all the same */

static __always_inline __u32 mmio32(const void *p)
{
	__u32 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), p);
	return v;
}

static __always_inline void fault_count(const struct fault_key *k, __u64 addr, __u32 pasid, int group)
{
	struct fault_stats zero = { .first_addr = addr, .first_ns = bpf_ktime_get_ns(), .group = group };
	struct fault_stats *st = lookup_or_init(&iommu_faults, k, &zero);

	if (!st)
		return;
	__sync_fetch_and_add(&st->count, 1);
	st->last_addr = addr;
	st->last_ns = bpf_ktime_get_ns();
	st->last_pasid = pasid;
}

static __always_inline void fault_emit(const struct fault_key *k, __u64 addr, __u32 pasid,
				       __u32 fsts, __u32 iommu, int group)
{
	struct fault_event *e = record_reserve(sizeof(*e), sizeof(*e));

	if (!e) {
		if (emit_events)
			__sync_fetch_and_add(&fault_drops, 1);
		return;
	}
	record_hdr_fill(&e->h, EV_IOMMU_FAULT, group);
	/* the task the interrupt came in is no party to the fault: user space names the group's holder */
	e->h.pid = e->h.tid = 0;
	__builtin_memset(e->h.comm, 0, COMM_LEN);
	e->addr = addr;
	e->fsts = fsts;
	e->pasid = pasid;
	e->segment = k->segment;
	e->sid = k->sid;
	e->reason = k->reason;
	e->access = k->access;
	e->source = k->source;
	e->iommu = iommu;
	__builtin_memcpy(e->dev, k->dev, NAME_LEN);
	bpf_ringbuf_submit(e, 0);
}

/* The fault records pending at dmar_fault's entry (before it clears them). */
static __always_inline int dmar_fault_read(struct intel_iommu *iommu)
{
	char *reg = BPF_CORE_READ(iommu, reg);
	__u64 cap = BPF_CORE_READ(iommu, cap);
	__u32 fsts = mmio32(reg + DMAR_FSTS_REG), off, nregs, idx, i;
	struct fault_key k = { .segment = BPF_CORE_READ(iommu, segment), .source = FAULT_VTD };
	__u32 seq = BPF_CORE_READ(iommu, seq_id);

	__sync_fetch_and_add(&dmar_irqs, 1);
	if (fsts & FSTS_PFO)
		__sync_fetch_and_add(&dmar_overflows, 1);
	if (!(fsts & FSTS_PPF)) {
		__sync_fetch_and_add(&dmar_no_record, 1);
		return 0;
	}
	off = ((cap >> 24) & 0x3ff) * 16;
	nregs = ((cap >> 40) & 0xff) + 1;
	idx = (fsts >> 8) & 0xff;
	/* as dmar_fault walks them: from the index FSTS names, while F is set, wrapping */
	for (i = 0; i < FAULT_RECORDS && i < nregs; i++) {
		const char *rec = reg + off + (idx % nregs) * 16;
		__u32 hi = mmio32(rec + 12), mid, pasid;
		__u64 addr = 0;

		if (!(hi & FRCD_F))
			break;
		mid = mmio32(rec + 8);
		bpf_probe_read_kernel(&addr, sizeof(addr), rec);
		addr &= ~0xfffULL;
		k.sid = mid & 0xffff;
		k.reason = hi & 0xff;
		k.access = hi & FRCD_T ? ACCESS_READ : ACCESS_WRITE;
		pasid = mid & FRCD_PP ? (hi >> 8) & 0xfffff : FAULT_NO_PASID;
		fault_count(&k, addr, pasid, NO_GROUP);
		fault_emit(&k, addr, pasid, fsts, seq, NO_GROUP);
		idx++;
	}
	return 0;
}

/*
 * irqreturn_t dmar_fault(int irq, void *dev_id): dev_id is the struct intel_iommu.
 * fentry first: a kprobe's program is skipped, silently before 6.7, whenever the interrupt
 * lands on a CPU inside any BPF program or a bpf() map syscall (bpf_prog_active), e.g.
 * vfiotrace's own snoop reading a map during a storm; a trampoline's program is guarded only
 * against itself. The kprobe is the fallback (--mode kprobe, fentry refused).
 */
SEC("fentry")
int BPF_PROG(fe_dmar_fault, int irq, void *dev_id)
{
	return dmar_fault_read(dev_id);
}

SEC("kprobe")
int BPF_KPROBE(kp_dmar_fault, int irq, struct intel_iommu *iommu)
{
	dmar_fault_read(iommu);
	return entry_only_ret;
}

/* int report_iommu_fault(struct iommu_domain *, struct device *, unsigned long iova, int flags) */
SEC("kprobe")
int BPF_KPROBE(kp_report_fault, void *domain, struct device *dev, unsigned long iova, int flags)
{
	struct fault_key k = { .source = FAULT_REPORT, .access = flags & 1 ? ACCESS_WRITE : ACCESS_READ };
	struct iommu_group *grp = BPF_CORE_READ(dev, iommu_group);
	int group = grp ? BPF_CORE_READ(grp, id) : NO_GROUP;

	if (!group_selected(group))
		return entry_only_ret;
	read_dev_name(dev, k.dev);
	fault_count(&k, iova, FAULT_NO_PASID, group);
	fault_emit(&k, iova, FAULT_NO_PASID, 0, 0, group);
	return entry_only_ret;
}
