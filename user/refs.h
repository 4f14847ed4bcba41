/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VFIOTRACE_REFS_H
#define VFIOTRACE_REFS_H

#include <stdbool.h>
#include <stdio.h>
#include "json.h"
#include "snapshot.h"

void render_refs(FILE *f, const struct snapshot *s, bool json);
/* "device_refs":[...] for the puts of one group (NO_GROUP: unattributed). */
void refs_json_rows(struct json *j, const struct snapshot *s, int group);

#endif
