/* SPDX-License-Identifier: GPL-2.0 */
/* Types shared by the BPF programs and the loader: map keys, values, events. */
#ifndef VFIOTRACE_H
#define VFIOTRACE_H

#include "hist.h"

#define NAME_LEN 32		/* device names such as 0000:00:02.0 */
#define BUS_LEN 16
#define COMM_LEN 16
#define GROUP_MAX_DEVS 8	/* devices recorded per group (the rest are counted) */
#define STACK_DEPTH 8		/* frames kept per put: the caller and its callers; cost grows with depth */
#define MAX_ENTRIES 1024	/* groups, in-flight calls, stacks; device call sites: 4x */
#define NO_GROUP (-1)		/* domain allocation outside any VFIO attach */
/* an attach's backend: the type1 container, iommufd (a device attached to an IOAS or HWPT) */
#define BACKEND_TYPE1 1
#define BACKEND_IOMMUFD 2
#define REFCOUNT_UNAVAILABLE (-1LL)
/* bpf/map_dump.bpf.c copies a map element through a buffer this large: key and value below half each */
#define MAP_DUMP_MAX 8192
/* kprobe.multi dispatch: a hook program's slot is its row * 2 + (1 for the return program) */
#define MULTI_SLOTS 128
/*
 * kprobe.multi links (user/loader/multi.c): entries and returns (k 0, 1) of the table's rows
 * (MULTI_COMMON), and of the PCI core's functions every device's calls pass (MULTI_PCI), whose
 * dispatchers end a hit before dispatching it unless a program would act (bpf/multi.bpf.c).
 * Link (class * 2 + k); where the kernel has kprobe.session links (6.10+), one a class runs
 * both: link (class * 2).
 */
enum multi_class { MULTI_COMMON, MULTI_PCI, MULTI_CLASSES };
#define MULTI_LINKS (MULTI_CLASSES * 2)

/* A kind of calls in progress (bpf/common.bpf.h call_*): its counts. */
struct tid_counts {
	unsigned int inflight;	/* entries with a call in progress */
	unsigned int kept;	/* entries in the map */
};
/*
 * Helper ids no kernel has: the BPF side calls them where it means a kfunc,
 * and the loader rewrites each such call into the kfunc's by the kernel's BTF
 * id (user/loader/kcast.c). A libbpf extern would do the same, at the price of
 * libbpf parsing all of vmlinux's BTF at every start.
 */
#define RDONLY_CAST_MARK 0x7ffc		/* bpf_rdonly_cast (6.2+), bpf/kcast.bpf.h */
#define SESSION_IS_RETURN_MARK 0x7ffb	/* bpf_session_is_return (6.10+), bpf/multi.bpf.c */
#define SESSION_COOKIE_MARK 0x7ffa	/* bpf_session_cookie (6.10+), bpf/multi.bpf.c */

enum event_type {
	EV_ATTACH = 1,		/* vfio_iommu_type1_attach_group returned */
	EV_DOMAIN_ALLOC = 2,	/* an IOMMU paging-domain allocation returned */
	EV_DEVICE_PUT = 3,	/* a VFIO device registration reference is dropped */
	EV_DEVICE_GET = 4,	/* a VFIO device registration reference is taken */
	EV_UNREG_BEGIN = 5,	/* vfio_unregister_group_dev entered (may wait for references) */
	EV_UNREG_END = 6,	/* vfio_unregister_group_dev returned; latency_ns: time inside */
	EV_DMA_MAP = 7,		/* VFIO_IOMMU_MAP_DMA returned (struct dma_event) */
	EV_DMA_UNMAP = 8,	/* VFIO_IOMMU_UNMAP_DMA returned (struct dma_event) */
	EV_DEVICE_OPEN = 9,	/* vfio-pci's open of a device returned (struct dev_event) */
	EV_DEVICE_CLOSE = 10,	/* vfio-pci's last close of a device returned (struct dev_event) */
	EV_RESET = 11,		/* a reset of a VFIO-bound device, or a refused reset ioctl (struct dev_event) */
	EV_POWER = 12,		/* a D-state transition of a VFIO-bound device (struct dev_event) */
	EV_IOMMU_FAULT = 13,	/* a DMA or interrupt-remapping fault the IOMMU recorded (struct fault_event) */
	EV_GROUP_FAIL = 16,	/* a group open / set-container / get-device-fd failed (struct fail_event) */
};

enum ref_kind { REF_PUT = 0, REF_GET = 1 };

