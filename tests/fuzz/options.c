// SPDX-License-Identifier: GPL-2.0
/*
 * The command line (parse_options in user/options.c): the input split at NUL
 * bytes is argv. An error always comes with its one-line reason (even for a
 * value with a newline in it); accepted values stay in their documented ranges.
 */
#include "fuzz.h"
#include "options.h"

#define MAX_ARGS 24

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* --help and --version print to stdout */
	if (!freopen("/dev/null", "w", stdout))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2], *p, err[256];
	struct options o;
	int argc = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	argv[argc++] = "vfiotrace";
	for (p = buf; p <= buf + size && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	if (size == 0)
		argc = 1;
	argv[argc] = NULL;
	err[0] = 0;
	switch (parse_options(argc, argv, &o, err, sizeof(err))) {
	case PARSE_ERROR:
		if (!err[0] || strchr(err, '\n'))
			FUZZ_FAIL("an error without a one-line reason: %s", err);
		break;
	case PARSE_OK:
		if (o.duration > 1000000 || o.interval > 86400 || o.count > 1000000000 ||
		    o.group < -1 || o.pid < 0 || (o.count && !o.interval))
			FUZZ_FAIL("accepted out of range: -d %u -g %d -p %d %u %u", o.duration, o.group,
				  o.pid, o.interval, o.count);
		break;
	case PARSE_EXIT:
		break;
	}
	free(buf);
	return 0;
}
