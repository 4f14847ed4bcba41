// SPDX-License-Identifier: GPL-2.0
/*
 * How the kernel can reset a PCI device, and its power state.
 *
 * 5.15+ lists the methods a device passed at device add in sysfs reset_method,
 * in __pci_reset_function_locked's order. At run time each method checks again
 * and answers ENOTTY when it no longer applies: the one whose answer changes is
 * the bus method (slot reset, else a reset of the parent bus), which needs the
 * device alone on its bus. A second function on the bus appears after the first
 * one's probe, so reset_method can list "bus" for a device whose bus reset the
 * kernel refuses (6.1 guest: 03:01.0 lists bus, 03:02.0 nothing).
 *
 * 5.10 has no list: __pci_reset_function_locked tries device_specific, FLR
 * (PCIe DevCap), AF FLR, PM (D3hot->D0 when PMCSR's No_Soft_Reset is clear), a
 * slot reset, the parent bus, each probed at the call; pci_reset_function
 * refuses at once a device that had no method when it was added (dev->reset_fn,
 * shown as the sysfs "reset" file). pcireset_derive follows those rules and the
 * kernel's quirks that forbid a method (drivers/pci/quirks.c of 5.10.223).
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pcireset.h"

#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_AF 0x13
#define PCI_EXP_DEVCAP_FLR (1u << 28)
#define PCI_AF_CAP_TP 0x01
#define PCI_AF_CAP_FLR 0x02
#define PCI_PM_CTRL_NO_SOFT_RESET 0x0008
#define PCI_PM_CAP_VER_MASK 0x0007

/* Config space registers, little endian; past what was read they read as all ones, as absent registers do. */
struct cfgbuf {
	const unsigned char *b;
	size_t len;
};

static unsigned int rd8(const struct cfgbuf *c, unsigned int o)
{
	return o < c->len ? c->b[o] : 0xff;
}

static unsigned int rd16(const struct cfgbuf *c, unsigned int o)
{
	return rd8(c, o) | rd8(c, o + 1) << 8;
}

static unsigned int rd32(const struct cfgbuf *c, unsigned int o)
{
	return rd16(c, o) | (unsigned int)rd16(c, o + 2) << 16;
}

/* pci_find_capability: from the list pointer (0x34; 0x14 for CardBus), at most 48 hops */
static int find_cap(const struct cfgbuf *cfg, const struct pcicfg *c, unsigned int id)
{
	unsigned int pos;
	int ttl = 48;

	if (!(rd16(cfg, 0x06) & PCI_STATUS_CAP_LIST))
		return 0;
	if (c->hdr_type == 0 || c->hdr_type == 1)
		pos = rd8(cfg, 0x34);
	else if (c->hdr_type == 2)
		pos = rd8(cfg, 0x14);
	else
		return 0;
	while (ttl--) {
		if (pos < 0x40)
			break;
		pos &= ~3u;
		if (rd8(cfg, pos) == 0xff)
			break;
		if (rd8(cfg, pos) == id)
			return pos;
		pos = rd8(cfg, pos + 1);
	}
	return 0;
}

int pcicfg_parse(const unsigned char *bytes, size_t len, struct pcicfg *c)
{
	const struct cfgbuf b = { bytes, len }, *cfg = &b;

	memset(c, 0, sizeof(*c));
	if (len < 256 || rd16(cfg, 0) == 0xffff)
		return -1;
	c->vendor = rd16(cfg, 0);
	c->device = rd16(cfg, 2);
	c->class = rd32(cfg, 0x08) >> 8;
	c->hdr_type = rd8(cfg, 0x0e) & 0x7f;
	c->multifunction = rd8(cfg, 0x0e) & 0x80;
	/* pci_pm_init: a PM capability of a version above 3 is not used */
	c->pm = find_cap(cfg, c, PCI_CAP_ID_PM);
	if (c->pm && (rd16(cfg, c->pm + 2) & PCI_PM_CAP_VER_MASK) > 3)
		c->pm = 0;
	if (c->pm) {
		c->pmc = rd16(cfg, c->pm + 2);
		c->pmcsr = rd16(cfg, c->pm + 4);
	}
	c->exp = find_cap(cfg, c, PCI_CAP_ID_EXP);
	if (c->exp)
		c->devcap = rd32(cfg, c->exp + 4);
	c->af = find_cap(cfg, c, PCI_CAP_ID_AF);
	if (c->af)
		c->afcap = rd8(cfg, c->af + 3);
	return 0;
}

