// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http.h"
#include "log.h"
#include "options.h"

#ifndef VFIOTRACE_VERSION
#define VFIOTRACE_VERSION "0.1.0"
#endif

static const struct {
	const char *name;
	enum command cmd;
	const char *help;
} commands[] = {
	{ "stat", CMD_STAT, "per-group table: buses, devices, attaches, errors, domain allocations, puts (default)" },
	{ "snoop", CMD_SNOOP, "one line per event" },
	{ "hist", CMD_HIST, "log2 latency histograms of group attach and domain allocation" },
	{ "refs", CMD_REFS, "device reference gets and puts live, holders of a hung unbind, references left at exit" },
	{ "probes", CMD_PROBES, "what would be attached on this kernel, how, and what is degraded" },
	{ "diagnose", CMD_DIAGNOSE, "host check without tracing: IOMMU, interrupt remapping, group drivers, holders" },
};

#define OPT_MODE 1000
#define OPT_BTF 1001
#define OPT_DMA 1002
#define OPT_PROMETHEUS 1003
#define OPT_TEXTFILE 1004
#define OPT_RINGBUF 1006
#define RINGBUF_PAGE 4096u
#define RINGBUF_MAX (1u << 30)
#define OPT_MAX_GROUPS 1005
#define OPT_MAX_INFLIGHT 1007

/* One table: getopt_long's options and the help text come from here. */
static const struct opt_def {
	const char *name;
	int key;
	const char *arg;
	const char *help;
} opt_defs[] = {
	{ "json", 'j', NULL, "JSON output, one object per line" },
	{ "duration", 'd', "SECONDS", "trace for SECONDS, then print the summary and exit" },
	{ "group", 'g', "ID", "only IOMMU group ID (the N in /dev/vfio/N)" },
	{ "pid", 'p', "PID", "only tasks of process PID" },
	{ "mode", OPT_MODE, "auto|fentry|kprobe", "attach style (default auto: fentry where BTF allows)" },
	{ "btf", OPT_BTF, "FILE", "BTF to use for CO-RE instead of the kernel's (e.g. with vfio.ko types)" },
	{ "dma", OPT_DMA, NULL, "also trace DMA map/unmap, pinning and memlock failures (type1)" },
	{ "prometheus", OPT_PROMETHEUS, "[ADDR]:PORT", "serve Prometheus metrics at /metrics (ADDR default 127.0.0.1)" },
	{ "textfile", OPT_TEXTFILE, "PATH", "keep PATH (*.prom) written for node_exporter's textfile collector" },
	{ "ring-buffer", OPT_RINGBUF, "SIZE", "event buffer of snoop and refs: bytes, K/M suffix, rounded up to a "
	  "power of two of 4K pages (default 256K); full: events dropped and counted" },
	{ "max-groups", OPT_MAX_GROUPS, "N", "size the in-kernel tables for N groups and devices (default 256); "
	  "more are counted as lost (map_full)" },
	{ "max-inflight", OPT_MAX_INFLIGHT, "N", "follow N hooked calls in progress at once (default 128); "
	  "more are counted as lost (map_full)" },
	{ "verbose", 'v', NULL, "debug output, including libbpf's" },
	{ "help", 'h', NULL, "this help" },
	{ "version", 'V', NULL, "print the version" },
};

#define N_OPTS (sizeof(opt_defs) / sizeof(opt_defs[0]))
#define N_CMDS (sizeof(commands) / sizeof(commands[0]))

const char *command_name(enum command c)
{
	unsigned int i;

	for (i = 0; i < N_CMDS; i++)
		if (commands[i].cmd == c)
			return commands[i].name;
	return "?";
}

