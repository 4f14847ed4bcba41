/* SPDX-License-Identifier: GPL-2.0 */
/* Percentiles and log2 bars from the log-linear slots filled in the kernel. */
#ifndef VFIOTRACE_HISTOGRAM_H
#define VFIOTRACE_HISTOGRAM_H

#include <stdio.h>
#include "../../bpf/hist.h"

unsigned long long hist_total(const unsigned long long *slots);
/* p in (0,100]; interpolates inside the slot that holds the p-th value. 0 if empty. */
unsigned long long hist_percentile(const unsigned long long *slots, double p);
/* Collapse into power-of-two buckets: out[b] counts values in [2^b, 2^(b+1)), out[0] also 0. */
void hist_to_log2(const unsigned long long *slots, unsigned long long *out, int nout);
void hist_print_log2(FILE *f, const unsigned long long *slots, const char *unit);
/* "850ns", "12.3us", "4.56ms", "1.20s" */
const char *fmt_ns(unsigned long long ns, char *buf, size_t len);

#endif
