// SPDX-License-Identifier: GPL-2.0
#include "log.h"

int verbose;	/* -v count: dbg() prints when non-zero; main sets it from the options */
