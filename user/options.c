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
#include "vmident.h"

#ifndef VFIOTRACE_VERSION
#define VFIOTRACE_VERSION "0.1.0"
#endif

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
#define OPT_VM 1008
#define OPT_BY 1009

/* An option's own check: its value into o, or PARSE_ERROR with the reason (PARSE_EXIT: printed). */
typedef enum parse_result (*opt_setter)(struct options *o, const char *arg, char *errbuf, int errlen);

static enum parse_result set_json(struct options *, const char *, char *, int);
static enum parse_result set_duration(struct options *, const char *, char *, int);
static enum parse_result set_group(struct options *, const char *, char *, int);
static enum parse_result set_pid(struct options *, const char *, char *, int);
static enum parse_result set_vm(struct options *, const char *, char *, int);
static enum parse_result set_by(struct options *, const char *, char *, int);
static enum parse_result set_mode(struct options *, const char *, char *, int);
static enum parse_result set_btf(struct options *, const char *, char *, int);
static enum parse_result set_dma(struct options *, const char *, char *, int);
static enum parse_result set_prometheus(struct options *, const char *, char *, int);
static enum parse_result set_textfile(struct options *, const char *, char *, int);
static enum parse_result set_ringbuf(struct options *, const char *, char *, int);
static enum parse_result set_max_groups(struct options *, const char *, char *, int);
static enum parse_result set_max_inflight(struct options *, const char *, char *, int);
static enum parse_result set_verbose(struct options *, const char *, char *, int);
static enum parse_result set_help(struct options *, const char *, char *, int);
static enum parse_result set_version(struct options *, const char *, char *, int);

/* One table: getopt_long's options, the help text and each option's check come from here. */
static const struct opt_def {
	const char *name;
	int key;
	const char *arg;
	const char *help;
	opt_setter set;
} opt_defs[] = {
	{ "json", 'j', NULL, "JSON output, one object per line", set_json },
	{ "duration", 'd', "SECONDS", "trace for SECONDS, then print the summary and exit", set_duration },
	{ "group", 'g', "ID", "only IOMMU group ID (the N in /dev/vfio/N)", set_group },
	{ "pid", 'p', "PID", "only tasks of process PID", set_pid },
	{ "vm", OPT_VM, "NAME", "only what processes of VM NAME did (its name as in stat's vm): their events; "
	  "the groups they held, whole, and their DMA (docs/usage.md)", set_vm },
	{ "by", OPT_BY, "vm", "stat: a view per VM (processes without a VM name: per pid)", set_by },
	{ "mode", OPT_MODE, "auto|fentry|kprobe", "attach style (default auto: fentry where BTF allows)", set_mode },
	{ "btf", OPT_BTF, "FILE", "BTF to use for CO-RE instead of the kernel's (e.g. with vfio.ko types)", set_btf },
	{ "dma", OPT_DMA, NULL, "also trace DMA map/unmap, pinning and memlock failures (type1)", set_dma },
	{ "prometheus", OPT_PROMETHEUS, "[ADDR]:PORT", "serve Prometheus metrics at /metrics (ADDR default 127.0.0.1)",
	  set_prometheus },
	{ "textfile", OPT_TEXTFILE, "PATH", "keep PATH (*.prom) written for node_exporter's textfile collector",
	  set_textfile },
	{ "ring-buffer", OPT_RINGBUF, "SIZE", "event buffer of snoop and refs: bytes, K/M suffix, rounded up to a "
	  "power of two of 4K pages (default 256K); full: events dropped and counted", set_ringbuf },
	{ "max-groups", OPT_MAX_GROUPS, "N", "size the in-kernel tables for N groups and devices (default 256); "
	  "more are counted as lost (map_full)", set_max_groups },
	{ "max-inflight", OPT_MAX_INFLIGHT, "N", "follow N hooked calls in progress at once (default 128); "
	  "more are counted as lost (map_full)", set_max_inflight },
	{ "verbose", 'v', NULL, "debug output, including libbpf's", set_verbose },
	{ "help", 'h', NULL, "this help", set_help },
	{ "version", 'V', NULL, "print the version", set_version },
};

