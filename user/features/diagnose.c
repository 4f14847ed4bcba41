// SPDX-License-Identifier: GPL-2.0
/*
 * diagnose: the host state users ask about first, without tracing: VFIO
 * loaded, IOMMU on, interrupt remapping, the backends (type1, iommufd: diagnose_backend.c),
 * each VFIO group's members and their
 * drivers (not viable: which device, which driver), and who holds each group;
 * per device bound to VFIO, how the kernel can reset it (user/kernel/pcireset.c)
 * and its power state. One line per check with its remedy; exit 1 when a check
 * fails.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "diagnose.h"
#include "diagnose_checks.h"
#include "holders.h"
#include "json.h"
#include "log.h"
#include "pcireset.h"
#include "text.h"

static const char *const status_names[] = { "OK", "WARN", "FAIL", "INFO" };

/*
 * Drivers that leave a group assignable: VFIO's own (vfio-pci and its
 * variants), and those that declare driver_managed_dma or that VFIO allows
 * (pci-stub, pcieport). Any other driver keeps the group from being claimed.
 */
static int driver_allowed(const char *drv)
{
	return !drv[0] || !strncmp(drv, "vfio", 4) || strstr(drv, "vfio") || !strcmp(drv, "pci-stub") ||
	       !strcmp(drv, "pcieport");
}

static int read_groups(struct group_info *g, int max)
{
	char dir[512];
	DIR *d;
	struct dirent *e;
	int n = 0;

	path_of(dir, sizeof(dir), "/sys/kernel/iommu_groups", "", "");
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char mdir[600];
		DIR *md;
		struct dirent *me;

		if (e->d_name[0] == '.')
			continue;
		g[n].id = atoi(e->d_name);
		g[n].n = 0;
		snprintf(mdir, sizeof(mdir), "%.511s/%.60s/devices", dir, e->d_name);
		md = opendir(mdir);
		if (!md)
			continue;
		while ((me = readdir(md)) && g[n].n < MAX_MEMBERS) {
			char link[900];
			struct member *m;

			if (me->d_name[0] == '.')
				continue;
			m = &g[n].m[g[n].n++];
			snprintf(m->dev, sizeof(m->dev), "%.63s", me->d_name);
			snprintf(link, sizeof(link), "%s/%s/driver", mdir, me->d_name);
			link_base(link, m->drv, sizeof(m->drv));
		}
		closedir(md);
		n++;
	}
	closedir(d);
	return n;
}

static int by_id(const void *a, const void *b)
{
	return ((const struct group_info *)a)->id - ((const struct group_info *)b)->id;
}

/* 1: an interrupt chip with the "IR-" prefix (x86 remapped domains), 0: none, -1 unreadable */
static int irq_remapping_on(void)
{
	char p[512], line[512];
	FILE *f;
	int on = 0;

	path_of(p, sizeof(p), "/proc/interrupts", "", "");
	f = fopen(p, "r");
	if (!f)
		return -1;
	while (!on && fgets(line, sizeof(line), f))
		on = strstr(line, " IR-") != NULL;
	fclose(f);
	return on;
}

static int allow_unsafe(void)
{
	return module_param_bool("/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts");
}

static void print_text(FILE *f, const struct check *c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		fprintf(f, "%-4s %-20s %s%s%s\n", status_names[c[i].st], c[i].name, c[i].detail,
			c[i].remedy ? "; remedy: " : "", c[i].remedy ? c[i].remedy : "");
}

static void json_members(struct json *j, const char *key, const struct group_info *g, int blocking)
{
	int k;

	json_arr_begin(j, key);
	for (k = 0; k < g->n; k++) {
		if (blocking && driver_allowed(g->m[k].drv))
			continue;
		json_obj_begin(j, NULL);
		json_str(j, "device", g->m[k].dev);
		if (g->m[k].drv[0])
			json_str(j, "driver", g->m[k].drv);
		else
			json_null(j, "driver");
		json_obj_end(j);
	}
	json_arr_end(j);
}

