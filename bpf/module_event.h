/* SPDX-License-Identifier: GPL-2.0 */
/* Module load/free notifications: shared by bpf/lifecycle.bpf.c and the loader. */
#ifndef VFIOTRACE_MODULE_EVENT_H
#define VFIOTRACE_MODULE_EVENT_H

#define MODULE_NAME_LEN_ 56	/* MODULE_NAME_LEN on 64-bit: 64 - sizeof(unsigned long) */
#define WATCHED_MAX 16		/* modules followed (those the target table names) */

enum module_action { MODULE_LOADED = 1, MODULE_FREED = 2 };

struct module_event {
	unsigned long long ts_ns;	/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	unsigned int action;		/* enum module_action */
	char name[MODULE_NAME_LEN_];
};

#endif
