// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "vmname.h"

static void str_or_null(struct json *j, const char *key, const char *s)
{
	if (s && s[0])
		json_str(j, key, s);
	else
		json_null(j, key);
}

void vm_json(struct json *j, const struct vm_ident *id)
{
	if (!id) {
		json_null(j, "vm");
		return;
	}
	json_obj_begin(j, "vm");
	str_or_null(j, "name", id->name);
	str_or_null(j, "source", id->source);
	str_or_null(j, "vmm", id->gone ? NULL : vmm_name(id->vmm));
	str_or_null(j, "unit", id->unit);
	str_or_null(j, "pod", id->pod);
	str_or_null(j, "container", id->container);
	json_bool(j, "gone", id->gone);
	json_obj_end(j);
}

const char *vm_text(const struct vm_ident *id, const char *before, char *buf, size_t len)
{
	char shown[VM_TEXT_SHOW + 1], esc[TEXT_LEN(VM_TEXT_SHOW)];
	size_t n;

	if (!id || !id->name[0]) {
		buf[0] = 0;
		return buf;
	}
	n = strnlen(id->name, VM_TEXT_SHOW + 1);
	memcpy(shown, id->name, n > VM_TEXT_SHOW ? VM_TEXT_SHOW : n);
	shown[n > VM_TEXT_SHOW ? VM_TEXT_SHOW : n] = 0;
	buf[0] = 0;
	text_append(buf, len, "%s%s", before, text_name(shown, esc, sizeof(esc)));
	if (n > VM_TEXT_SHOW)
		text_append(buf, len, "...");
	return buf;
}

const char *vm_label(const char *s, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	int n;

	for (; *p && (const char *)p - s < VM_LABEL_SHOW && o + 7 < len; p += n) {
		n = *p < 0x20 || *p == 0x7f ? 0 : text_utf8_len(p);
		if (*p == '\\' || *p == '"')
			o += (size_t)snprintf(out + o, len - o, "\\%c", *p);
		else if (*p == '\n')
			o += (size_t)snprintf(out + o, len - o, "\\n");
		else if (!n)
			o += (size_t)snprintf(out + o, len - o, "\\\\x%02x", *p);
		else if (o + (size_t)n + 4 < len)
			memcpy(out + o, p, n), o += n;
		else
			break;
		n = n ? n : 1;
	}
	out[o] = 0;
	if (*p && o + 4 <= len)
		memcpy(out + o, "...", 4);
	return out;
}
