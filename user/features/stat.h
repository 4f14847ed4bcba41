/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VFIOTRACE_STAT_H
#define VFIOTRACE_STAT_H

#include <stdbool.h>
#include <stdio.h>
#include "snapshot.h"

void render_stat(FILE *f, const struct snapshot *s, bool json);
void render_hist(FILE *f, const struct snapshot *s, bool json);

#endif
