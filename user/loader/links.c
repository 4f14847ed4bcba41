// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kversion.h"
#include "links.h"
#include "log.h"
#include "multi.h"
#include "parallel.h"
#include "retprobe.h"

int links_attach_row(struct probe_links *l, struct bpf_object *obj, int i, const struct resolved *r,
		     int retprobe_maxactive, char *errbuf, int errlen)
{
	const char *names[2];
	int k, pfd, slot;

	target_programs(&targets[i], r, names);
	for (k = 0; k < 2; k++) {
		struct bpf_program *p = names[k] ? bpf_object__find_program_by_name(obj, names[k]) : NULL;
		struct bpf_link *link;

		if (!p)
			continue;
		if (bpf_program__fd(p) < 0) {
			snprintf(errbuf, errlen, "cannot attach %s to %s: its program was not loaded "
				 "(the module appeared after start under --mode fentry)",
				 style_name(r->style), r->func);
			errno = ENOENT;
			goto fail;
		}
		/* names[1] is the return probe; one opened ahead that fails is made again */
		pfd = r->style == STYLE_KPROBE ? preopen_take(&l->pre, i, k, r->func, &slot) : -1;
		link = pfd >= 0 ? retprobe_event_attach(p, pfd, slot) : NULL;
		if (!link)
			link = r->style == STYLE_FENTRY ? bpf_program__attach(p) :
			    k == 1 ? retprobe_attach(p, r->func, retprobe_maxactive) :
			    bpf_program__attach_kprobe(p, false, r->func);
		if (!link) {
			snprintf(errbuf, errlen, "cannot attach %s to %s: %s%s", style_name(r->style),
				 r->func, strerror(errno),
				 r->style == STYLE_KPROBE ? " (kernel without CONFIG_KPROBES?)" : "");
			goto fail;
		}
		l->row[i][k] = link;
	}
	dbg("%s: %s (%s) via %s", targets[i].hook, r->func, r->module ? r->module : "vmlinux",
	    style_name(r->style));
	return 0;
fail:
	links_detach_row(l, i);
	return -1;
}

bool links_multi_any(const struct probe_links *l)
{
	int i;

	for (i = 0; i < MULTI_LINKS; i++)
		if (l->multi[i])
			return true;
	return false;
}

bool links_attached(const struct probe_links *l, int i, const struct resolved *r)
{
	if (r->style == STYLE_KPROBE_MULTI)
		return links_multi_any(l);
	return l->row[i][0] || l->row[i][1];
}

/* a row's link, or a kprobe.multi link's fd */
struct any_link {
	struct bpf_link *link;
	int fd;
};

static void destroy_link(void *links, int i)
{
	struct any_link *a = &((struct any_link *)links)[i];

	if (a->link)
		retprobe_link_destroy(a->link);
	else
		close(a->fd);
}

/*
 * Every link at once: closing a probe waits for RCU grace periods (a
 * kretprobe's and a tracing link's too), and waits that overlap share them.
 * One by one, 45 links took 2 s on 6.1 under TCG.
 */
void links_detach_all(struct probe_links *l)
{
	struct any_link links[NR_HOOKS * 2 + MULTI_LINKS];
	int i, n = 0;

	preopen_close(&l->pre);
	for (i = 0; i < NR_HOOKS * 2; i++) {
		if (!l->row[i / 2][i % 2])
			continue;
		links[n++] = (struct any_link){ .link = l->row[i / 2][i % 2] };
		l->row[i / 2][i % 2] = NULL;
	}
	for (i = 0; i < MULTI_LINKS; i++) {
		if (l->multi[i])
			links[n++] = (struct any_link){ .fd = l->multi[i] };
		l->multi[i] = 0;
	}
	parallel_for(n, n, destroy_link, links);
}

void links_detach_row(struct probe_links *l, int i)
{
	int k;

	for (k = 0; k < 2; k++) {
		if (!l->row[i][k])
			continue;
		retprobe_link_destroy(l->row[i][k]);
		l->row[i][k] = NULL;
	}
}

int links_count(const struct probe_links *l, const struct resolved res[NR_HOOKS])
{
	const char *names[2];
	int i, n = 0;

	for (i = 0; i < NR_HOOKS * 2; i++)
		n += l->row[i / 2][i % 2] != NULL;
	for (i = 0; i < NR_HOOKS; i++) {
		if (res[i].style != STYLE_KPROBE_MULTI || !links_attached(l, i, &res[i]))
			continue;
		target_programs(&targets[i], &res[i], names);
		n += (names[0] != NULL) + (names[1] != NULL);
	}
	return n;
}

long long links_missed(const struct probe_links *l, struct bpf_object *obj, bool report)
{
	long long ret = retprobe_missed(report), n = multi_missed(l->multi, report);
	struct bpf_program *p;

	if (!obj)
		return ret;
	bpf_object__for_each_program(p, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		/*
		 * Tracing programs count the runs their guard skipped from 5.12, kprobe programs
		 * from 6.7 ("bpf: Count missed stats in trace_call_bpf")
		 */
		if (running_kernel() < KV(6, 7) && bpf_program__type(p) != BPF_PROG_TYPE_TRACING)
			continue;
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		n += (long long)info.recursion_misses;
		if (report && info.recursion_misses)
			dbg("missed: program %s: %llu (its CPU's BPF recursion guard was held)", bpf_program__name(p),
			    (unsigned long long)info.recursion_misses);
	}
	return (ret > 0 ? ret : 0) + n;
}