int run_diagnose(FILE *f, bool json, const char *sysroot)
{
	static struct group_info groups[MAX_GROUPS];
	static struct held held[MAX_HELD];
	char p[512], procdir[512], name[TEXT_NAME_LEN];
	int nc = 0, ng, nh, i, k, failed = 0, n, ir, unsafe, vfio_groups = 0, nv = 0, idle_d3;
	struct check *checks;
	struct backends be;
	struct vdev *vdevs;
	struct json j;

	diagnose_root = sysroot ? sysroot : "";
	ng = read_groups(groups, MAX_GROUPS);
	qsort(groups, ng, sizeof(groups[0]), by_id);
	vdevs = read_vdevs(groups, ng, &nv);
	checks = calloc(MAX_GROUPS * 2 + MAX_HELD + 8 + 2 * nv, sizeof(*checks));
	if (!checks || !vdevs) {
		free(checks);
		free(vdevs);
		err("diagnose: out of memory");
		return 1;
	}
	path_of(p, sizeof(p), "/sys/class/iommu", "", "");
	n = count_entries(p);
	if (n > 0)
		check_add(checks, &nc, "iommu", ST_OK, NULL, -1, "IOMMU on (%d unit%s in /sys/class/iommu)", n,
		    n == 1 ? "" : "s");
	else
		check_add(checks, &nc, "iommu", ST_FAIL,
		    "enable VT-d / AMD-Vi in the firmware and intel_iommu=on (Intel) on the kernel command line",
		    -1, "no IOMMU: /sys/class/iommu is %s", n < 0 ? "missing" : "empty");
	ir = irq_remapping_on();
	unsafe = allow_unsafe();
	if (ir > 0)
		check_add(checks, &nc, "interrupt_remapping", ST_OK, NULL, -1,
		    "on (remapped interrupt chips IR-* in /proc/interrupts)");
	else if (unsafe > 0)
		check_add(checks, &nc, "interrupt_remapping", ST_WARN,
		    "enable interrupt remapping and set allow_unsafe_interrupts back to 0", -1,
		    "off, and vfio_iommu_type1.allow_unsafe_interrupts=Y: attaches succeed, but a device can forge interrupts");
	else
		check_add(checks, &nc, "interrupt_remapping", ST_FAIL,
		    "enable interrupt remapping (firmware IR support; no intremap=off; QEMU: -device intel-iommu,intremap=on), "
		    "or accept the risk: vfio_iommu_type1.allow_unsafe_interrupts=1",
		    -1, "%s: every VFIO type1 attach fails with EPERM (failed step msi_isolation)",
		    ir < 0 ? "unknown (/proc/interrupts unreadable)" : "off (no IR-* interrupt chip in /proc/interrupts)");
	path_of(p, sizeof(p), "/sys/module/vfio", "", "");
	path_of(procdir, sizeof(procdir), "/dev/vfio/vfio", "", "");
	read_backends(&be);
	if (!access(p, F_OK) && !access(procdir, F_OK))
		check_add(checks, &nc, "vfio", ST_OK, NULL, -1, "VFIO loaded (/dev/vfio/vfio)");
	else if (!access(p, F_OK) && be.cdevs >= 0)
		check_add(checks, &nc, "vfio", ST_OK, NULL, -1, "VFIO loaded (device cdevs only, no /dev/vfio/vfio)");
	else
		check_add(checks, &nc, "vfio", ST_FAIL, "modprobe vfio-pci", -1, "VFIO not loaded (no /dev/vfio/vfio)");
	check_backends(checks, &nc, &be);

	path_of(procdir, sizeof(procdir), "/proc", "", "");
	nh = holders_scan(procdir, held, MAX_HELD);
	for (i = 0; i < ng; i++) {
		const struct group_info *g = &groups[i];
		char members[400] = "", blocking[400] = "";
		int vfio = 0, nblock = 0;

		for (k = 0; k < g->n; k++) {
			vfio |= is_vfio_driver(g->m[k].drv);
			snprintf(members + strlen(members), sizeof(members) - strlen(members), "%s%s (%s)",
				 k ? ", " : "", g->m[k].dev, g->m[k].drv[0] ? g->m[k].drv : "no driver");
			if (!driver_allowed(g->m[k].drv))
				snprintf(blocking + strlen(blocking), sizeof(blocking) - strlen(blocking),
					 "%s%s bound to %s", nblock++ ? ", " : "", g->m[k].dev, g->m[k].drv);
		}
		if (!vfio)
			continue;	/* a host group: nothing to assign */
		vfio_groups++;
		if (nblock)
			check_add(checks, &nc, "group_viable", ST_FAIL,
			    "bind those devices to vfio-pci (driver_override + drivers_probe) or unbind them", g->id,
			    "group %d not viable: %s (members: %s)", g->id, blocking, members);
		else
			check_add(checks, &nc, "group_viable", ST_OK, NULL, g->id, "group %d viable: %s", g->id, members);
	}
	if (!vfio_groups)
		check_add(checks, &nc, "groups", ST_INFO, "bind a device to vfio-pci to assign it", -1,
		    "no IOMMU group has a device bound to a VFIO driver");
	for (i = 0; i < nh; i++)
		check_add(checks, &nc, "group_held", ST_INFO,
		    "another open of this group fails with EBUSY until the holder closes it", held[i].group,
		    "/dev/vfio/%d held by pid %d (%s)", held[i].group, held[i].pid,
		    text_name(held[i].comm, name, sizeof(name)));
	idle_d3 = module_param_bool("/sys/module/vfio_pci/parameters/disable_idle_d3");
	check_idle_d3(checks, &nc, idle_d3);
	for (i = 0; i < nv; i++) {
		check_reset(checks, &nc, &vdevs[i]);
		check_power(checks, &nc, &vdevs[i]);
	}
	for (i = 0; i < nc; i++)
		failed |= checks[i].st == ST_FAIL;

	if (!json) {
		print_text(f, checks, nc);
		goto out;
	}
	json_line_begin(&j, f, "diagnose");
	json_arr_begin(&j, "checks");
	for (i = 0; i < nc; i++) {
		json_obj_begin(&j, NULL);
		json_str(&j, "check", checks[i].name);
		json_str(&j, "status", status_names[checks[i].st]);
		if (checks[i].group >= 0)
			json_int(&j, "group", checks[i].group);
		if (checks[i].device[0])
			json_str(&j, "device", checks[i].device);
		json_str(&j, "detail", checks[i].detail);
		if (checks[i].remedy)
			json_str(&j, "remedy", checks[i].remedy);
		else
			json_null(&j, "remedy");
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_bool(&j, "iommu", checks[0].st == ST_OK);	/* checks[0] is the IOMMU check */
	if (ir < 0)
		json_null(&j, "interrupt_remapping");
	else
		json_bool(&j, "interrupt_remapping", ir > 0);
	json_arr_begin(&j, "groups");
	for (i = 0; i < ng; i++) {
		const struct group_info *g = &groups[i];
		int vfio = 0, nblock = 0;

		for (k = 0; k < g->n; k++) {
			vfio |= is_vfio_driver(g->m[k].drv);
			nblock += !driver_allowed(g->m[k].drv);
		}
		if (!vfio)
			continue;
		json_obj_begin(&j, NULL);
		json_int(&j, "group", g->id);
		json_members(&j, "devices", g, 0);
		json_bool(&j, "viable", !nblock);
		json_members(&j, "blocking_devices", g, 1);
		json_arr_begin(&j, "holders");
		for (k = 0; k < nh; k++) {
			if (held[k].group != g->id)
				continue;
			json_obj_begin(&j, NULL);
			json_int(&j, "pid", held[k].pid);
			json_str(&j, "comm", held[k].comm);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_backends(&j, &be);
	if (idle_d3 < 0)
		json_null(&j, "disable_idle_d3");
	else
		json_bool(&j, "disable_idle_d3", idle_d3);
	json_arr_begin(&j, "vfio_devices");
	for (i = 0; i < nv; i++)
		json_vdev(&j, &vdevs[i]);
	json_arr_end(&j);
	json_bool(&j, "ok", !failed);
	json_obj_end(&j);
out:
	fflush(f);
	for (i = 0; i < nv; i++)
		pcireset_dev_free(&vdevs[i].r);
	free(vdevs);
	free(checks);
	return failed ? 1 : 0;
}
