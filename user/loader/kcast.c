// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kcast.h"

/* p's marks rewritten: how many, or -1 with errno. */
static int rewrite(struct bpf_program *p, int mark, int kfunc_id)
{
	size_t i, n = bpf_program__insn_cnt(p);
	struct bpf_insn *insns = malloc(n * sizeof(*insns));
	int found = 0, e;

	if (!insns)
		return -1;
	memcpy(insns, bpf_program__insns(p), n * sizeof(*insns));
	for (i = 0; i < n; i++) {
		if (insns[i].code != (BPF_JMP | BPF_CALL) || insns[i].src_reg || insns[i].imm != mark)
			continue;
		insns[i].src_reg = BPF_PSEUDO_KFUNC_CALL;
		insns[i].imm = kfunc_id;
		found++;
	}
	/* as many instructions: libbpf's relocations, kept by instruction index, still apply */
	e = found ? bpf_program__set_insns(p, insns, n) : 0;
	free(insns);
	if (e) {
		errno = -e;
		return -1;
	}
	return found;
}

int kcast_rewrite(struct bpf_object *obj, int mark, int kfunc_id)
{
	struct bpf_program *p;
	int n = 0, k;

	bpf_object__for_each_program(p, obj) {
		if (!bpf_program__autoload(p))
			continue;
		if ((k = rewrite(p, mark, kfunc_id)) < 0)
			return -1;
		n += k;
	}
	return n;
}
