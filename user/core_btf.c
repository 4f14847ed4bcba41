// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/btf.h>
#include "core_btf.h"
#include "kernel_btf.h"
#include "nameset.h"

/* A relocation's root: libbpf looks up candidates by essential name and kind. */
struct root {
	char name[64];
	int kind;		/* btf_kind(), with ENUM64 as ENUM (btf_kind_core_compat) */
	bool in_vmlinux;	/* then libbpf does not look in modules */
};

struct roots {
	struct root r[NAMESET_MAX];
	const char *names[NAMESET_MAX];
	int n;
	struct nameset set;
};

/* .BTF.ext's header (libbpf's struct btf_ext_header, not installed) */
struct ext_header {
	__u16 magic;
	__u8 version, flags;
	__u32 hdr_len;
	__u32 func_info_off, func_info_len, line_info_off, line_info_len;
	__u32 core_relo_off, core_relo_len;
};

/* The types of one BTF kept so far: ids [first, end) are its own. */
struct src {
	const struct btf *btf;
	int first, end;
	int *map;		/* new id of type first + i; 0: not kept */
};

struct work {
	struct src *s;
	int id, nid;
};

struct cut {
	struct btf *out;
	struct src *vm;		/* ids below vm->end are vmlinux's, from any split BTF */
	struct work *work;
	int nwork, cap;
};

size_t core_essential_len(const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = (int)n - 5; i >= 0; i--)
		if (name[i] != '_' && !strncmp(name + i + 1, "___", 3) && name[i + 4] != '_')
			return i + 1;
	return n;
}

static int family(const struct btf_type *t)
{
	return btf_is_any_enum(t) ? BTF_KIND_ENUM : btf_kind(t);
}

static int add_root(struct roots *rs, const struct btf *local, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(local, id);
	const char *name;
	size_t len;
	int i;

	if (!t)
		return -1;
	name = btf__name_by_offset(local, t->name_off);
	len = name ? core_essential_len(name) : 0;
	/* libbpf refuses an anonymous root: loading fails the same way without us */
	if (!len || len >= sizeof(rs->r[0].name))
		return -1;
	for (i = 0; i < rs->n; i++)
		if (rs->r[i].kind == family(t) && strlen(rs->r[i].name) == len &&
		    !memcmp(rs->r[i].name, name, len))
			return 0;
	if (rs->n == NAMESET_MAX)
		return -1;
	memcpy(rs->r[rs->n].name, name, len);
	rs->r[rs->n].name[len] = 0;
	rs->r[rs->n].kind = family(t);
	rs->names[rs->n] = rs->r[rs->n].name;
	rs->n++;
	return 0;
}

/* The root of every CO-RE relocation in .BTF.ext. 0, or -1 on what this does not understand. */
static int ext_roots(struct roots *rs, const struct btf *local, const void *ext, size_t sz)
{
	struct ext_header h;
	struct bpf_core_relo r;
	const char *p, *end;
	__u32 rec, n;

	if (sz < sizeof(h))
		return -1;
	memcpy(&h, ext, sizeof(h));
	if (h.magic != BTF_MAGIC || h.hdr_len < sizeof(h) ||
	    (size_t)h.hdr_len + h.core_relo_off + h.core_relo_len > sz || h.core_relo_len < 4)
		return -1;
	p = (const char *)ext + h.hdr_len + h.core_relo_off;
	end = p + h.core_relo_len;
	memcpy(&rec, p, 4);
	if (rec < sizeof(r))
		return -1;
	/* sections: name offset, count, then count records of rec bytes */
	for (p += 4; end - p >= 8; ) {
		memcpy(&n, p + 4, 4);
		p += 8;
		if ((size_t)(end - p) / rec < n)
			return -1;
		for (; n; n--, p += rec) {
			memcpy(&r, p, sizeof(r));
			if (r.kind != BPF_CORE_TYPE_ID_LOCAL && add_root(rs, local, r.type_id))
				return -1;
		}
	}
	return 0;
}

