// SPDX-License-Identifier: GPL-2.0
/*
 * What bpf/ksym_iter.bpf.c passes on (the text symbols whose first KSYM_PREFIX
 * bytes of name are one of the table's, cleared past the NUL by
 * ksym_prefix_clear() in a name buffer that still holds the end of a longer
 * name, as the kernel's does), read as user/kernel/ksym_iter.c reads it with
 * the modules noted, resolves as a read of all of kallsyms (included by
 * test_main.c).
 */
#include "ksym_query.h"

/* The program's test of one symbol, its name copied into the kernel's reused buffer. */
static int iter_passes(char kbuf[KSYM_LEN], const struct ksym_prefix *want, int nwant, const char *name)
{
	struct ksym_prefix k;
	int i;

	memcpy(kbuf, name, strlen(name) + 1);
	memcpy(&k, kbuf, sizeof(k));
	ksym_prefix_clear(&k);
	for (i = 0; i < nwant; i++)
		if (!memcmp(&k, &want[i], sizeof(k)))
			return 1;
	return 0;
}

/* text through the program's filter: the lines it would pass on, malloc'd */
static char *iter_filter(const char *text, const char *const names[], int n)
{
	static struct ksym_prefix want[NR_HOOKS * 4 + 1];
	char kbuf[KSYM_LEN], line[256], name[KSYM_LEN], type, *out = NULL;
	const char *p = text, *nl;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int i;

	memset(kbuf, 'x', sizeof(kbuf));
	memset(want, 0, sizeof(want));
	for (i = 0; i <= n; i++)
		strncpy((char *)want[i].w, i < n ? names[i] : "_etext", sizeof(want[i].w));
	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		if (sscanf(line, "%*x %c %95s", &type, name) == 2 && (type | 0x20) == 't' &&
		    iter_passes(kbuf, want, n + 1, name))
			fprintf(f, "%s\n", line);
	}
	fclose(f);
	return out;
}

static void test_ksym_iter(void)
{
	/*
	 * A long name before a short one leaves its end in the buffer; names that share the
	 * table's first 16 bytes pass and are dropped by the parser; a data symbol of a
	 * table's name and a module of none of the table's functions are not passed on.
	 */
	static const char *const text =
		"ffffffff81000000 T _stext\n"
		"ffffffff81200000 T pcie_flr_something_longer_than_sixteen\n"
		"ffffffff81200100 T pcie_flr\n"
		"ffffffff81200200 t pci_pm_reset\n"
		"ffffffff81300000 d pci_af_flr\n"
		"ffffffff81750000 T iommu_domain_alloc\n"
		"ffffffff81750100 T iommu_domain_all\n"
		"ffffffff81750200 T iommu_domain_free\n"
		"ffffffff82000000 T _etext\n"
		"ffffffffc0545000 t vfio_iommu_type1_attach_group\t[vfio_iommu_type1]\n"
		"ffffffffc0545800 t vfio_iommu_type1_release\t[vfio_iommu_type1]\n"
		"ffffffffc0600000 T vfio_device_put_registration\t[vfio]\n"
		"ffffffffc0600200 t vfio_group_fops_unl_ioctl\t[vfio]\n"
		"ffffffffc0700000 t e1000_probe\t[e1000e]\n";
	const char *names[NR_HOOKS * 4], *mods[NR_HOOKS * 4];
	int n = target_functions(names, mods, NR_HOOKS * 4), i;
	struct resolved a[NR_HOOKS], b[NR_HOOKS];
	struct kallsyms all, want, part;
	struct kernel_view kv = { .func_nargs = no_btf };
	char err[256], *lines = iter_filter(text, names, n);
	FILE *f = fmemopen((void *)text, strlen(text), "r"), *g = fmemopen(lines, strlen(lines), "r");

	CHECK(f && g && !kallsyms_read(&all, f) && !kallsyms_read_only(&part, g, names, n),
	      "ksym iter: the read and the iterator's lines parse");
	fclose(f);
	fclose(g);
	f = fmemopen((void *)text, strlen(text), "r");
	CHECK(!kallsyms_read_only(&want, f, names, n), "ksym iter: the read of the table's names parses");
	fclose(f);
	CHECK(!strstr(lines, "e1000_probe") && !strstr(lines, "pci_af_flr") && strstr(lines, "_etext") &&
	      strstr(lines, "iommu_domain_all\n"), "ksym iter: the program passes on what it should");
	for (i = 0; i < all.nmodules; i++)
		kallsyms_add_module(&part, all.modules[i]);
	CHECK(part.n == want.n && part.nmodules == all.nmodules && part.text_end == all.text_end,
	      "ksym iter: every symbol of the table's names, every module, the text's end");
	for (i = 0; i < part.n && i < want.n; i++)
		CHECK(part.syms[i].addr == want.syms[i].addr && !strcmp(part.syms[i].name, want.syms[i].name),
		      "ksym iter: each symbol as the read has it");
	kv.ks = &all;
	resolve_targets(&kv, MODE_KPROBE, a, err, sizeof(err));
	kv.ks = &part;
	resolve_targets(&kv, MODE_KPROBE, b, err, sizeof(err));
	CHECK(same_rows(a, b), "ksym iter: resolves as a read of all of kallsyms");
	kallsyms_free(&all);
	kallsyms_free(&want);
	kallsyms_free(&part);
	free(lines);
}
