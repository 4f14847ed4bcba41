// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kernel_btf.h"

int kernel_btf_open(struct kernel_btf *kb)
{
	memset(kb, 0, sizeof(*kb));
	kb->vmlinux = btf__load_vmlinux_btf();
	return kb->vmlinux ? 0 : -errno;
}

void kernel_btf_close(struct kernel_btf *kb)
{
	int i;

	for (i = 0; i < kb->nmods; i++)
		btf__free(kb->mods[i].btf);
	btf__free(kb->vmlinux);
	memset(kb, 0, sizeof(*kb));
}

void kernel_btf_release(struct kernel_btf *kb)
{
	kernel_btf_close(kb);
}

static struct btf *vmlinux_btf(struct kernel_btf *kb)
{
	if (!kb->vmlinux)
		kb->vmlinux = btf__load_vmlinux_btf();
	return kb->vmlinux;
}

bool kernel_btf_alloc_on_use(struct kernel_btf *kb)
{
	struct btf *v = vmlinux_btf(kb);

	return v && btf__find_by_name_kind(v, "bpf_mem_alloc", BTF_KIND_STRUCT) > 0;
}

static struct btf *btf_for(struct kernel_btf *kb, const char *module)
{
	char path[128];
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
	snprintf(path, sizeof(path), "/sys/kernel/btf/%s", module);
	kb->mods[kb->nmods].btf = access(path, R_OK) ? NULL : btf__load_module_btf(module, kb->vmlinux);
	return kb->mods[kb->nmods++].btf;
}

void kernel_btf_forget(struct kernel_btf *kb, const char *module)
{
	int i;

	for (i = 0; i < kb->nmods; i++) {
		if (strcmp(kb->mods[i].name, module))
			continue;
		btf__free(kb->mods[i].btf);
		kb->mods[i] = kb->mods[--kb->nmods];
		return;
	}
}

int kernel_btf_func_nargs(void *ctx, const char *module, const char *func)
{
	struct btf *btf = btf_for(ctx, module);
	const struct btf_type *t;
	int id;

	if (!btf)
		return -1;
	id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	return t ? btf_vlen(t) : -1;
}

static const char *count_field(const struct btf *btf)
{
	const struct btf_type *t;
	const struct btf_member *m;
	int id, i;

	if (!btf)
		return NULL;
	id = btf__find_by_name_kind(btf, "vfio_device", BTF_KIND_STRUCT);
	if (id < 0)
		return NULL;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);

		if (!strcmp(name, "refcount"))
			return "refcount";
		if (!strcmp(name, "kref"))
			return "kref";
	}
	return NULL;
}

const char *vfio_device_count_field(struct kernel_btf *kb, const char *custom)
{
	const char *f;

	if (custom) {
		struct btf *btf = btf__parse(custom, NULL);

		f = count_field(btf);
		btf__free(btf);
		return f;
	}
	f = count_field(btf_for(kb, "vfio"));
	return f ? f : count_field(vmlinux_btf(kb)); /* CONFIG_VFIO=y */
}

bool kernel_btf_has_struct(struct kernel_btf *kb, const char *module, const char *name)
{
	struct btf *btf = btf_for(kb, module);

	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT) >= 0;
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
