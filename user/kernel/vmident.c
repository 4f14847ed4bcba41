// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE	/* memmem, memrchr */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmident.h"

static const char *const vmm_names[] = {
	[VMM_OTHER] = "other", [VMM_QEMU] = "qemu", [VMM_CLOUD_HYPERVISOR] = "cloud-hypervisor",
	[VMM_CROSVM] = "crosvm", [VMM_FIRECRACKER] = "firecracker",
};

const char *vmm_name(enum vmm_kind k)
{
	return vmm_names[k];
}

enum vmm_kind vmm_of_exe(const char *base)
{
	/* Proxmox starts QEMU as kvm, RHEL as qemu-kvm */
	if (!strncmp(base, "qemu-system-", 12) || !strcmp(base, "qemu-kvm") || !strcmp(base, "kvm"))
		return VMM_QEMU;
	if (!strcmp(base, "cloud-hypervisor"))
		return VMM_CLOUD_HYPERVISOR;
	if (!strcmp(base, "crosvm"))
		return VMM_CROSVM;
	if (!strcmp(base, "firecracker"))
		return VMM_FIRECRACKER;
	return VMM_OTHER;
}

/* Copies at most len - 1 bytes of s[0..n) to out, NUL-terminated. */
static void cut(char *out, size_t len, const char *s, size_t n)
{
	if (n >= len)
		n = len - 1;
	memcpy(out, s, n);
	out[n] = 0;
}