#define N_OPTS (sizeof(opt_defs) / sizeof(opt_defs[0]))

static bool given_interval(const struct options *o) { return o->interval || o->count; }
static bool given_metrics(const struct options *o) { return o->prometheus || o->textfile; }
static bool given_ringbuf(const struct options *o) { return o->ringbuf; }
static bool given_duration(const struct options *o) { return o->duration; }
static bool given_group(const struct options *o) { return o->group >= 0; }
static bool given_pid(const struct options *o) { return o->pid; }
static bool given_vm(const struct options *o) { return o->vm; }
static bool given_by(const struct options *o) { return o->by_vm; }
static bool given_mode(const struct options *o) { return o->mode != MODE_AUTO; }
static bool given_btf(const struct options *o) { return o->btf; }
static bool given_dma(const struct options *o) { return o->dma; }

/*
 * The options that only some commands take (commands.c: applies), checked in
 * this order. msg: %1$s is the command, %2$s the commands that take the option
 * (joined with last); NULL: "<the command's why>, OPTION does not apply: drop
 * it, or use it with <the tracing commands that take it>".
 */
static const struct restriction {
	unsigned int bit;
	const char *label;
	bool (*given)(const struct options *o);
	const char *msg;
	const char *last;
} restrictions[] = {
	{ OPT_APPLIES_INTERVAL, "INTERVAL/COUNT", given_interval,
	  "%1$s takes no INTERVAL/COUNT; use -d SECONDS to bound it", " or " },
	{ OPT_APPLIES_METRICS, "--prometheus/--textfile", given_metrics,
	  "%1$s has no metrics; use --prometheus/--textfile with %2$s", " or " },
	{ OPT_APPLIES_RINGBUF, "--ring-buffer", given_ringbuf,
	  "--ring-buffer sizes the events of %2$s; %1$s has none: drop it", " and " },
	{ OPT_APPLIES_DURATION, "-d/--duration", given_duration, NULL, " or " },
	{ OPT_APPLIES_GROUP, "-g/--group", given_group, NULL, " or " },
	{ OPT_APPLIES_PID, "-p/--pid", given_pid, NULL, " or " },
	{ OPT_APPLIES_VM, "--vm", given_vm, NULL, " or " },
	{ OPT_APPLIES_BY, "--by", given_by, "--by vm is a view of stat; %1$s has none: drop it, or use stat --by vm", " or " },
	{ OPT_APPLIES_MODE, "--mode", given_mode, NULL, " or " },
	{ OPT_APPLIES_BTF, "--btf", given_btf, NULL, " or " },
	{ OPT_APPLIES_DMA, "--dma", given_dma, NULL, " or " },
};

#define N_RESTRICTIONS (sizeof(restrictions) / sizeof(restrictions[0]))

