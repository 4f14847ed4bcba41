// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fentry_target.h"

#define MAX_AIMED 64

static struct aimed {
	const struct bpf_program *prog;
	int id;
} aimed[MAX_AIMED];
static int naimed;
static bool registered;

static const struct aimed *find(const struct bpf_program *p)
{
	int i;

	for (i = 0; i < naimed; i++)
		if (aimed[i].prog == p)
			return &aimed[i];
	return NULL;
}

/* The bare sections hold no target: aimed programs get theirs, the others keep set_attach_target's. */
static int prepare_load(struct bpf_program *p, struct bpf_prog_load_opts *opts, long cookie)
{
	const struct aimed *a = find(p);

	(void)cookie;
	if (a) {
		opts->attach_prog_fd = 0;	/* set only to keep libbpf from parsing vmlinux's BTF */
		opts->attach_btf_obj_fd = 0;	/* vmlinux */
		opts->attach_btf_id = a->id;
	}
	return 0;
}

static int attach(const struct bpf_program *p, long cookie, struct bpf_link **link)
{
	(void)cookie;
	*link = bpf_program__attach_trace(p);
	return *link ? 0 : -errno;
}

int fentry_target_register(void)
{
	LIBBPF_OPTS(libbpf_prog_handler_opts, o, .prog_prepare_load_fn = prepare_load,
		    .prog_attach_fn = attach);

	if (registered)
		return 0;
	registered = libbpf_register_prog_handler("fentry", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, &o) > 0 &&
		     libbpf_register_prog_handler("fexit", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, &o) > 0 &&
		     libbpf_register_prog_handler("iter", BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, &o) > 0;
	return registered ? 0 : -1;
}

int fentry_target_set(struct bpf_program *p, int id)
{
	if (!registered || naimed == MAX_AIMED || id <= 0) {
		errno = ENOENT;
		return -1;
	}
	/*
	 * libbpf reasons that a program attached to another program needs no
	 * vmlinux BTF: any fd will do, prepare_load() clears it.
	 */
	if (bpf_program__set_attach_target(p, STDERR_FILENO, NULL))
		return -1;
	aimed[naimed++] = (struct aimed){ p, id };
	return 0;
}

void fentry_target_done(void)
{
	naimed = 0;
}