/* The new id of type id, as seen from s (a split BTF sees vmlinux's below its own); <0 on error. */
static int keep(struct cut *c, struct src *s, int id)
{
	int nid;

	if (!id)
		return 0;
	if (id < c->vm->end)
		s = c->vm;
	if (id < s->first || id >= s->end)
		return -EINVAL;
	if (s->map[id - s->first])
		return s->map[id - s->first];
	nid = btf__add_type(c->out, s->btf, btf__type_by_id(s->btf, id));
	if (nid < 0)
		return nid;
	s->map[id - s->first] = nid;
	if (c->nwork == c->cap) {
		struct work *w = realloc(c->work, (c->cap * 2 + 64) * sizeof(*w));

		if (!w)
			return -ENOMEM;
		c->work = w;
		c->cap = c->cap * 2 + 64;
	}
	c->work[c->nwork++] = (struct work){ s, id, nid };
	return nid;
}

/* The copy of w's type refers to new ids; pointers to void. */
static int fix(struct cut *c, const struct work *w)
{
	const struct btf_type *t = btf__type_by_id(w->s->btf, w->id);
	int i, n = btf_vlen(t), r;
/* the copy, looked up again after every keep(): adding types moves them */
#define COPY ((struct btf_type *)btf__type_by_id(c->out, w->nid))
#define KEEP(id) do { if ((r = keep(c, w->s, (id))) < 0) return r; } while (0)

	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
		COPY->type = 0;
		return 0;
	case BTF_KIND_ARRAY:
		KEEP(btf_array(t)->type);
		btf_array(COPY)->type = r;
		KEEP(btf_array(t)->index_type);
		btf_array(COPY)->index_type = r;
		return 0;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (i = 0; i < n; i++) {
			KEEP(btf_members(t)[i].type);
			btf_members(COPY)[i].type = r;
		}
		return 0;
	case BTF_KIND_FUNC_PROTO:
		for (i = 0; i < n; i++) {
			KEEP(btf_params(t)[i].type);
			btf_params(COPY)[i].type = r;
		}
		KEEP(t->type);
		COPY->type = r;
		return 0;
	case BTF_KIND_DATASEC:
		for (i = 0; i < n; i++) {
			KEEP(btf_var_secinfos(t)[i].type);
			btf_var_secinfos(COPY)[i].type = r;
		}
		return 0;
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		KEEP(t->type);
		COPY->type = r;
		return 0;
	default:	/* INT, ENUM, ENUM64, FLOAT, FWD: refer to no type */
		return 0;
	}
#undef KEEP
#undef COPY
}

/* Keep every type of s that is a candidate of a root (in a module: of a root vmlinux lacks). */
static int scan(struct cut *c, struct roots *rs, struct src *s, bool vmlinux)
{
	int id, k, e;

	for (id = s->first; id < s->end; id++) {
		const struct btf_type *t = btf__type_by_id(s->btf, id);
		const char *name;
		size_t len;

		if (!t->name_off)
			continue;
		name = btf__name_by_offset(s->btf, t->name_off);
		len = core_essential_len(name);
		if (!nameset_has(&rs->set, name, len))
			continue;
		for (k = 0; k < rs->n; k++) {
			struct root *r = &rs->r[k];

			if (r->kind != family(t) || strlen(r->name) != len || memcmp(r->name, name, len) ||
			    (!vmlinux && r->in_vmlinux))
				continue;
			if (vmlinux)
				r->in_vmlinux = true;
			if ((e = keep(c, s, id)) < 0)
				return e;
		}
	}
	return 0;
}

static int src_init(struct src *s, const struct btf *btf, int first)
{
	s->btf = btf;
	s->first = first;
	s->end = btf__type_cnt(btf);
	s->map = calloc(s->end > first ? s->end - first : 1, sizeof(int));
	return s->map ? 0 : -ENOMEM;
}

