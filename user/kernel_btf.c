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

/*
 * The kernel's own copy, by BTF object id, in one bpf() call: a read of
 * /sys/kernel/btf/vmlinux returns a page per read() (half the time of the
 * whole parse on Debian 6.1 in the guest). Needs CAP_SYS_ADMIN: else, or if
 * no loaded BTF is vmlinux's, NULL.
 */
static struct btf *vmlinux_btf_by_id(void)
{
	struct bpf_btf_info info;
	char name[16];
	__u32 id = 0, len;
	int fd, tries;
	bool found;

	/* vmlinux's is the first BTF object the kernel creates */
	for (tries = 0; tries < 4 && !bpf_btf_get_next_id(id, &id); tries++) {
		fd = bpf_btf_get_fd_by_id(id);
		if (fd < 0)
			return NULL;
		memset(&info, 0, sizeof(info));
		info.name = (__u64)(unsigned long)name;
		info.name_len = sizeof(name);
		len = sizeof(info);
		found = !bpf_obj_get_info_by_fd(fd, &info, &len) && info.kernel_btf &&
			!strcmp(name, "vmlinux");
		close(fd);
		if (found)
			return btf__load_from_kernel_by_id(id);
	}
	return NULL;
}

static struct btf *load_vmlinux_btf(void)
{
	struct btf *btf = vmlinux_btf_by_id();

	return btf ? btf : btf__load_vmlinux_btf();
}

int kernel_btf_open(struct kernel_btf *kb)
{
	memset(kb, 0, sizeof(*kb));
	kb->vmlinux = load_vmlinux_btf();
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
		kb->vmlinux = load_vmlinux_btf();
	return kb->vmlinux;
}

bool kernel_btf_alloc_on_use(struct kernel_btf *kb)
{
	struct btf *v = vmlinux_btf(kb);

	return v && btf__find_by_name_kind(v, "bpf_mem_alloc", BTF_KIND_STRUCT) > 0;
}

struct btf *kernel_btf_get(struct kernel_btf *kb, const char *module)
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
	struct btf *btf = kernel_btf_get(ctx, module);
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

static bool same_module(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/*
 * FUNCs among types [first, end) of btf: nargs of the entries of module (all:
 * of every entry) not found yet; names: the entries' names, or NULL.
 */
static void scan_funcs(const struct btf *btf, int first, struct btf_func *f, int n,
		       const struct nameset *names, const char *module, bool all)
{
	int id, end = btf__type_cnt(btf), k;

	for (id = first; id < end; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;

		if (!btf_is_func(t))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (names && !nameset_has(names, name, strlen(name)))
			continue;
		for (k = 0; k < n; k++) {
			const struct btf_type *proto;

			if (f[k].nargs >= 0 || (!all && !same_module(f[k].module, module)) ||
			    strcmp(name, f[k].name))
				continue;
			proto = btf__type_by_id(btf, t->type);
			f[k].nargs = proto ? btf_vlen(proto) : -1;
		}
	}
}

void kernel_btf_funcs(struct kernel_btf *kb, struct btf_func *f, int n)
{
	struct btf *v = vmlinux_btf(kb);
	const char *names[NAMESET_MAX];
	struct nameset set;
	bool names_ok;
	int k, j;

	for (k = 0; k < n; k++) {
		f[k].nargs = -1;
		if (k < NAMESET_MAX)
			names[k] = f[k].name;
	}
	if (!v)
		return;
	/* more names than a set holds: every function is compared */
	names_ok = n <= NAMESET_MAX && !nameset_init(&set, names, n);
	/* vmlinux for every entry: a look-up in a module's split BTF finds vmlinux's first */
	scan_funcs(v, 1, f, n, names_ok ? &set : NULL, NULL, true);
	for (k = 0; k < n; k++) {
		struct btf *b;

		for (j = 0; j < k && !same_module(f[j].module, f[k].module); j++)
			;
		if (!f[k].module || j < k)	/* vmlinux, or a module done already */
			continue;
		b = kernel_btf_get(kb, f[k].module);
		if (b) {
			scan_funcs(b, btf__type_cnt(v), f, n, names_ok ? &set : NULL, f[k].module, false);
			continue;
		}
		for (j = k; j < n; j++)	/* the module has no BTF: nothing is found in it */
			if (same_module(f[j].module, f[k].module))
				f[j].nargs = -1;
	}
}

bool btf_funcs_find(const struct btf_func *f, const char *module, const char *func, int *nargs)
{
	for (; f->name; f++) {
		if (same_module(f->module, module) && !strcmp(f->name, func)) {
			*nargs = f->nargs;
			return true;
		}
	}
	return false;
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
	f = count_field(kernel_btf_get(kb, "vfio"));
	return f ? f : count_field(vmlinux_btf(kb)); /* CONFIG_VFIO=y */
}

bool kernel_btf_has_struct(struct kernel_btf *kb, const char *module, const char *name)
{
	struct btf *btf = kernel_btf_get(kb, module);

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
