/* SPDX-License-Identifier: GPL-2.0 */
/* Text output of names the kernel took from user space (task names). */
#ifndef VFIOTRACE_TEXT_H
#define VFIOTRACE_TEXT_H

#include <stdarg.h>
#include <stddef.h>

/* A name of n bytes with each byte escaped (\xNN) */
#define TEXT_LEN(n) (4 * (n) + 1)
#define TEXT_NAME_LEN TEXT_LEN(16)	/* a task's comm */

/*
 * name as one safe text field: control bytes, DEL and the backslash become
 * \xNN, so a task name cannot break a line or forge a column; other bytes
 * (UTF-8) pass unchanged. Returns buf.
 */
const char *text_name(const char *name, char *buf, size_t len);

/* Length of the valid UTF-8 sequence (RFC 3629) starting at p, 0 if none does. */
int text_utf8_len(const unsigned char *p);

/* Appends to the string in buf (len bytes); what does not fit is cut and marked "...". */
void text_append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void text_vappend(char *buf, size_t len, const char *fmt, va_list ap);

#endif
