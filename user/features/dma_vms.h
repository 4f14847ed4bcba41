/* SPDX-License-Identifier: GPL-2.0 */
/* The DMA clients summed per VM: the Prometheus series with a vm label. */
#ifndef VFIOTRACE_DMA_VMS_H
#define VFIOTRACE_DMA_VMS_H

#include <stdio.h>
#include "dma.h"

/* Label sets (vm, vmm) per exposition; the clients of any further VM are summed under vm="_other". */
#define DMA_VM_SERIES_MAX 64

void dma_prom_vms(FILE *f, const struct dma_model *m);

#endif
