// SPDX-License-Identifier: GPL-2.0
/*
 * DMA map and unmap through VFIO type1 (loaded only with --dma). On every
 * kernel tested the map/unmap chain is inlined into vfio_iommu_type1_ioctl,
 * so a map is that ioctl with VFIO_IOMMU_MAP_DMA, read at entry (the user's
 * request) and at return (ret; for an unmap, the size the kernel wrote back).
 * Pinning is vfio_pin_pages_remote (pages pinned, or the memlock failure);
 * the container of a group is learnt at vfio_iommu_type1_attach_group, and
 * forgotten at vfio_iommu_type1_release (the next container at that address
 * is another one: a new generation).
 *
 * iommufd (CONFIG_IOMMUFD, 6.2+): an IOAS's io_pagetable stands for the
 * container. Each device attached to a paging HWPT of an IOAS has its reserved
 * regions enforced there (iopt_table_enforce_dev_resv_regions: the group to
 * IOAS link); maps and unmaps are iopt_map_user_pages and iopt_unmap_iova
 * (IOMMU_IOAS_MAP/UNMAP, and iommufd's emulation of type1), each with a kernel
 * pointer the result is written to; iopt_destroy_table is the IOAS's end.
 */
#include "vfio_shared.bpf.h"

#define PAGE_SHIFT 12
#define RLIMIT_MEMLOCK 8
#define RB_DEPTH_MAX 48		/* an rbtree of 2^24 nodes is at most 48 deep */
#define IOVA_RANGES_MAX 32	/* valid IOVA ranges counted */

/* include/uapi/linux/vfio.h, stable since 3.6 */
struct vfio_iommu_type1_dma_map {
	__u32 argsz, flags;
	__u64 vaddr, iova, size;
};

struct vfio_iommu_type1_dma_unmap {
	__u32 argsz, flags;
	__u64 iova, size;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u64);		/* struct vfio_iommu * of a live container */
	__type(value, __u64);		/* its generation */
} container_gens SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, struct container_key);
	__type(value, struct dma_stats);
} dma_containers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, struct dma_client_key);
	__type(value, struct dma_stats);
} dma_clients SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, struct container_key);
	__type(value, struct dma_failure);
} dma_failures SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, struct group_container);
	__type(value, __u8);
} group_containers SEC(".maps");

struct dma_call {
	__u64 ts;
	struct container_key container;
	__u64 iova, size;
	__u64 arg;			/* user pointer to the request */
	__u32 cmd;			/* VFIO_IOMMU_MAP_DMA or _UNMAP_DMA (iommufd's too) */
	__u32 flags;			/* the request's */
	__u32 iommufd;			/* arg: a kernel pointer (the IOVA mapped, the bytes unmapped) */
	__u64 pages;			/* pinned by its pins: added to the container's count at its return */
	struct dma_failure fail;	/* filled by a failing pin */
};

/* A map or unmap in progress, per thread: in a .bss slot, as a pin's (below) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u64);		/* thread id */
	__type(value, struct dma_call);
} inflight_dma SEC(".maps");
static CALL_SLOT_TYPE(dma_call) inflight_dma_slots[CALL_SLOTS];
CALL_VALUE(struct dma_call);

/*
 * The pin's request and the memlock state, between entry and return of one pin: in a .bss slot
 * (call_slot.h), the map only for a thread whose slot another holds. A map's insert and delete
 * at every pin, with a stats lookup, were two fifths of the DMA path's instructions
 * (docs/benchmarks.md run 27).
 */
struct pin_call {
	__u64 ts;			/* 1: in progress (no time is taken) */
	__u64 vaddr, npage, limit, locked;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u64);		/* thread id */
	__type(value, struct pin_call);
} inflight_pin SEC(".maps");
static CALL_SLOT_TYPE(pin_call) inflight_pin_slots[CALL_SLOTS];
CALL_VALUE(struct pin_call);

/* Too large for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dma_stats);
} dma_zero SEC(".maps");

static __always_inline struct dma_stats *dma_stats_in(void *map, const void *key)
{
	__u32 zero = 0;
	struct dma_stats *z = bpf_map_lookup_elem(&dma_zero, &zero);

	return z ? lookup_or_init(map, key, z) : NULL;
}

/* The live container at addr; a new generation the first time it is seen. */
static __always_inline struct container_key live_container(__u64 addr)
{
	struct container_key k = { .addr = addr };
	__u64 *gen = bpf_map_lookup_elem(&container_gens, &addr);

	if (gen) {
		k.gen = *gen;
	} else {
		/* the time it was first seen (fetching atomics need 5.12+) */
		k.gen = bpf_ktime_get_ns();
		update_counted(&container_gens, &addr, &k.gen);
	}
	return k;
}

