/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VFIOTRACE_PROBES_H
#define VFIOTRACE_PROBES_H

#include <stdbool.h>
#include <stdio.h>
#include "targets.h"

/* links: the links the kprobe.multi rows ride (tracer_multi_links), NULL: none */
void render_probes(FILE *f, const struct resolved r[NR_HOOKS], const char *count_field, bool dma_btf,
		   const char *fallback, int retprobe_maxactive, const char *links, bool json);

#endif
