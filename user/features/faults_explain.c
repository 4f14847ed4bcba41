// SPDX-License-Identifier: GPL-2.0
/*
 * Cause and remedy of an IOMMU fault, by hardware reason (VT-d; docs/diagnosis.md "IOMMU faults")
 * and, with --dma, by what the address missed (the IOVA ledger's verdict).
 */
#include <stddef.h>
#include "faults_explain.h"

#define STRAY "reset the device before and after every user (vfio-pci does on open and release when the " \
	      "device has a reset method: `vfiotrace diagnose` lists them); a device that keeps DMAing after " \
	      "its driver let go is the device's or its driver's bug"
#define TABLES "the IOMMU's own tables are inconsistent: a kernel or firmware bug, not the VMM's; report it " \
	       "with dmesg and the kernel version, and reboot the host before trusting the IOMMU again"

static const struct fault_advice table[] = {
	/* DMA remapping, by what the address missed (--dma) */
	{ FAULT_VTD, 0x05, 0x06, LEDGER_UNMAPPED,
	  "the device used an address its VMM had unmapped: a buffer still in use when the mapping was "
	  "removed (guest driver freeing memory under DMA, memory unplug, balloon, or a vIOMMU unmap racing "
	  "the device)",
	  "the guest's driver must stop the device's DMA before the buffer is freed; if the unmap was the "
	  "VMM's own (unmapped_by), check what it unmapped and why (memory hot-unplug, balloon, vIOMMU)" },
	{ FAULT_VTD, 0x05, 0x05, LEDGER_READ_ONLY,
	  "the device wrote into a mapping its VMM made read-only (no VFIO_DMA_MAP_FLAG_WRITE: ROM, read-only "
	  "memory region)",
	  "the guest's driver handed the device a read-only buffer for a write: a guest driver bug, or a VMM "
	  "that maps writable guest memory read-only" },
	{ FAULT_VTD, 0x05, 0x06, LEDGER_NEVER,
	  "the device used an address its VMM never mapped: outside guest RAM (a guest-physical address the "
	  "VMM left unmapped, e.g. MMIO of another device: peer-to-peer), or a garbage address from the "
	  "guest's driver or the device's firmware",
	  "compare the address with the guest's memory map and the VMM's DMA maps (vfiotrace snoop --dma); "
	  "peer-to-peer DMA needs the VMM to map the peer's BAR; a garbage address is a guest driver or "
	  "firmware bug" },
	{ FAULT_VTD, 0x05, 0x06, LEDGER_MAPPED,
	  "the address was mapped with that access when the fault was recorded: the mapping came after the "
	  "device's access, or the IOMMU's view differed from type1's (a stale IOTLB entry)",
	  "if the map came just before (see the dma_map event), the device started DMA too early; otherwise "
	  "report it with the kernel version: the IOMMU was not told of the mapping" },
	/* DMA remapping, by reason alone */
	{ FAULT_VTD, 0x01, 0x02, ANY_VERDICT,
	  "the requester is in no IOMMU domain (its root or context entry is not present): the device did "
	  "DMA while no driver had it attached, before VFIO attached it or after its user released it",
	  STRAY },
	{ FAULT_VTD, 0x03, 0x03, ANY_VERDICT, "the device's context entry is invalid", TABLES },
	{ FAULT_VTD, 0x04, 0x04, ANY_VERDICT,
	  "the address is above the IOMMU's address width (MGAW): the device was given an IOVA the IOMMU "
	  "cannot translate",
	  "keep guest memory and IOVAs below the IOMMU's width (the container's valid IOVA ranges, "
	  "VFIO_IOMMU_GET_INFO; QEMU: a guest physical address width the host's IOMMU supports)" },
	{ FAULT_VTD, 0x05, 0x06, ANY_VERDICT,
	  "the device accessed an IOVA that is not mapped with that access (0x05 write, 0x06 read) in its "
	  "domain: not mapped, unmapped, or mapped without the access",
	  "run vfiotrace snoop --dma: each fault then says whether the address was never mapped, unmapped "
	  "earlier (by whom) or read-only" },
	{ FAULT_VTD, 0x07, 0x0c, ANY_VERDICT, "a page, root or context table pointer or entry is invalid", TABLES },
	{ FAULT_VTD, 0x0d, 0x0d, ANY_VERDICT,
	  "a translation request (ATS) was blocked by the context entry",
	  "the device uses ATS where the IOMMU does not allow it: check the device's ATS capability and the "
	  "kernel's pci=noats" },
	/* interrupt remapping */
	{ FAULT_VTD, 0x20, 0x21, ANY_VERDICT,
	  "the device sent an interrupt whose remappable message is malformed or indexes past the "
	  "interrupt-remapping table: an MSI address/data the kernel did not program",
	  "the MSI/MSI-X vectors must be set up through VFIO_DEVICE_SET_IRQS, never written by the guest "
	  "straight into the device; reset the device between users" },
	{ FAULT_VTD, 0x22, 0x22, ANY_VERDICT,
	  "interrupt-remapping entry not present: the device raised an interrupt the kernel has not set up or "
	  "has torn down (a stale MSI after its user released the vector)",
	  "the VMM must enable the vector (VFIO_DEVICE_SET_IRQS) before the device uses it and the device must "
	  "be quiesced before it is disabled; " STRAY },
	{ FAULT_VTD, 0x23, 0x24, ANY_VERDICT, "the interrupt-remapping table or entry is invalid", TABLES },
	{ FAULT_VTD, 0x25, 0x25, ANY_VERDICT,
	  "a compatibility-format (not remapped) interrupt was blocked: the device or its firmware sent an "
	  "interrupt in the legacy format",
	  "the device's MSI must be programmed by the kernel in remappable format: check that interrupt "
	  "remapping is on for it (vfiotrace diagnose) and that no firmware writes its MSI registers" },
	{ FAULT_VTD, 0x26, 0x26, ANY_VERDICT,
	  "the interrupt's requester id is not the one its remapping entry allows: an alias the kernel did "
	  "not expect (a device behind a PCIe-to-PCI bridge, or a device sending with another function's id)",
	  "known with some bridges and multi-function devices; the kernel's intremap=nosid relaxes the check "
	  "for every device (last resort: it weakens isolation)" },
	{ FAULT_VTD, 0x30, 0xff, ANY_VERDICT,
	  "a scalable-mode (PASID) translation fault", "read the kernel's DMAR line for the decoded reason" },
	/* AMD-Vi, Arm SMMU (report_iommu_fault) */
	{ FAULT_REPORT, 0, 0xff, LEDGER_UNMAPPED,
	  "the device used an IOVA its VMM had unmapped", "the guest's driver must stop DMA before freeing the buffer" },
	{ FAULT_REPORT, 0, 0xff, LEDGER_NEVER,
	  "the device used an IOVA its VMM never mapped", "compare it with the VMM's DMA maps (vfiotrace snoop --dma)" },
	{ FAULT_REPORT, 0, 0xff, ANY_VERDICT,
	  "the IOMMU driver reported a translation fault (AMD-Vi IO_PAGE_FAULT, Arm SMMU event) at this IOVA",
	  "run vfiotrace snoop --dma to tell unmapped from never mapped" },
};

const struct fault_advice *fault_advice_entries(int *n)
{
	*n = (int)(sizeof(table) / sizeof(table[0]));
	return table;
}

const struct fault_advice *fault_explain(int source, int reason, int verdict)
{
	unsigned int i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct fault_advice *a = &table[i];

		if (a->source == source && reason >= a->lo && reason <= a->hi &&
		    (a->verdict == ANY_VERDICT || a->verdict == verdict))
			return a;
	}
	return NULL;
}