const char *pcicfg_power_state(const struct pcicfg *c)
{
	static const char *const names[] = { "D0", "D1", "D2", "D3hot" };

	return c->pm ? names[c->pmcsr & 3] : "D0";
}

/* 5.10 quirks.c: quirk_no_flr (PCI_DEV_FLAGS_NO_FLR_RESET: no FLR, no AF FLR) */
static bool quirk_no_flr(const struct pcicfg *c)
{
	static const unsigned int ids[][2] = {
		{ 0x1022, 0x1487 }, { 0x1022, 0x148c }, { 0x1022, 0x149c }, { 0x1022, 0x7901 },
		{ 0x8086, 0x1502 }, { 0x8086, 0x1503 },
	};
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (c->vendor == ids[i][0] && c->device == ids[i][1])
			return true;
	return false;
}

/* quirk_no_pm_reset: ATI VGA and four Mellanox Spectrum devices, unless on a root bus */
static bool quirk_no_pm_reset(const struct pcicfg *c, const struct pcitopo *t)
{
	if (t->root_bus)
		return false;
	if (c->vendor == 0x1002 && c->class >> 8 == 0x0300)
		return true;
	return c->vendor == 0x15b3 && (c->device == 0xcb84 || c->device == 0xcf6c || c->device == 0xcf70 ||
				       c->device == 0xcf80);
}

/* quirk_no_bus_reset and quirk_nvidia_no_bus_reset (the device's own flag) */
static bool quirk_no_bus_reset(const struct pcicfg *c)
{
	static const unsigned int ids[][2] = {
		{ 0x168c, 0x0030 }, { 0x168c, 0x0032 }, { 0x168c, 0x003c }, { 0x168c, 0x0033 },
		{ 0x168c, 0x0034 }, { 0x168c, 0x003e }, { 0x177d, 0xa100 }, { 0x104c, 0xb005 },
	};
	size_t i;

	if (c->vendor == 0x10de && (c->device & 0xffc0) == 0x2340)
		return true;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (c->vendor == ids[i][0] && c->device == ids[i][1])
			return true;
	return false;
}

bool pcireset_510_device_specific(unsigned int vendor, unsigned int device)
{
	/* 82599 SFP VF, IVB M and M2 VGA, Samsung SM961, Intel 0x0953, Chelsio (any), Huawei HiNIC VF */
	static const unsigned int ids[][2] = {
		{ 0x8086, 0x10ed }, { 0x8086, 0x0156 }, { 0x8086, 0x0166 }, { 0x144d, 0xa804 },
		{ 0x8086, 0x0953 }, { 0x19e5, 0x375e },
	};
	size_t i;

	if (vendor == 0x1425)
		return true;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (vendor == ids[i][0] && device == ids[i][1])
			return true;
	return false;
}

bool pcireset_bus_ok(const struct pcitopo *t, bool multifunction)
{
	if (t->subordinate)
		return false;
	if (t->pciehp_slot && !multifunction)
		return true;	/* pci_dev_reset_slot_function: pciehp's probe always agrees */
	return t->bridged && t->peers == 0;	/* pci_parent_bus_reset */
}

int pcireset_derive(const struct pcicfg *c, const struct pcitopo *t, const char **out, int max)
{
	int n = 0;

	if (n < max && c->exp && (c->devcap & PCI_EXP_DEVCAP_FLR) && !quirk_no_flr(c))
		out[n++] = "flr";
	if (n < max && c->af && !quirk_no_flr(c) && (c->afcap & PCI_AF_CAP_TP) && (c->afcap & PCI_AF_CAP_FLR))
		out[n++] = "af_flr";
	if (n < max && c->pm && !quirk_no_pm_reset(c, t) && !(c->pmcsr & PCI_PM_CTRL_NO_SOFT_RESET))
		out[n++] = "pm";
	if (n < max && !quirk_no_bus_reset(c) && pcireset_bus_ok(t, c->multifunction))
		out[n++] = "bus";
	return n;
}

/* ---- sysfs ---- */

struct pcinode {
	char name[PCI_NAME_LEN];
	char *path;	/* its directory under /sys/devices, resolved */
	char *parent;	/* the directory that holds it: a bridge's, or the root bus's pciDDDD:BB */
};

