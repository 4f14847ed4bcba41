/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The diagnosis catalogue (docs/diagnosis.md): (operation, failed step, errno,
 * kernel range) -> cause and remedy. The step and the state read at failure
 * (blocking devices, holder) tell apart causes that share an errno.
 */
#ifndef VFIOTRACE_CATALOGUE_H
#define VFIOTRACE_CATALOGUE_H

#include "../../bpf/vfiotrace.h"
#include "kversion.h"

#define ANY 0

struct diag_entry {
	int op;			/* enum diag_op, ANY */
	int step;		/* enum diag_step, ANY */
	int err;		/* positive errno, ANY */
	unsigned int kmin, kmax;	/* KV(major, minor) inclusive; 0: unbounded */
	const char *cause;
	const char *remedy;
};

/* The first entry matching; NULL when nothing does. kver: KV() of the traced kernel, 0 unknown. */
const struct diag_entry *catalogue_lookup(int op, int step, int err, unsigned int kver);
/* Cause and remedy, never NULL: falls back to the errno's generic reading. */
void catalogue_explain(int op, int step, int err, unsigned int kver, const char **cause,
		       const char **remedy);
/* The errno's possible causes inside type1 attach, whatever the step; NULL if unknown. */
const char *attach_cause(int err);
const char *attach_remedy(int err);
const char *step_name(int step);	/* "msi_isolation", ...; "unknown" */
const char *op_name(int op);		/* "attach", "set_container", ... */
/* The whole table, for documentation checks. */
const struct diag_entry *catalogue_entries(int *n);

#endif