static void usage(FILE *f)
{
	unsigned int i;

	fprintf(f, "Usage: vfiotrace [COMMAND] [OPTIONS] [INTERVAL [COUNT]]\n"
		   "Trace VFIO group attaches, IOMMU domain allocations and VFIO device references.\n\n"
		   "Commands:\n");
	for (i = 0; i < N_CMDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nOptions:\n");
	for (i = 0; i < N_OPTS; i++) {
		char lhs[64];

		if (opt_defs[i].key < 256)
			snprintf(lhs, sizeof(lhs), "-%c, --%s%s%s", opt_defs[i].key, opt_defs[i].name,
				 opt_defs[i].arg ? " " : "", opt_defs[i].arg ? opt_defs[i].arg : "");
		else
			snprintf(lhs, sizeof(lhs), "    --%s%s%s", opt_defs[i].name,
				 opt_defs[i].arg ? " " : "", opt_defs[i].arg ? opt_defs[i].arg : "");
		fprintf(f, "  %-30s %s\n", lhs, opt_defs[i].help);
	}
	fprintf(f, "\nINTERVAL prints the (cumulative) summary every INTERVAL seconds, COUNT times.\n"
		   "Once every probe is attached, a line starting with \"Tracing\" goes to stderr.\n"
		   "\nExamples:\n"
		   "  vfiotrace                     # per-group summary at Ctrl-C\n"
		   "  vfiotrace stat -j -d 30       # 30 s, then one JSON summary line\n"
		   "  vfiotrace snoop -g 12         # every event for /dev/vfio/12\n"
		   "  vfiotrace hist 5 3            # latency histograms every 5 s, 3 times\n"
		   "  vfiotrace refs                # who holds a device while `echo DEV > unbind` hangs\n"
		   "  vfiotrace refs -j -p $(pidof qemu-system-x86_64)\n"
		   "  vfiotrace stat --dma          # with DMA: maps, bytes, pinned pages, per VMM\n"
		   "  vfiotrace probes              # what attaches on this kernel, and how\n"
		   "  vfiotrace diagnose            # why a VFIO assignment would fail here (exit 1: a check failed)\n"
		   "  vfiotrace stat --prometheus :9400        # exporter on 127.0.0.1:9400/metrics\n"
		   "  vfiotrace stat --textfile /var/lib/prometheus/node-exporter/vfiotrace.prom 60\n");
}

int parse_ring_size(const char *s, unsigned int *bytes)
{
	unsigned long long v, mult = 1, r = RINGBUF_PAGE;
	char *end;

	if (!(s[0] >= '0' && s[0] <= '9'))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'K' || *end == 'k')
		mult = 1ull << 10;
	else if (*end == 'M' || *end == 'm')
		mult = 1ull << 20;
	else if (*end == 'G' || *end == 'g')
		mult = 1ull << 30;
	if (mult > 1)
		end++;
	if (errno || *end || !v || v > RINGBUF_MAX / mult)
		return -1;
	while (r < v * mult)
		r <<= 1;
	*bytes = (unsigned int)r;
	return 0;
}

/* How an option is written: "-d/--duration" or "--btf". */
static const char *opt_label(int key, char *buf, int len)
{
	unsigned int i;

	for (i = 0; i < N_OPTS && opt_defs[i].key != key; i++)
		;
	if (i == N_OPTS)
		snprintf(buf, len, "-%c", key);
	else if (key < 256)
		snprintf(buf, len, "-%c/--%s", key, opt_defs[i].name);
	else
		snprintf(buf, len, "--%s", opt_defs[i].name);
	return buf;
}

static bool is_command(const char *s)
{
	unsigned int i;

	for (i = 0; i < N_CMDS; i++)
		if (!strcmp(s, commands[i].name))
			return true;
	return false;
}

/* Given options a command has no use for are an error, not silently ignored. */
static int check_applies(const struct options *o, char *errbuf, int errlen)
{
	const char *opt = NULL;

	if (o->ringbuf && o->cmd != CMD_SNOOP && o->cmd != CMD_REFS) {
		snprintf(errbuf, errlen, "--ring-buffer sizes the events of snoop and refs; %s has none: drop it",
			 command_name(o->cmd));
		return -1;
	}
	if (o->cmd == CMD_DIAGNOSE) {
		opt = o->duration ? "-d/--duration" : o->group >= 0 ? "-g/--group" :
		      o->pid ? "-p/--pid" : o->mode != MODE_AUTO ? "--mode" : o->btf ? "--btf" :
		      o->dma ? "--dma" : NULL;
		if (opt) {
			snprintf(errbuf, errlen, "diagnose traces nothing, %s does not apply: drop it, or "
				 "use it with stat, snoop, hist or refs", opt);
			return -1;
		}
	}
	if (o->cmd == CMD_PROBES) {
		opt = o->duration ? "-d/--duration" : o->group >= 0 ? "-g/--group" :
		      o->pid ? "-p/--pid" : NULL;
		if (opt) {
			snprintf(errbuf, errlen, "probes only lists the probes, %s does not apply: drop it, "
				 "or use it with stat, snoop, hist or refs", opt);
			return -1;
		}
	}
	return 0;
}