static void usage(FILE *f)
{
	unsigned int i;

	fprintf(f, "Usage: vfiotrace [COMMAND] [OPTIONS] [INTERVAL [COUNT]]\n"
		   "Trace VFIO group attaches, IOMMU domain allocations, VFIO device references, resets, power and IOMMU faults.\n\n"
		   "Commands:\n");
	for (i = 0; i < n_commands; i++)
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

/* Each option's check, in the order of opt_defs. */

static enum parse_result set_json(struct options *o, const char *arg, char *errbuf, int errlen)
{
	(void)arg, (void)errbuf, (void)errlen;
	o->json = true;
	return PARSE_OK;
}

static enum parse_result set_duration(struct options *o, const char *arg, char *errbuf, int errlen)
{
	return parse_uint(arg, "duration", 1, 1000000, &o->duration, errbuf, errlen) ? PARSE_ERROR : PARSE_OK;
}

static enum parse_result set_group(struct options *o, const char *arg, char *errbuf, int errlen)
{
	unsigned int v;

	if (parse_uint(arg, "group", 0, INT_MAX, &v, errbuf, errlen))
		return PARSE_ERROR;
	o->group = (int)v;
	return PARSE_OK;
}

static enum parse_result set_pid(struct options *o, const char *arg, char *errbuf, int errlen)
{
	unsigned int v;

	if (parse_uint(arg, "pid", 1, INT_MAX, &v, errbuf, errlen))
		return PARSE_ERROR;
	o->pid = (int)v;
	return PARSE_OK;
}

/* A VM name as stat shows it: anything printable on one line (a name may hold spaces, quotes, UTF-8). */
static enum parse_result set_vm(struct options *o, const char *arg, char *errbuf, int errlen)
{
	const unsigned char *c;

	if (!*arg) {
		snprintf(errbuf, errlen, "invalid --vm '': give the VM's name as vfiotrace shows it "
			 "(libvirt domain, QEMU -name, Proxmox VMID), such as --vm web-01");
		return PARSE_ERROR;
	}
	for (c = (const unsigned char *)arg; *c; c++)
		if (*c < 0x20 || *c == 0x7f) {
			snprintf(errbuf, errlen, "invalid --vm: the name has a control byte (\\x%02x at byte %d); "
				 "give the VM's name on one line, such as --vm web-01", *c, (int)(c - (const unsigned char *)arg));
			return PARSE_ERROR;
		}
	if (strlen(arg) >= VM_NAME_LEN) {
		snprintf(errbuf, errlen, "invalid --vm: the name has %zu bytes, more than a VM name vfiotrace keeps "
			 "(%d); give the VM's name", strlen(arg), VM_NAME_LEN - 1);
		return PARSE_ERROR;
	}
	o->vm = arg;
	return PARSE_OK;
}

static enum parse_result set_by(struct options *o, const char *arg, char *errbuf, int errlen)
{
	if (strcmp(arg, "vm")) {
		snprintf(errbuf, errlen, "invalid --by '%s': use --by vm (the one view there is)", arg);
		return PARSE_ERROR;
	}
	o->by_vm = true;
	return PARSE_OK;
}

static enum parse_result set_mode(struct options *o, const char *arg, char *errbuf, int errlen)
{
	if (!strcmp(arg, "auto"))
		o->mode = MODE_AUTO;
	else if (!strcmp(arg, "fentry"))
		o->mode = MODE_FENTRY;
	else if (!strcmp(arg, "kprobe"))
		o->mode = MODE_KPROBE;
	else {
		snprintf(errbuf, errlen, "invalid --mode '%s': use auto, fentry or kprobe", arg);
		return PARSE_ERROR;
	}
	return PARSE_OK;
}

static enum parse_result set_btf(struct options *o, const char *arg, char *errbuf, int errlen)
{
	if (!*arg) {
		snprintf(errbuf, errlen, "invalid --btf '': give a BTF file such as /sys/kernel/btf/vmlinux");
		return PARSE_ERROR;
	}
	o->btf = arg;
	return PARSE_OK;
}

static enum parse_result set_dma(struct options *o, const char *arg, char *errbuf, int errlen)
{
	(void)arg, (void)errbuf, (void)errlen;
	o->dma = true;
	return PARSE_OK;
}

static enum parse_result set_prometheus(struct options *o, const char *arg, char *errbuf, int errlen)
{
	struct sockaddr_storage sa;
	socklen_t len;

	if (http_parse_addr(arg, &sa, &len, errbuf, errlen))
		return PARSE_ERROR;
	o->prometheus = arg;
	return PARSE_OK;
}

static enum parse_result set_textfile(struct options *o, const char *arg, char *errbuf, int errlen)
{
	size_t n = strlen(arg);

	/* node_exporter reads only *.prom files */
	if (n <= 5 || strcmp(arg + n - 5, ".prom") || arg[n - 6] == '/') {
		snprintf(errbuf, errlen, "invalid --textfile '%s': give a file path ending in "
			 ".prom, such as /var/lib/prometheus/node-exporter/vfiotrace.prom", arg);
		return PARSE_ERROR;
	}
	o->textfile = arg;
	return PARSE_OK;
}

static enum parse_result set_ringbuf(struct options *o, const char *arg, char *errbuf, int errlen)
{
	if (parse_ring_size(arg, &o->ringbuf)) {
		snprintf(errbuf, errlen, "invalid --ring-buffer '%s': give a size from 1 to 1G bytes, "
			 "with K, M or G, such as 4M", arg);
		return PARSE_ERROR;
	}
	return PARSE_OK;
}

static enum parse_result set_max_groups(struct options *o, const char *arg, char *errbuf, int errlen)
{
	return parse_uint(arg, "--max-groups", 1, 65536, &o->max_groups, errbuf, errlen) ? PARSE_ERROR : PARSE_OK;
}

static enum parse_result set_max_inflight(struct options *o, const char *arg, char *errbuf, int errlen)
{
	return parse_uint(arg, "--max-inflight", 1, 65536, &o->max_inflight, errbuf, errlen) ?
	       PARSE_ERROR : PARSE_OK;
}

static enum parse_result set_verbose(struct options *o, const char *arg, char *errbuf, int errlen)
{
	(void)arg, (void)errbuf, (void)errlen;
	o->verbose++;
	return PARSE_OK;
}

static enum parse_result set_help(struct options *o, const char *arg, char *errbuf, int errlen)
{
	(void)o, (void)arg, (void)errbuf, (void)errlen;
	usage(stdout);
	return PARSE_EXIT;
}

static enum parse_result set_version(struct options *o, const char *arg, char *errbuf, int errlen)
{
	(void)o, (void)arg, (void)errbuf, (void)errlen;
	printf("vfiotrace %s\n", VFIOTRACE_VERSION);
	return PARSE_EXIT;
}

static const struct opt_def *opt_find(int key)
{
	unsigned int i;

	for (i = 0; i < N_OPTS; i++)
		if (opt_defs[i].key == key)
			return &opt_defs[i];
	return NULL;
}

/* Given options a command has no use for are an error, not silently ignored. */
static int check_applies(const struct options *o, char *errbuf, int errlen)
{
	const struct command_def *cmd = command_get(o->cmd);
	const struct restriction *r;
	char list[128];
	unsigned int i;

	for (i = 0; i < N_RESTRICTIONS; i++) {
		r = &restrictions[i];
		if ((cmd->applies & r->bit) || !r->given(o))
			continue;
		if (r->msg) {
			command_list(r->bit, false, r->last, list, sizeof(list));
			snprintf(errbuf, errlen, r->msg, cmd->name, list);
		} else {
			command_list(r->bit, true, r->last, list, sizeof(list));
			snprintf(errbuf, errlen, "%s, %s does not apply: drop it, or use it with %s",
				 cmd->why ? cmd->why : cmd->name, r->label, list);
		}
		return -1;
	}
	return 0;
}

/* getopt_long's tables from opt_defs; shorts has room for 3 * N_OPTS + 2. */
static void getopt_tables(struct option *lopts, char *shorts)
{
	unsigned int i;

	memset(lopts, 0, (N_OPTS + 1) * sizeof(*lopts));
	*shorts++ = ':';
	for (i = 0; i < N_OPTS; i++) {
		lopts[i].name = opt_defs[i].name;
		lopts[i].has_arg = opt_defs[i].arg ? required_argument : no_argument;
		lopts[i].val = opt_defs[i].key;
		if (opt_defs[i].key < 256) {
			*shorts++ = (char)opt_defs[i].key;
			if (opt_defs[i].arg)
				*shorts++ = ':';
		}
	}
	*shorts = 0;
}

/* The command, when argv[1] names one: 1 when it did, 0 when none is given, -1 unknown. */
static int parse_command(int argc, char **argv, struct options *o, char *errbuf, int errlen)
{
	const struct command_def *cmd;
	char list[128];

	if (argc <= 1 || argv[1][0] == '-' || (argv[1][0] >= '0' && argv[1][0] <= '9'))
		return 0;
	cmd = command_find(argv[1]);
	if (!cmd) {
		snprintf(errbuf, errlen, "unknown command '%s': use %s (see --help)", argv[1],
			 command_list(0, false, " or ", list, sizeof(list)));
		return -1;
	}
	o->cmd = cmd->cmd;
	return 1;
}

/* What getopt_long refused (c is ':' or '?'): the one-line reason in errbuf. */
static void option_error(int c, char **argv, char *errbuf, int errlen)
{
	char label[32];

	if (c == ':')
		snprintf(errbuf, errlen, "option %s needs a value (see --help)",
			 opt_label(optopt, label, sizeof(label)));
	/* optopt: a known option given a value (--json=1), or an unknown short one */
	else if (optopt && opt_find(optopt))
		snprintf(errbuf, errlen, "option %s takes no value: drop '%s' (see --help)",
			 opt_label(optopt, label, sizeof(label)), argv[optind - 1]);
	else if (optopt)
		snprintf(errbuf, errlen, "unknown option '-%c' in '%s' (see --help)", optopt,
			 argv[optind - 1]);
	else
		snprintf(errbuf, errlen, "unknown option '%s' (see --help)", argv[optind - 1]);
}

/* [INTERVAL [COUNT]] after the options: 0, or -1 with the reason. */
static int parse_positionals(int argc, char **argv, struct options *o, char *errbuf, int errlen)
{
	int c;

	for (c = optind; c < argc; c++)
		if (command_find(argv[c])) {
			snprintf(errbuf, errlen, "command '%s' must come first: vfiotrace %s [OPTIONS] "
				 "[INTERVAL [COUNT]]", argv[c], argv[c]);
			return -1;
		}
	if (optind < argc &&
	    parse_uint(argv[optind++], "interval", 1, 86400, &o->interval, errbuf, errlen))
		return -1;
	if (optind < argc &&
	    parse_uint(argv[optind++], "count", 1, 1000000000, &o->count, errbuf, errlen))
		return -1;
	if (optind < argc) {
		snprintf(errbuf, errlen, "unexpected argument '%s' (usage: vfiotrace [COMMAND] "
			 "[OPTIONS] [INTERVAL [COUNT]])", argv[optind]);
		return -1;
	}
	return 0;
}

static enum parse_result parse(int argc, char **argv, struct options *o, char *errbuf, int errlen)
{
	struct option lopts[N_OPTS + 1];
	char shorts[3 * N_OPTS + 2];
	enum parse_result r;
	int c, first;

	memset(o, 0, sizeof(*o));
	o->group = -1;
	o->max_groups = DEFAULT_MAX_GROUPS;
	o->max_inflight = DEFAULT_MAX_INFLIGHT;
	getopt_tables(lopts, shorts);

	first = parse_command(argc, argv, o, errbuf, errlen);
	if (first < 0)
		return PARSE_ERROR;
	/* argv[first] stands in for the program name; optind 0 resets getopt. */
	argc -= first;
	argv += first;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		const struct opt_def *d = c == ':' || c == '?' ? NULL : opt_find(c);

		if (!d) {
			option_error(c, argv, errbuf, errlen);
			return PARSE_ERROR;
		}
		r = d->set(o, optarg, errbuf, errlen);
		if (r != PARSE_OK)
			return r;
	}
	if (parse_positionals(argc, argv, o, errbuf, errlen) || check_applies(o, errbuf, errlen))
		return PARSE_ERROR;
	if (o->vm && o->pid) {
		snprintf(errbuf, errlen, "--vm '%s' and -p/--pid %d both choose processes: give one of them",
			 o->vm, o->pid);
		return PARSE_ERROR;
	}
	return PARSE_OK;
}

enum parse_result parse_options(int argc, char **argv, struct options *o, char *errbuf, int errlen)
{
	enum parse_result r = parse(argc, argv, o, errbuf, errlen);

	if (r == PARSE_ERROR)
		one_line(errbuf);
	return r;
}
