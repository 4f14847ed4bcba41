/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The target table against the BPF object the binary embeds (the skeleton,
 * opened, not loaded: no privileges needed): every program a row names is
 * there, so a misspelt name fails here, and the loader's check refuses one.
 */
#include "capacity.h"
#include "vfiotrace.skel.h"

static bool in_object(void *obj, const char *name)
{
	return bpf_object__find_program_by_name(obj, name) != NULL;
}

/* in_object, counting the names asked for */
static int asked;

static bool in_object_counted(void *obj, const char *name)
{
	asked++;
	return in_object(obj, name);
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
	int i;

	CHECK(skel, "cannot open the skeleton's object: %s", strerror(errno));
	if (!skel)
		return;
	/* a row without programs would never be attached */
	for (i = 0; i < NR_HOOKS; i++)
		CHECK(targets[i].kprobe_prog || targets[i].kretprobe_prog || targets[i].fentry_prog,
		      "row %s (%s) names no program", targets[i].hook, targets[i].candidates[0]);
	CHECK(target_programs_check(in_object_counted, skel->obj, msg, sizeof(msg)) == 0,
	      "the object lacks a program the table names: %s", msg);
	CHECK(asked >= NR_HOOKS, "only %d program names in %d rows", asked, NR_HOOKS);
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

/* Every map that grows with what is traced is sized from the options: none is left at BPF's size. */
static void test_capacity_rows(void)
{
	struct vfiotrace_bpf *skel = vfiotrace_bpf__open();
	struct capacity_row rows[CAPACITY_ROWS];
	struct options o;
	char err[256];
	const char *unsized;
	int n, i;

	CHECK(skel && parse(&o, err, "snoop --dma -v") == PARSE_OK, "skeleton and options");
	if (!skel)
		return;
	n = capacity_rows(skel, &o, true, rows, CAPACITY_ROWS);
	CHECK(n > 0, "capacity_rows: %d", n);
	unsized = capacity_unsized(skel->obj, rows, n);
	CHECK(!unsized, "map %s grows but has no capacity row", unsized);
	for (i = 0; i < n; i++)
		CHECK(rows[i].map && rows[i].entries, "row %d: no map or no entries", i);
	/* without the ring buffer's row, the check names it */
	for (i = 0; i < n && rows[i].map != skel->maps.events; i++)
		;
	rows[i] = rows[--n];
	unsized = capacity_unsized(skel->obj, rows, n);
	CHECK(unsized && !strcmp(unsized, "events"), "a missing row is not found: %s", unsized ? unsized : "none");
	vfiotrace_bpf__destroy(skel);
}

/* No stack-trace map: its hash buckets refuse a stack whose bucket holds another (bpf/stacks.bpf.h) */
static void test_no_stack_trace_map(void)
{
	struct vfiotrace_bpf *skel = vfiotrace_bpf__open();
	const struct bpf_map *m;

	CHECK(skel, "skeleton");
	if (!skel)
		return;
	bpf_object__for_each_map(m, skel->obj)
		CHECK(bpf_map__type(m) != BPF_MAP_TYPE_STACK_TRACE, "map %s is a stack-trace map",
		      bpf_map__name(m));
	CHECK(bpf_map__key_size(skel->maps.stack_ids) == STACK_DEPTH * sizeof(__u64) &&
	      bpf_map__key_size(skel->maps.fail_stack_ids) == FAIL_STACK_DEPTH * sizeof(__u64),
	      "stacks by frames: the put callers' and the failing steps'");
	vfiotrace_bpf__destroy(skel);
}
