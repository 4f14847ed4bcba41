// SPDX-License-Identifier: GPL-2.0
/*
 * The table built from the kernel's answers to lookups by name (ksym_lookup.h)
 * resolves as a read of the same kallsyms (included by test_main.c). The
 * kernel's kallsyms_lookup_name is played from the read: "name" finds vmlinux's
 * first, then a module's; "module:name" only that module's.
 */
#include "ksym_lookup.h"

static unsigned long long play_lookup(const struct kallsyms *ks, const char *what)
{
	const char *colon = strchr(what, ':');
	const char *name = colon ? colon + 1 : what;
	unsigned long long mod_hit = 0;
	int i;

	for (i = 0; i < ks->n; i++) {
		const struct ksym *s = &ks->syms[i];

		if (strcmp(s->name, name))
			continue;
		if (colon ? s->module && !strncmp(s->module, what, colon - what) && !s->module[colon - what] :
		    !s->module)
			return s->addr;
		if (!colon && !mod_hit)
			mod_hit = s->addr;
	}
	return mod_hit;
}

/* kallsyms text -> (the read's resolution == the lookups'), or -1 if the build refused */
static int lookup_resolves_alike(const char *text)
{
	const char *names[NR_HOOKS * 4], *mods[NR_HOOKS * 4];
	int n = target_functions(names, mods, NR_HOOKS * 4), i, same;
	static struct ksym_lookups lk;
	struct resolved a[NR_HOOKS], b[NR_HOOKS];
	struct kallsyms read, built;
	struct kernel_view kv = { .func_nargs = no_btf };
	char err[256];
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	if (!f || kallsyms_read(&read, f))
		return 0;
	fclose(f);
	memset(&lk, 0, sizeof(lk));
	for (i = 0; i < read.nmodules; i++)
		snprintf(lk.loaded[lk.nloaded++], sizeof(lk.loaded[0]), "%s", read.modules[i]);
	if (ksym_lookups_plan(&lk, names, mods, n))
		return 0;
	for (i = 0; i < lk.n; i++)
		lk.addr[i] = play_lookup(&read, lk.what[i]);
	if (ksym_table_build(&built, &lk, names, mods, n)) {
		kallsyms_free(&read);
		return -1;
	}
	kv.ks = &read;
	resolve_targets(&kv, MODE_KPROBE, a, err, sizeof(err));
	kv.ks = &built;
	resolve_targets(&kv, MODE_KPROBE, b, err, sizeof(err));
	same = same_rows(a, b) && built.nmodules == read.nmodules;
	kallsyms_free(&read);
	kallsyms_free(&built);
	return same;
}

static void test_ksym_lookup(void)
{
	/* 6.12-like: vfio's functions in their modules, a module not in the table, vfio_pci absent */
	static const char *const ok =
		"ffffffff81000000 T _stext\n"
		"ffffffff81750000 T iommu_domain_alloc\n"
		"ffffffff81750400 T iommu_paging_domain_alloc\n"
		"ffffffff81760000 T register_fprobe_ips\n"
		"ffffffff82000000 T _etext\n"
		"ffffffffc0545000 t vfio_iommu_type1_attach_group\t[vfio_iommu_type1]\n"
		"ffffffffc0546000 t vfio_iommu_type1_ioctl\t[vfio_iommu_type1]\n"
		"ffffffffc0600000 t vfio_device_put_registration\t[vfio]\n"
		"ffffffffc0600100 t vfio_unregister_group_dev\t[vfio]\n"
		"ffffffffc0600200 t vfio_group_fops_unl_ioctl\t[vfio]\n"
		"ffffffffc0700000 t e1000_probe\t[e1000e]\n";
	/* a vmlinux row's function in a module: a read names the module, the lookup cannot */
	static const char *const in_module =
		"ffffffff81000000 T _stext\n"
		"ffffffff82000000 T _etext\n"
		"ffffffffc0400000 t iommu_domain_alloc\t[iommu_mod]\n"
		"ffffffffc0545000 t vfio_iommu_type1_attach_group\t[vfio_iommu_type1]\n";
	/* vfio not loaded: its rows wait, as after a read */
	static const char *const no_vfio =
		"ffffffff81000000 T _stext\n"
		"ffffffff81750000 T iommu_domain_alloc\n"
		"ffffffff82000000 T _etext\n";

	CHECK(lookup_resolves_alike(ok) == 1, "ksym lookup: resolves as the read, every module noted");
	CHECK(lookup_resolves_alike(no_vfio) == 1, "ksym lookup: rows of a module not loaded wait alike");
	CHECK(lookup_resolves_alike(in_module) == -1, "ksym lookup: a vmlinux row found in a module: read instead");
}