/* What the domain allocation function takes: decides how its bus is read. */
enum alloc_arg {
	ALLOC_ARG_BUS = 0,	/* iommu_domain_alloc(struct bus_type *) */
	ALLOC_ARG_DEV = 1,	/* iommu_paging_domain_alloc[_flags](struct device *, ...) */
};

struct group_stats {
	unsigned long long attach_ok;
	unsigned long long attach_fail;
	long long last_ret;		/* ret of the most recent failed attach */
	unsigned long long domain_allocs;
	unsigned long long domain_alloc_fail;
	unsigned long long device_puts;
	/* of attach_ok + attach_fail, those through iommufd (counts: atomic OR needs 5.12+) */
	unsigned long long iommufd_attaches;
	/* iommufd: its devices bound to an iommufd (ok, failed) and detached from their IOAS or HWPT */
	unsigned long long iommufd_binds, iommufd_bind_fail, iommufd_detaches;
	unsigned long long attach_hist[HIST_SLOTS];
	unsigned long long alloc_hist[HIST_SLOTS];
};

/* Members of a group, read from struct iommu_group at attach time. */
struct group_members {
	unsigned int ndevs;		/* all members, may exceed GROUP_MAX_DEVS */
	char devs[GROUP_MAX_DEVS][NAME_LEN];
	char buses[GROUP_MAX_DEVS][BUS_LEN];
	char alloc_bus[BUS_LEN];	/* bus the last domain allocation was for */
	char alloc_dev[NAME_LEN];	/* device it was for; "" when allocated by bus (5.10) */
	unsigned long long devp[GROUP_MAX_DEVS];	/* BPF's: the members' struct device, names read when new */
};

struct err_key {
	int group;
	int err;			/* positive errno */
};

/* One (device, call site, get or put) that took or dropped a reference. */
struct ref_key {
	int group;
	int stack_id;			/* <0: stack not captured (-v only) */
	int kind;			/* enum ref_kind */
	int pad;			/* a hash key: no unnamed padding */
	unsigned long long caller;	/* return address at the hooked function's entry; 0: see stack_id */
	char dev[NAME_LEN];		/* "" when the device is unreadable on this kernel */
};

struct ref_val {
	unsigned long long count;
	long long last_refcount;	/* refcount before the transition, or REFCOUNT_UNAVAILABLE */
};

/* One struct vfio_device (keyed by its address): every get and put it saw. */
struct dev_refs {
	char name[NAME_LEN];		/* "" until known */
	int group;			/* NO_GROUP until known */
	unsigned long long gets, puts;
	long long refcount;		/* after the last transition, or REFCOUNT_UNAVAILABLE */
	long long peak;			/* highest refcount seen, or REFCOUNT_UNAVAILABLE */
	unsigned long long dev;		/* BPF's: the struct device name and group were read from; 0: none */
};

/*
 * The start of every ring buffer record: when, who, which group, how it
 * ended. type picks the rest of the record (struct event, dma_event,
 * fail_event); the loader checks the size it needs before reading more.
 */
struct record_hdr {
	unsigned long long ts_ns;
	unsigned long long latency_ns;
	long long ret;
	unsigned int type;		/* enum event_type */
	int group;			/* NO_GROUP where the record names none */
	unsigned int pid;
	unsigned int tid;
	char comm[COMM_LEN];
};

/*
 * opener_ring: each successful open of /dev/vfio/N, in .bss (mmapped): user
 * space reads it without a bpf() call. A map lookup or delete from user space
 * holds the CPU's BPF recursion guard, and a kprobe of another task that runs
 * while the caller is preempted there is skipped (measured on 7.2, preempt
 * lazy, one CPU: 2 of 200 attaches unseen by both instances).
 */
/*
 * One ring per CPU (CPU modulo OPENER_CPUS), written only by the kprobe programs of that
 * CPU (preemption off), so no atomic is needed: a fetching atomic add is 5.12+, and 5.10
 * refuses the program ("BPF_STX uses reserved fields").
 */
#define OPENER_CPUS 64
#define OPENER_SLOTS 16		/* a power of two: opens on one CPU between two polls (at most 1 s) */
struct opener {
	unsigned long long seq;		/* index + 1, written last: 0 or another while being written */
	int group;
	unsigned int pid;
	char comm[COMM_LEN];
};

struct event {
	struct record_hdr h;
	long long refcount;		/* references: the count before the transition */
	int stack_id;
	int step;			/* enum diag_step of a failed attach; STEP_NONE otherwise */
	unsigned long long dev_ptr;	/* struct vfio_device address (gets, puts, unregistration) */
	char name[NAME_LEN];		/* device (references) or bus (domain_alloc) */
	char dev[NAME_LEN];		/* domain_alloc: the device allocated for, "" if by bus */
	unsigned long long caller;	/* references: as in struct ref_key */
};

