/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How the kernel can reset a PCI device, and its power state: from sysfs
 * (reset_method, power_state, d3cold_allowed, the device tree) and, on kernels
 * without reset_method (before 5.15), from the device's config space by the
 * probe rules of 5.10's __pci_reset_function_locked.
 */
#ifndef VFIOTRACE_PCIRESET_H
#define VFIOTRACE_PCIRESET_H

#include <stdbool.h>
#include <stddef.h>

#define PCI_NAME_LEN 32		/* "0000:03:01.0" (domains may be longer) */
#define PCIRESET_MAX_METHODS 8

/* What config space says (its first 256 bytes), parsed. */
struct pcicfg {
	unsigned int vendor, device, class;	/* class: the 24-bit class code */
	unsigned int hdr_type;			/* header type without the multifunction bit */
	bool multifunction;
	int pm;					/* offset of the PM capability the kernel uses, 0: none */
	unsigned int pmc, pmcsr;
	int exp;				/* PCI Express capability, 0: none */
	unsigned int devcap;
	int af;					/* Advanced Features capability, 0: none */
	unsigned int afcap;
};

/*
 * Parses LEN bytes of config space (256, or 4096 with the extended space) into
 * C, walking the capability list as the kernel does (pci_find_capability);
 * registers past LEN read as all ones. 0: parsed; -1: fewer than 256 bytes (an
 * unprivileged read gets 64) or the device did not answer (vendor ID 0xffff).
 */
int pcicfg_parse(const unsigned char *cfg, size_t len, struct pcicfg *c);
/* "D0", "D1", "D2" or "D3hot" from PMCSR; "D0" without a PM capability (a device without one has only D0 while powered). */
const char *pcicfg_power_state(const struct pcicfg *c);

/* The device's place in the tree, from sysfs. */
struct pcitopo {
	bool root_bus;		/* its bus is a root bus (pci_is_root_bus) */
	bool bridged;		/* its bus is a bridge's secondary bus (not a root bus, not a virtual bus) */
	bool subordinate;	/* it is a bridge with a bus below it */
	int peers;		/* other devices on its bus */
	bool pciehp_slot;	/* in a hotplug slot whose driver resets slots (pciehp) */
};

/*
 * The methods 5.10's __pci_reset_function_locked tries for this device and
 * whose checks pass now, in its order, with the names of 5.15+'s reset_method:
 * "flr", "af_flr", "pm", "bus" (a slot reset, else a reset of the parent bus).
 * device_specific is left out (pcireset_510_device_specific says whether the
 * kernel's table names the device); the kernel's quirks that forbid FLR, PM and
 * bus resets of named devices are applied. Returns the count.
 */
int pcireset_derive(const struct pcicfg *c, const struct pcitopo *t, const char **out, int max);
/* The bus method's checks now (5.10 and 5.15+ alike): a pciehp slot reset of a single-function device, else the parent bus's reset of a device alone on it. */
bool pcireset_bus_ok(const struct pcitopo *t, bool multifunction);
/* 5.10's pci_dev_reset_methods[] lists this vendor:device (a device-specific reset may apply). */
bool pcireset_510_device_specific(unsigned int vendor, unsigned int device);

/* Every PCI device of the system (/sys/bus/pci/devices) with its place in /sys/devices. */
struct pcitree;
struct pcitree *pcitree_read(const char *root);
void pcitree_free(struct pcitree *t);

enum pcireset_source { PCIRESET_NONE, PCIRESET_SYSFS, PCIRESET_CONFIG };
const char *pcireset_source_name(enum pcireset_source s);	/* NULL for NONE */

struct pcireset_method {
	char name[24];
	bool usable;		/* its checks pass now */
	char why[320];		/* when not usable: why the kernel refuses it */
};

struct pcireset_dev {
	char dev[PCI_NAME_LEN];
	char bus[PCI_NAME_LEN];		/* "0000:03" */
	enum pcireset_source src;	/* NONE: the methods are unknown */
	int n;
	struct pcireset_method m[PCIRESET_MAX_METHODS];
	int function_reset;		/* 1 a listed method works now, 0 none, -1 unknown */
	bool bus_reset;			/* the bus is a bridge's: a bus (hot) reset can be asked for */
	int n_bus;			/* the other devices such a reset also resets */
	char (*bus_devs)[PCI_NAME_LEN];
	char power_state[16];		/* "" unknown */
	enum pcireset_source power_src;
	int d3cold_allowed;		/* 1, 0, -1 no such file */
	bool reset_file;		/* sysfs has the device's "reset" (the kernel found a method at device add) */
	char note[400];			/* what else the reader should know, "" none */
};

/*
 * Reads DEV's reset methods and power state. SYSFS_METHODS: the kernel has
 * reset_method (5.15+; the file is then absent for a device without methods).
 * Returns -1 when DEV is not a PCI device. pcireset_dev_free frees bus_devs.
 */
int pcireset_read(const struct pcitree *t, const char *dev, bool sysfs_methods, struct pcireset_dev *out);
void pcireset_dev_free(struct pcireset_dev *d);
/* Whether the kernel lists reset methods in sysfs: release 5.15 or later, or any PCI device has the file. */
bool pcireset_sysfs_methods(const struct pcitree *t, const char *release);

#endif