struct btf *core_btf_cut(const struct btf *local, const void *ext, size_t ext_sz,
			 const struct btf *vmlinux, struct btf *const mods[], int nmods, int *nroots)
{
	struct roots rs = { .n = 0 };
	struct src vm = { 0 }, ms[MAX_MODULE_BTF] = { { 0 } };
	struct cut c = { .vm = &vm };
	int i, e = -EINVAL;

	if (nmods > MAX_MODULE_BTF || ext_roots(&rs, local, ext, ext_sz) || !rs.n ||
	    nameset_init(&rs.set, rs.names, rs.n))
		goto out;
	e = -ENOMEM;
	if (!(c.out = btf__new_empty()) || src_init(&vm, vmlinux, 1))
		goto out;
	e = scan(&c, &rs, &vm, true);
	for (i = 0; !e && i < nmods; i++)
		if (!(e = src_init(&ms[i], mods[i], vm.end)))
			e = scan(&c, &rs, &ms[i], false);
	while (!e && c.nwork) {
		struct work w = c.work[--c.nwork];

		e = fix(&c, &w);
	}
	*nroots = rs.n;
out:
	for (i = 0; i < nmods && i < MAX_MODULE_BTF; i++)
		free(ms[i].map);
	free(vm.map);
	free(c.work);
	if (e) {
		btf__free(c.out);
		errno = -e;
		return NULL;
	}
	return c.out;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= w;
	}
	return 0;
}

/* Cut from the object's .BTF and .BTF.ext, while libelf's view of obj is open (they point into it). */
static struct btf *cut_object(Elf *e, const struct btf *vmlinux, struct btf *const mods[], int nmods,
			      int *nroots)
{
	const void *ext = NULL;
	size_t ext_sz = 0, shstrndx;
	struct btf *local = NULL, *out = NULL;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(e, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(e, scn))) {
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(e, shstrndx, sh.sh_name)))
			goto out;
		if (strcmp(name, ".BTF") && strcmp(name, ".BTF.ext"))
			continue;
		if (!(d = elf_getdata(scn, NULL)) || !d->d_buf)
			goto out;
		if (!strcmp(name, ".BTF.ext")) {
			ext = d->d_buf;
			ext_sz = d->d_size;
		} else if (!local && !(local = btf__new(d->d_buf, d->d_size))) {
			goto out;
		}
	}
	if (local && ext)
		out = core_btf_cut(local, ext, ext_sz, vmlinux, mods, nmods, nroots);
out:
	btf__free(local);
	return out;
}

int core_btf_make(struct core_btf *cb, struct kernel_btf *kb, const void *obj, size_t obj_sz,
		  const char *const modules[], int nmods)
{
	struct btf *vmlinux = kernel_btf_get(kb, NULL), *mods[MAX_MODULE_BTF], *out = NULL;
	const void *raw;
	__u32 size;
	int i, n = 0, fd = -1;
	Elf *e;

	memset(cb, 0, sizeof(*cb));
	cb->fd = -1;
	if (!vmlinux || elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	for (i = 0; i < nmods && n < MAX_MODULE_BTF; i++)
		if ((mods[n] = kernel_btf_get(kb, modules[i])))
			n++;
	if (!(e = elf_memory((char *)obj, obj_sz)))
		return -1;
	out = cut_object(e, vmlinux, mods, n, &cb->roots);
	elf_end(e);
	if (!out || !(raw = btf__raw_data(out, &size)) ||
	    (fd = memfd_create("vfiotrace-core-btf", MFD_CLOEXEC)) < 0 || write_all(fd, raw, size)) {
		if (fd >= 0)
			close(fd);
		btf__free(out);
		return -1;
	}
	cb->fd = fd;
	cb->types = btf__type_cnt(out) - 1;
	snprintf(cb->path, sizeof(cb->path), "/proc/self/fd/%d", fd);
	btf__free(out);
	return 0;
}

void core_btf_close(struct core_btf *cb)
{
	if (cb->path[0])
		close(cb->fd);
	memset(cb, 0, sizeof(*cb));
	cb->fd = -1;
}
