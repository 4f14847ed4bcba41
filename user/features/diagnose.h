/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VFIOTRACE_DIAGNOSE_H
#define VFIOTRACE_DIAGNOSE_H

#include <stdbool.h>
#include <stdio.h>

/*
 * The host check (no tracing). sysroot prefixes /sys, /proc and /dev ("" or
 * NULL: the running system). Returns 0 when every check passed, 1 otherwise.
 */
int run_diagnose(FILE *f, bool json, const char *sysroot);

#endif
