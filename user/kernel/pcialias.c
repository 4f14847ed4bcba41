// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include "pcialias.h"

/* The first 64 bytes of config space and the PCI Express capability's port type (-1: conventional). */
static int pcie_type(const char *root, const char *dev, unsigned char *c)
{
	char path[PATH_MAX];
	int pos, n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/config", root, dev);
	if (!(f = fopen(path, "rb")))
		return -2;
	n = (int)fread(c, 1, 256, f);
	fclose(f);
	if (n < 64)
		return -2;
	if (!(c[PCI_STATUS] & PCI_STATUS_CAP_LIST) || n < 256)
		return -1;		/* an unprivileged read stops at 64 bytes: no capabilities seen */
	for (pos = c[PCI_CAPABILITY_LIST] & ~3, n = 0; pos >= 0x40 && n < 48; pos = c[pos + 1] & ~3, n++)
		if (c[pos] == PCI_CAP_ID_EXP)
			return (c[pos + PCI_EXP_FLAGS] >> 4) & 0xf;
	return -1;
}

static int parse_bdf(const char *s, unsigned int *seg, unsigned int *bus, unsigned int *dev, unsigned int *fn)
{
	return sscanf(s, "%4x:%2x:%2x.%1x", seg, bus, dev, fn) == 4 && strlen(s) == 12 ? 0 : -1;
}

int pci_requester_id(const char *root, const char *dev)
{
	char link[PATH_MAX], path[PATH_MAX], *slash;
	unsigned int seg, bus, d, fn;
	unsigned char c[256];
	int rid;

	if (parse_bdf(dev, &seg, &bus, &d, &fn))
		return -1;
	rid = bus << 8 | d << 3 | fn;
	snprintf(link, sizeof(link), "%s/bus/pci/devices/%s", root, dev);
	if (!realpath(link, path))
		return -1;
	/* up the device path: each ancestor that is a PCI device is a bridge the DMA crosses */
	while ((slash = strrchr(path, '/')) && slash != path) {
		const char *up;
		int type;

		*slash = 0;
		up = strrchr(path, '/') + 1;
		if (parse_bdf(up, &seg, &bus, &d, &fn))
			break;		/* the host bridge: the root bus */
		type = pcie_type(root, up, c);
		if (type == PCI_EXP_TYPE_PCI_BRIDGE)
			rid = c[PCI_SECONDARY_BUS] << 8;
		else if (type == -1 || type == PCI_EXP_TYPE_PCIE_BRIDGE)
			rid = bus << 8 | d << 3 | fn;
	}
	return rid;
}

/* The ALIAS_MAX_DEVS first names, sorted, whatever order readdir gives (out->n: seen so far). */
static void keep(struct alias_devs *out, const char *name)
{
	int kept = out->n < ALIAS_MAX_DEVS ? out->n : ALIAS_MAX_DEVS, i;

	if (kept == ALIAS_MAX_DEVS && strcmp(name, out->devs[kept - 1]) >= 0)
		return;
	i = kept == ALIAS_MAX_DEVS ? kept - 1 : kept;	/* the last is dropped when full */
	for (; i > 0 && strcmp(name, out->devs[i - 1]) < 0; i--)
		memcpy(out->devs[i], out->devs[i - 1], NAME_LEN);
	snprintf(out->devs[i], NAME_LEN, "%s", name);
}

static int group_of(const char *root, const char *dev)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "%s/bus/pci/devices/%s/iommu_group", root, dev);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return NO_GROUP;
	target[n] = 0;
	return atoi(strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
}

void pci_alias_devices(const char *root, unsigned int segment, unsigned int rid, struct alias_devs *out)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dir;

	memset(out, 0, sizeof(*out));
	out->group = NO_GROUP;
	snprintf(path, sizeof(path), "%s/bus/pci/devices", root);
	if (!(dir = opendir(path)))
		return;
	while ((e = readdir(dir))) {
		unsigned int seg, bus, d, fn;

		if (parse_bdf(e->d_name, &seg, &bus, &d, &fn) || seg != segment)
			continue;
		if (pci_requester_id(root, e->d_name) != (int)rid)
			continue;
		keep(out, e->d_name);
		out->n++;
	}
	closedir(dir);
	if (out->n)
		out->group = group_of(root, out->devs[0]);
}

#define ALIAS_CACHE 16
#define ALIAS_TTL_NS 5000000000ULL

const struct alias_devs *pci_alias_cached(unsigned int segment, unsigned int rid, unsigned long long now_ns)
{
	static struct { unsigned int segment, rid; unsigned long long at; struct alias_devs a; } cache[ALIAS_CACHE];
	static int next;
	int i;

	for (i = 0; i < ALIAS_CACHE; i++)
		if (cache[i].at && cache[i].segment == segment && cache[i].rid == rid &&
		    now_ns - cache[i].at < ALIAS_TTL_NS)
			return &cache[i].a;
	i = next;
	next = (next + 1) % ALIAS_CACHE;
	cache[i].segment = segment;
	cache[i].rid = rid;
	cache[i].at = now_ns;
	pci_alias_devices("/sys", segment, rid, &cache[i].a);
	return &cache[i].a;
}
