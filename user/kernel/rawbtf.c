// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "rawbtf.h"

size_t rawbtf_type_size(const struct btf_type *t)
{
	size_t n = btf_vlen(t);

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		return sizeof(*t) + sizeof(__u32);
	case BTF_KIND_ARRAY:
		return sizeof(*t) + sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return sizeof(*t) + n * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return sizeof(*t) + n * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return sizeof(*t) + n * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return sizeof(*t) + n * sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return sizeof(*t) + sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return sizeof(*t) + n * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG:
		return sizeof(*t) + sizeof(struct btf_decl_tag);
	case BTF_KIND_FWD:
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return sizeof(*t);
	default:	/* a kind newer than this build: libbpf 1.1 refuses it too */
		return 0;
	}
}

/* a section of h.hdr_len-relative [off, off + len) inside size bytes */
static int section_ok(const struct btf_header *h, size_t size, __u32 off, __u32 len)
{
	return off <= size - h->hdr_len && len <= size - h->hdr_len - off;
}

struct rawbtf *rawbtf_new(void *data, size_t size, const struct rawbtf *base)
{
	struct btf_header h;
	struct rawbtf *b = NULL;
	size_t off, n = 0;

	if (!data || size < sizeof(h))
		goto fail;
	memcpy(&h, data, sizeof(h));
	if (h.magic != BTF_MAGIC || h.version != BTF_VERSION || h.hdr_len < sizeof(h) ||
	    h.hdr_len > size || !section_ok(&h, size, h.type_off, h.type_len) ||
	    !section_ok(&h, size, h.str_off, h.str_len) || !h.str_len || (h.hdr_len + h.type_off) % 4 ||
	    ((char *)data)[h.hdr_len + h.str_off + h.str_len - 1])
		goto fail;
	if (!(b = calloc(1, sizeof(*b))))
		goto fail;
	b->data = data;
	b->types = (char *)data + h.hdr_len + h.type_off;
	b->strs = (char *)data + h.hdr_len + h.str_off;
	b->strs_len = h.str_len;
	b->base = base;
	b->first = base ? base->end : 1;
	b->str_first = base ? base->str_first + base->strs_len : 0;
	/* at most one type per 12 bytes; pages never written are never resident */
	if (!(b->offs = malloc((h.type_len / sizeof(struct btf_type) + 1) * sizeof(__u32))))
		goto fail;
	for (off = 0; off < h.type_len; n++) {
		const struct btf_type *t = (const void *)(b->types + off);
		size_t sz;

		if (h.type_len - off < sizeof(*t) || !(sz = rawbtf_type_size(t)) || sz > h.type_len - off)
			goto fail;
		b->offs[n] = off;
		off += sz;
	}
	b->end = b->first + n;
	return b;
fail:
	if (b) {
		free(b->offs);
		free(b);
	}
	free(data);
	errno = EINVAL;
	return NULL;
}

void rawbtf_free(struct rawbtf *b)
{
	if (!b)
		return;
	free(b->offs);
	free(b->data);
	free(b);
}

const struct btf_type *rawbtf_type(const struct rawbtf *b, int id)
{
	while (b && id < b->first)
		b = b->base;
	if (!b || id >= b->end)
		return NULL;
	return (const void *)(b->types + b->offs[id - b->first]);
}

const char *rawbtf_name(const struct rawbtf *b, __u32 off)
{
	while (b && off < b->str_first)
		b = b->base;
	if (!b || off - b->str_first >= b->strs_len)
		return "";
	return b->strs + (off - b->str_first);
}

int rawbtf_find(const struct rawbtf *b, const char *name, int kind)
{
	int id;

	if (b->base && (id = rawbtf_find(b->base, name, kind)) >= 0)
		return id;
	for (id = b->first; id < b->end; id++) {
		const struct btf_type *t = rawbtf_type(b, id);

		if (btf_kind(t) == kind && !strcmp(rawbtf_name(b, t->name_off), name))
			return id;
	}
	return -1;
}

/* The whole file: sysfs BTF files give their size, but a read may return less. */
static void *read_file(const char *path, size_t *size)
{
	struct stat st;
	size_t cap, n = 0;
	char *buf = NULL, *nb;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	cap = !fstat(fd, &st) && st.st_size > 0 ? (size_t)st.st_size : 1 << 20;
	if (!(buf = malloc(cap)))
		goto fail;
	while ((r = read(fd, buf + n, cap - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		n += r;
		if (n == cap) {
			if (!(nb = realloc(buf, cap * 2)))
				goto fail;
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	*size = n;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

/*
 * By BTF object id, in one bpf() call: a read of /sys/kernel/btf/vmlinux
 * returns a page per read() (half the time of the whole parse on Debian 6.1
 * in the guest). Needs CAP_SYS_ADMIN. vmlinux's is the first BTF object the
 * kernel creates.
 */
static struct rawbtf *vmlinux_by_id(void)
{
	struct bpf_btf_info info;
	char name[16];
	__u32 id = 0, len, size;
	void *data;
	int fd, tries;
	bool found;

	for (tries = 0; tries < 4 && !bpf_btf_get_next_id(id, &id); tries++) {
		if ((fd = bpf_btf_get_fd_by_id(id)) < 0)
			return NULL;
		memset(&info, 0, sizeof(info));
		info.name = (__u64)(unsigned long)name;
		info.name_len = sizeof(name);
		len = sizeof(info);
		found = !bpf_obj_get_info_by_fd(fd, &info, &len) && info.kernel_btf &&
			!strcmp(name, "vmlinux");
		size = info.btf_size;
		data = found ? malloc(size) : NULL;
		if (data) {
			memset(&info, 0, sizeof(info));
			info.btf = (__u64)(unsigned long)data;
			info.btf_size = size;
			len = sizeof(info);
			if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.btf_size != size) {
				free(data);
				data = NULL;
			}
		}
		close(fd);
		if (found)
			return rawbtf_new(data, size, NULL);
	}
	return NULL;
}

/* Where libbpf looks without sysfs BTF (/boot/vmlinux-RELEASE and debug files): rare, so a copy. */
static struct rawbtf *vmlinux_elsewhere(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const void *raw;
	void *copy = NULL;
	__u32 size = 0;

	if (btf && (raw = btf__raw_data(btf, &size)) && (copy = malloc(size)))
		memcpy(copy, raw, size);
	btf__free(btf);
	return copy ? rawbtf_new(copy, size, NULL) : NULL;
}

struct rawbtf *rawbtf_vmlinux(void)
{
	struct rawbtf *b = vmlinux_by_id();
	size_t size;
	void *data;

	if (b)
		return b;
	data = read_file("/sys/kernel/btf/vmlinux", &size);
	return data ? rawbtf_new(data, size, NULL) : vmlinux_elsewhere();
}

struct rawbtf *rawbtf_module(const char *module, const struct rawbtf *vmlinux)
{
	char path[128];
	size_t size;
	void *data;

	snprintf(path, sizeof(path), "/sys/kernel/btf/%s", module);
	data = read_file(path, &size);
	return data ? rawbtf_new(data, size, vmlinux) : NULL;
}