__u64 dma_drops = 0;	/* map and unmap records lost (ring buffer full): the IOVA ledger is incomplete */

/*
 * Whether the container has no group yet (its domain_list is empty): then it has no mapping either
 * (type1 maps only once a group is attached, and unmaps everything when the last one leaves), and
 * every map of it comes after this attach. domain_list is the first member of struct vfio_iommu
 * on every kernel since 3.x; with type1's BTF (6.1+) its offset is read from there.
 */
static __always_inline bool container_fresh(void *iommu_data)
{
	struct vfio_iommu *iommu = iommu_data;
	__u64 off = 0, next = 0;

	if (bpf_core_field_exists(iommu->domain_list))
		off = bpf_core_field_offset(struct vfio_iommu, domain_list);
	if (bpf_probe_read_kernel(&next, sizeof(next), iommu_data + off))
		return false;
	return next == (__u64)iommu_data + off;
}

/* grp uses the container (type1's struct vfio_iommu, iommufd's io_pagetable) at addr */
static __always_inline int container_attached(struct iommu_group *grp, __u64 addr, __u8 v)
{
	struct group_container k = { .group = BPF_CORE_READ(grp, id), .container = live_container(addr) };

	update_counted(&group_containers, &k, &v);
	return 0;
}

/* The container at addr is gone (its stats stay): the next one there is another generation. */
static __always_inline int container_released(__u64 addr)
{
	bpf_map_delete_elem(&container_gens, &addr);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kp_dma_attach, void *iommu_data, struct iommu_group *grp)
{
	return container_attached(grp, (__u64)iommu_data,
				  GC_ATTACHED | (container_fresh(iommu_data) ? GC_FRESH : 0));
}

/* vfio_iommu_type1_release(iommu_data) */
SEC("kprobe")
int BPF_KPROBE(kp_dma_release, void *iommu_data)
{
	return container_released((__u64)iommu_data);
}

SEC("kprobe")
int BPF_KPROBE(kp_dma_ioctl, void *iommu_data, unsigned int cmd, unsigned long arg)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct dma_call c = {};

	if ((cmd != VFIO_IOMMU_MAP_DMA && cmd != VFIO_IOMMU_UNMAP_DMA) || !task_selected())
		return 0;
	c.ts = bpf_ktime_get_ns();
	c.container = live_container((__u64)iommu_data);
	c.cmd = cmd;
	c.arg = arg;
	if (cmd == VFIO_IOMMU_MAP_DMA) {
		struct vfio_iommu_type1_dma_map m = {};

		bpf_probe_read_user(&m, sizeof(m), (void *)arg);
		c.iova = m.iova;
		c.size = m.size;
		c.fail.vaddr = m.vaddr;
		c.fail.flags = c.flags = m.flags;
		c.fail.argsz = m.argsz;
	} else {
		struct vfio_iommu_type1_dma_unmap u = {};

		bpf_probe_read_user(&u, sizeof(u), (void *)arg);
		c.iova = u.iova;
		c.size = u.size;
		c.flags = u.flags;
	}
	call_begin(CALLS(inflight_dma), tid, &c, sizeof(c));
	return 0;
}

/* EEXIST: the mapping vfio_find_dma() found (the request failed, so the tree is as it was). */
static __always_inline void find_overlap(struct dma_failure *f, struct vfio_iommu *iommu)
{
	struct rb_node *node = BPF_CORE_READ(iommu, dma_list.rb_node);
	int i;

	for (i = 0; i < RB_DEPTH_MAX && node; i++) {
		struct vfio_dma *d = (void *)node - bpf_core_field_offset(struct vfio_dma, node);
		__u64 iova = BPF_CORE_READ(d, iova), size = BPF_CORE_READ(d, size);

		if (f->iova + f->size <= iova) {
			node = BPF_CORE_READ(node, rb_left);
		} else if (f->iova >= iova + size) {
			node = BPF_CORE_READ(node, rb_right);
		} else {
			f->has_existing = 1;
			f->existing_iova = iova;
			f->existing_size = size;
			return;
		}
	}
}

/* EINVAL: the ranges vfio_iommu_iova_dma_valid() accepts */
static __always_inline void read_iova_ranges(struct dma_failure *f, struct vfio_iommu *iommu)
{
	void *head = (void *)iommu + bpf_core_field_offset(struct vfio_iommu, iova_list);
	struct list_head *pos = BPF_CORE_READ(iommu, iova_list.next);
	int i;

	for (i = 0; i < IOVA_RANGES_MAX && pos && (void *)pos != head; i++) {
		struct vfio_iova *v = (void *)pos - bpf_core_field_offset(struct vfio_iova, list);

		if (i < DMA_RANGES) {
			f->ranges[i][0] = BPF_CORE_READ(v, start);
			f->ranges[i][1] = BPF_CORE_READ(v, end);
		}
		f->nranges++;
		pos = BPF_CORE_READ(pos, next);
	}
}

