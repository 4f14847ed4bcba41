// SPDX-License-Identifier: GPL-2.0
/* Device open/close, resets and power: names, the model from the maps, the events. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "catalogue.h"
#include "explain.h"
#include "errnames.h"
#include "holders.h"
#include "map_read.h"
#include "resets.h"
#include "text.h"
#include "vmcache.h"
#include "vmname.h"
#include "grow.h"

static const char *const method_names[NR_RESET_METHODS] = {
	[RM_DEVICE_SPECIFIC] = "device_specific", [RM_ACPI] = "acpi", [RM_FLR] = "flr",
	[RM_AF_FLR] = "af_flr", [RM_PM] = "pm", [RM_BUS] = "bus", [RM_CXL_BUS] = "cxl_bus",
	[RM_SLOT] = "slot",
};

const char *reset_method_name(int method)
{
	return method > RM_NONE && method < NR_RESET_METHODS ? method_names[method] : NULL;
}

const char *reset_trigger_name(int trigger)
{
	static const char *const names[] = {
		[TRIG_OTHER] = "other", [TRIG_IOCTL_RESET] = "ioctl_reset", [TRIG_HOT_RESET] = "hot_reset",
		[TRIG_OPEN] = "open", [TRIG_CLOSE] = "close",
	};

	return trigger >= 0 && trigger <= TRIG_CLOSE ? names[trigger] : "other";
}

const char *reset_scope_name(int scope)
{
	return scope == RESET_BUS ? "bus" : scope == RESET_REFUSED ? "refused" : "function";
}

const char *power_state_name(int state)
{
	static const char *const names[] = { "D0", "D1", "D2", "D3hot", "D3cold" };

	return state >= 0 && state < 5 ? names[state] : "unknown";
}

/* A PCI device name: DDDD:BB:DD.F */
static bool pci_name(const char *s)
{
	unsigned int a, b, c, d;
	char end;

	return strlen(s) == 12 && sscanf(s, "%4x:%2x:%2x.%1x%c", &a, &b, &c, &d, &end) == 4;
}

/* Every PCI device below dir (recursively), appended to out. */
static int devices_below(const char *dir, char out[][NAME_LEN], int n, int max, int depth)
{
	struct dirent *e;
	DIR *d;

	if (depth > 8 || !(d = opendir(dir)))
		return n;
	while ((e = readdir(d))) {
		char sub[PATH_MAX];

		if (!pci_name(e->d_name))
			continue;
		if (n < max)
			snprintf(out[n], NAME_LEN, "%s", e->d_name);
		n++;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		n = devices_below(sub, out, n, max, depth + 1);
	}
	closedir(d);
	return n;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

int bus_reset_devices(const char *root, const char *dev, char out[][NAME_LEN], int max)
{
	char path[PATH_MAX], real[PATH_MAX], *slash;
	int n;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", root, dev);
	if (!realpath(path, real) || !(slash = strrchr(real, '/')))
		return 0;
	*slash = 0;
	/* the parent is a bridge (a PCI name), not the host bridge's pciDDDD:BB */
	if (!(slash = strrchr(real, '/')) || !pci_name(slash + 1))
		return 0;
	n = devices_below(real, out, 0, max, 0);
	if (n)
		qsort(out, n < max ? n : max, NAME_LEN, by_name);
	return n;
}

/* ---- the model ---- */

static int reset_cmp(const void *a, const void *b)
{
	const struct reset_row *x = a, *y = b;
	int c = strcmp(x->key.dev, y->key.dev);

	return c ? c : x->key.scope != y->key.scope ? x->key.scope - y->key.scope : x->key.method - y->key.method;
}

static int dev_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pcidev_row *)a)->key.dev, ((const struct pcidev_row *)b)->key.dev);
}

static void read_power(struct pcidev_row *d)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/power_state", d->key.dev);
	d->power[0] = 0;
	if ((f = fopen(path, "r"))) {
		if (fgets(d->power, sizeof(d->power), f))
			d->power[strcspn(d->power, "\n")] = 0;
		fclose(f);
	}
}

static int group_cmp(const void *a, const void *b)
{
	return ((const struct group_resets *)a)->group - ((const struct group_resets *)b)->group;
}

