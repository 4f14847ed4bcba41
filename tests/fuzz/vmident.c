// SPDX-License-Identifier: GPL-2.0
/*
 * The VM identity parsers (user/kernel/vmident.c) and writers (user/output/vmname.c):
 * any command line and cgroup text gives strings that end inside their fields;
 * the JSON object is valid; the text field has no control byte and stays in its
 * bound; the Prometheus label value has only the format's escapes, no raw quote
 * or newline, and is valid UTF-8.
 */
#include "fuzz.h"
#include "jsoncheck.h"
#include "vmident.h"
#include "vmname.h"

static void no_string(void *ctx, const unsigned int *cp, size_t n)
{
	(void)ctx, (void)cp, (void)n;
}

static void no_number(void *ctx, const char *s, size_t n)
{
	(void)ctx, (void)s, (void)n;
}

#define ENDS(field) do { if (strnlen(field, sizeof(field)) == sizeof(field)) \
		FUZZ_FAIL(#field " does not end in its field"); } while (0)

static void check_label(const char *l)
{
	const unsigned char *p = (const unsigned char *)l;
	int n;

	for (; *p; p += n) {
		if (*p == '\\') {
			if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
				FUZZ_FAIL("label escape \\%c: %s", p[1], l);
			n = 2;
			continue;
		}
		if (*p == '"' || *p < 0x20 || *p == 0x7f)
			FUZZ_FAIL("raw byte 0x%02x in label: %s", *p, l);
		jc_utf8(p, p + strlen((const char *)p), &n);
		if (!n)
			FUZZ_FAIL("invalid UTF-8 in label: %s", l);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned int cpbuf[8192];
	struct jc jc = { no_string, no_number, NULL, cpbuf, sizeof(cpbuf) / sizeof(cpbuf[0]), 0 };
	static char cgroup[16384];
	char text[VM_TEXT_LEN], label[VM_LABEL_LEN], *out = NULL;
	struct input in = { data, size };
	size_t split = take_byte(&in) * 64, outlen = 0, i;
	struct vm_ident id = {};
	struct json j;
	FILE *f;

	if (split > in.n)
		split = in.n;
	vm_parse_cmdline((const char *)in.p, split, &id);
	for (i = 0; i < in.n - split && i < sizeof(cgroup) - 1; i++)
		cgroup[i] = (char)in.p[split + i];
	cgroup[i] = 0;
	vm_parse_cgroup(cgroup, &id);
	vm_stat_starttime(cgroup);
	ENDS(id.name);
	ENDS(id.unit);
	ENDS(id.pod);
	ENDS(id.container);
	if (id.name[0] && !id.source)
		FUZZ_FAIL("a name without its source: %s", id.name);
	vm_text(&id, ", vm ", text, sizeof(text));
	for (i = 0; text[i]; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			FUZZ_FAIL("control byte in text: %s", text);
	check_label(vm_label(id.name, label, sizeof(label)));
	check_label(vm_label(id.unit, label, sizeof(label)));
	f = open_memstream(&out, &outlen);
	if (!f)
		return 0;
	json_init(&j, f);
	json_obj_begin(&j, NULL);
	vm_json(&j, &id);
	json_obj_end(&j);
	if (fclose(f))
		FUZZ_FAIL("cannot write the memory stream");
	if (jc_value(&jc, (const unsigned char *)out, (const unsigned char *)out + outlen - 1) !=
	    (const unsigned char *)out + outlen - 1)
		FUZZ_FAIL("invalid JSON: %s", out);
	free(out);
	return 0;
}
