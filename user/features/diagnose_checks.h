/* SPDX-License-Identifier: GPL-2.0 */
/* What diagnose.c and diagnose_devices.c share: a check's record, the groups read, sysfs helpers. */
#ifndef VFIOTRACE_DIAGNOSE_CHECKS_H
#define VFIOTRACE_DIAGNOSE_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include "json.h"
#include "pcireset.h"

#define MAX_GROUPS 256
#define MAX_MEMBERS 32
#define MAX_HELD 256

enum status { ST_OK, ST_WARN, ST_FAIL, ST_INFO };

struct check {
	const char *name;
	enum status st;
	char detail[512];
	const char *remedy;
	int group;		/* -1: not a group check */
	char device[PCI_NAME_LEN];	/* "": not a device check */
	char remedy_buf[400];	/* a remedy built for this check (remedy points here) */
};

struct member {
	char dev[64];
	char drv[64];		/* "" when unbound */
};

struct group_info {
	int id;
	int n;
	struct member m[MAX_MEMBERS];
};

extern const char *diagnose_root;	/* prefix of every path read ("" on a live host) */

void check_add(struct check *c, int *n, const char *name, enum status st, const char *remedy, int group,
	       const char *fmt, ...) __attribute__((format(printf, 7, 8)));
void path_of(char *buf, size_t len, const char *fmt, const char *a, const char *b);
void link_base(const char *link, char *out, size_t len);
int is_vfio_driver(const char *drv);
/* Entries of directory dir (a full path), dot files aside; -1 if it cannot be opened. */
int count_entries(const char *dir);
/* a module's boolean parameter (a path under /sys/module): 1, 0, or -1 when absent */
int module_param_bool(const char *rel);

/* ---- the VFIO backends the kernel offers (diagnose_backend.c) ---- */

struct backends {
	bool iommufd;		/* /dev/iommu or the iommufd module */
	bool dev_iommu;
	int cdevs;		/* /dev/vfio/devices entries; -1: no such directory (no cdev support) */
	const char *container;	/* /dev/vfio/vfio: "type1", "iommufd", "unknown"; NULL: none */
};

void read_backends(struct backends *b);
void check_backends(struct check *c, int *n, const struct backends *b);
void json_backends(struct json *j, const struct backends *b);

/* ---- per device bound to VFIO (diagnose_devices.c) ---- */

#define MAX_BUS_GROUPS 64

struct vdev {
	int group;
	struct pcireset_dev r;
	int ngroups;			/* bus_reset_groups: what a hot reset needs owned */
	int groups[MAX_BUS_GROUPS];
};

struct vdev *read_vdevs(const struct group_info *g, int ng, int *n);
void check_reset(struct check *c, int *n, const struct vdev *v);
void check_power(struct check *c, int *n, const struct vdev *v);
void check_idle_d3(struct check *c, int *n, int d3);
void json_vdev(struct json *j, const struct vdev *v);

#endif