/* The reset rows' histograms summed per group (refused ioctls ran no reset: not in them). */
static int group_hists(struct resets_model *m)
{
	int i, k, s;

	for (i = 0; i < m->nresets; i++) {
		const struct reset_row *r = &m->resets[i];
		struct group_resets *g = NULL;

		for (k = 0; k < m->ngroups && !g; k++)
			if (m->groups[k].group == r->st.group)
				g = &m->groups[k];

		if (r->key.scope == RESET_REFUSED)
			continue;
		if (!g) {
			if (!grow_for(&m->groups, m->ngroups, sizeof(*m->groups)))
				return -1;
			g = &m->groups[m->ngroups++];
			memset(g, 0, sizeof(*g));
			g->group = r->st.group;
		}
		for (s = 0; s < HIST_SLOTS; s++)
			g->hist[s] += r->st.hist[s];
	}
	if (m->ngroups)
		qsort(m->groups, m->ngroups, sizeof(*m->groups), group_cmp);
	return 0;
}

int resets_collect(struct resets_model *m, int reset_fd, int dev_fd)
{
	struct map_entries resets = { 0 }, devs = { 0 };
	size_t i;
	int ret = -1;

	if (map_read(reset_fd, &resets) || map_read(dev_fd, &devs))
		goto out;
	for (i = 0; i < resets.n; i++) {
		if (!grow_for(&m->resets, m->nresets, sizeof(*m->resets)))
			goto out;
		map_entry(&resets, i, &m->resets[m->nresets].key, &m->resets[m->nresets].st);
		m->resets[m->nresets++].key.dev[NAME_LEN - 1] = 0;
	}
	for (i = 0; i < devs.n; i++) {
		if (!grow_for(&m->devs, m->ndevs, sizeof(*m->devs)))
			goto out;
		map_entry(&devs, i, &m->devs[m->ndevs].key, &m->devs[m->ndevs].st);
		m->devs[m->ndevs].key.dev[NAME_LEN - 1] = 0;
		read_power(&m->devs[m->ndevs++]);
	}
	/* qsort's base may not be NULL, even for no elements */
	if (m->nresets)
		qsort(m->resets, m->nresets, sizeof(*m->resets), reset_cmp);
	if (m->ndevs)
		qsort(m->devs, m->ndevs, sizeof(*m->devs), dev_cmp);
	ret = group_hists(m);
out:
	map_entries_free(&resets);
	map_entries_free(&devs);
	return ret;
}

void resets_free(struct resets_model *m)
{
	free(m->resets);
	free(m->devs);
	free(m->groups);
	memset(m, 0, sizeof(*m));
}

const unsigned long long *resets_group_hist(const struct resets_model *m, int group)
{
	int i;

	for (i = 0; i < m->ngroups; i++)
		if (m->groups[i].group == group)
			return m->groups[i].hist;
	return NULL;
}

/* ---- events ---- */

#define MAX_RESET_DEVS 32
#define MAX_MISSING 8

/* What a reset event's line shows beyond its record: read from sysfs and /proc as it is decoded. */
static struct reset_view {
	int ndevs;
	char devs[MAX_RESET_DEVS][NAME_LEN];
	int npassed;
	int passed[HOT_RESET_FDS];		/* groups of the fds passed */
	int nmissing;
	int missing[MAX_MISSING];
	struct holder holder[MAX_MISSING];	/* when the reset was refused; pid 0: no holder seen */
	bool holder_changed[MAX_MISSING];	/* the group changed hands since: its holder then is not kept */
} view;

static int dev_group(const char *dev)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", dev);
	if ((n = readlink(path, link, sizeof(link) - 1)) < 0)
		return NO_GROUP;
	link[n] = 0;
	slash = strrchr(link, '/');
	return slash ? atoi(slash + 1) : NO_GROUP;
}

static bool has_group(const int *groups, int n, int g)
{
	int i;

	for (i = 0; i < n; i++)
		if (groups[i] == g)
			return true;
	return false;
}

/*
 * A refused hot reset: the groups of the devices it would reset that the
 * caller did not pass, and who holds each (the holders map: the group's
 * opener seen by BPF, or found in /proc at start-up).
 */
static void find_missing(int holders_fd, unsigned long long ts)
{
	int i;

	for (i = 0; i < view.ndevs && i < MAX_RESET_DEVS; i++) {
		int g = dev_group(view.devs[i]);

		if (g == NO_GROUP || has_group(view.passed, view.npassed, g) ||
		    has_group(view.missing, view.nmissing, g) || view.nmissing == MAX_MISSING)
			continue;
		view.missing[view.nmissing] = g;
		view.holder_changed[view.nmissing] =
			holder_at(holders_fd, g, ts, &view.holder[view.nmissing]) == HOLDER_CHANGED;
		view.nmissing++;
	}
}

