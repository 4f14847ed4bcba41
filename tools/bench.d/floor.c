// SPDX-License-Identifier: GPL-2.0
/*
 * bench-floor: the least a libbpf tracer can do before it traces. Opens and
 * loads one empty kprobe and one empty kretprobe program (--core: the
 * variant with one CO-RE read, which loads the kernel's BTF), attaches them
 * to every FUNCTION given, prints "Tracing", waits for SIGINT or SIGTERM.
 * --work (with --core): programs that count hits per process in a hash map, the least an
 * aggregating tracer does per hit; pk:/pr: (the PCI core's hooks) get programs of their own,
 * so that the bench can tell their time apart (the others attach them as k:/r:).
 * usage: bench-floor [--core [--work]] [p]k:FUNCTION|[p]r:FUNCTION...   (r: return probe)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"
#include "floor_core.skel.h"

#define MAX_LINKS 64

static volatile sig_atomic_t done;

static void on_signal(int sig)
{
	(void)sig;
	done = 1;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[MAX_LINKS];
	struct floor_core_bpf *core = NULL;
	struct floor_bpf *plain = NULL;
	struct bpf_program *entry, *ret, *entry_pci, *ret_pci;
	int i = 1, n = 0, rc = 1;

	libbpf_set_print(quiet);
	if (argc > 1 && !strcmp(argv[1], "--core")) {
		bool work = argc > 2 && !strcmp(argv[2], "--work");

		core = floor_core_bpf__open();
		if (!core)
			goto fail;
		bpf_program__set_autoload(work ? core->progs.floor_entry : core->progs.work_entry, false);
		bpf_program__set_autoload(work ? core->progs.floor_return : core->progs.work_return, false);
		bpf_program__set_autoload(core->progs.work_entry_pci, work);
		bpf_program__set_autoload(core->progs.work_return_pci, work);
		if (floor_core_bpf__load(core))
			goto fail;
		entry = work ? core->progs.work_entry : core->progs.floor_entry;
		ret = work ? core->progs.work_return : core->progs.floor_return;
		entry_pci = work ? core->progs.work_entry_pci : entry;
		ret_pci = work ? core->progs.work_return_pci : ret;
		i = work ? 3 : 2;
	} else {
		plain = floor_bpf__open_and_load();
		if (!plain)
			goto fail;
		entry_pci = entry = plain->progs.floor_entry;
		ret_pci = ret = plain->progs.floor_return;
	}
	for (; i < argc && n < MAX_LINKS; i++) {
		const char *a = argv[i];
		bool pci = a[0] == 'p', retprobe = !strncmp(a + pci, "r:", 2);

		if (strncmp(a + pci, "k:", 2) && !retprobe) {
			fprintf(stderr, "bench-floor: expected [p]k:FUNCTION or [p]r:FUNCTION, got %s\n", a);
			goto out;
		}
		a += pci;
		links[n] = bpf_program__attach_kprobe(pci ? (retprobe ? ret_pci : entry_pci) : (retprobe ? ret : entry),
						      retprobe, a + 2);
		if (!links[n]) {
			fprintf(stderr, "bench-floor: cannot attach to %s: %s\n", a + 2, strerror(errno));
			goto out;
		}
		n++;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "Tracing (%d probes)\n", n);
	while (!done)
		sleep(1);	/* at most 1 s late: a signal between the test and pause() would hang */
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "bench-floor: cannot load: %s\n", strerror(errno));
out:
	while (n > 0)
		bpf_link__destroy(links[--n]);
	floor_bpf__destroy(plain);
	floor_core_bpf__destroy(core);
	return rc;
}
