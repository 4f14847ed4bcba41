/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which VM a VFIO client process runs: its VMM, the VM's name, its systemd unit,
 * Kubernetes pod and container. Pure parsing of what /proc shows of a process
 * (vmcache.c reads it); no file access here, so tests and fuzzers feed it.
 */
#ifndef VFIOTRACE_VMIDENT_H
#define VFIOTRACE_VMIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include "../../bpf/vfiotrace.h"

enum vmm_kind { VMM_OTHER, VMM_QEMU, VMM_CLOUD_HYPERVISOR, VMM_CROSVM, VMM_FIRECRACKER };

/* Bytes kept of each string (the terminating NUL included); longer ones are cut. */
#define VM_NAME_LEN 256
#define VM_UNIT_LEN 256
#define VM_POD_LEN 64
#define VM_CONTAINER_LEN 80

struct vm_ident {
	unsigned int pid;
	unsigned long long starttime;	/* /proc/PID/stat field 22: tells a reused pid */
	char comm[COMM_LEN];
	bool gone;			/* exited before it was read: pid and comm only */
	enum vmm_kind vmm;
	const char *source;		/* where name came from (vm_source_*), NULL: no name */
	char name[VM_NAME_LEN];		/* "": none, as every string below */
	char unit[VM_UNIT_LEN];		/* the systemd scope or service, as systemd spells it */
	char pod[VM_POD_LEN];		/* Kubernetes pod UID, with dashes */
	char container[VM_CONTAINER_LEN];	/* container id, without its runtime's prefix */
};

/* The VMM an executable's file name (no directory) is. */
enum vmm_kind vmm_of_exe(const char *base);
const char *vmm_name(enum vmm_kind k);

/*
 * QEMU's -name value: the guest= option, or the implied first one; ",," is a
 * comma. 0 with the name in out (cut to len), -1 when the value names no guest.
 */
int vm_qemu_name(const char *val, char *out, size_t len);

/* argv as /proc/PID/cmdline holds it (NUL-separated, len bytes): the VMM from argv[0], the name. */
void vm_parse_cmdline(const char *buf, size_t len, struct vm_ident *id);

/* /proc/PID/cgroup text: unit, pod, container, and the name if the command line had none. */
void vm_parse_cgroup(const char *text, struct vm_ident *id);

/* starttime (field 22) from /proc/PID/stat text; 0 if it has none. */
unsigned long long vm_stat_starttime(const char *text);

#endif