int vm_qemu_name(const char *val, char *out, size_t len)
{
	bool first = true;

	while (*val) {
		char opt[VM_NAME_LEN * 2];
		size_t n = 0;
		const char *eq;

		/* one option up to a single comma; ",," stands for a comma in it */
		for (; *val; val++) {
			if (*val == ',' && val[1] != ',')
				break;
			if (*val == ',')
				val++;
			if (n + 1 < sizeof(opt))
				opt[n++] = *val;
		}
		opt[n] = 0;
		if (*val)
			val++;
		eq = strchr(opt, '=');
		if (first && !eq) {
			cut(out, len, opt, n);
			return 0;
		}
		if (eq && eq - opt == 5 && !strncmp(opt, "guest", 5)) {
			cut(out, len, eq + 1, strlen(eq + 1));
			return 0;
		}
		first = false;
	}
	return -1;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

void vm_parse_cmdline(const char *buf, size_t len, struct vm_ident *id)
{
	const char *end = buf + len, *arg = buf, *prev = NULL;
	bool named = false;

	if (!len)
		return;
	for (; arg < end; prev = arg, arg += strnlen(arg, end - arg) + 1) {
		if (prev == NULL) {
			size_t n = strnlen(arg, end - arg);
			const char *slash = memrchr(arg, '/', n);
			char exe[64];

			cut(exe, sizeof(exe), slash ? slash + 1 : arg, n - (slash ? slash + 1 - arg : 0));
			if (id->vmm == VMM_OTHER)
				id->vmm = vmm_of_exe(exe);
			continue;
		}
		if (strnlen(arg, end - arg) == (size_t)(end - arg))
			break;	/* a last argument without its NUL: cut by the read */
		/* firecracker --id: the microVM's id, any string (default anonymous-instance) */
		if (id->vmm == VMM_FIRECRACKER && !strcmp(prev, "--id") && !named && arg[0]) {
			cut(id->name, sizeof(id->name), arg, strlen(arg));
			id->source = "firecracker-id";
			named = true;
		} else if ((!strcmp(prev, "-name") || !strcmp(prev, "--name")) &&
		    !vm_qemu_name(arg, id->name, sizeof(id->name))) {
			id->source = "qemu-name";
			named = true;
		} else if ((!strcmp(prev, "-id") || !strcmp(prev, "--id")) && !named && all_digits(arg)) {
			cut(id->name, sizeof(id->name), arg, strlen(arg));
			id->source = "proxmox-id";
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* systemd's unit name escaping undone: \xNN is the byte NN. */
static void unescape(const char *s, size_t n, char *out, size_t len)
{
	size_t o = 0, i;

	for (i = 0; i < n && o + 1 < len; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 &&
		    hexval(s[i + 3]) >= 0) {
			out[o++] = (char)(hexval(s[i + 2]) << 4 | hexval(s[i + 3]));
			i += 3;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = 0;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

static bool hex_run(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (hexval(s[i]) < 0)
			return false;
	return n > 0;
}

/* A pod UID (36 bytes, 8-4-4-4-12 hex, "-" or the systemd driver's "_") at s, with dashes. */
static bool pod_uid(const char *s, size_t n, char *out)
{
	size_t i;

	if (n < 36)
		return false;
	for (i = 0; i < 36; i++) {
		bool sep = i == 8 || i == 13 || i == 18 || i == 23;

		if (sep ? s[i] != '-' && s[i] != '_' : hexval(s[i]) < 0)
			return false;
		out[i] = sep ? '-' : s[i];
	}
	out[36] = 0;
	return true;
}

/* The container id of a runtime's scope (cri-containerd-ID.scope, docker-, crio-). */
static bool container_scope(const char *c, size_t n, char *out, size_t len)
{
	static const char *const prefix[] = { "cri-containerd-", "docker-", "crio-" };
	unsigned int k;

	if (!ends_with(c, n, ".scope"))
		return false;
	for (k = 0; k < sizeof(prefix) / sizeof(prefix[0]); k++) {
		size_t p = strlen(prefix[k]);

		if (n > p + 6 && !memcmp(c, prefix[k], p) && hex_run(c + p, n - p - 6)) {
			cut(out, len, c + p, n - p - 6);
			return true;
		}
	}
	return false;
}

/* One component c (n bytes) of the cgroup path; prev is the one before it. */
static void component(const char *c, size_t n, const char *prev, size_t pn, bool kube,
		      struct vm_ident *id)
{
	static const char libvirt[] = "machine-qemu\\x2d";
	const char *p;

	if (ends_with(c, n, ".scope") || ends_with(c, n, ".service"))
		cut(id->unit, sizeof(id->unit), c, n);
	if (!id->name[0] && n > sizeof(libvirt) + 6 && !memcmp(c, libvirt, sizeof(libvirt) - 1) &&
	    ends_with(c, n, ".scope")) {
		/* machine-qemu\x2dN\x2dNAME.scope: N is libvirt's domain id */
		for (p = c + sizeof(libvirt) - 1; p < c + n && isdigit((unsigned char)*p); p++)
			;
		if (p > c + sizeof(libvirt) - 1 && !strncmp(p, "\\x2d", 4) && p + 4 < c + n - 6) {
			unescape(p + 4, c + n - 6 - (p + 4), id->name, sizeof(id->name));
			id->source = "libvirt-scope";
		}
	}
	if (!id->name[0] && prev && pn == 10 && !memcmp(prev, "qemu.slice", 10) && ends_with(c, n, ".scope")) {
		char vmid[24];

		cut(vmid, sizeof(vmid), c, n - 6);
		if (n - 6 < sizeof(vmid) && all_digits(vmid)) {
			strcpy(id->name, vmid);
			id->source = "proxmox-scope";
		}
	}
	if (!kube)
		return;
	for (p = c; (p = memmem(p, c + n - p, "pod", 3)); p += 3)
		if (pod_uid(p + 3, c + n - p - 3, id->pod))
			break;
	if (!container_scope(c, n, id->container, sizeof(id->container)) && n == 64 && hex_run(c, n) &&
	    id->pod[0])
		cut(id->container, sizeof(id->container), c, n);	/* cgroupfs driver: pod<UID>/<ID> */
}

/* The line of the unified hierarchy (0::), else systemd's, else the first one. */
static const char *cgroup_path(const char *text, size_t *n)
{
	const char *line, *pick = NULL, *eol;
	int rank = 0;

	for (line = text; *line; line = *eol ? eol + 1 : eol) {
		const char *path;
		int r;

		eol = line + strcspn(line, "\n");
		path = memchr(line, ':', eol - line);
		path = path ? memchr(path + 1, ':', eol - path - 1) : NULL;
		if (!path)
			continue;
		path++;
		r = !strncmp(line, "0::", 3) ? (eol - path > 1 ? 3 : 0) :
		    memmem(line, path - line, "name=systemd", 12) ? 2 : 1;
		if (r > rank) {
			rank = r;
			pick = path;
			*n = eol - path;
		}
	}
	return pick;
}

void vm_parse_cgroup(const char *text, struct vm_ident *id)
{
	const char *path, *c, *prev = NULL;
	size_t n = 0, pn = 0;
	bool kube;

	path = cgroup_path(text, &n);
	if (!path)
		return;
	kube = memmem(path, n, "kubepods", 8) != NULL;
	for (c = path; c < path + n;) {
		const char *slash = memchr(c, '/', path + n - c);
		size_t cn = (slash ? slash : path + n) - c;

		if (cn) {
			component(c, cn, prev, pn, kube, id);
			prev = c;
			pn = cn;
		}
		c += cn + 1;
	}
}

unsigned long long vm_stat_starttime(const char *text)
{
	const char *p = strrchr(text, ')');
	int field;

	if (!p)
		return 0;
	/* field 3 follows the comm's ")"; starttime is field 22 */
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}
