/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VFIOTRACE_OPTIONS_H
#define VFIOTRACE_OPTIONS_H

#include <stdbool.h>
#include "commands.h"
#include "targets.h"

#define DEFAULT_MAX_GROUPS 256	/* --max-groups: capacity.c sizes the in-kernel tables from it */
#define DEFAULT_MAX_INFLIGHT 128	/* threads inside one hooked call at the same time */

struct options {
	enum command cmd;
	bool json;
	unsigned int duration;		/* seconds; 0: until SIGINT/SIGTERM */
	int group;			/* -1: all */
	int pid;			/* 0: all */
	const char *vm;			/* --vm NAME: only processes of that VM (user space); NULL: all */
	bool by_vm;			/* --by vm: stat's per-VM view */
	enum mode mode;
	const char *btf;
	bool dma;			/* --dma: DMA map/unmap hooks too */
	unsigned int max_groups;	/* --max-groups: capacity of the in-kernel tables */
	unsigned int max_inflight;	/* --max-inflight: calls in progress followed at once */
	int verbose;
	unsigned int interval;		/* seconds; 0: print only at exit */
	unsigned int count;		/* intervals; 0: unlimited */
	const char *prometheus;		/* [ADDR]:PORT to serve /metrics on, or NULL */
	const char *textfile;		/* node_exporter textfile to keep written, or NULL */
	unsigned int ringbuf;		/* --ring-buffer: bytes, a power of two of pages; 0: default */
};

enum parse_result { PARSE_OK, PARSE_EXIT, PARSE_ERROR };

/* PARSE_ERROR leaves a one-line reason in errbuf; PARSE_EXIT: help/version printed. */
enum parse_result parse_options(int argc, char **argv, struct options *o, char *errbuf, int errlen);
/* SIZE in bytes with an optional K/M/G suffix, rounded up to a power of two of pages. 0, or -1 invalid. */
int parse_ring_size(const char *s, unsigned int *bytes);

#endif
