// SPDX-License-Identifier: GPL-2.0
/*
 * diagnose, per device bound to VFIO: its reset methods and which can run now,
 * what a bus reset would also hit, its power state (user/kernel/pcireset.c
 * reads sysfs and config space).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diagnose_checks.h"
#include "json.h"
#include "text.h"

static int by_device(const void *a, const void *b)
{
	return strcmp(((const struct vdev *)a)->r.dev, ((const struct vdev *)b)->r.dev);
}

static int int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The IOMMU group of a PCI device (its iommu_group link), -1 if none. */
static int group_of(const char *dev)
{
	char p[512], g[64];

	path_of(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", dev, "");
	link_base(p, g, sizeof(g));
	return g[0] ? atoi(g) : -1;
}

static void add_group(struct vdev *v, int g)
{
	int i;

	if (g < 0)
		return;
	for (i = 0; i < v->ngroups; i++)
		if (v->groups[i] == g)
			return;
	if (v->ngroups < MAX_BUS_GROUPS)
		v->groups[v->ngroups++] = g;
}

/* The devices bound to a VFIO driver that are PCI devices, sorted by name; *n their count. */
struct vdev *read_vdevs(const struct group_info *g, int ng, int *n)
{
	char rel[512], release[64] = "";
	struct pcitree *t = pcitree_read(diagnose_root);
	struct vdev *v;
	bool sysfs_methods;
	int i, k, total = 0, b;
	FILE *f;

	*n = 0;
	for (i = 0; i < ng; i++)
		total += g[i].n;
	v = calloc(total ? total : 1, sizeof(*v));
	if (!t || !v) {
		pcitree_free(t);
		return v;
	}
	path_of(rel, sizeof(rel), "/proc/sys/kernel/osrelease", "", "");
	f = fopen(rel, "r");
	if (f) {
		if (!fgets(release, sizeof(release), f))
			release[0] = 0;
		fclose(f);
	}
	sysfs_methods = pcireset_sysfs_methods(t, release);
	for (i = 0; i < ng; i++)
		for (k = 0; k < g[i].n; k++) {
			struct vdev *x = &v[*n];

			if (!is_vfio_driver(g[i].m[k].drv) || pcireset_read(t, g[i].m[k].dev, sysfs_methods, &x->r))
				continue;
			x->group = g[i].id;
			if (x->r.bus_reset) {
				add_group(x, x->group);
				for (b = 0; b < x->r.n_bus; b++)
					add_group(x, group_of(x->r.bus_devs[b]));
				qsort(x->groups, x->ngroups, sizeof(int), int_cmp);
			}
			(*n)++;
		}
	pcitree_free(t);
	qsort(v, *n, sizeof(*v), by_device);
	return v;
}

static void join_methods(const struct pcireset_dev *r, int usable, char *buf, size_t len)
{
	int i, k = 0;

	buf[0] = 0;
	for (i = 0; i < r->n; i++)
		if (usable < 0 || r->m[i].usable == usable)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", k++ ? " " : "", r->m[i].name);
}

static void join_devs(const struct pcireset_dev *r, char *buf, size_t len)
{
	int i;

	snprintf(buf, len, "%s", r->n_bus ? "" : "no other device");
	for (i = 0; i < r->n_bus && strlen(buf) + PCI_NAME_LEN + 16 < len; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "", r->bus_devs[i]);
	if (i < r->n_bus)
		snprintf(buf + strlen(buf), len - strlen(buf), " and %d more", r->n_bus - i);
}

static void join_groups(const struct vdev *v, char *buf, size_t len)
{
	int i;

	buf[0] = 0;
	for (i = 0; i < v->ngroups; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%d", i ? ", " : "", v->groups[i]);
}

/* device_reset: whether a function reset works now; if not, what a bus reset would take with it. */
void check_reset(struct check *c, int *n, const struct vdev *v)
{
	const struct pcireset_dev *r = &v->r;
	char all[200], ok[200], devs[300], grp[200], why[400] = "", from[80];
	struct check *x = &c[*n];
	int i;

	join_methods(r, -1, all, sizeof(all));
	join_methods(r, 1, ok, sizeof(ok));
	join_devs(r, devs, sizeof(devs));
	join_groups(v, grp, sizeof(grp));
	for (i = 0; i < r->n && !why[0]; i++)
		if (!r->m[i].usable)
			snprintf(why, sizeof(why), "%s refused now: %s", r->m[i].name, r->m[i].why);
	snprintf(from, sizeof(from), "%s",
		 r->src == PCIRESET_SYSFS ? "sysfs reset_method" : "config space, kernel without reset_method");
	if (r->function_reset < 0) {
		check_add(c, n, "device_reset", ST_INFO, NULL, v->group, "%s (group %d): reset methods unknown: %s", r->dev,
		    v->group, r->note[0] ? r->note : "not read");
	} else if (r->function_reset) {
		check_add(c, n, "device_reset", ST_OK, NULL, v->group, "%s (group %d): function reset: %s (%s: %s)%s%s%s%s",
		    r->dev, v->group, ok, from, all, why[0] ? "; " : "", why, r->note[0] ? "; " : "", r->note);
	} else if (r->bus_reset) {
		check_add(c, n, "device_reset", ST_WARN, x->remedy_buf, v->group,
		    "%s (group %d): no function reset (%s: %s)%s%s%s%s; only a bus reset (VFIO_DEVICE_PCI_HOT_RESET) "
		    "of bus %s, which also resets %s",
		    r->dev, v->group, from, r->n ? all : "none", why[0] ? "; " : "", why, r->note[0] ? "; " : "",
		    r->note, r->bus, devs);
		snprintf(x->remedy_buf, sizeof(x->remedy_buf),
			 "QEMU can reset it only by a hot reset of bus %s, which needs every group on it (%s) owned by "
			 "the same process; assign those devices to the same VM, or its state leaks from one VM to the next",
			 r->bus, grp);
	} else {
		check_add(c, n, "device_reset", ST_WARN,
		    "QEMU cannot reset it: its state leaks from one VM to the next; do not share it between VMs that "
		    "must not see each other's data, or find a device-specific reset (a kernel quirk, vendor-reset)",
		    v->group,
		    "%s (group %d): no reset method at all (%s: %s)%s%s%s%s; no bus reset either: bus %s has no bridge "
		    "above it that could reset it",
		    r->dev, v->group, from, r->n ? all : "none", why[0] ? "; " : "", why, r->note[0] ? "; " : "",
		    r->note, r->bus);
	}
	snprintf(x->device, sizeof(x->device), "%s", r->dev);
}

void check_power(struct check *c, int *n, const struct vdev *v)
{
	const struct pcireset_dev *r = &v->r;

	check_add(c, n, "device_power", ST_INFO, NULL, v->group, "%s (group %d): power state %s (%s), d3cold_allowed %s",
	    r->dev, v->group, r->power_state[0] ? r->power_state : "unknown",
	    r->power_src == PCIRESET_SYSFS ? "sysfs power_state" :
	    r->power_src == PCIRESET_CONFIG ? "PMCSR in config space" : "not readable",
	    r->d3cold_allowed < 0 ? "unknown" : r->d3cold_allowed ? "1" : "0");
	snprintf(c[*n - 1].device, sizeof(c[*n - 1].device), "%s", r->dev);
}

void check_idle_d3(struct check *c, int *n, int d3)
{
	if (d3 > 0)
		check_add(c, n, "disable_idle_d3", ST_INFO, NULL, -1,
		    "vfio_pci.disable_idle_d3=Y: devices bound to vfio-pci stay in D0 while no process has them open");
	else if (!d3)
		check_add(c, n, "disable_idle_d3", ST_INFO,
		    "a device that does not come back at open (dmesg \"Unable to change power state from D3cold to D0, "
		    "device inaccessible\", config space reading 0xff) needs vfio-pci loaded with disable_idle_d3=1 "
		    "(modprobe option or vfio_pci.disable_idle_d3=1 on the kernel command line; 6.x reads it only at load)",
		    -1,
		    "vfio_pci.disable_idle_d3=N: vfio-pci puts a device no process has open into D3hot (D3cold where "
		    "the platform and d3cold_allowed permit, through runtime PM on 6.x) and powers it up at open");
}

void json_vdev(struct json *j, const struct vdev *v)
{
	const struct pcireset_dev *r = &v->r;
	int i;

	json_obj_begin(j, NULL);
	json_str(j, "device", r->dev);
	json_int(j, "group", v->group);
	if (r->src == PCIRESET_NONE) {
		json_null(j, "reset_methods");
		json_null(j, "reset_methods_source");
	} else {
		json_arr_begin(j, "reset_methods");
		for (i = 0; i < r->n; i++)
			json_str(j, NULL, r->m[i].name);
		json_arr_end(j);
		json_str(j, "reset_methods_source", pcireset_source_name(r->src));
	}
	json_arr_begin(j, "reset_method_status");
	for (i = 0; i < r->n; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "method", r->m[i].name);
		json_bool(j, "usable", r->m[i].usable);
		if (r->m[i].usable)
			json_null(j, "reason");
		else
			json_str(j, "reason", r->m[i].why);
		json_obj_end(j);
	}
	json_arr_end(j);
	if (r->function_reset < 0)
		json_null(j, "function_reset");
	else
		json_bool(j, "function_reset", r->function_reset);
	if (!r->bus_reset) {
		json_null(j, "bus_reset_devices");
		json_null(j, "bus_reset_groups");
	} else {
		json_arr_begin(j, "bus_reset_devices");
		for (i = 0; i < r->n_bus; i++)
			json_str(j, NULL, r->bus_devs[i]);
		json_arr_end(j);
		json_arr_begin(j, "bus_reset_groups");
		for (i = 0; i < v->ngroups; i++)
			json_int(j, NULL, v->groups[i]);
		json_arr_end(j);
	}
	if (r->power_state[0])
		json_str(j, "power_state", r->power_state);
	else
		json_null(j, "power_state");
	if (pcireset_source_name(r->power_src))
		json_str(j, "power_state_source", pcireset_source_name(r->power_src));
	else
		json_null(j, "power_state_source");
	if (r->d3cold_allowed < 0)
		json_null(j, "d3cold_allowed");
	else
		json_bool(j, "d3cold_allowed", r->d3cold_allowed);
	if (r->note[0])
		json_str(j, "note", r->note);
	else
		json_null(j, "note");
	json_obj_end(j);
}

