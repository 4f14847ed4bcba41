// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kprobe_pmu.h"
#include "privs.h"

/* 5.8 added these; the build headers may predate them */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define BIT(c) (1ULL << (c))

static const char *const cap_names[] = {
	[CAP_SYS_ADMIN] = "cap_sys_admin", [CAP_SYSLOG] = "cap_syslog",
	[CAP_PERFMON] = "cap_perfmon", [CAP_BPF] = "cap_bpf",
	[CAP_SYS_RESOURCE] = "cap_sys_resource", [CAP_SETPCAP] = "cap_setpcap",
};

struct caps {
	unsigned long long eff, prm, inh;
};

static int get_caps(struct caps *c)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	c->eff = d[0].effective | (unsigned long long)d[1].effective << 32;
	c->prm = d[0].permitted | (unsigned long long)d[1].permitted << 32;
	c->inh = d[0].inheritable | (unsigned long long)d[1].inheritable << 32;
	return 0;
}

static int set_caps(const struct caps *c)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ (__u32)c->eff, (__u32)c->prm, (__u32)c->inh },
		{ (__u32)(c->eff >> 32), (__u32)(c->prm >> 32), (__u32)(c->inh >> 32) },
	};

	return syscall(SYS_capset, &h, d);
}

/* The highest capability this kernel knows: CAP_BPF and CAP_PERFMON exist from 5.8. */
static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int n = CAP_SYS_ADMIN;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = CAP_SYS_ADMIN;
		fclose(f);
	}
	return n;
}

int privs_check(char *msg, int len)
{
	const char *missing = NULL;
	struct caps c;

	if (get_caps(&c))
		return 0;	/* cannot tell: loading reports */
	if (c.eff & BIT(CAP_SYS_ADMIN))
		return 0;
	if (last_cap() < CAP_BPF)
		missing = "CAP_SYS_ADMIN";
	else if (!(c.eff & BIT(CAP_BPF)))
		missing = "CAP_BPF";
	else if (!(c.eff & BIT(CAP_PERFMON)))
		missing = "CAP_PERFMON";
	if (!missing)
		return 0;
	snprintf(msg, len, "missing capability %s: run as root (loading needs CAP_SYS_ADMIN, "
		 "or CAP_BPF, CAP_PERFMON and CAP_SYSLOG with reduced detail; docs/security.md)",
		 missing);
	return -1;
}

/*
 * Whether re-attaching a kprobe (perf_event_open on the kprobe PMU) is
 * permitted. The probe names neither a function nor an address: the
 * permission checks come first (EACCES, EPERM; perf_kprobe_event_init), then
 * register_kprobe refuses it with EINVAL. Nothing is registered, and nothing
 * is looked up: a name, even one that does not exist, costs scans of every
 * kernel symbol (kallsyms_lookup_name, number_of_same_symbols: linear before
 * 6.2), and registering a real kprobe patches kernel text.
 */
static int kprobe_permitted(void)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	int type = kprobe_pmu_type(), fd;

	if (type < 0)
		return 0;
	attr.type = type;	/* config1 (kprobe_func) and config2 (kprobe_addr) 0 */
	fd = syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return errno != EACCES && errno != EPERM;
	close(fd);
	return 1;
}

/* Every set down to keep (bounding first: that needs CAP_SETPCAP). msg: what could not be. */
static int limit(unsigned long long keep, char *msg, int len)
{
	struct caps c;
	int cap, top = last_cap();

	msg[0] = 0;
	for (cap = 0; cap <= top && cap < 64; cap++)
		if (!(keep & BIT(cap)) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)) {
			snprintf(msg, len, "bounding set kept: dropping capability %d: %s", cap,
				 strerror(errno));
			break;
		}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (get_caps(&c)) {
		snprintf(msg, len, "capget: %s", strerror(errno));
		return -1;
	}
	c = (struct caps){ .eff = keep & c.prm, .prm = keep & c.prm, .inh = 0 };
	if (set_caps(&c)) {
		snprintf(msg, len, "capset: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int privs_limit_to_load(char *msg, int len)
{
	return limit(BIT(CAP_SYS_ADMIN) | BIT(CAP_BPF) | BIT(CAP_PERFMON) | BIT(CAP_SYSLOG) |
		     BIT(CAP_SYS_RESOURCE) | BIT(CAP_SETPCAP), msg, len);
}

long long privs_drop(const char *probe_func, char *msg, int len)
{
	unsigned long long keep;
	struct caps c, trial;
	int top = last_cap();

	if (get_caps(&c)) {
		snprintf(msg, len, "capget: %s", strerror(errno));
		return -1;
	}
	/* kallsyms shows addresses (stacks are symbolized) only with CAP_SYSLOG */
	keep = BIT(CAP_SYSLOG);
	keep |= top >= CAP_BPF ? BIT(CAP_BPF) | BIT(CAP_PERFMON) : BIT(CAP_SYS_ADMIN);
	keep &= c.prm;
	/*
	 * Some kernels want more for perf_event_open than CAP_PERFMON (Debian's
	 * perf_event_paranoid=3 patch asks for CAP_SYS_ADMIN): try the smaller set
	 * in the effective set only (reversible), and keep CAP_SYS_ADMIN if needed.
	 */
	if (probe_func && !(keep & BIT(CAP_SYS_ADMIN))) {
		trial = c;
		trial.eff = keep;
		if (set_caps(&trial)) {
			snprintf(msg, len, "capset: %s", strerror(errno));
			return -1;
		}
		if (!kprobe_permitted())
			keep |= BIT(CAP_SYS_ADMIN) & c.prm;
		if (set_caps(&c)) {
			snprintf(msg, len, "capset (restore): %s", strerror(errno));
			return -1;
		}
	}
	return limit(keep, msg, len) ? -1 : (long long)keep;
}

void privs_names(long long set, char *buf, int len)
{
	int cap, n = 0;

	buf[0] = 0;
	for (cap = 0; cap < 64; cap++) {
		const char *name;
		char num[16];

		if (!(set & BIT(cap)))
			continue;
		name = cap < (int)(sizeof(cap_names) / sizeof(cap_names[0])) ? cap_names[cap] : NULL;
		if (!name) {
			snprintf(num, sizeof(num), "cap_%d", cap);
			name = num;
		}
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "," : "", name);
	}
}
