/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One event as snoop and refs show it. Each feature decodes its ring buffer
 * records into this model once (user/features/events.c dispatches by type);
 * event_line_print writes it as one text line in the columns of
 * event_line_header, or as one JSON object.
 */
#ifndef VFIOTRACE_EVENT_LINE_H
#define VFIOTRACE_EVENT_LINE_H

#include <stdbool.h>
#include <stdio.h>
#include "../../bpf/vfiotrace.h"
#include "json.h"
#include "vmident.h"

/* Which of the common fields an event shows, beyond "event" and "ts_ns". */
enum line_field {
	LINE_GROUP = 1 << 0,
	LINE_PID = 1 << 1,
	LINE_TID = 1 << 2,
	LINE_COMM = 1 << 3,
	LINE_RET = 1 << 4,		/* JSON "ret", and "errno" when negative */
	LINE_LATENCY = 1 << 5,		/* JSON "latency_ns" */
	LINE_LATENCY_COLUMN = 1 << 6,	/* text: the LATENCY column filled */
};

#define LINE_DETAIL 4096
#define FRAME_LEN 96

struct event_line {
	const char *event;		/* "attach", "device_get", ... */
	unsigned int fields;		/* enum line_field */
	unsigned long long ts_ns, latency_ns;
	long long ret;
	int group;
	unsigned int pid, tid;
	const char *comm;
	const struct vm_ident *vm;	/* the pid's VM (events.c, for every event that shows a pid) */
	/* text */
	bool banner;			/* "EVENT DETAIL", the event upper-cased, instead of the columns */
	char result[48];		/* the RESULT column */
	char detail[LINE_DETAIL];	/* after the columns; a "\n" begins a continuation line */
	/* a failure's explanation (NULL: none): JSON failed_step, cause, remedy */
	const char *step, *cause, *remedy;
	/* -v: the failing step's kernel stack; JSON "stack", text a line per frame */
	bool stack;
	int nframes;
	char frames[FAIL_STACK_DEPTH][FRAME_LEN];
	/* the feature's own JSON keys, written after the common ones from what it decoded */
	void (*json)(struct json *j, const struct event_line *l);
	const void *rec;		/* the record */
	const void *state;		/* the feature's state of its object (refs: the device's holders) */
	char name[64];			/* a name the feature resolved (refs: the caller) */
};

/* The common fields from a record's header, all shown. */
void event_line_init(struct event_line *l, const char *event, const struct record_hdr *h);
/* Appends to the text detail; a detail that does not fit ends in "...". */
void event_line_detail(struct event_line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void event_line_header(FILE *f);
void event_line_print(FILE *f, const struct event_line *l, bool json);

#endif