/* The container's state that tells apart the causes of one errno (6.1+: type1 has BTF). */
static __always_inline void read_container(struct dma_failure *f, __u64 addr, long ret)
{
	struct vfio_iommu *iommu = (void *)addr;

	if (!bpf_core_type_exists(struct vfio_iommu))
		return;
	f->known = 1;
	if (bpf_core_field_exists(iommu->dma_avail))
		f->dma_avail = BPF_CORE_READ(iommu, dma_avail);
	if (bpf_core_field_exists(iommu->pgsize_bitmap)) {
		__u64 bm = BPF_CORE_READ(iommu, pgsize_bitmap);

		f->pgsize = bm & -bm;
	}
	if (ret == -EEXIST)
		find_overlap(f, iommu);
	else if (ret == -EINVAL && bpf_core_field_exists(iommu->iova_list))
		read_iova_ranges(f, iommu);
}

static __always_inline void dma_account(struct dma_stats *s, const struct dma_call *c, long ret,
					__u64 lat, __u64 unmapped)
{
	if (c->cmd == VFIO_IOMMU_MAP_DMA) {
		__sync_fetch_and_add(&s->maps, 1);
		__sync_fetch_and_add(&s->map_ns, lat);
		hist_add(s->map_hist, lat);
		if (ret)
			__sync_fetch_and_add(&s->map_fail, 1);
		else
			__sync_fetch_and_add(&s->bytes_mapped, c->size);
	} else {
		__sync_fetch_and_add(&s->unmaps, 1);
		if (ret)
			__sync_fetch_and_add(&s->unmap_fail, 1);
		else
			__sync_fetch_and_add(&s->bytes_unmapped, unmapped);
	}
}

/* The return of a type1 ioctl or an iommufd map or unmap: counted per container and client, and its event. */
static __always_inline int dma_return(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct dma_client_key ck = { .pid = bpf_get_current_pid_tgid() >> 32 };
	struct dma_call *c = call_find(CALLS(inflight_dma), tid);
	struct dma_stats *s;
	struct dma_event *e;
	__u64 lat, unmapped = 0;

	if (!c)
		return 0;
	lat = bpf_ktime_get_ns() - c->ts;
	if (c->iommufd && !ret) {
		if (c->cmd == VFIO_IOMMU_UNMAP_DMA)
			bpf_probe_read_kernel(&unmapped, sizeof(unmapped), (void *)c->arg);
		else	/* the IOVA the kernel chose, or the one asked for */
			bpf_probe_read_kernel(&c->iova, sizeof(c->iova), (void *)c->arg);
	} else if (c->cmd == VFIO_IOMMU_UNMAP_DMA && !ret) {
		struct vfio_iommu_type1_dma_unmap u = {};

		/* the kernel writes the size it really unmapped back into the request */
		bpf_probe_read_user(&u, sizeof(u), (void *)c->arg);
		unmapped = u.size;
	}
	if ((s = dma_stats_in(&dma_containers, &c->container))) {
		dma_account(s, c, ret, lat, unmapped);
		if (c->pages)
			__sync_fetch_and_add(&s->pages_pinned, c->pages);
	}
	bpf_get_current_comm(ck.comm, sizeof(ck.comm));
	s = bpf_map_lookup_elem(&dma_clients, &ck);
	if (!s) {	/* a new client: user space reads its VM identity while it lives */
		__sync_fetch_and_add(&new_clients, 1);
		s = dma_stats_in(&dma_clients, &ck);
	}
	if (s)
		dma_account(s, c, ret, lat, unmapped);
	if (ret && c->cmd == VFIO_IOMMU_MAP_DMA) {
		c->fail.ts_ns = bpf_ktime_get_ns();
		c->fail.ret = ret;
		c->fail.pid = ck.pid;
		__builtin_memcpy(c->fail.comm, ck.comm, COMM_LEN);
		c->fail.iova = c->iova;
		c->fail.size = c->size;
		if (!c->iommufd)	/* a struct vfio_iommu */
			read_container(&c->fail, c->container.addr, ret);
		update_counted(&dma_failures, &c->container, &c->fail);
	}
	/* fail is written below: only what precedes it is zeroed */
	if ((e = record_reserve(sizeof(*e), offsetof(struct dma_event, fail)))) {
		record_hdr_fill(&e->h, c->cmd == VFIO_IOMMU_MAP_DMA ? EV_DMA_MAP : EV_DMA_UNMAP, NO_GROUP);
		e->h.latency_ns = lat;
		e->h.ret = ret;
		e->container = c->container.addr;
		e->container_gen = c->container.gen;
		e->iova = c->iova;
		e->size = c->cmd == VFIO_IOMMU_UNMAP_DMA && !ret ? unmapped : c->size;
		e->req_size = c->size;
		e->flags = c->flags;
		if (ret)
			e->fail = c->fail;
		else
			__builtin_memset(&e->fail, 0, sizeof(e->fail));
		bpf_ringbuf_submit(e, 0);
	} else if (emit_events) {
		__sync_fetch_and_add(&dma_drops, 1);
	}
	call_end(CALLS(inflight_dma), tid, c);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_dma_ioctl, long ret)
{
	return dma_return(ret);
}

