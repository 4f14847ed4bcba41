// SPDX-License-Identifier: GPL-2.0
/*
 * Linked only into the sanitized builds (make sanitize, make fuzz): a sanitizer
 * report exits 99, so no test mistakes it for vfiotrace's own exit 1 or 2.
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
	return "exitcode=99:detect_leaks=1:abort_on_error=0:strict_string_checks=1";
}

const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1:exitcode=99";
}
