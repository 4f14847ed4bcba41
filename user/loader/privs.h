/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Least privilege: check at start that vfiotrace may load and attach, and
 * once everything is attached, keep only what re-attaching after a module
 * reload needs (docs/security.md). Raw syscalls: the binary is static.
 */
#ifndef VFIOTRACE_PRIVS_H
#define VFIOTRACE_PRIVS_H

/* 0, or -1 with a one-line "missing capability ..." in msg. */
int privs_check(char *msg, int len);
/*
 * While waiting for VFIO: keep only what loading needs (CAP_SYS_ADMIN,
 * CAP_BPF, CAP_PERFMON, CAP_SYSLOG, CAP_SYS_RESOURCE, and CAP_SETPCAP for
 * the later privs_drop), in every set. 0, or -1 with the reason in msg.
 */
int privs_limit_to_load(char *msg, int len);
/*
 * Drops every capability but the re-attach set (probed with a kprobe on
 * probe_func) from the effective, permitted, inheritable, ambient and
 * bounding sets. Returns the kept set (bit per capability) with msg "" or
 * saying what could not be dropped, or -1 with the reason in msg.
 */
long long privs_drop(const char *probe_func, char *msg, int len);
/* "cap_bpf,cap_perfmon,..." for a set returned by privs_drop. */
void privs_names(long long set, char *buf, int len);

#endif
