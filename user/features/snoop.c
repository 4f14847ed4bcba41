// SPDX-License-Identifier: GPL-2.0
/* snoop: one line (or JSON object) per event from the ring buffer. */
#include <time.h>
#include "catalogue.h"
#include "diag.h"
#include "errnames.h"
#include "histogram.h"
#include "json.h"
#include "snoop.h"
#include "text.h"

static const char *const event_names[] = {
	[EV_ATTACH] = "attach", [EV_DOMAIN_ALLOC] = "domain_alloc",
};

void render_event_header(FILE *f)
{
	fprintf(f, "%-8s %-13s %-7s %-16s %-5s %-12s %-9s %s\n", "TIME", "EVENT", "PID", "COMM",
		"GROUP", "RESULT", "LATENCY", "DETAIL");
}

void render_event(FILE *f, const struct event *e, bool json)
{
	const char *ev = e->type < sizeof(event_names) / sizeof(event_names[0]) &&
			 event_names[e->type] ? event_names[e->type] : "unknown";
	char res[32], lat[16], tbuf[16], grp[16], name[TEXT_NAME_LEN];
	time_t now = time(NULL);
	static unsigned int kver;
	struct json j;

	if (!kver)
		kver = running_kernel();
	if (e->type == EV_GROUP_FAIL) {
		render_fail_event(f, (const struct fail_event *)e, kver, json);
		return;
	}
	if (json) {
		json_init(&j, f);
		json_obj_begin(&j, NULL);
		json_str(&j, "event", ev);
		json_uint(&j, "ts_ns", e->ts_ns);
		json_int(&j, "group", e->group);
		json_uint(&j, "pid", e->pid);
		json_uint(&j, "tid", e->tid);
		json_str(&j, "comm", e->comm);
		switch (e->type) {
		case EV_ATTACH:
			json_int(&j, "ret", e->ret);
			if (e->ret < 0)
				json_str(&j, "errno", errno_name((int)-e->ret));
			json_uint(&j, "latency_ns", e->latency_ns);
			diag_json_event(&j, e, kver);
			break;
		case EV_DOMAIN_ALLOC:
			/* 1 stands for a NULL return: a failure without an errno */
			if (e->ret == 1)
				json_null(&j, "ret");
			else
				json_int(&j, "ret", e->ret);
			json_str(&j, "result", e->ret == 0 ? "ok" : e->ret == 1 ? "NULL" : "ERR_PTR");
			if (e->ret < 0)
				json_str(&j, "errno", errno_name((int)-e->ret));
			json_uint(&j, "latency_ns", e->latency_ns);
			json_str(&j, "bus", e->name);
			diag_json_event(&j, e, kver);
			break;
		}
		json_obj_end(&j);
		return;
	}
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&now));
	lat[0] = 0;
	snprintf(grp, sizeof(grp), e->group == NO_GROUP ? "-" : "%d", e->group);
	switch (e->type) {
	case EV_ATTACH:
		snprintf(res, sizeof(res), e->ret ? "%s" : "ok", errno_name((int)-e->ret));
		fmt_ns(e->latency_ns, lat, sizeof(lat));
		fprintf(f, "%-8s %-13s %-7u %-16s %-5s %-12s %-9s", tbuf, ev, e->pid, text_name(e->comm, name, sizeof(name)),
			grp, res, lat);
		diag_text_event(f, e, kver);
		fprintf(f, "\n");
		break;
	case EV_DOMAIN_ALLOC:
		snprintf(res, sizeof(res), "%s", e->ret == 0 ? "ok" : e->ret == 1 ? "NULL" :
			 errno_name((int)-e->ret));
		fmt_ns(e->latency_ns, lat, sizeof(lat));
		fprintf(f, "%-8s %-13s %-7u %-16s %-5s %-12s %-9s bus=%s", tbuf, ev, e->pid,
			text_name(e->comm, name, sizeof(name)),
			grp, res, lat, e->name[0] ? e->name : "?");
		diag_text_event(f, e, kver);
		fprintf(f, "\n");
		break;
	}
	fflush(f);
}

