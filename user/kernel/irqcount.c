// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "irqcount.h"

long long irq_count(const char *path, const char *name)
{
	FILE *f = fopen(path, "r");
	long long sum = 0;
	char line[8192];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), *end;

		/* the header (CPU0 CPU1 ...) has no colon; a line too long for the buffer is skipped */
		if (!p || !strchr(line, '\n') || !strstr(p, name))
			continue;
		for (p++;; p = end) {
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p)
				break;	/* past the per-CPU counts: the chip and the name */
			sum += (long long)v;
		}
	}
	fclose(f);
	return sum;
}