struct pcitree {
	char root[PATH_MAX];
	int n;
	struct pcinode *d;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct pcinode *)a)->name, ((const struct pcinode *)b)->name);
}

struct pcitree *pcitree_read(const char *root)
{
	struct pcitree *t = calloc(1, sizeof(*t));
	char dir[PATH_MAX + 64], p[PATH_MAX + 400], real[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int cap = 0;

	if (!t)
		return NULL;
	snprintf(t->root, sizeof(t->root), "%s", root ? root : "");
	snprintf(dir, sizeof(dir), "%s/sys/bus/pci/devices", t->root);
	d = opendir(dir);
	if (!d)
		return t;
	while ((e = readdir(d))) {
		struct pcinode *x;
		char *slash;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= PCI_NAME_LEN)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (!realpath(p, real))
			continue;
		if (t->n == cap) {
			struct pcinode *nd = realloc(t->d, (cap ? cap * 2 : 64) * sizeof(*nd));

			if (!nd)
				break;
			t->d = nd;
			cap = cap ? cap * 2 : 64;
		}
		x = &t->d[t->n];
		snprintf(x->name, sizeof(x->name), "%s", e->d_name);
		x->path = strdup(real);
		x->parent = strdup(real);
		if (!x->path || !x->parent) {
			free(x->path);
			free(x->parent);
			break;
		}
		slash = strrchr(x->parent, '/');
		if (slash)
			*slash = 0;
		t->n++;
	}
	closedir(d);
	qsort(t->d, t->n, sizeof(t->d[0]), by_name);
	return t;
}

void pcitree_free(struct pcitree *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->d[i].path);
		free(t->d[i].parent);
	}
	free(t->d);
	free(t);
}

static const struct pcinode *find_node(const struct pcitree *t, const char *dev)
{
	struct pcinode key;

	snprintf(key.name, sizeof(key.name), "%s", dev);
	return t->n ? bsearch(&key, t->d, t->n, sizeof(t->d[0]), by_name) : NULL;
}

/* "0000:03:01.0" -> "0000:03" */
static void bus_of(const char *dev, char *out, size_t len)
{
	const char *c = strrchr(dev, ':');

	snprintf(out, len, "%.*s", c ? (int)(c - dev) : (int)strlen(dev), dev);
}

