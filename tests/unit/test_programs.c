/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The target table against the BPF object the binary embeds (the skeleton,
 * opened, not loaded: no privileges needed): every program a row names is
 * there, so a misspelt name fails here, and the loader's check refuses one.
 */
#include "vfiotrace.skel.h"

static bool in_object(void *obj, const char *name)
{
	return bpf_object__find_program_by_name(obj, name) != NULL;
}

/* in_object, but for one name: what a misspelt row looks like to the loader */
static const char *misspelt;

static bool in_object_but(void *obj, const char *name)
{
	return strcmp(name, misspelt) && in_object(obj, name);
}

static void test_table_programs(void)
{
	struct vfiotrace_bpf *skel = vfiotrace_bpf__open();
	char msg[512] = "";
	int i, k, n = 0;

	CHECK(skel, "cannot open the skeleton's object: %s", strerror(errno));
	if (!skel)
		return;
	for (i = 0; i < NR_HOOKS; i++) {
		const struct target *t = &targets[i];
		const char *names[3 + MAX_NARGS + 1] = { t->kprobe_prog, t->kretprobe_prog, t->fentry_prog };

		for (k = 0; k <= MAX_NARGS; k++)
			names[3 + k] = t->fexit_progs[k];
		for (k = 0; k < (int)(sizeof(names) / sizeof(names[0])); k++) {
			if (!names[k])
				continue;
			n++;
			CHECK(in_object(skel->obj, names[k]), "row %s (%s) names program %s, not in the object",
			      t->hook, t->candidates[0], names[k]);
		}
		/* a row without programs would never be attached */
		CHECK(t->kprobe_prog || t->kretprobe_prog || t->fentry_prog,
		      "row %s (%s) names no program", t->hook, t->candidates[0]);
	}
	CHECK(n >= NR_HOOKS, "only %d program names in %d rows", n, NR_HOOKS);
	CHECK(target_programs_check(in_object, skel->obj, msg, sizeof(msg)) == 0,
	      "the loader's check refuses the object: %s", msg);
	/* a name the object lacks is refused with its name and row, first row or last */
	misspelt = targets[HOOK_ATTACH].fexit_progs[2];
	CHECK(target_programs_check(in_object_but, skel->obj, msg, sizeof(msg)) == -1 &&
	      strstr(msg, misspelt) && strstr(msg, targets[HOOK_ATTACH].hook),
	      "a missing %s is not refused: %s", misspelt, msg);
	misspelt = targets[NR_HOOKS - 1].kprobe_prog;
	CHECK(target_programs_check(in_object_but, skel->obj, msg, sizeof(msg)) == -1 &&
	      strstr(msg, misspelt), "a missing %s (last row) is not refused: %s", misspelt, msg);
	vfiotrace_bpf__destroy(skel);
}
