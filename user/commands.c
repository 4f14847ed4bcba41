// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "commands.h"
#include "refs.h"
#include "stat.h"

/* What a tracing command takes; probes and diagnose take less (their why says so). */
#define TRACE_OPTS (OPT_APPLIES_DURATION | OPT_APPLIES_GROUP | OPT_APPLIES_PID | OPT_APPLIES_MODE | \
		    OPT_APPLIES_BTF | OPT_APPLIES_DMA | OPT_APPLIES_VM)
#define EVENTS "VFIO attaches, domain allocations, device puts, resets, power and IOMMU faults"

/* In the order of --help. */
const struct command_def commands[] = {
	{ "stat", CMD_STAT, "per-group table: buses, devices, attaches, errors, domain allocations, puts; device opens, resets, power (default)",
	  render_stat, EVENTS, NULL, TRACE_OPTS | OPT_APPLIES_INTERVAL | OPT_APPLIES_METRICS | OPT_APPLIES_BY },
	{ "snoop", CMD_SNOOP, "one line per event",
	  NULL, EVENTS, NULL, TRACE_OPTS | OPT_APPLIES_RINGBUF },
	{ "hist", CMD_HIST, "log2 latency histograms of group attach, domain allocation and device reset",
	  render_hist, EVENTS, NULL, TRACE_OPTS | OPT_APPLIES_INTERVAL | OPT_APPLIES_METRICS },
	{ "refs", CMD_REFS, "device reference gets and puts live, holders of a hung unbind, references left at exit",
	  render_refs, "VFIO device reference gets, puts and unregistrations", NULL,
	  TRACE_OPTS | OPT_APPLIES_INTERVAL | OPT_APPLIES_METRICS | OPT_APPLIES_RINGBUF },
	{ "probes", CMD_PROBES, "what would be attached on this kernel, how, and what is degraded",
	  NULL, NULL, "probes only lists the probes", OPT_APPLIES_MODE | OPT_APPLIES_BTF | OPT_APPLIES_DMA },
	{ "diagnose", CMD_DIAGNOSE, "host check without tracing: IOMMU, interrupt remapping, groups, holders, device resets and power",
	  NULL, NULL, "diagnose traces nothing", 0 },
};

const unsigned int n_commands = sizeof(commands) / sizeof(commands[0]);

const struct command_def *command_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < n_commands; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

const struct command_def *command_get(enum command c)
{
	unsigned int i;

	for (i = 0; i < n_commands && commands[i].cmd != c; i++)
		;
	return i < n_commands ? &commands[i] : &commands[0];
}

const char *command_name(enum command c)
{
	unsigned int i;

	for (i = 0; i < n_commands; i++)
		if (commands[i].cmd == c)
			return commands[i].name;
	return "?";
}

static bool listed(const struct command_def *c, unsigned int mask, bool tracing)
{
	return (c->applies & mask) == mask && (!tracing || c->tracing);
}

const char *command_list(unsigned int mask, bool tracing, const char *last, char *buf, int len)
{
	unsigned int i, n = 0, k = 0;
	int at = 0;

	for (i = 0; i < n_commands; i++)
		n += listed(&commands[i], mask, tracing);
	buf[0] = 0;
	for (i = 0; i < n_commands && at < len; i++) {
		if (!listed(&commands[i], mask, tracing))
			continue;
		k++;
		at += snprintf(buf + at, len - at, "%s%s", k == 1 ? "" : k == n ? last : ", ",
			       commands[i].name);
	}
	return buf;
}