static void reset_view_fill(const struct dev_event *e, int holders_fd)
{
	unsigned int i;

	memset(&view, 0, sizeof(view));
	if (e->scope == RESET_FUNCTION) {
		view.ndevs = 1;
		memcpy(view.devs[0], e->target, NAME_LEN);
	} else if (e->scope == RESET_BUS || e->trigger == TRIG_HOT_RESET) {
		view.ndevs = bus_reset_devices("/sys", e->target, view.devs, MAX_RESET_DEVS);
	}
	if (e->trigger == TRIG_HOT_RESET)
		for (i = 0; i < e->nfds && i < HOT_RESET_FDS; i++)
			if (e->groups[i] >= 0)
				view.passed[view.npassed++] = e->groups[i];
	if (e->scope == RESET_REFUSED && e->trigger == TRIG_HOT_RESET && e->h.ret < 0)
		find_missing(holders_fd, e->h.ts_ns);
}

static void reset_json(struct json *j, const struct event_line *l)
{
	const struct dev_event *e = l->rec;
	unsigned int i;

	json_str(j, "device", e->dev);
	json_arr_begin(j, "devices");
	for (i = 0; i < (unsigned int)view.ndevs && i < MAX_RESET_DEVS; i++)
		json_str(j, NULL, view.devs[i]);
	json_arr_end(j);
	if (view.ndevs > MAX_RESET_DEVS)
		json_int(j, "devices_total", view.ndevs);
	if (reset_method_name(e->method))
		json_str(j, "method", reset_method_name(e->method));
	else
		json_null(j, "method");
	json_bool(j, "method_inferred", e->inferred);
	json_str(j, "trigger", reset_trigger_name(e->trigger));
	json_str(j, "scope", reset_scope_name(e->scope));
	json_arr_begin(j, "tried");
	for (i = 0; i < e->ntries && i < RESET_TRIES; i++) {
		json_obj_begin(j, NULL);
		if (reset_method_name(e->tries[i].method))
			json_str(j, "method", reset_method_name(e->tries[i].method));
		else
			json_null(j, "method");
		json_int(j, "ret", e->tries[i].ret);
		json_obj_end(j);
	}
	json_arr_end(j);
	if (e->trigger != TRIG_HOT_RESET)
		return;
	json_arr_begin(j, "groups_passed");
	for (i = 0; i < (unsigned int)view.npassed; i++)
		json_int(j, NULL, view.passed[i]);
	json_arr_end(j);
	json_uint(j, "group_fds_passed", e->nfds);
	if (e->scope != RESET_REFUSED || e->h.ret >= 0)
		return;
	json_arr_begin(j, "missing_groups");
	for (i = 0; i < (unsigned int)view.nmissing; i++)
		json_int(j, NULL, view.missing[i]);
	json_arr_end(j);
	json_arr_begin(j, "missing_group_holders");
	for (i = 0; i < (unsigned int)view.nmissing; i++) {
		json_obj_begin(j, NULL);
		json_int(j, "group", view.missing[i]);
		if (view.holder[i].pid) {
			json_uint(j, "pid", view.holder[i].pid);
			json_str(j, "comm", view.holder[i].comm);
			vm_json(j, vmcache_get(view.holder[i].pid, view.holder[i].comm));
		} else {
			json_null(j, "pid");
			json_null(j, "comm");
		}
		json_bool(j, "holder_changed", view.holder_changed[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* The start of a device event's line: RESULT from ret, the feature's JSON keys. */
static void dev_line(struct event_line *l, const char *event, const struct dev_event *e,
		     void (*json)(struct json *j, const struct event_line *l))
{
	event_line_init(l, event, &e->h);
	snprintf(l->result, sizeof(l->result), "%s", e->h.ret ? errno_name((int)-e->h.ret) : "ok");
	l->json = json;
	l->rec = e;
}

/* A failure's step, cause and remedy, on a line of its own. */
static void explain_below(struct event_line *l, const struct event_ctx *c, int op, int step, long long ret)
{
	if (ret >= 0)
		return;
	event_line_detail(l, "\n  ");
	explain_line(l, c, op, step, (int)-ret, -1);
}

static int op_of(const struct dev_event *e)
{
	return e->trigger == TRIG_HOT_RESET ? OP_HOT_RESET : OP_RESET;
}

static int reset_decode(const void *rec, struct event_ctx *c, struct event_line *l)
{
	const struct dev_event *e = rec;
	char a[TEXT_LEN(NAME_LEN)], b[TEXT_LEN(NAME_LEN)];
	const char *m = reset_method_name(e->method);
	int i;

	reset_view_fill(e, c->holders_fd);
	dev_line(l, "reset", e, reset_json);
	if (e->scope == RESET_REFUSED)
		event_line_detail(l, "%s refused, no reset ran (via %s)", reset_trigger_name(e->trigger),
				  text_name(e->dev, a, sizeof(a)));
	else
		event_line_detail(l, "%s %s%s reset (%s via %s):", m ? m : "no method",
				  e->inferred ? "(inferred) " : "", reset_scope_name(e->scope),
				  reset_trigger_name(e->trigger), text_name(e->dev, a, sizeof(a)));
	for (i = 0; i < view.ndevs && i < MAX_RESET_DEVS && e->scope != RESET_REFUSED; i++)
		event_line_detail(l, " %s", text_name(view.devs[i], b, sizeof(b)));
	if (e->ntries) {
		event_line_detail(l, "; tried");
		for (i = 0; i < (int)e->ntries && i < RESET_TRIES; i++)
			event_line_detail(l, " %s=%s", reset_method_name(e->tries[i].method),
					  e->tries[i].ret ? errno_name(-e->tries[i].ret) : "ok");
	}
	for (i = 0; i < view.nmissing; i++) {
		event_line_detail(l, "\n  group %d not passed", view.missing[i]);
		if (view.holder[i].pid)
			event_line_detail(l, "; held by pid %u (%s)", view.holder[i].pid,
					  text_name(view.holder[i].comm, b, sizeof(b)));
		else if (view.holder_changed[i])
			event_line_detail(l, "; " HOLDER_CHANGED_TEXT);
	}
	explain_below(l, c, op_of(e), e->scope == RESET_REFUSED ? STEP_RESET_REFUSED : STEP_RESET, e->h.ret);
	return 1;
}

static void device_json(struct json *j, const struct event_line *l)
{
	const struct dev_event *e = l->rec;

	json_str(j, "device", e->dev);
}

static int open_decode(const void *rec, struct event_ctx *c, struct event_line *l)
{
	const struct dev_event *e = rec;
	char a[TEXT_LEN(NAME_LEN)];

	dev_line(l, "device_open", e, device_json);
	event_line_detail(l, "%s", text_name(e->dev, a, sizeof(a)));
	explain_below(l, c, OP_DEVICE_OPEN, e->step, e->h.ret);
	return 1;
}

static int close_decode(const void *rec, struct event_ctx *c, struct event_line *l)
{
	const struct dev_event *e = rec;
	char a[TEXT_LEN(NAME_LEN)];

	(void)c;
	dev_line(l, "device_close", e, device_json);
	l->fields &= ~LINE_RET;		/* the close returns nothing */
	event_line_detail(l, "%s", text_name(e->dev, a, sizeof(a)));
	return 1;
}

static void power_json(struct json *j, const struct event_line *l)
{
	const struct dev_event *e = l->rec;

	json_str(j, "device", e->dev);
	json_str(j, "from", power_state_name(e->from));
	json_str(j, "to", power_state_name(e->to));
	json_str(j, "reached", power_state_name(e->reached));
}

static int power_decode(const void *rec, struct event_ctx *c, struct event_line *l)
{
	const struct dev_event *e = rec;
	char a[TEXT_LEN(NAME_LEN)];

	dev_line(l, "power", e, power_json);
	event_line_detail(l, "%s %s -> %s", text_name(e->dev, a, sizeof(a)), power_state_name(e->from),
			  power_state_name(e->to));
	if (e->reached != e->to)
		event_line_detail(l, " (now %s)", power_state_name(e->reached));
	explain_below(l, c, OP_POWER, e->to == 0 ? STEP_POWER_UP : STEP_POWER, e->h.ret);
	return 1;
}

static void dev_event_bound(void *rec)
{
	struct dev_event *e = rec;

	e->dev[NAME_LEN - 1] = 0;
	e->target[NAME_LEN - 1] = 0;
}

const struct event_kind resets_events[4] = {
	{ EV_DEVICE_OPEN, sizeof(struct dev_event), open_decode, dev_event_bound, false, NULL },
	{ EV_DEVICE_CLOSE, sizeof(struct dev_event), close_decode, dev_event_bound, false, NULL },
	{ EV_RESET, sizeof(struct dev_event), reset_decode, dev_event_bound, false, NULL },
	{ EV_POWER, sizeof(struct dev_event), power_decode, dev_event_bound, false, NULL },
};
