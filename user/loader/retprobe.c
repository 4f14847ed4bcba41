// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "retprobe.h"

#define GROUP "vfiotrace"
#define MAX_EVENTS 256		/* more than the table's rows times two */

static struct {
	struct bpf_link *link;
	bool used;
	char name[48];
} events[MAX_EVENTS];
static int seq;
/* links are destroyed from several threads at once (links_detach_all); events are opened from two */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static const char *tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	static const char *found;
	char path[64];
	unsigned int i;

	for (i = 0; !found && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/kprobe_events", dirs[i]);
		if (!access(path, W_OK))
			found = dirs[i];
	}
	return found;
}

int retprobe_maxactive(void)
{
	const char *env = getenv("VFIOTRACE_RETPROBE_MAXACTIVE");
	struct utsname u;
	long cpus;

	if (env)
		return atoi(env) > 0 && tracefs() ? atoi(env) : 0;
	/* CONFIG_PREEMPT, PREEMPT_RT and PREEMPT_DYNAMIC kernels say so in their version */
	if (uname(&u) || strstr(u.version, "PREEMPT") || !tracefs())
		return 0;
	cpus = sysconf(_SC_NPROCESSORS_CONF);
	return cpus > 16 ? (cpus > 1024 ? 4096 : (int)cpus * 4) : 64;
}

/* One line to kprobe_events: 0, or -errno. */
static int kprobe_events(const char *line)
{
	char path[64];
	int fd, e = 0;

	snprintf(path, sizeof(path), "%s/kprobe_events", tracefs());
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, line, strlen(line)) < 0)
		e = -errno;
	close(fd);
	return e;
}

/* The events of vfiotrace processes that are gone (killed before removing theirs). */
static void remove_stale(void)
{
	static bool done;
	char path[64], line[512], del[128];
	FILE *f;
	int pid;

	if (done)
		return;
	done = true;
	snprintf(path, sizeof(path), "%s/kprobe_events", tracefs());
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *ev = strstr(line, ":" GROUP "/" GROUP "_");
		char name[48];

		if (!ev || sscanf(ev + 1, GROUP "/%47[a-z0-9_]", name) != 1 ||
		    sscanf(name, GROUP "_%d_", &pid) != 1 || !(kill(pid, 0) && errno == ESRCH))
			continue;
		snprintf(del, sizeof(del), "-:" GROUP "/%s\n", name);
		kprobe_events(del);
	}
	fclose(f);
}

/* The tracefs event's id, or -1. */
static long long event_id(const char *name)
{
	char path[160], buf[32];
	long long id = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/" GROUP "/%s/id", tracefs(), name);
	f = fopen(path, "re");
	if (f) {
		if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%lld", &id) != 1)
			id = -1;
		fclose(f);
	}
	return id;
}

/* A free slot, taken: its index, or -1. Events are opened from the pre-open thread too. */
static int take_slot(void)
{
	int i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < MAX_EVENTS && events[i].used; i++)
		;
	if (i < MAX_EVENTS) {
		events[i].used = true;
		snprintf(events[i].name, sizeof(events[i].name), GROUP "_%d_%d", getpid(), seq++);
	}
	pthread_mutex_unlock(&lock);
	return i < MAX_EVENTS ? i : -1;
}

static void release_slot(int slot)
{
	pthread_mutex_lock(&lock);
	events[slot].link = NULL;
	events[slot].used = false;
	pthread_mutex_unlock(&lock);
}

/* Removes the slot's tracefs event, then frees the slot. */
static void free_slot(int slot)
{
	char line[96];

	snprintf(line, sizeof(line), "-:" GROUP "/%s\n", events[slot].name);
	kprobe_events(line);
	release_slot(slot);
}

int retprobe_event_open(const char *func, int maxactive, int *slot)
{
	struct perf_event_attr a = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(a),
				     .sample_period = 1, .wakeup_events = 1, .disabled = 1 };
	char line[256];
	long long id;
	int pfd, e;

	*slot = -1;
	if (maxactive <= 0 || !tracefs())
		return -1;
	pthread_mutex_lock(&lock);
	remove_stale();
	pthread_mutex_unlock(&lock);
	*slot = take_slot();
	if (*slot < 0)
		return -1;
	snprintf(line, sizeof(line), "r%d:" GROUP "/%s %s\n", maxactive, events[*slot].name, func);
	e = kprobe_events(line);
	if (e) {
		dbg("return probe on %s via tracefs: %s", func, strerror(-e));
		release_slot(*slot);
		*slot = -1;
		return -1;
	}
	id = event_id(events[*slot].name);
	a.config = id;
	pfd = id < 0 ? -1 : (int)syscall(SYS_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		dbg("return probe on %s via tracefs event %s: %s", func, events[*slot].name, strerror(errno));
		free_slot(*slot);
		*slot = -1;
	}
	return pfd;
}

struct bpf_link *retprobe_event_attach(struct bpf_program *p, int pfd, int slot)
{
	struct bpf_link *l = bpf_program__attach_perf_event(p, pfd);
	int e = errno;

	if (!l) {
		close(pfd);
		if (slot >= 0)
			free_slot(slot);
		errno = e;
		return NULL;
	}
	if (slot >= 0) {
		pthread_mutex_lock(&lock);
		events[slot].link = l;
		pthread_mutex_unlock(&lock);
	}
	return l;
}

void retprobe_event_close(int pfd, int slot)
{
	close(pfd);
	if (slot >= 0)
		free_slot(slot);
}

struct bpf_link *retprobe_attach(struct bpf_program *p, const char *func, int maxactive)
{
	struct bpf_link *l = NULL;
	int slot, pfd = retprobe_event_open(func, maxactive, &slot);

	if (pfd >= 0 && !(l = retprobe_event_attach(p, pfd, slot)))
		dbg("return probe on %s via tracefs: %s", func, strerror(errno));
	return l ? l : bpf_program__attach_kprobe(p, true, func);
}

void retprobe_link_destroy(struct bpf_link *l)
{
	int i;

	if (!l)
		return;
	bpf_link__destroy(l);
	pthread_mutex_lock(&lock);
	for (i = 0; i < MAX_EVENTS && events[i].link != l; i++)
		;
	pthread_mutex_unlock(&lock);
	/* removing the event waits for the kernel: outside the lock, then the slot is free */
	if (i < MAX_EVENTS)
		free_slot(i);
}

long long retprobe_missed(bool report)
{
	char path[64], line[256], name[64], mine[48];
	unsigned long long hits, missed;
	long long sum = -1;
	FILE *f;

	if (!tracefs())
		return -1;
	snprintf(path, sizeof(path), "%s/kprobe_profile", tracefs());
	snprintf(mine, sizeof(mine), GROUP "_%d_", getpid());
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu %llu", name, &hits, &missed) == 3 &&
		    !strncmp(name, mine, strlen(mine))) {
			sum = (sum < 0 ? 0 : sum) + (long long)missed;
			if (report && missed)
				dbg("missed: return probe %s: %llu of %llu hits", name, missed, hits + missed);
		}
	fclose(f);
	return sum;
}
