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
#include "rawbtf.h"

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

/* The types of one BTF kept so far. */
struct src {
	const struct rawbtf *btf;
	int *map;		/* new id of its type first + i; 0: not kept */
};

struct work {
	struct src *s;
	int id, nid;
};

/* The BTF being written: types and strings, as raw BTF lays them out. */
struct out {
	char *types, *strs;
	size_t len, cap, slen, scap;
	__u32 *offs;		/* type id at types + offs[id - 1] */
	size_t ncap;
	int n;
};

struct cut {
	struct out o;
	struct src *vm;		/* ids below its end are vmlinux's, from any split BTF */
	struct work *work;
	size_t nwork, cap;
};

static int grow(void *pp, size_t *cap, size_t need, size_t unit)
{
	void *p;
	size_t c = *cap;

	if (need <= c)
		return 0;
	while (c < need)
		c = c * 2 + 64;
	if (!(p = realloc(*(void **)pp, c * unit)))
		return -ENOMEM;
	*(void **)pp = p;
	*cap = c;
	return 0;
}

/* Offset of a copy of s among the strings ("" is at 0); -ENOMEM. */
static long out_str(struct out *o, const char *s)
{
	size_t n = strlen(s) + 1;
	long off = o->slen;

	if (n == 1)
		return 0;
	if (grow(&o->strs, &o->scap, o->slen + n, 1))
		return -ENOMEM;
	memcpy(o->strs + o->slen, s, n);
	o->slen += n;
	return off;
}

static struct btf_type *out_type(struct out *o, int id)
{
	return (struct btf_type *)(o->types + o->offs[id - 1]);
}

/* A copy of t with its names (its own, its members', values' and parameters'): the new id, or <0. */
static int out_add(struct out *o, const struct rawbtf *src, const struct btf_type *t)
{
	size_t sz = rawbtf_type_size(t);
	struct btf_type *c;
	int i, vlen = btf_vlen(t);
	long off;
#define NAME(field) do {							\
		if ((off = out_str(o, rawbtf_name(src, (field)))) < 0)		\
			return -ENOMEM;						\
		(field) = off;							\
	} while (0)

	if (grow(&o->types, &o->cap, o->len + sz, 1) || grow(&o->offs, &o->ncap, o->n + 1, sizeof(__u32)))
		return -ENOMEM;
	c = (struct btf_type *)(o->types + o->len);	/* out_str() moves only the strings */
	memcpy(c, t, sz);
	NAME(c->name_off);
	for (i = 0; i < vlen; i++) {
		if (btf_is_composite(c))
			NAME(btf_members(c)[i].name_off);
		else if (btf_is_enum(c))
			NAME(btf_enum(c)[i].name_off);
		else if (btf_is_enum64(c))
			NAME(btf_enum64(c)[i].name_off);
		else if (btf_is_func_proto(c))
			NAME(btf_params(c)[i].name_off);
	}
#undef NAME
	o->offs[o->n++] = o->len;
	o->len += sz;
	return o->n;
}

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

static int add_root(struct roots *rs, const struct rawbtf *local, __u32 id)
{
	const struct btf_type *t = rawbtf_type(local, id);
	const char *name;
	size_t len;
	int i;

	if (!t)
		return -1;
	name = rawbtf_name(local, t->name_off);
	len = core_essential_len(name);
	/* an anonymous root (ours have none) is left to libbpf's own search */
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
static int ext_roots(struct roots *rs, const struct rawbtf *local, const void *ext, size_t sz)
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
	const struct btf_type *t;
	int nid;

	if (!id)
		return 0;
	if (id < c->vm->btf->end)
		s = c->vm;
	if (!(t = rawbtf_type(s->btf, id)) || id < s->btf->first)
		return -EINVAL;
	if (s->map[id - s->btf->first])
		return s->map[id - s->btf->first];
	if ((nid = out_add(&c->o, s->btf, t)) < 0)
		return nid;
	s->map[id - s->btf->first] = nid;
	if (grow(&c->work, &c->cap, c->nwork + 1, sizeof(*c->work)))
		return -ENOMEM;
	c->work[c->nwork++] = (struct work){ s, id, nid };
	return nid;
}

