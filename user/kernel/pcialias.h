/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PCI devices behind a requester id, as an IOMMU reports it: a device's own id, or the
 * alias a bridge gives the transactions it forwards (Linux's pci_for_each_dma_alias: a
 * PCIe-to-PCI bridge takes them as (secondary bus, 00.0), a conventional PCI bridge as itself).
 * Read from sysfs.
 */
#ifndef VFIOTRACE_PCIALIAS_H
#define VFIOTRACE_PCIALIAS_H

#include "../../bpf/vfiotrace.h"

#define ALIAS_MAX_DEVS 8

struct alias_devs {
	int n;				/* devices behind the id (the first ALIAS_MAX_DEVS kept, sorted) */
	char devs[ALIAS_MAX_DEVS][NAME_LEN];
	int group;			/* the IOMMU group of the first, NO_GROUP if none */
};

/* The requester id dev's DMA reaches the IOMMU with (bus << 8 | devfn); -1 unknown. */
int pci_requester_id(const char *root, const char *dev);
/* The devices under root (normally "/sys") whose DMA arrives as segment:rid. */
void pci_alias_devices(const char *root, unsigned int segment, unsigned int rid, struct alias_devs *out);
/* The same, remembered for a few seconds per (segment, rid): one fault storm, one sysfs walk. */
const struct alias_devs *pci_alias_cached(unsigned int segment, unsigned int rid, unsigned long long now_ns);

#endif
