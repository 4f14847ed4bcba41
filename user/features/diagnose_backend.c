// SPDX-License-Identifier: GPL-2.0
/*
 * diagnose: which VFIO backends the kernel offers. iommufd (/dev/iommu, the
 * iommufd module, 6.2+) with the device cdevs (/dev/vfio/devices/vfioN, 6.6+),
 * and whether /dev/vfio/vfio is VFIO's type1 container or iommufd's emulation
 * of it (CONFIG_IOMMUFD_VFIO_CONTAINER, which replaces the container).
 */
#include <string.h>
#include <unistd.h>
#include "diagnose_checks.h"
#include "kallsyms.h"

static int entries(const char *rel)
{
	char p[512];

	path_of(p, sizeof(p), "%s", rel, "");
	return count_entries(p);
}

static bool exists(const char *rel)
{
	char p[512];

	path_of(p, sizeof(p), "%s", rel, "");
	return !access(p, F_OK);
}

/* Both can be /dev/vfio/vfio: the text symbols tell whose it is. */
static const char *container_of_kernel(void)
{
	static const char *const names[] = { "vfio_container_attach_group", "iommufd_vfio_ioctl" };
	struct kallsyms ks = {};
	const char *who = "unknown";
	char p[512];

	path_of(p, sizeof(p), "/proc/kallsyms", "", "");
	if (!kallsyms_load_only(&ks, p, names, 2)) {
		if (kallsyms_find(&ks, names[0], NULL))
			who = "type1";
		else if (kallsyms_find(&ks, names[1], NULL))
			who = "iommufd";
	}
	kallsyms_free(&ks);
	return who;
}

void read_backends(struct backends *b)
{
	b->iommufd = exists("/dev/iommu") || exists("/sys/module/iommufd");
	b->dev_iommu = exists("/dev/iommu");
	/* not /sys/class/vfio-dev: 6.1+ lists every VFIO device there, cdev or not */
	b->cdevs = entries("/dev/vfio/devices");
	if (!exists("/dev/vfio/vfio"))
		b->container = NULL;
	else
		b->container = b->iommufd ? container_of_kernel() : "type1";
}

void check_backends(struct check *c, int *n, const struct backends *b)
{
	char cdevs[96], cont[96];

	if (b->cdevs < 0)
		snprintf(cdevs, sizeof(cdevs), "no device cdevs (no /dev/vfio/devices)");
	else
		snprintf(cdevs, sizeof(cdevs), "%d device cdev%s in /dev/vfio/devices", b->cdevs,
			 b->cdevs == 1 ? "" : "s");
	if (!b->container)
		snprintf(cont, sizeof(cont), "no /dev/vfio/vfio (cdevs and iommufd only)");
	else if (!strcmp(b->container, "iommufd"))
		snprintf(cont, sizeof(cont), "/dev/vfio/vfio is iommufd's emulation of the type1 container");
	else
		snprintf(cont, sizeof(cont), "/dev/vfio/vfio is the %s container", b->container);
	if (b->iommufd)
		check_add(c, n, "backend", ST_INFO, NULL, -1, "iommufd in this kernel (%s); %s; %s",
			  b->dev_iommu ? "/dev/iommu" : "its module, no /dev/iommu", cdevs, cont);
	else
		check_add(c, n, "backend", ST_INFO, NULL, -1,
			  "iommufd not in this kernel (no /dev/iommu, no iommufd module): VMMs use the type1 "
			  "container; %s", cont);
}

void json_backends(struct json *j, const struct backends *b)
{
	json_obj_begin(j, "backends");
	json_bool(j, "iommufd", b->iommufd);
	json_bool(j, "dev_iommu", b->dev_iommu);
	if (b->cdevs < 0)
		json_null(j, "cdevs");
	else
		json_int(j, "cdevs", b->cdevs);
	if (b->container)
		json_str(j, "container", b->container);
	else
		json_null(j, "container");
	json_obj_end(j);
}
