// SPDX-License-Identifier: GPL-2.0
/* The one printer of events: a line model as text columns or as a JSON object. */
#include <ctype.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include "errnames.h"
#include "event_line.h"
#include "histogram.h"
#include "text.h"
#include "vmname.h"

void event_line_init(struct event_line *l, const char *event, const struct record_hdr *h)
{
	memset(l, 0, sizeof(*l));
	l->event = event;
	l->fields = LINE_GROUP | LINE_PID | LINE_TID | LINE_COMM | LINE_RET | LINE_LATENCY |
		    LINE_LATENCY_COLUMN;
	l->ts_ns = h->ts_ns;
	l->latency_ns = h->latency_ns;
	l->ret = h->ret;
	l->group = h->group;
	l->pid = h->pid;
	l->tid = h->tid;
	l->comm = h->comm;
}

void event_line_detail(struct event_line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_vappend(l->detail, sizeof(l->detail), fmt, ap);
	va_end(ap);
}

void event_line_header(FILE *f)
{
	fprintf(f, "%-8s %-13s %-7s %-16s %-5s %-12s %-9s %s\n", "TIME", "EVENT", "PID", "COMM",
		"GROUP", "RESULT", "LATENCY", "DETAIL");
}

static void print_json(FILE *f, const struct event_line *l)
{
	struct json j;
	int i;

	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "event", l->event);
	json_uint(&j, "ts_ns", l->ts_ns);
	if (l->fields & LINE_GROUP)
		json_int(&j, "group", l->group);
	if (l->fields & LINE_PID)
		json_uint(&j, "pid", l->pid);
	if (l->fields & LINE_TID)
		json_uint(&j, "tid", l->tid);
	if (l->fields & LINE_COMM)
		json_str(&j, "comm", l->comm);
	if (l->fields & LINE_PID)
		vm_json(&j, l->vm);
	if (l->fields & LINE_RET) {
		json_int(&j, "ret", l->ret);
		if (l->ret < 0)
			json_str(&j, "errno", errno_name((int)-l->ret));
	}
	if (l->fields & LINE_LATENCY)
		json_uint(&j, "latency_ns", l->latency_ns);
	if (l->step) {
		json_str(&j, "failed_step", l->step);
		json_str(&j, "cause", l->cause);
		json_str(&j, "remedy", l->remedy);
	}
	if (l->json)
		l->json(&j, l);
	if (l->stack) {
		json_arr_begin(&j, "stack");
		for (i = 0; i < l->nframes; i++)
			json_str(&j, NULL, l->frames[i]);
		json_arr_end(&j);
	}
	json_obj_end(&j);
}

static void print_text(FILE *f, const struct event_line *l)
{
	char tbuf[16], grp[16], lat[16] = "", name[TEXT_NAME_LEN], vm[VM_TEXT_LEN] = "";
	time_t now = time(NULL);
	int i;

	if (l->banner) {
		for (i = 0; l->event[i]; i++)
			fputc(l->event[i] == '_' ? ' ' : toupper((unsigned char)l->event[i]), f);
		fprintf(f, " %s\n", l->detail);
		return;
	}
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&now));
	snprintf(grp, sizeof(grp), l->group == NO_GROUP ? "-" : "%d", l->group);
	if (l->fields & LINE_LATENCY_COLUMN)
		fmt_ns(l->latency_ns, lat, sizeof(lat));
	fprintf(f, "%-8s %-13s %-7u %-16s %-5s %-12s %-9s", tbuf, l->event, l->pid,
		text_name(l->comm, name, sizeof(name)), grp, l->result, lat);
	if (l->fields & LINE_PID)
		vm_text(l->vm, " vm=", vm, sizeof(vm));
	fputs(vm, f);
	if (l->detail[0])
		fprintf(f, " %s", l->detail);
	for (i = 0; i < l->nframes; i++)
		fprintf(f, "\n    %s", l->frames[i]);
	fputc('\n', f);
}

void event_line_print(FILE *f, const struct event_line *l, bool json)
{
	if (json)
		print_json(f, l);
	else
		print_text(f, l);
	fflush(f);
}