/* DMA through one type1 container (struct vfio_iommu), or one client process. */
struct dma_stats {
	unsigned long long maps, unmaps, map_fail, unmap_fail;
	unsigned long long bytes_mapped, bytes_unmapped, pages_pinned;
	unsigned long long map_ns;		/* time inside successful and failed maps */
	unsigned long long map_hist[HIST_SLOTS];
};

#define DMA_RANGES 8		/* valid IOVA ranges kept per failure (all are counted) */

/* The last failed map's diagnosis, per container. */
struct dma_failure {
	unsigned long long ts_ns;
	long long ret;
	unsigned int pid;
	char comm[COMM_LEN];
	unsigned long long iova, size, vaddr;	/* the request */
	unsigned int flags, argsz;		/* the request */
	int pin_failed;			/* the error came from pinning (vfio_pin_pages_remote) */
	unsigned long long memlock_limit;	/* bytes, the pin's limit argument (RLIMIT_MEMLOCK) */
	unsigned long long locked;	/* bytes the task's mm had locked before the pin */
	unsigned long long pin_size;	/* bytes the failing pin tried */
	unsigned long long pin_vaddr;	/* where the failing pin began */
	/* the container's state at the failure; read only with type1's BTF (6.1+) */
	int known;
	unsigned int dma_avail;		/* mappings it may still create (ENOSPC: 0) */
	unsigned long long pgsize;	/* its smallest IOMMU page size, 0 unknown */
	int has_existing;		/* EEXIST: the mapping the request overlaps */
	unsigned long long existing_iova, existing_size;
	unsigned int nranges;		/* EINVAL: its valid IOVA ranges (aperture minus reserved) */
	unsigned long long ranges[DMA_RANGES][2];	/* the first DMA_RANGES, inclusive */
	/* iommufd: memlock_limit and locked are the task's RLIMIT_MEMLOCK and its user's locked_vm */
	unsigned int iommufd, uid;
};

/*
 * One container: the address of its struct vfio_iommu, and a generation
 * that tells apart containers the allocator placed at the same address.
 */
struct container_key {
	unsigned long long addr;
	unsigned long long gen;
};

/* A group attached to a container; a container may serve several groups, a group several containers. */
struct group_container {
	int group;
	struct container_key container;
};

/* The value of a group_containers entry: bits */
#define GC_ATTACHED	1	/* the group was attached to the container */
#define GC_FRESH	2	/* the container had no group before: every map of it came after (--dma sees them all) */

struct dma_client_key {
	unsigned int pid;
	char comm[COMM_LEN];
};

/* Ring buffer record of a map or unmap; h.group is NO_GROUP (the loader reads it from the container). */
struct dma_event {
	struct record_hdr h;
	unsigned long long container;	/* struct vfio_iommu * */
	unsigned long long container_gen;
	unsigned long long iova, size;	/* unmap: size actually unmapped on success */
	unsigned long long req_size;	/* the size requested */
	unsigned int flags;		/* the request's flags (map: VFIO_DMA_MAP_FLAG_READ, _WRITE, ...) */
	unsigned int pad;
	struct dma_failure fail;	/* ret < 0 */
};

/* ---- device open, reset and power (bpf/reset.bpf.c) ---- */

/*
 * The reset methods, in the order __pci_reset_function_locked tries them
 * (6.1+ pci_reset_fn_methods[]; 5.10 the same order, without acpi), then the
 * two a bus reset (VFIO_DEVICE_PCI_HOT_RESET, pci_reset_bus) is done by.
 * Names: user/features/resets.c.
 */
enum reset_method {
	RM_NONE = 0,		/* no method could run (every one returned -ENOTTY) */
	RM_DEVICE_SPECIFIC,
	RM_ACPI,
	RM_FLR,
	RM_AF_FLR,
	RM_PM,
	RM_BUS,			/* function reset by its parent bus (pci_reset_bus_function), or a bus reset */
	RM_CXL_BUS,
	RM_SLOT,		/* pci_reset_bus through a hotplug slot */
	NR_RESET_METHODS,
};

/* What asked for a reset. */
enum reset_trigger {
	TRIG_OTHER = 0,		/* not in a VFIO call (sysfs reset, a host driver) */
	TRIG_IOCTL_RESET,	/* VFIO_DEVICE_RESET */
	TRIG_HOT_RESET,		/* VFIO_DEVICE_PCI_HOT_RESET */
	TRIG_OPEN,		/* vfio-pci enabling the device at its first open */
	TRIG_CLOSE,		/* vfio-pci disabling it at its last close */
};

