// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus exposition (render_prom: user/output/prom.c and the features'
 * families): prom_escape of the input into a buffer of any size must be a valid
 * label value that unescapes to a prefix of the input; and a model whose names
 * come from the input must render as text format 0.0.4 that a strict line
 * parser accepts.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "prom.h"
#include "sections.h"

/* A label value per the format: \\, \" and \n escapes, no raw " or newline. 0: valid. */
static int unescape(const char *s, char *out, const char **end)
{
	size_t o = 0;

	for (; *s && *s != '"'; s++) {
		if (*s == '\n')
			return -1;
		if (*s == '\\') {
			s++;
			if (*s == 'n')
				out[o++] = '\n';
			else if (*s == '\\' || *s == '"')
				out[o++] = *s;
			else
				return -1;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = 0;
	*end = s;
	return 0;
}

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

static const char *metric_name(const char *s)
{
	if (!name_char(*s, true))
		return NULL;
	while (name_char(*s, false))
		s++;
	return s;
}

/* One sample line: name{label="value",...} number. */
static bool sample_line(const char *s)
{
	static char val[8192];
	char *end;

	if (!(s = metric_name(s)))
		return false;
	if (*s == '{') {
		s++;
		while (*s != '}') {
			const char *e = s;

			while (name_char(*e, e == s))
				e++;
			if (e == s || e[0] != '=' || e[1] != '"' || unescape(e + 2, val, &s) || *s++ != '"')
				return false;
			if (*s == ',')
				s++;
			else if (*s != '}')
				return false;
		}
		s++;
	}
	if (*s++ != ' ')
		return false;
	strtod(s, &end);
	return end != s && !*end;
}

static void check_render(struct input *in)
{
	static char names[6][4][200];
	struct group_row g = {};
	struct dev_row d[2] = {};
	struct snapshot s = { .groups = &g, .ngroups = 1, .devs = d, .ndevs = 2, .refcount_known = true };
	struct prom_probe probes[6];
	struct metrics m = { .s = &s, .probes = probes, .nprobes = 6 };
	char *text = NULL, *line, *next;
	size_t len = 0;
	FILE *f;
	int i, k;

	for (i = 0; i < 6; i++) {
		for (k = 0; k < 4; k++)
			take_str(in, names[i][k], sizeof(names[i][k]));
		probes[i] = (struct prom_probe){ names[i][0], names[i][1][0] ? names[i][1] : NULL,
						 names[i][2][0] ? names[i][2] : NULL, names[i][3],
						 take_byte(in) & 1 };
	}
	m.version = names[0][3];
	g.group = (int)take_byte(in);
	g.has_mem = true;
	g.mem.ndevs = take_byte(in) % (GROUP_MAX_DEVS + 2);
	for (i = 0; i < GROUP_MAX_DEVS; i++) {
		take_str(in, g.mem.devs[i], NAME_LEN);
		take_str(in, g.mem.buses[i], BUS_LEN);
	}
	take_str(in, g.mem.alloc_bus, BUS_LEN);
	take_str(in, g.mem.alloc_dev, NAME_LEN);
	g.nerrs = take_byte(in) % (MAX_ERRS + 1);
	for (i = 0; i < g.nerrs; i++)
		g.errs[i].err = (int)take_u64(in);
	for (i = 0; i < 2; i++) {
		take_str(in, d[i].d.name, NAME_LEN);
		d[i].d.refcount = (long long)take_u64(in);
	}
	f = open_memstream(&text, &len);
	if (!f)
		return;
	render_prom(f, &m);
	if (fclose(f))
		FUZZ_FAIL("cannot write the memory stream");
	for (line = text; *line; line = next + 1) {
		next = strchr(line, '\n');
		if (!next)
			FUZZ_FAIL("last line not terminated: %s", line);
		*next = 0;
		if (!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7) ? !metric_name(line + 7) :
		    !sample_line(line))
			FUZZ_FAIL("bad exposition line: %s", line);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char in_str[4096], out[4096], back[4096];
	struct input in = { data, size };
	size_t len = take_byte(&in) % 64 + 1;
	const char *end;

	take_str(&in, in_str, sizeof(in_str));
	if (strlen(prom_escape(in_str, out, len)) >= len)
		FUZZ_FAIL("escape overran %zu bytes", len);
	if (unescape(out, back, &end) || *end)
		FUZZ_FAIL("not a label value: %s", out);
	if (strncmp(back, in_str, strlen(back)))
		FUZZ_FAIL("does not unescape to a prefix of the input: %s", out);
	check_render(&in);
	return 0;
}