/* iopt_table_enforce_dev_resv_regions(iopt, dev, sw_msi_start): dev's group uses this IOAS */
SEC("kprobe")
int BPF_KPROBE(kp_ioas_attach, void *iopt, struct device *dev)
{
	return container_attached(BPF_CORE_READ(dev, iommu_group), (__u64)iopt, GC_ATTACHED);
}

/* iopt_destroy_table(iopt): the IOAS is gone */
SEC("kprobe")
int BPF_KPROBE(kp_ioas_release, void *iopt)
{
	return container_released((__u64)iopt);
}

/* An iommufd map or unmap begun: its call, or NULL (not traced, or lost: counted) */
static __always_inline struct dma_call *ioas_call(void *iopt, __u32 cmd, __u64 iova, __u64 size, __u64 result,
						  __u64 vaddr)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct dma_call c = { .cmd = cmd, .iova = iova, .size = size, .arg = result, .iommufd = 1 };

	if (!task_selected())
		return NULL;
	c.ts = bpf_ktime_get_ns();
	c.container = live_container((__u64)iopt);
	c.fail.vaddr = vaddr;
	return call_begin(CALLS(inflight_dma), tid, &c, sizeof(c));
}

/*
 * iopt_map_user_pages(ictx, iopt, &iova, uptr, length, prot, flags). Without CAP_IPC_LOCK
 * iommufd accounts the pages it pins to the user (current_user()->locked_vm, shared by all
 * its processes) against the RLIMIT_MEMLOCK of the process mapping (iopt_alloc_pages,
 * incr_user_locked_vm): both read here, for an ENOMEM's diagnosis.
 */
SEC("kprobe")
int BPF_KPROBE(kp_ioas_map, void *ictx, void *iopt, unsigned long *iova, void *uptr, unsigned long length)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct dma_call *c;
	__u64 at = 0;

	bpf_probe_read_kernel(&at, sizeof(at), iova);
	c = ioas_call(iopt, VFIO_IOMMU_MAP_DMA, at, length, (__u64)iova, (__u64)uptr);
	if (!c)
		return 0;
	c->fail.iommufd = 1;
	c->fail.memlock_limit = BPF_CORE_READ(task, signal, rlim[RLIMIT_MEMLOCK].rlim_cur);
	c->fail.locked = BPF_CORE_READ(task, cred, user, locked_vm.counter) << PAGE_SHIFT;
	c->fail.uid = BPF_CORE_READ(task, cred, uid.val);
	return 0;
}

/* iopt_unmap_iova(iopt, iova, length, &unmapped) */
SEC("kprobe")
int BPF_KPROBE(kp_ioas_unmap, void *iopt, unsigned long iova, unsigned long length, unsigned long *unmapped)
{
	ioas_call(iopt, VFIO_IOMMU_UNMAP_DMA, iova, length, (__u64)unmapped, 0);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_ioas, long ret)
{
	return dma_return(ret);
}

/* vfio_pin_pages_remote(dma, vaddr, npage, pfn_base, limit[, batch]): limit in pages */
SEC("kprobe")
int BPF_KPROBE(kp_dma_pin, void *dma, unsigned long vaddr, long npage, void *pfn_base,
	       unsigned long limit)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct pin_call p = { .ts = 1, .vaddr = vaddr, .npage = npage, .limit = limit };

	if (!call_find(CALLS(inflight_dma), tid))
		return 0;
	p.locked = BPF_CORE_READ(task, mm, locked_vm);
	call_begin(CALLS(inflight_pin), tid, &p, sizeof(p));
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_dma_pin, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct dma_call *c = call_find(CALLS(inflight_dma), tid);
	struct pin_call p;

	if (!call_take(CALLS(inflight_pin), tid, &p, sizeof(p)) || !c)
		return 0;
	if (ret > 0) {
		c->pages += ret;
	} else if (ret < 0 && !c->fail.pin_failed) {
		c->fail.pin_failed = 1;
		c->fail.memlock_limit = p.limit << PAGE_SHIFT;
		c->fail.locked = p.locked << PAGE_SHIFT;
		c->fail.pin_size = p.npage << PAGE_SHIFT;
		c->fail.pin_vaddr = p.vaddr;
	}
	return 0;
}