enum reset_scope {
	RESET_FUNCTION = 0,	/* __pci_reset_function_locked: the device alone */
	RESET_BUS = 1,		/* pci_reset_bus: every device below the bus or slot */
	RESET_REFUSED = 2,	/* a reset ioctl that returned before any reset ran */
};

#define RESET_TRIES 8		/* methods kept per function reset (in the order they returned) */
#define HOT_RESET_FDS 8		/* group fds kept of a VFIO_DEVICE_PCI_HOT_RESET request */
#define POWER_UNKNOWN 5		/* pci_power_t PCI_UNKNOWN; D0..D3cold are 0..4 */

struct reset_try {
	int method;		/* enum reset_method */
	int ret;		/* what its function returned (-ENOTTY: not applicable) */
};

/* EV_DEVICE_OPEN, EV_DEVICE_CLOSE, EV_RESET, EV_POWER; h.group: the device's group */
struct dev_event {
	struct record_hdr h;
	char dev[NAME_LEN];	/* the device the request came through (else the one reset / powered) */
	char target[NAME_LEN];	/* reset: the device reset (function) or whose bus or slot was reset */
	int trigger;		/* enum reset_trigger */
	int scope;		/* enum reset_scope */
	int method;		/* enum reset_method: the one that answered */
	int inferred;		/* method's function is inlined here: known from the order (5.10 pm) */
	unsigned int ntries;
	struct reset_try tries[RESET_TRIES];
	unsigned int nfds;	/* hot reset: group fds passed (may exceed HOT_RESET_FDS) */
	int groups[HOT_RESET_FDS];	/* the group each of the first fds is (/dev/vfio/N), -1 if none */
	int from, to, reached;	/* power: pci_power_t before, requested, after */
	int step;		/* open: enum diag_step that failed, STEP_NONE */
	int pad;
};

struct reset_key {
	char dev[NAME_LEN];
	int method;		/* enum reset_method */
	int scope;		/* enum reset_scope */
};

struct reset_stats {
	int group;
	int last_err;		/* positive errno of the last failure */
	unsigned long long ok, fail, ns;
	unsigned long long hist[HIST_SLOTS];
};

struct dev_key {
	char dev[NAME_LEN];
};

struct dev_stats {
	int group;
	int state;			/* pci_power_t after the last transition seen, POWER_UNKNOWN */
	unsigned long long opens, open_fail, closes;
	unsigned long long power_changes, power_fail;
	int open_err;			/* positive errno of the last failed open */
	int open_step;			/* enum diag_step of the last failed open */
	unsigned long long open_fail_power;	/* failed opens whose power-up failed */
};

/* ---- IOMMU faults (bpf/iommu_fault.bpf.c, docs/kernels-faults.md) ---- */

enum fault_source {
	FAULT_VTD = 1,		/* a VT-d fault recording register, read at dmar_fault's entry */
	FAULT_REPORT = 2,	/* report_iommu_fault (AMD-Vi, Arm SMMU, ...) */
};

enum fault_access { ACCESS_READ = 0, ACCESS_WRITE = 1 };

#define FAULT_NO_PASID 0xffffffffu

/* One (requester, reason, access) of one IOMMU; dev: report_iommu_fault's device, "" for VT-d. */
struct fault_key {
	unsigned short segment;		/* PCI segment of the IOMMU (VT-d) */
	unsigned short sid;		/* requester id: bus << 8 | devfn (VT-d) */
	unsigned char reason;		/* hardware fault reason (VT-d); 0 for report_iommu_fault */
	unsigned char access;		/* enum fault_access */
	unsigned char source;		/* enum fault_source */
	unsigned char pad;
	char dev[NAME_LEN];
};

struct fault_stats {
	unsigned long long count;
	unsigned long long first_addr, last_addr;	/* page address (VT-d), iova (report) */
	unsigned long long first_ns, last_ns;
	unsigned int last_pasid;	/* FAULT_NO_PASID: none */
	int group;			/* report_iommu_fault: the device's group; VT-d: NO_GROUP */
};

/* EV_IOMMU_FAULT; h.pid/comm: the task the interrupt came in (the VMM is the group's holder) */
struct fault_event {
	struct record_hdr h;
	unsigned long long addr;
	unsigned int fsts;		/* VT-d fault status at the handler's entry */
	unsigned int pasid;		/* FAULT_NO_PASID: none */
	unsigned short segment, sid;
	unsigned char reason, access, source, pad;
	unsigned int iommu;		/* VT-d: seq_id (dmarN) */
	char dev[NAME_LEN];		/* report_iommu_fault: the device */
};

