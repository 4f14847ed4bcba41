// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kernel_btf.h"
#include "nameset.h"
#include "rawbtf.h"

int kernel_btf_open(struct kernel_btf *kb)
{
	memset(kb, 0, sizeof(*kb));
	kb->vmlinux = rawbtf_vmlinux();
	return kb->vmlinux ? 0 : -errno;
}

void kernel_btf_close(struct kernel_btf *kb)
{
	int i;

	for (i = 0; i < kb->nmods; i++)
		rawbtf_free(kb->mods[i].btf);
	rawbtf_free(kb->vmlinux);
	memset(kb, 0, sizeof(*kb));
}

void kernel_btf_release(struct kernel_btf *kb)
{
	kernel_btf_close(kb);
}

static struct rawbtf *vmlinux_btf(struct kernel_btf *kb)
{
	if (!kb->vmlinux)
		kb->vmlinux = rawbtf_vmlinux();
	return kb->vmlinux;
}

bool kernel_btf_alloc_on_use(struct kernel_btf *kb)
{
	struct rawbtf *v = vmlinux_btf(kb);

	return v && rawbtf_find(v, "bpf_mem_alloc", BTF_KIND_STRUCT) > 0;
}

struct rawbtf *kernel_btf_get(struct kernel_btf *kb, const char *module)
{
	int i;

	if (!module)
		return vmlinux_btf(kb);
	if (!vmlinux_btf(kb))
		return NULL;
	for (i = 0; i < kb->nmods; i++)
		if (!strcmp(kb->mods[i].name, module))
			return kb->mods[i].btf;
	if (kb->nmods == MAX_MODULE_BTF)
		return NULL;
	snprintf(kb->mods[kb->nmods].name, sizeof(kb->mods[0].name), "%s", module);
	kb->mods[kb->nmods].btf = rawbtf_module(module, kb->vmlinux);
	return kb->mods[kb->nmods++].btf;
}

void kernel_btf_forget(struct kernel_btf *kb, const char *module)
{
	int i;

	for (i = 0; i < kb->nmods; i++) {
		if (strcmp(kb->mods[i].name, module))
			continue;
		rawbtf_free(kb->mods[i].btf);
		kb->mods[i] = kb->mods[--kb->nmods];
		return;
	}
}

int kernel_btf_func_nargs(void *ctx, const char *module, const char *func)
{
	struct rawbtf *btf = kernel_btf_get(ctx, module);
	const struct btf_type *t;
	int id;

	if (!btf)
		return -1;
	id = rawbtf_find(btf, func, BTF_KIND_FUNC);
	if (id < 0)
		return -1;
	t = rawbtf_type(btf, rawbtf_type(btf, id)->type);
	return t ? btf_vlen(t) : -1;
}

