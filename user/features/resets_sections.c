// SPDX-License-Identifier: GPL-2.0
/*
 * Device open, reset and power sections: stat (text and -j "pci_devices"),
 * the reset latency in hist, the Prometheus families, and the feature's row.
 */
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include "catalogue.h"
#include "errnames.h"
#include "feature.h"
#include "histogram.h"
#include "prom.h"
#include "resets.h"
#include "text.h"
#include "vfiotrace.skel.h"

static int collect(struct snapshot *s, const struct vfiotrace_bpf *skel, const struct symbolizer *sym)
{
	(void)sym;
	return resets_collect(&s->resets, bpf_map__fd(skel->maps.reset_stats), bpf_map__fd(skel->maps.dev_stats));
}

static const char *method_label(int method)
{
	return reset_method_name(method) ? reset_method_name(method) : "none";
}

static const char *power_now(const struct pcidev_row *d)
{
	return d->power[0] ? d->power : power_state_name(d->st.state);
}

/* The device's row, NULL if only its resets were seen. */
static const struct pcidev_row *dev_row(const struct resets_model *m, const char *dev)
{
	int i;

	for (i = 0; i < m->ndevs; i++)
		if (!strcmp(m->devs[i].key.dev, dev))
			return &m->devs[i];
	return NULL;
}

static void reset_json(struct json *j, const struct reset_row *r)
{
	json_obj_begin(j, NULL);
	if (reset_method_name(r->key.method))
		json_str(j, "method", reset_method_name(r->key.method));
	else
		json_null(j, "method");
	json_str(j, "scope", reset_scope_name(r->key.scope));
	json_uint(j, "ok", r->st.ok);
	json_uint(j, "failed", r->st.fail);
	if (r->st.fail)
		json_str(j, "last_errno", errno_name(r->st.last_err));
	else
		json_null(j, "last_errno");
	json_latency(j, "latency", r->st.hist);
	json_obj_end(j);
}

static void device_json(struct json *j, const struct resets_model *m, const char *dev)
{
	const struct pcidev_row *d = dev_row(m, dev);
	int k;

	json_obj_begin(j, NULL);
	json_str(j, "device", dev);
	if (d && d->st.group != NO_GROUP)
		json_int(j, "group", d->st.group);
	else
		json_null(j, "group");
	json_uint(j, "opens", d ? d->st.opens : 0);
	json_uint(j, "open_failures", d ? d->st.open_fail : 0);
	if (d && d->st.open_fail) {
		json_str(j, "last_open_errno", errno_name(d->st.open_err));
		json_str(j, "last_open_failed_step", step_name(d->st.open_step));
	}
	json_uint(j, "closes", d ? d->st.closes : 0);
	json_uint(j, "power_changes", d ? d->st.power_changes : 0);
	json_uint(j, "power_failures", d ? d->st.power_fail : 0);
	if (d)
		json_str(j, "power_state", power_now(d));
	else
		json_null(j, "power_state");
	json_arr_begin(j, "resets");
	for (k = 0; k < m->nresets; k++)
		if (!strcmp(m->resets[k].key.dev, dev))
			reset_json(j, &m->resets[k]);
	json_arr_end(j);
	json_obj_end(j);
}

/* Every device seen opened, closed, reset or powered, once: both lists are sorted by device. */
static void json(struct json *j, const struct snapshot *s)
{
	const struct resets_model *m = &s->resets;
	const char *last = "";
	int i = 0, k = 0;

	json_arr_begin(j, "pci_devices");
	while (i < m->ndevs || k < m->nresets) {
		const char *dev = k >= m->nresets || (i < m->ndevs && strcmp(m->devs[i].key.dev, m->resets[k].key.dev) <= 0) ?
				  m->devs[i++].key.dev : m->resets[k++].key.dev;

		if (strcmp(dev, last))
			device_json(j, m, dev);
		last = dev;
	}
	json_arr_end(j);
}

static void text(FILE *f, const struct snapshot *s)
{
	const struct resets_model *m = &s->resets;
	char name[TEXT_LEN(NAME_LEN)], p50[16], p99[16];
	int i;

	if (!m->ndevs && !m->nresets)
		return;
	fprintf(f, "\n%-14s %-6s %-6s %-9s %-7s %-8s %s\n", "DEVICE", "GROUP", "OPENS", "OPEN_FAIL", "CLOSES",
		"POWER", "POWER_CHANGES");
	for (i = 0; i < m->ndevs; i++) {
		const struct pcidev_row *d = &m->devs[i];

		fprintf(f, "%-14s %-6d %-6llu %-9llu %-7llu %-8s %llu%s\n", text_name(d->key.dev, name, sizeof(name)),
			d->st.group, d->st.opens, d->st.open_fail, d->st.closes, power_now(d), d->st.power_changes,
			d->st.power_fail ? " (failed ones included)" : "");
		if (d->st.open_fail)
			fprintf(f, "  last open failure: %s at %s\n", errno_name(d->st.open_err),
				step_name(d->st.open_step));
	}
	if (!m->nresets)
		return;
	fprintf(f, "\n%-14s %-16s %-9s %-6s %-6s %-10s %-10s %s\n", "RESET_DEVICE", "METHOD", "SCOPE", "OK", "FAIL",
		"P50", "P99", "LAST_ERRNO");
	for (i = 0; i < m->nresets; i++) {
		const struct reset_row *r = &m->resets[i];

		fprintf(f, "%-14s %-16s %-9s %-6llu %-6llu %-10s %-10s %s\n", text_name(r->key.dev, name, sizeof(name)),
			method_label(r->key.method), reset_scope_name(r->key.scope), r->st.ok, r->st.fail,
			fmt_ns(hist_percentile(r->st.hist, 50), p50, sizeof(p50)),
			fmt_ns(hist_percentile(r->st.hist, 99), p99, sizeof(p99)),
			r->st.fail ? errno_name(r->st.last_err) : "-");
	}
}

