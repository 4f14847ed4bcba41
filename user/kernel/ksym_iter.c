// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ksym_iter.h"
#include "ksym_iter.skel.h"
#include "ksym_lookup.h"
#include "log.h"

static int iter_btf_id;

/* The bare section holds no target: the program gets the kernel's BTF id of bpf_iter_ksym. */
static int prepare_load(struct bpf_program *p, struct bpf_prog_load_opts *opts, long cookie)
{
	(void)p;
	(void)cookie;
	opts->attach_prog_fd = 0;	/* set only to keep libbpf from parsing vmlinux's BTF */
	opts->attach_btf_obj_fd = 0;
	opts->attach_btf_id = iter_btf_id;
	return 0;
}

int ksym_iter_core(struct core_btf *cb, struct kernel_btf *kb)
{
	LIBBPF_OPTS(libbpf_prog_handler_opts, ho, .prog_prepare_load_fn = prepare_load);
	static int handler;
	size_t sz;
	const void *obj = ksym_iter_bpf__elf_bytes(&sz);

	/* here, not in the thread: libbpf reads its handlers while the tracer's object opens */
	if (!handler && (handler = libbpf_register_prog_handler("ksym_iter", BPF_PROG_TYPE_TRACING,
								BPF_TRACE_ITER, &ho)) <= 0)
		return -1;
	return core_btf_make(cb, kb, obj, sz, NULL, 0);
}

/* The first KSYM_PREFIX bytes of name, zero past its end, as the program compares them. */
static struct ksym_prefix prefix(const char *name)
{
	struct ksym_prefix k = {};

	strncpy((char *)k.w, name, sizeof(k.w));
	return k;
}

/* The text symbols the program lets through, parsed (kallsyms_read_only): 0, or -1 (said). */
static int iterate(struct kallsyms *ks, const char *btf_path, const char *const names[], int n)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = btf_path);
	struct ksym_iter_bpf *skel = NULL;
	struct bpf_link *link = NULL;
	struct ksym_prefix k;
	const char *why = NULL;
	FILE *f = NULL;
	__u8 one = 1;
	int i, fd = -1, r = -1;

	if (!(skel = ksym_iter_bpf__open_opts(&oo)) ||
	    bpf_program__set_attach_target(skel->progs.ksym_list, STDERR_FILENO, NULL) ||
	    ksym_iter_bpf__load(skel))
		why = "loading it";
	for (i = -1; !why && i < n; i++) {
		k = prefix(i < 0 ? "_etext" : names[i]);	/* _etext: where the kernel's text ends */
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.prefixes), &k, &one, BPF_ANY))
			why = "its names";
	}
	if (!why && (!(link = bpf_program__attach_iter(skel->progs.ksym_list, NULL)) ||
		     (fd = bpf_iter_create(bpf_link__fd(link))) < 0 || !(f = fdopen(fd, "r"))))
		why = "running it";
	else if (!why && kallsyms_read_only(ks, f, names, n))
		why = "reading it";
	else if (!why)
		r = 0;
	if (why)
		dbg("kallsyms: the kernel's iterator: %s: %s: reading /proc/kallsyms", why, strerror(errno));
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	ksym_iter_bpf__destroy(skel);
	return r;
}

int ksym_iter_table(struct kallsyms *ks, const char *modules_path, const char *btf_path, int iter_id,
		    const char *const names[], int n)
{
	char (*loaded)[64] = malloc(KSYM_MODULES * sizeof(*loaded));
	unsigned long long before;
	int nloaded, r = -1;

	memset(ks, 0, sizeof(*ks));
	iter_btf_id = iter_id;
	before = loaded ? kallsyms_modules_list(modules_path, loaded, KSYM_MODULES, &nloaded) : 0;
	if (!before || nloaded > KSYM_MODULES)
		dbg("kallsyms: cannot list the modules (%s): reading /proc/kallsyms", modules_path);
	else if (iterate(ks, btf_path, names, n))
		;	/* said */
	else if (kallsyms_modules_state(modules_path) != before)
		dbg("kallsyms: modules changed during the iteration: reading /proc/kallsyms");
	else if (!ks->seen)
		dbg("kallsyms: the kernel's iterator listed no text symbol: reading /proc/kallsyms");
	else
		r = kallsyms_as_read(ks, loaded, nloaded);
	free(loaded);
	if (r) {
		kallsyms_free(ks);
		return -1;
	}
	dbg("kallsyms: %d symbols of the table's names listed by the kernel's iterator (6.0, 6.1), "
	    "/proc/kallsyms not read", ks->n);
	return 0;
}