static int parse_uint(const char *s, const char *what, unsigned int min, unsigned int max,
		      unsigned int *out, char *errbuf, int errlen)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	/* digits only: strtoul would also take leading blanks, '+' and '-' */
	if (errno || !(s[0] >= '0' && s[0] <= '9') || *end || v < min || v > max) {
		snprintf(errbuf, errlen, "invalid %s '%s': expected a whole number from %u to %u",
			 what, s, min, max);
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

static enum parse_result parse(int argc, char **argv, struct options *o, char *errbuf, int errlen)
{
	struct option lopts[N_OPTS + 1];
	char shorts[3 * N_OPTS + 2], *sp = shorts, label[32];
	unsigned int i, v;
	int c, first = 1;

	memset(o, 0, sizeof(*o));
	o->group = -1;
	o->max_groups = DEFAULT_MAX_GROUPS;
	o->max_inflight = DEFAULT_MAX_INFLIGHT;
	memset(lopts, 0, sizeof(lopts));
	*sp++ = ':';
	for (i = 0; i < N_OPTS; i++) {
		lopts[i].name = opt_defs[i].name;
		lopts[i].has_arg = opt_defs[i].arg ? required_argument : no_argument;
		lopts[i].val = opt_defs[i].key;
		if (opt_defs[i].key < 256) {
			*sp++ = (char)opt_defs[i].key;
			if (opt_defs[i].arg)
				*sp++ = ':';
		}
	}
	*sp = 0;

	if (argc > 1 && argv[1][0] != '-' && !(argv[1][0] >= '0' && argv[1][0] <= '9')) {
		for (i = 0; i < N_CMDS && strcmp(argv[1], commands[i].name); i++)
			;
		if (i == N_CMDS) {
			snprintf(errbuf, errlen, "unknown command '%s': use stat, snoop, hist, refs, probes or diagnose "
				 "(see --help)", argv[1]);
			return PARSE_ERROR;
		}
		o->cmd = commands[i].cmd;
		first = 2;
	}
	/* argv[first - 1] stands in for the program name; optind 0 resets getopt. */
	argc -= first - 1;
	argv += first - 1;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		switch (c) {
		case 'j': o->json = true; break;
		case 'v': o->verbose++; break;
		case 'd':
			if (parse_uint(optarg, "duration", 1, 1000000, &o->duration, errbuf, errlen))
				return PARSE_ERROR;
			break;
		case 'g':
			if (parse_uint(optarg, "group", 0, INT_MAX, &v, errbuf, errlen))
				return PARSE_ERROR;
			o->group = (int)v;
			break;
		case 'p':
			if (parse_uint(optarg, "pid", 1, INT_MAX, &v, errbuf, errlen))
				return PARSE_ERROR;
			o->pid = (int)v;
			break;
		case OPT_MODE:
			if (!strcmp(optarg, "auto"))
				o->mode = MODE_AUTO;
			else if (!strcmp(optarg, "fentry"))
				o->mode = MODE_FENTRY;
			else if (!strcmp(optarg, "kprobe"))
				o->mode = MODE_KPROBE;
			else {
				snprintf(errbuf, errlen, "invalid --mode '%s': use auto, fentry or kprobe", optarg);
				return PARSE_ERROR;
			}
			break;
		case OPT_BTF:
			if (!*optarg) {
				snprintf(errbuf, errlen, "invalid --btf '': give a BTF file such as "
					 "/sys/kernel/btf/vmlinux");
				return PARSE_ERROR;
			}
			o->btf = optarg;
			break;
		case OPT_PROMETHEUS: {
			struct sockaddr_storage sa;
			socklen_t len;

			if (http_parse_addr(optarg, &sa, &len, errbuf, errlen))
				return PARSE_ERROR;
			o->prometheus = optarg;
			break;
		}
		case OPT_TEXTFILE:
			/* node_exporter reads only *.prom files */
			if (strlen(optarg) <= 5 || strcmp(optarg + strlen(optarg) - 5, ".prom") ||
			    optarg[strlen(optarg) - 6] == '/') {
				snprintf(errbuf, errlen, "invalid --textfile '%s': give a file path ending in "
					 ".prom, such as /var/lib/prometheus/node-exporter/vfiotrace.prom", optarg);
				return PARSE_ERROR;
			}
			o->textfile = optarg;
			break;
		case OPT_DMA: o->dma = true; break;
		case OPT_RINGBUF:
			if (parse_ring_size(optarg, &o->ringbuf)) {
				snprintf(errbuf, errlen, "invalid --ring-buffer '%s': give a size from 1 to 1G bytes, "
					 "with K, M or G, such as 4M", optarg);
				return PARSE_ERROR;
			}
			break;
		case OPT_MAX_GROUPS:
			if (parse_uint(optarg, "--max-groups", 1, 65536, &o->max_groups, errbuf, errlen))
				return PARSE_ERROR;
			break;
		case OPT_MAX_INFLIGHT:
			if (parse_uint(optarg, "--max-inflight", 1, 65536, &o->max_inflight, errbuf, errlen))
				return PARSE_ERROR;
			break;
		case 'h': usage(stdout); return PARSE_EXIT;
		case 'V': printf("vfiotrace %s\n", VFIOTRACE_VERSION); return PARSE_EXIT;
		case ':':
			snprintf(errbuf, errlen, "option %s needs a value (see --help)",
				 opt_label(optopt, label, sizeof(label)));
			return PARSE_ERROR;
		default:
			/* optopt: a known option given a value (--json=1), or an unknown short one */
			for (i = 0; i < N_OPTS && opt_defs[i].key != optopt; i++)
				;
			if (optopt && i < N_OPTS)
				snprintf(errbuf, errlen, "option %s takes no value: drop '%s' (see --help)",
					 opt_label(optopt, label, sizeof(label)), argv[optind - 1]);
			else if (optopt)
				snprintf(errbuf, errlen, "unknown option '-%c' in '%s' (see --help)", optopt,
					 argv[optind - 1]);
			else
				snprintf(errbuf, errlen, "unknown option '%s' (see --help)", argv[optind - 1]);
			return PARSE_ERROR;
		}
	}
	for (c = optind; c < argc; c++)
		if (is_command(argv[c])) {
			snprintf(errbuf, errlen, "command '%s' must come first: vfiotrace %s [OPTIONS] "
				 "[INTERVAL [COUNT]]", argv[c], argv[c]);
			return PARSE_ERROR;
		}
	if (optind < argc &&
	    parse_uint(argv[optind++], "interval", 1, 86400, &o->interval, errbuf, errlen))
		return PARSE_ERROR;
	if (optind < argc &&
	    parse_uint(argv[optind++], "count", 1, 1000000000, &o->count, errbuf, errlen))
		return PARSE_ERROR;
	if (optind < argc) {
		snprintf(errbuf, errlen, "unexpected argument '%s' (usage: vfiotrace [COMMAND] "
			 "[OPTIONS] [INTERVAL [COUNT]])", argv[optind]);
		return PARSE_ERROR;
	}
	if ((o->interval || o->count) &&
	    (o->cmd == CMD_SNOOP || o->cmd == CMD_PROBES || o->cmd == CMD_DIAGNOSE)) {
		snprintf(errbuf, errlen, "%s takes no INTERVAL/COUNT; use -d SECONDS to bound it",
			 command_name(o->cmd));
		return PARSE_ERROR;
	}
	if ((o->prometheus || o->textfile) &&
	    (o->cmd == CMD_SNOOP || o->cmd == CMD_PROBES || o->cmd == CMD_DIAGNOSE)) {
		snprintf(errbuf, errlen, "%s has no metrics; use --prometheus/--textfile with stat, hist "
			 "or refs", command_name(o->cmd));
		return PARSE_ERROR;
	}
	if (check_applies(o, errbuf, errlen))
		return PARSE_ERROR;
	return PARSE_OK;
}

enum parse_result parse_options(int argc, char **argv, struct options *o, char *errbuf, int errlen)
{
	enum parse_result r = parse(argc, argv, o, errbuf, errlen);

	if (r == PARSE_ERROR)
		one_line(errbuf);
	return r;
}