static const unsigned long long *reset_hist(const struct snapshot *s, int group)
{
	return resets_group_hist(&s->resets, group);
}

static void prom(FILE *f, const struct metrics *m)
{
	const struct resets_model *r = &m->s->resets;
	char dev[256], label[300];
	int i;

	prom_family(f, "vfiotrace_device_resets_total", "counter",
		    "Resets of VFIO devices by method (none: no method ran, the ioctl was refused) and result.");
	for (i = 0; i < r->nresets; i++) {
		const struct reset_row *x = &r->resets[i];

		prom_escape(x->key.dev, dev, sizeof(dev));
		fprintf(f, "vfiotrace_device_resets_total{device=\"%s\",method=\"%s\",scope=\"%s\",result=\"ok\"} %llu\n",
			dev, method_label(x->key.method), reset_scope_name(x->key.scope), x->st.ok);
		fprintf(f, "vfiotrace_device_resets_total{device=\"%s\",method=\"%s\",scope=\"%s\",result=\"failed\"} %llu\n",
			dev, method_label(x->key.method), reset_scope_name(x->key.scope), x->st.fail);
	}
	prom_family(f, "vfiotrace_device_reset_duration_seconds", "histogram",
		    "Time inside a reset of a VFIO device (a refused ioctl ran none: not counted), by method.");
	for (i = 0; i < r->nresets; i++) {
		const struct reset_row *x = &r->resets[i];

		if (x->key.scope == RESET_REFUSED)
			continue;
		prom_escape(x->key.dev, dev, sizeof(dev));
		snprintf(label, sizeof(label), "device=\"%s\",method=\"%s\",scope=\"%s\"", dev, method_label(x->key.method),
			 reset_scope_name(x->key.scope));
		prom_histogram_labels(f, "vfiotrace_device_reset_duration_seconds", label, x->st.hist,
				      (double)x->st.ns);
	}
	prom_family(f, "vfiotrace_device_opens_total", "counter", "vfio-pci opens of a device (its first user).");
	for (i = 0; i < r->ndevs; i++)
		fprintf(f, "vfiotrace_device_opens_total{device=\"%s\"} %llu\n",
			prom_escape(r->devs[i].key.dev, dev, sizeof(dev)), r->devs[i].st.opens);
	/* both steps for every device, from 0: a series born at 1 never shows an increase */
	prom_family(f, "vfiotrace_device_open_failures_total", "counter",
		    "vfio-pci opens of a device that failed, by failed step (power_up: its D0 transition).");
	for (i = 0; i < r->ndevs; i++) {
		const struct dev_stats *d = &r->devs[i].st;

		prom_escape(r->devs[i].key.dev, dev, sizeof(dev));
		fprintf(f, "vfiotrace_device_open_failures_total{device=\"%s\",step=\"%s\"} %llu\n", dev,
			step_name(STEP_POWER_UP), d->open_fail_power);
		fprintf(f, "vfiotrace_device_open_failures_total{device=\"%s\",step=\"%s\"} %llu\n", dev,
			step_name(STEP_UNKNOWN), d->open_fail - d->open_fail_power);
	}
	prom_family(f, "vfiotrace_device_power_state", "gauge",
		    "D-state of a VFIO device now: 0 D0, 1 D1, 2 D2, 3 D3hot, 4 D3cold, -1 unknown.");
	for (i = 0; i < r->ndevs; i++) {
		const char *p = power_now(&r->devs[i]);
		int k, v = -1;

		for (k = 0; k < 5; k++)
			if (!strcmp(p, power_state_name(k)))
				v = k;
		fprintf(f, "vfiotrace_device_power_state{device=\"%s\"} %d\n",
			prom_escape(r->devs[i].key.dev, dev, sizeof(dev)), v);
	}
	prom_family(f, "vfiotrace_device_power_changes_total", "counter",
		    "D-state transitions of a VFIO device, failed ones included.");
	for (i = 0; i < r->ndevs; i++)
		fprintf(f, "vfiotrace_device_power_changes_total{device=\"%s\"} %llu\n",
			prom_escape(r->devs[i].key.dev, dev, sizeof(dev)), r->devs[i].st.power_changes);
}

const struct feature resets_feature = {
	.name = "resets",
	.collect = collect,
	FEATURE_EVENTS(resets_events),
	.json = json,
	.text = text,
	.hist = { "reset", reset_hist },
	.prom = prom,
};