/* ---- attach-failure diagnosis ---- */

#define BLOCK_MAX 4		/* blocking devices named per failure (all are counted) */
#define FAIL_STACK_DEPTH 16	/* frames kept of a failing step's kernel stack (-v) */
#define DRV_LEN 32

/* The kernel step an operation failed in. Names: user/features/catalogue.c. */
enum diag_step {
	STEP_NONE = 0,
	STEP_UNKNOWN,		/* no observable step failed */
	STEP_DOMAIN_ALLOC,	/* iommu_domain_alloc / iommu_paging_domain_alloc[_flags] */
	STEP_ATTACH_GROUP,	/* iommu_attach_group */
	STEP_DRIVER_ATTACH,	/* the IOMMU driver's attach_dev (intel_iommu_attach_device) */
	STEP_MSI,		/* interrupt remapping / MSI isolation check in type1 */
	STEP_MSI_COOKIE,	/* iommu_get_msi_cookie */
	STEP_DMA_OWNER,		/* iommu_group_claim_dma_owner (6.0+) */
	STEP_VIABLE,		/* vfio_dev_viable (up to 5.19) */
	STEP_GROUP_OPEN,	/* vfio_group_fops_open itself (EBUSY: held) */
	STEP_TYPE1_ATTACH,	/* a type1 attach nested in a group ioctl failed */
	/* VFIO_IOMMU_MAP_DMA, told apart in user space from errno and the state read at failure */
	STEP_DMA_REQUEST,	/* flags, argsz, alignment, wrap (EINVAL); unreadable request (EFAULT) */
	STEP_DMA_OVERLAP,	/* the range overlaps an existing mapping (EEXIST) */
	STEP_DMA_LIMIT,		/* the container's dma_entry_limit is used up (ENOSPC) */
	STEP_DMA_IOVA_RANGE,	/* outside the valid IOVA ranges (EINVAL) */
	STEP_DMA_PIN,		/* vfio_pin_pages_remote: memlock (ENOMEM), unmapped address (EFAULT) */
	STEP_POWER_UP,		/* a device's D0 transition failed (D3cold, inaccessible) */
	STEP_POWER,		/* another D-state transition failed */
	STEP_RESET,		/* a reset ran and failed, or no method applied */
	STEP_RESET_REFUSED,	/* a reset ioctl refused before any reset ran */
	STEP_DMA_PIN_USER,	/* iommufd: pinning over RLIMIT_MEMLOCK, accounted per user (ENOMEM) */
	NR_STEPS,
};

/* The user-visible operation a failure ended. */
enum diag_op {
	OP_ATTACH = 1,		/* vfio_iommu_type1_attach_group (VFIO_SET_IOMMU) */
	OP_SET_CONTAINER,	/* VFIO_GROUP_SET_CONTAINER */
	OP_GET_DEVICE_FD,	/* VFIO_GROUP_GET_DEVICE_FD */
	OP_GROUP_OPEN,		/* open("/dev/vfio/N") */
	OP_DMA_MAP,		/* VFIO_IOMMU_MAP_DMA (--dma) */
	OP_DEVICE_OPEN,		/* vfio-pci's open of a device (GET_DEVICE_FD's first open) */
	OP_RESET,		/* a function reset (VFIO_DEVICE_RESET, open, close) */
	OP_HOT_RESET,		/* VFIO_DEVICE_PCI_HOT_RESET */
	OP_POWER,		/* a D-state transition */
	NR_OPS,
};

struct fail_key {
	int group;
	int op;
	int step;
	int err;			/* positive errno */
};

struct holder {
	unsigned int pid;		/* the process that opened /dev/vfio/N */
	unsigned int from_proc;		/* 1: found in /proc at start-up, since_ns unknown */
	unsigned long long since_ns;	/* CLOCK_MONOTONIC of the open */
	unsigned long long released_ns;	/* 0: held; else CLOCK_MONOTONIC of the last close */
	char comm[COMM_LEN];
};

struct culprit {
	unsigned int nblock;		/* blocking devices, may exceed BLOCK_MAX */
	unsigned int has_holder;
	char block_dev[BLOCK_MAX][NAME_LEN];
	char block_drv[BLOCK_MAX][DRV_LEN];
	struct holder holder;
};

struct fail_event {
	struct record_hdr h;		/* type EV_GROUP_FAIL */
	int op;
	int step;			/* the failed step */
	int stack_id;
	int pad;
	struct culprit c;
};

#endif
