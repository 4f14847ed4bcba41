/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VFIOTRACE_ERRNAMES_H
#define VFIOTRACE_ERRNAMES_H

/* "EPERM" for 1; "E<n>" (in a static buffer) for numbers not in the table. */
const char *errno_name(int err);
/* Why vfio_iommu_type1_attach_group returns -err and what to do; NULL if unknown. */
const char *attach_cause(int err);
const char *attach_remedy(int err);

#endif
