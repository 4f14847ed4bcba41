/* SPDX-License-Identifier: GPL-2.0 */
/* A process's VM identity (kernel/vmident.h) as JSON, as text beside a pid, as a Prometheus label. */
#ifndef VFIOTRACE_VMNAME_H
#define VFIOTRACE_VMNAME_H

#include <stddef.h>
#include "json.h"
#include "text.h"
#include "vmident.h"

/* Bytes of a VM name shown in text; a longer one ends in "...". */
#define VM_TEXT_SHOW 48
#define VM_TEXT_LEN (TEXT_LEN(VM_TEXT_SHOW) + 16)
/* Bytes of a VM name in a Prometheus label; a longer one ends in "...". */
#define VM_LABEL_SHOW 128
#define VM_LABEL_LEN (5 * VM_LABEL_SHOW + 4)

/* "vm":{"name","source","vmm","unit","pod","container","gone"}, absent strings null; "vm":null for no process. */
void vm_json(struct json *j, const struct vm_ident *id);
/*
 * before and the VM name as one safe text field, cut visibly (e.g. ", vm web-01");
 * "" when the process has no VM name: its line stays as it was.
 */
const char *vm_text(const struct vm_ident *id, const char *before, char *buf, size_t len);
/*
 * s as a Prometheus label value: \\, \" and \n as the format has them, control
 * bytes and bytes outside valid UTF-8 as the text \xNN; cut visibly. Returns out.
 */
const char *vm_label(const char *s, char *out, size_t len);

#endif
