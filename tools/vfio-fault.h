/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-workload --dma-fault: make a vfio-bound e1000 DMA (read) at an IOVA that is not mapped,
 * so that the IOMMU reports a fault, and record exactly what was programmed (tools/vfio-fault.c).
 */
#ifndef VFIO_FAULT_H
#define VFIO_FAULT_H

/* --dma-fault KIND[,N], --fault-iova ADDR, --fault-pace MS|Nus, --fault-nowait, --fault-device BDF:
 * 0 or exits (usage) */
int fault_option(int opt, const char *arg);
/* Whether --dma-fault was given. */
int fault_enabled(void);
/* After the group's device fds are open: devs[i] is the PCI name of the device of fd devfds[i]
 * (< 0: not opened). Runs the faults on the chosen device; container maps/unmaps for "unmapped". */
void fault_run(int container, int ndevs, const char (*devs)[64], const int *devfds);
/* The group line's "dma_fault" object (",\"dma_fault\":{...}"); null when no device was driven. */
void fault_print(void);

#define FAULT_OPT_KIND   0x100
#define FAULT_OPT_IOVA   0x101
#define FAULT_OPT_PACE   0x102
#define FAULT_OPT_DEVICE 0x103
#define FAULT_OPT_NOWAIT 0x104

#endif