static bool same_module(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/*
 * FUNCs among btf's own types (a module's: not vmlinux's): nargs of the entries
 * of module (all: of every entry) not found yet; names: the entries' names, or NULL.
 */
static void scan_funcs(const struct rawbtf *btf, struct btf_func *f, int n,
		       const struct nameset *names, const char *module, bool all)
{
	int id, k;

	for (id = btf->first; id < btf->end; id++) {
		const struct btf_type *t = rawbtf_type(btf, id);
		const char *name;

		if (!btf_is_func(t))
			continue;
		name = rawbtf_name(btf, t->name_off);
		if (names && !nameset_has(names, name, strlen(name)))
			continue;
		for (k = 0; k < n; k++) {
			const struct btf_type *proto;

			if (f[k].nargs >= 0 || (!all && !same_module(f[k].module, module)) ||
			    strcmp(name, f[k].name))
				continue;
			proto = rawbtf_type(btf, t->type);
			f[k].nargs = proto ? btf_vlen(proto) : -1;
			f[k].id = id;
		}
	}
}

void kernel_btf_funcs(struct kernel_btf *kb, struct btf_func *f, int n)
{
	struct rawbtf *v = vmlinux_btf(kb);
	const char *names[NAMESET_MAX];
	struct nameset set;
	bool names_ok;
	int k, j;

	for (k = 0; k < n; k++) {
		f[k].nargs = -1;
		f[k].id = 0;
		if (k < NAMESET_MAX)
			names[k] = f[k].name;
	}
	if (!v)
		return;
	/* more names than a set holds: every function is compared */
	names_ok = n <= NAMESET_MAX && !nameset_init(&set, names, n);
	/* vmlinux for every entry: a look-up in a module's split BTF finds vmlinux's first */
	scan_funcs(v, f, n, names_ok ? &set : NULL, NULL, true);
	for (k = 0; k < n; k++) {
		struct rawbtf *b;

		for (j = 0; j < k && !same_module(f[j].module, f[k].module); j++)
			;
		if (!f[k].module || j < k)	/* vmlinux, or a module done already */
			continue;
		b = kernel_btf_get(kb, f[k].module);
		if (b) {
			scan_funcs(b, f, n, names_ok ? &set : NULL, f[k].module, false);
			continue;
		}
		for (j = k; j < n; j++)	/* the module has no BTF: nothing is found in it */
			if (same_module(f[j].module, f[k].module)) {
				f[j].nargs = -1;
				f[j].id = 0;
			}
	}
}

const struct btf_func *btf_funcs_find(const struct btf_func *f, const char *module, const char *func)
{
	for (; f->name; f++)
		if (same_module(f->module, module) && !strcmp(f->name, func))
			return f;
	return NULL;
}

static const char *count_member(const char *name)
{
	return !strcmp(name, "refcount") ? "refcount" : !strcmp(name, "kref") ? "kref" : NULL;
}

static const char *count_field(const struct rawbtf *btf)
{
	const struct btf_type *t;
	const char *f = NULL;
	int id, i;

	if (!btf || (id = rawbtf_find(btf, "vfio_device", BTF_KIND_STRUCT)) < 0)
		return NULL;
	t = rawbtf_type(btf, id);
	for (i = 0; i < btf_vlen(t) && !f; i++)
		f = count_member(rawbtf_name(btf, btf_members(t)[i].name_off));
	return f;
}

/* the same in the --btf file, which libbpf reads (raw BTF or an ELF file) */
static const char *custom_count_field(const char *path)
{
	struct btf *btf = btf__parse(path, NULL);
	const struct btf_type *t;
	const char *f = NULL;
	int id, i;

	id = btf ? btf__find_by_name_kind(btf, "vfio_device", BTF_KIND_STRUCT) : -1;
	t = id < 0 ? NULL : btf__type_by_id(btf, id);
	for (i = 0; t && i < btf_vlen(t) && !f; i++)
		f = count_member(btf__name_by_offset(btf, btf_members(t)[i].name_off));
	btf__free(btf);
	return f;
}

const char *vfio_device_count_field(struct kernel_btf *kb, const char *custom)
{
	const char *f;

	if (custom)
		return custom_count_field(custom);
	f = count_field(kernel_btf_get(kb, "vfio"));
	return f ? f : count_field(vmlinux_btf(kb)); /* CONFIG_VFIO=y */
}

int kernel_btf_struct_id(struct kernel_btf *kb, const char *module, const char *name)
{
	struct rawbtf *btf = kernel_btf_get(kb, module);

	return btf ? rawbtf_find(btf, name, BTF_KIND_STRUCT) : -1;
}

bool kernel_btf_has_struct(struct kernel_btf *kb, const char *module, const char *name)
{
	return kernel_btf_struct_id(kb, module, name) >= 0;
}

int kernel_btf_check_file(const char *path, char *err, int errlen)
{
	struct btf *btf;

	if (access(path, R_OK)) {
		snprintf(err, errlen, "cannot read --btf %s: %s: give a readable BTF file such as "
			 "/sys/kernel/btf/vmlinux", path, strerror(errno));
		return -1;
	}
	/* as libbpf will read it for CO-RE: raw BTF, or an ELF file with a .BTF section */
	btf = btf__parse(path, NULL);
	if (!btf) {
		snprintf(err, errlen, "--btf %s is not BTF: give raw BTF such as /sys/kernel/btf/vmlinux "
			 "or an ELF file with a .BTF section", path);
		return -1;
	}
	btf__free(btf);
	return 0;
}
