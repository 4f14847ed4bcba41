/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VFIOTRACE_COMMANDS_H
#define VFIOTRACE_COMMANDS_H

/*
 * The commands: one table that the parser (options.c: names, which options
 * apply), --help (the one-line help) and the runner (main.c: the summary and
 * the Tracing line) all read.
 */
#include <stdbool.h>
#include <stdio.h>

enum command { CMD_STAT, CMD_SNOOP, CMD_HIST, CMD_REFS, CMD_PROBES, CMD_DIAGNOSE };

/* The options that only some commands take: one bit each (options.c checks them in order). */
enum {
	OPT_APPLIES_INTERVAL = 1 << 0,	/* INTERVAL [COUNT] */
	OPT_APPLIES_METRICS = 1 << 1,	/* --prometheus, --textfile */
	OPT_APPLIES_RINGBUF = 1 << 2,	/* --ring-buffer */
	OPT_APPLIES_DURATION = 1 << 3,	/* -d/--duration */
	OPT_APPLIES_GROUP = 1 << 4,	/* -g/--group */
	OPT_APPLIES_PID = 1 << 5,	/* -p/--pid */
	OPT_APPLIES_MODE = 1 << 6,	/* --mode */
	OPT_APPLIES_BTF = 1 << 7,	/* --btf */
	OPT_APPLIES_DMA = 1 << 8,	/* --dma */
	OPT_APPLIES_VM = 1 << 9,	/* --vm */
	OPT_APPLIES_BY = 1 << 10,	/* --by */
};

struct snapshot;
typedef void (*summary_printer)(FILE *f, const struct snapshot *s, bool json);

struct command_def {
	const char *name;
	enum command cmd;
	const char *help;		/* its line in --help */
	summary_printer summary;	/* printed at every interval and at exit; NULL: none */
	const char *tracing;		/* what the Tracing line says is traced; NULL: traces nothing */
	const char *why;		/* why an option does not apply, e.g. "diagnose traces nothing" */
	unsigned int applies;		/* OPT_APPLIES_*: the options it takes */
};

extern const struct command_def commands[];
extern const unsigned int n_commands;

/* The row of a command, by name (NULL: none) or by its enum (always one). */
const struct command_def *command_find(const char *name);
const struct command_def *command_get(enum command c);
const char *command_name(enum command c);
/*
 * The names of the commands that take every option of mask (0: all of them),
 * only those that trace when tracing: "stat, hist or refs" with last " or ".
 */
const char *command_list(unsigned int mask, bool tracing, const char *last, char *buf, int len);

#endif
