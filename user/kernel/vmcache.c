// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "clock.h"
#include "vmcache.h"


struct entry {
	struct vm_ident id;
	unsigned long long checked_ns, used;	/* last starttime check; last use (LRU) */
};

static struct entry *tab;
static int ntab;
static unsigned long long uses;
static struct vmcache_counts counts;
static const char *proc = "/proc";
/* A named process is looked at again (its starttime) at most this often: one read a second. */
static unsigned long long recheck_ns = 1000000000ULL;
static struct vm_ident fallback;	/* when the table cannot be allocated */

/* The file's first size - 1 bytes, NUL-terminated; their count, -1 if unreadable. */
static ssize_t read_file(unsigned int pid, const char *name, char *buf, size_t size)
{
	char path[96];
	ssize_t n, got = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/%s", proc, pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((size_t)got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = 0;
	return n < 0 && !got ? -1 : got;
}

static unsigned long long starttime(unsigned int pid)
{
	char buf[1024];

	return read_file(pid, "stat", buf, sizeof(buf)) > 0 ? vm_stat_starttime(buf) : 0;
}

/* Whether pid is a zombie or dead (state Z or X in /proc/PID/stat). */
static bool exiting(unsigned int pid)
{
	char buf[1024];
	const char *p;

	if (read_file(pid, "stat", buf, sizeof(buf)) <= 0)
		return true;
	p = strrchr(buf, ')');
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

static void gone(struct vm_ident *id, const char *comm)
{
	id->gone = true;
	snprintf(id->comm, sizeof(id->comm), "%s", comm);
	counts.gone++;
}

static void read_ident(struct vm_ident *id, unsigned int pid, const char *comm, unsigned long long st)
{
	static char buf[32768];	/* a QEMU command line runs to kilobytes */
	ssize_t n;

	memset(id, 0, sizeof(*id));
	id->pid = pid;
	id->starttime = st;
	n = st ? read_file(pid, "cmdline", buf, sizeof(buf)) : -1;
	/* an exiting process (its memory gone) reads as an empty command line: gone as well */
	if (n < 0 || (n == 0 && exiting(pid))) {
		gone(id, comm);
		return;
	}
	vm_parse_cmdline(buf, (size_t)n, id);
	if (read_file(pid, "comm", id->comm, sizeof(id->comm)) > 0)
		id->comm[strcspn(id->comm, "\n")] = 0;
	else
		snprintf(id->comm, sizeof(id->comm), "%s", comm);
	if (n == 0 && id->vmm == VMM_OTHER)
		id->vmm = vmm_of_exe(id->comm);	/* argv emptied (or a kernel thread) */
	if (read_file(pid, "cgroup", buf, sizeof(buf)) > 0)
		vm_parse_cgroup(buf, id);
}

/* The entry to (re)fill: a free one, else the least recently used (counted). */
static struct entry *slot(void)
{
	struct entry *lru;
	int i;

	if (ntab < VMCACHE_MAX)
		return &tab[ntab++];
	for (lru = tab, i = 1; i < ntab; i++)
		if (tab[i].used < lru->used)
			lru = &tab[i];
	counts.evicted++;
	return lru;
}

const struct vm_ident *vmcache_get(unsigned int pid, const char *comm)
{
	unsigned long long now = mono_ns(), st;
	struct entry *e = NULL;
	int i;

	if (!pid)
		return NULL;
	if (!tab && !(tab = calloc(VMCACHE_MAX, sizeof(*tab)))) {
		read_ident(&fallback, pid, comm, starttime(pid));
		return &fallback;
	}
	for (i = 0; i < ntab && !e; i++)
		if (tab[i].id.pid == pid)
			e = &tab[i];
	if (e && now - e->checked_ns < recheck_ns)
		goto out;
	st = starttime(pid);
	/* gone since it was read: keep what was read; a new process under the pid: read it */
	if (e && (!st || st == e->id.starttime)) {
		e->checked_ns = now;
		goto out;
	}
	if (!e)
		e = slot();
	read_ident(&e->id, pid, comm, st);
	e->checked_ns = now;
out:
	e->used = ++uses;
	return &e->id;
}

struct vmcache_counts vmcache_counts(void)
{
	return counts;
}

void vmcache_reset(const char *root, unsigned long long recheck)
{
	proc = root;
	recheck_ns = recheck;
	ntab = 0;
	memset(&counts, 0, sizeof(counts));
}
