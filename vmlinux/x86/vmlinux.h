/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel types vfiotrace's BPF programs read, and nothing else (see
 * vmlinux/README.md). Every struct is preserve_access_index: field offsets
 * here do not matter, libbpf relocates each access against the running
 * kernel's BTF at load time. Field names must match the kernel's.
 * Basic types and the BPF UAPI (map types, flags) come from <linux/bpf.h>.
 */
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#include <linux/types.h>
#include <linux/bpf.h>

typedef _Bool bool;
enum { false = 0, true = 1 };

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)

/* arch/x86/include/asm/ptrace.h: kprobe context (bpf_tracing.h uses these names) */
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};

struct list_head {
	struct list_head *next, *prev;
};

typedef struct {
	int counter;
} atomic_t;

typedef struct refcount_struct {
	atomic_t refs;
} refcount_t;

/* include/linux/rbtree_types.h */
struct rb_node {
	unsigned long __rb_parent_color;
	struct rb_node *rb_right;
	struct rb_node *rb_left;
};

struct rb_root {
	struct rb_node *rb_node;
};

struct kref {
	refcount_t refcount;
};

struct kobject {
	const char *name;
};

struct bus_type {
	const char *name;
};

struct iommu_group;

struct device {
	struct kobject kobj;
	const struct bus_type *bus;
	struct iommu_group *iommu_group;
};

/* drivers/iommu/iommu.c: private, but described by vmlinux BTF on every kernel tested */
struct iommu_group {
	struct list_head devices;
	int id;
};

struct group_device {
	struct list_head list;
	struct device *dev;
};

/* attach-failure diagnosis: drivers of group members, the file of /dev/vfio/N */
struct device_driver {
	const char *name;
};

struct qstr {
	const unsigned char *name;
};

struct dentry {
	struct qstr d_name;
	struct dentry *d_parent;	/* /dev/vfio/N: "vfio" (the group of a hot reset's fd) */
};

struct path {
	struct dentry *dentry;
};

/* private_data: the struct vfio_device behind a new device fd (GET_DEVICE_FD gets where inlined) */
struct file {
	struct path f_path;
	void *private_data;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

/* DMA pinning: what the RLIMIT_MEMLOCK check of vfio_pin_pages_remote compares */
struct mm_struct {
	unsigned long locked_vm;
};

/* iommufd's memlock accounting (--dma): the task's RLIMIT_MEMLOCK, its user's locked_vm */
typedef struct {
	long counter;
} atomic64_t;
typedef atomic64_t atomic_long_t;

typedef struct {
	unsigned int val;
} kuid_t;

struct user_struct {
	atomic_long_t locked_vm;
};

struct cred {
	kuid_t uid;
	struct user_struct *user;
};

struct rlimit {
	unsigned long rlim_cur, rlim_max;
};

struct signal_struct {
	struct rlimit rlim[16];
};

struct task_struct {
	char comm[16];
	struct files_struct *files;
	struct mm_struct *mm;
	const struct cred *cred;
	struct signal_struct *signal;
};

/* drivers/iommu/intel/iommu.h (include/linux/intel-iommu.h before 5.17): the same names 5.10-7.2 */
struct intel_iommu {
	void *reg;			/* the register page (ioremapped) */
	__u64 cap;
	int seq_id;
	__u16 segment;
};

/* include/linux/bpf.h, kernel/bpf/map_iter.c (5.9): a map element iterator's context */
struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
};

struct bpf_map {
	__u32 key_size;
	__u32 value_size;
};

struct bpf_iter__bpf_map_elem {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
	void *key;
	void *value;
};

/*
 * kernel/kallsyms.c (6.0, 647cafa22349 "bpf: add a ksym BPF iterator"): the
 * kallsyms iterator's context; name is KSYM_NAME_LEN (512 since 6.1) bytes
 */
struct kallsym_iter {
	unsigned long value;
	char type;
	char name[128];
	char module_name[56];
};

struct bpf_iter__ksym {
	struct bpf_iter_meta *meta;
	struct kallsym_iter *ksym;
};

#pragma clang attribute pop

#endif