/* The first line of a small file, newline cut; -1 if it cannot be read. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char *nl;

	buf[0] = 0;
	if (!f)
		return -1;
	if (!fgets(buf, len, f))
		buf[0] = 0;
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	return 0;
}

static bool dir_has_entry(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool any = false;

	if (!d)
		return false;
	while (!any && (e = readdir(d)))
		any = e->d_name[0] != '.';
	closedir(d);
	return any;
}

/* In a hotplug slot (sysfs slots/N/address "DDDD:BB:DD") whose driver is pciehp, the one with reset_slot. */
static bool pciehp_slot(const struct pcitree *t, const char *dev)
{
	char dir[PATH_MAX + 64], p[PATH_MAX + 400], addr[64], link[PATH_MAX];
	const char *dot = strrchr(dev, '.');
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/sys/bus/pci/slots", t->root);
	d = opendir(dir);
	if (!d || !dot)
		goto out;
	while (!found && (e = readdir(d))) {
		ssize_t n;
		char *b;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/address", dir, e->d_name);
		if (read_line(p, addr, sizeof(addr)) || strlen(addr) != (size_t)(dot - dev) ||
		    strncmp(addr, dev, dot - dev))
			continue;
		snprintf(p, sizeof(p), "%s/%s/module", dir, e->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		b = strrchr(link, '/');
		found = !strcmp(b ? b + 1 : link, "pciehp");
	}
out:
	if (d)
		closedir(d);
	return found;
}

static void topo_of(const struct pcitree *t, const struct pcinode *x, struct pcitopo *o)
{
	char bus[PCI_NAME_LEN], other[PCI_NAME_LEN], p[PATH_MAX + 300];
	const char *pb = strrchr(x->parent, '/');
	int i;

	memset(o, 0, sizeof(*o));
	pb = pb ? pb + 1 : x->parent;
	bus_of(x->name, bus, sizeof(bus));
	o->root_bus = !strncmp(pb, "pci", 3);
	/* a bridge's directory lists its secondary bus in pci_bus/; a VF's virtual bus is not there */
	snprintf(p, sizeof(p), "%s/pci_bus/%s", x->parent, bus);
	o->bridged = !o->root_bus && !access(p, F_OK);
	snprintf(p, sizeof(p), "%s/pci_bus", x->path);
	o->subordinate = dir_has_entry(p);
	for (i = 0; i < t->n; i++) {
		if (&t->d[i] == x || strcmp(t->d[i].parent, x->parent))
			continue;
		bus_of(t->d[i].name, other, sizeof(other));
		o->peers += !strcmp(other, bus);
	}
	o->pciehp_slot = pciehp_slot(t, x->name);
}

/* Up to LEN bytes of the device's config space; the count read, -1 if it cannot be opened. */
static int read_config(const struct pcinode *x, unsigned char *buf, size_t len)
{
	char p[PATH_MAX + 16];
	size_t got = 0;
	FILE *f;

	snprintf(p, sizeof(p), "%s/config", x->path);
	f = fopen(p, "rb");
	if (!f)
		return -1;
	got = fread(buf, 1, len, f);
	fclose(f);
	return (int)got;
}

const char *pcireset_source_name(enum pcireset_source s)
{
	return s == PCIRESET_SYSFS ? "sysfs" : s == PCIRESET_CONFIG ? "config" : NULL;
}

bool pcireset_sysfs_methods(const struct pcitree *t, const char *release)
{
	char p[PATH_MAX + 32];
	int major = 0, minor = 0, i;

	if (release && sscanf(release, "%d.%d", &major, &minor) == 2 && (major > 5 || (major == 5 && minor >= 15)))
		return true;
	for (i = 0; i < t->n; i++) {
		snprintf(p, sizeof(p), "%s/reset_method", t->d[i].path);
		if (!access(p, F_OK))
			return true;	/* a backport (RHEL 9's 5.14) */
	}
	return false;
}

static void method_add(struct pcireset_dev *o, const char *name, bool usable, const char *why)
{
	struct pcireset_method *m;

	if (o->n >= PCIRESET_MAX_METHODS)
		return;
	m = &o->m[o->n++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->usable = usable;
	snprintf(m->why, sizeof(m->why), "%s", usable ? "" : why);
}

/* Why the bus method does not pass its checks now. */
static void bus_why(const struct pcitree *t, const struct pcinode *x, const struct pcitopo *tp, char *buf,
		    size_t len)
{
	char bus[PCI_NAME_LEN], other[PCI_NAME_LEN], names[200] = "";
	int i, k = 0;

	bus_of(x->name, bus, sizeof(bus));
	if (tp->subordinate) {
		snprintf(buf, len, "it is a bridge: the kernel resets a function through its bus only when no bus is below it (ENOTTY)");
		return;
	}
	if (tp->root_bus) {
		snprintf(buf, len, "it is on root bus %s: no bridge above it can reset that bus (ENOTTY)", bus);
		return;
	}
	if (!tp->bridged) {
		snprintf(buf, len, "it is on virtual bus %s: no bridge above it can reset that bus (ENOTTY)", bus);
		return;
	}
	for (i = 0; i < t->n && k < 4; i++) {
		if (&t->d[i] == x || strcmp(t->d[i].parent, x->parent))
			continue;
		bus_of(t->d[i].name, other, sizeof(other));
		if (strcmp(other, bus))
			continue;
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", k++ ? ", " : "", t->d[i].name);
	}
	snprintf(buf, len,
		 "%s share%s bus %s: the kernel resets a single function through its bus only when it is alone "
		 "there, and refuses (ENOTTY)%s",
		 names, tp->peers == 1 ? "s" : "", bus, tp->peers > k ? " (and more)" : "");
}

int pcireset_read(const struct pcitree *t, const char *dev, bool sysfs_methods, struct pcireset_dev *o)
{
	const struct pcinode *x = find_node(t, dev);
	unsigned char cfg[4096];
	char p[PATH_MAX + 32], line[256], why[320];
	struct pcitopo tp;
	struct pcicfg c;
	int i, got = -2;	/* -2: config not read yet */
	bool parsed = false, usable_any = false, ds = false;

	memset(o, 0, sizeof(*o));
	snprintf(o->dev, sizeof(o->dev), "%s", dev);
	o->d3cold_allowed = -1;
	o->function_reset = -1;
	if (!x)
		return -1;
	bus_of(dev, o->bus, sizeof(o->bus));
	/* power_state before anything reads config space (the read resumes a device in D3cold) */
	snprintf(p, sizeof(p), "%s/power_state", x->path);
	if (!read_line(p, line, sizeof(line)) && line[0]) {
		snprintf(o->power_state, sizeof(o->power_state), "%.15s", line);
		o->power_src = PCIRESET_SYSFS;
	}
	snprintf(p, sizeof(p), "%s/d3cold_allowed", x->path);
	if (!read_line(p, line, sizeof(line)) && line[0])
		o->d3cold_allowed = atoi(line) != 0;
	snprintf(p, sizeof(p), "%s/reset", x->path);
	o->reset_file = !access(p, F_OK);
	topo_of(t, x, &tp);

	o->bus_reset = tp.bridged;
	if (o->bus_reset) {
		size_t plen = strlen(x->parent);

		o->bus_devs = calloc(t->n ? t->n : 1, sizeof(*o->bus_devs));
		for (i = 0; o->bus_devs && i < t->n; i++)
			if (&t->d[i] != x && !strncmp(t->d[i].path, x->parent, plen) && t->d[i].path[plen] == '/')
				snprintf(o->bus_devs[o->n_bus++], PCI_NAME_LEN, "%s", t->d[i].name);
	}

	/* config space: on 5.10 for the methods, else only where sysfs lacks the power state or the slot rule needs it */
	if (!sysfs_methods || o->power_src == PCIRESET_NONE || tp.pciehp_slot) {
		got = strcmp(o->power_state, "D3cold") ? read_config(x, cfg, sizeof(cfg)) : -1;
		parsed = got > 0 && !pcicfg_parse(cfg, got, &c);
	}
	if (parsed && o->power_src == PCIRESET_NONE) {
		snprintf(o->power_state, sizeof(o->power_state), "%s", pcicfg_power_state(&c));
		o->power_src = PCIRESET_CONFIG;
	}

	if (sysfs_methods) {
		char *tok, *save = NULL;

		o->src = PCIRESET_SYSFS;
		snprintf(p, sizeof(p), "%s/reset_method", x->path);
		if (read_line(p, line, sizeof(line)))
			line[0] = 0;	/* no file: no method passed at device add */
		for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			bool bus = !strcmp(tok, "bus") || !strcmp(tok, "cxl_bus");	/* cxl_bus ends in the bus method */
			bool ok = !bus || pcireset_bus_ok(&tp, parsed && c.multifunction);

			why[0] = 0;
			if (!ok) {
				bus_why(t, x, &tp, why, sizeof(why));
				snprintf(why + strlen(why), sizeof(why) - strlen(why),
					 "; reset_method was probed when the device was added");
			}
			method_add(o, tok, ok, why);
		}
	} else if (parsed) {
		const char *names[PCIRESET_MAX_METHODS];
		int n = pcireset_derive(&c, &tp, names, PCIRESET_MAX_METHODS);

		o->src = PCIRESET_CONFIG;
		for (i = 0; i < n; i++)
			method_add(o, names[i], o->reset_file,
				   "the kernel found no reset method when the device was added (it has no sysfs reset "
				   "file): pci_reset_function refuses it (ENOTTY) whatever works now");
		ds = pcireset_510_device_specific(c.vendor, c.device);
		if (ds)
			snprintf(o->note, sizeof(o->note),
				 "the kernel's table of device-specific resets names %04x:%04x: it is tried first, "
				 "and not listed here",
				 c.vendor, c.device);
		else if (o->reset_file && !n)
			snprintf(o->note, sizeof(o->note),
				 "the kernel found a reset method when the device was added (sysfs reset file) that does not "
				 "pass now%s",
				 tp.peers ? ": a bus reset from when it was alone on its bus" : "");
	} else {
		if (got < 0)
			snprintf(o->note, sizeof(o->note), "its config space cannot be read");
		else if (got < 256)
			snprintf(o->note, sizeof(o->note),
				 "only %d bytes of its config space can be read: the capabilities need root", got);
		else
			snprintf(o->note, sizeof(o->note), "its config space reads all ones (the device does not answer)");
	}
	for (i = 0; i < o->n; i++)
		usable_any |= o->m[i].usable;
	if (o->src != PCIRESET_NONE)
		o->function_reset = usable_any ? 1 : ds ? -1 : 0;
	return 0;
}

void pcireset_dev_free(struct pcireset_dev *d)
{
	free(d->bus_devs);
	d->bus_devs = NULL;
	d->n_bus = 0;
}