/* The copy of w's type refers to new ids; pointers to void. */
static int fix(struct cut *c, const struct work *w)
{
	const struct btf_type *t = rawbtf_type(w->s->btf, w->id);
	int i, n = btf_vlen(t), r;
/* the copy, looked up again after every keep(): adding types moves them */
#define COPY out_type(&c->o, w->nid)
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

	for (id = s->btf->first; id < s->btf->end; id++) {
		const struct btf_type *t = rawbtf_type(s->btf, id);
		const char *name;
		size_t len;

		if (!t->name_off)
			continue;
		name = rawbtf_name(s->btf, t->name_off);
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

static int src_init(struct src *s, const struct rawbtf *btf)
{
	s->btf = btf;
	s->map = calloc(btf->end - btf->first + 1, sizeof(int));
	return s->map ? 0 : -ENOMEM;
}

void *core_btf_cut(const struct rawbtf *local, const void *ext, size_t ext_sz,
		   const struct rawbtf *vmlinux, const struct rawbtf *const mods[], int nmods,
		   size_t *size, int *nroots)
{
	struct roots rs = { .n = 0 };
	struct src vm = { 0 }, ms[MAX_MODULE_BTF] = { { 0 } };
	struct cut c = { .vm = &vm };
	struct btf_header h = { .magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h) };
	char *raw = NULL;
	int i, e = -EINVAL;

	if (nmods > MAX_MODULE_BTF || ext_roots(&rs, local, ext, ext_sz) || !rs.n ||
	    nameset_init(&rs.set, rs.names, rs.n))
		goto out;
	e = src_init(&vm, vmlinux) || grow(&c.o.strs, &c.o.scap, 1, 1) ? -ENOMEM : 0;
	if (!e) {
		c.o.strs[c.o.slen++] = 0;	/* "" at offset 0 */
		e = scan(&c, &rs, &vm, true);
	}
	for (i = 0; !e && i < nmods; i++)
		if (!(e = src_init(&ms[i], mods[i])))
			e = scan(&c, &rs, &ms[i], false);
	while (!e && c.nwork) {
		struct work w = c.work[--c.nwork];

		e = fix(&c, &w);
	}
	h.type_len = c.o.len;
	h.str_off = c.o.len;
	h.str_len = c.o.slen;
	if (!e && !(raw = malloc(sizeof(h) + c.o.len + c.o.slen)))
		e = -ENOMEM;
	if (!e) {
		memcpy(raw, &h, sizeof(h));
		memcpy(raw + sizeof(h), c.o.types, c.o.len);
		memcpy(raw + sizeof(h) + c.o.len, c.o.strs, c.o.slen);
		*size = sizeof(h) + c.o.len + c.o.slen;
		*nroots = rs.n;
	}
out:
	for (i = 0; i < MAX_MODULE_BTF; i++)
		free(ms[i].map);
	free(vm.map);
	free(c.work);
	free(c.o.types);
	free(c.o.strs);
	free(c.o.offs);
	errno = -e;
	return raw;
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
static void *cut_object(Elf *e, const struct rawbtf *vmlinux, const struct rawbtf *const mods[],
			int nmods, size_t *size, int *nroots)
{
	const void *ext = NULL;
	size_t ext_sz = 0, shstrndx;
	struct rawbtf *local = NULL;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	void *out = NULL, *copy;

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
		} else if (!local && (copy = malloc(d->d_size))) {
			memcpy(copy, d->d_buf, d->d_size);
			local = rawbtf_new(copy, d->d_size, NULL);
		}
	}
	if (local && ext)
		out = core_btf_cut(local, ext, ext_sz, vmlinux, mods, nmods, size, nroots);
out:
	rawbtf_free(local);
	return out;
}

int core_btf_make(struct core_btf *cb, struct kernel_btf *kb, const void *obj, size_t obj_sz,
		  const char *const modules[], int nmods)
{
	const struct rawbtf *vmlinux = kernel_btf_get(kb, NULL), *mods[MAX_MODULE_BTF];
	size_t size = 0;
	void *raw = NULL;
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
	raw = cut_object(e, vmlinux, mods, n, &size, &cb->roots);
	elf_end(e);
	if (!raw || (fd = memfd_create("vfiotrace-core-btf", MFD_CLOEXEC)) < 0 || write_all(fd, raw, size)) {
		if (fd >= 0)
			close(fd);
		free(raw);
		return -1;
	}
	cb->fd = fd;
	cb->size = size;
	snprintf(cb->path, sizeof(cb->path), "/proc/self/fd/%d", fd);
	free(raw);
	return 0;
}

void core_btf_close(struct core_btf *cb)
{
	if (cb->path[0])
		close(cb->fd);
	memset(cb, 0, sizeof(*cb));
	cb->fd = -1;
}
