/* SPDX-License-Identifier: GPL-2.0 */
/* Interrupt counts as the kernel keeps them (/proc/interrupts), against a hook's own count. */
#ifndef VFIOTRACE_IRQCOUNT_H
#define VFIOTRACE_IRQCOUNT_H

/*
 * The sum over every CPU of the lines of path (normally /proc/interrupts) whose text contains
 * name (e.g. "DMAR": VT-d's fault interrupts, "DMAR-MSI ... dmarN"); -1 if path is unreadable.
 */
long long irq_count(const char *path, const char *name);

#endif
