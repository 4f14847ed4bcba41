// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "histogram.h"

#define LOG2_BUCKETS (HIST_MAX_LOG2 + 1)

unsigned long long hist_total(const unsigned long long *slots)
{
	unsigned long long n = 0;
	int i;

	for (i = 0; i < HIST_SLOTS; i++)
		n += slots[i];
	return n;
}

unsigned long long hist_percentile(const unsigned long long *slots, double p)
{
	unsigned long long total = hist_total(slots), seen = 0, rank, low, high;
	int i;

	if (!total)
		return 0;
	rank = (unsigned long long)((p / 100.0) * total + 0.999999);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < HIST_SLOTS; i++) {
		if (!slots[i])
			continue;
		if (seen + slots[i] >= rank)
			break;
		seen += slots[i];
	}
	if (i == HIST_SLOTS)
		i = HIST_SLOTS - 1;
	low = hist_slot_low(i);
	high = i + 1 < HIST_SLOTS ? hist_slot_low(i + 1) : low * 2;
	if (high - low <= 1)
		return low;
	/* rank-th of slots[i] values spread evenly over [low, high) */
	return low + (high - low) * (rank - seen - 1) / slots[i] +
	       (high - low) / (2 * slots[i]);
}

void hist_to_log2(const unsigned long long *slots, unsigned long long *out, int nout)
{
	int i;

	memset(out, 0, sizeof(*out) * nout);
	for (i = 0; i < HIST_SLOTS; i++) {
		unsigned long long low = hist_slot_low(i);
		int b = low ? (int)hist_log2(low) : 0;

		if (b < nout)
			out[b] += slots[i];
		else
			out[nout - 1] += slots[i];
	}
}

void hist_print_log2(FILE *f, const unsigned long long *slots, const char *unit)
{
	unsigned long long b[LOG2_BUCKETS], max = 0;
	int i, first = -1, last = -1, width = 40;

	hist_to_log2(slots, b, LOG2_BUCKETS);
	for (i = 0; i < LOG2_BUCKETS; i++) {
		if (!b[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (b[i] > max)
			max = b[i];
	}
	if (first < 0) {
		fprintf(f, "     (no samples)\n");
		return;
	}
	fprintf(f, "%16s%-9s : count    distribution\n", unit, "");
	for (i = first; i <= last; i++) {
		unsigned long long low = i ? 1ULL << i : 0, high = (1ULL << (i + 1)) - 1;
		int stars = (int)(b[i] * width / max), k;

		fprintf(f, "%11llu -> %-10llu : %-8llu |", low, high, b[i]);
		for (k = 0; k < width; k++)
			fputc(k < stars ? '*' : ' ', f);
		fprintf(f, "|\n");
	}
}

const char *fmt_ns(unsigned long long ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%lluns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
	return buf;
}
