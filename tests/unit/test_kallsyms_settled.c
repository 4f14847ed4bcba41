// SPDX-License-Identifier: GPL-2.0
/*
 * kallsyms read while a module loads (included by test_main.c). The kernel
 * lists /proc/kallsyms entry by entry by index; when a module's table changes
 * during a read (it appears, goes, or drops its init symbols as its init
 * returns), later entries shift and the read never sees some of them. The 6.1
 * lifecycle set once attached 21 probes of 23 that way: the read for vfio's
 * load event lacked vfio_unregister_group_dev while listing vfio.
 *
 * Here a thread plays the kernel: "kallsyms" is a FIFO it writes one text per
 * open, and during a read it may rewrite "modules" (as /proc/modules changes
 * under such a read: vfio's size drops when its init symbols go).
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "resolve.h"

#define PLAY_MAX 4

struct kernel_play {
	char fifo[PATH_MAX + 16], modules[PATH_MAX + 16];
	int rounds;
	const char *text[PLAY_MAX];	/* kallsyms as round i's read sees it */
	const char *modules_during[PLAY_MAX];	/* modules from inside round i's read on; NULL: as it was */
	int served;			/* reads the thread answered with a text */
	int extra;			/* reads beyond the play (answered empty, not left waiting) */
	int done;			/* the reader returned: the play ends */
};

static void pause_ms(int ms)
{
	const struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

static bool play_over(struct kernel_play *p)
{
	return __atomic_load_n(&p->done, __ATOMIC_ACQUIRE);
}

static int write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX + 32];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if (!(f = fopen(tmp, "w")))
		return -1;
	fputs(text, f);
	return fclose(f) || rename(tmp, path) ? -1 : 0;
}

/* Some fd of this process but except (the reader's, once its open returned) has the FIFO open. */
static bool fifo_open_here(const char *fifo, int except)
{
	char link[64], target[PATH_MAX];
	int fd;

	for (fd = 0; fd < 1024; fd++) {
		ssize_t n;

		if (fd == except)
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strcmp(target, fifo))
			return true;
	}
	return false;
}

/* The write end once a reader is opening the FIFO (it fails before), or -1 once the play is over. */
static int open_writer(struct kernel_play *p)
{
	int fd;

	while ((fd = open(p->fifo, O_WRONLY | O_NONBLOCK)) < 0 && errno == ENXIO && !play_over(p))
		pause_ms(1);
	if (fd >= 0)
		fcntl(fd, F_SETFL, 0);	/* blocking writes */
	return fd;
}

/* Until no reader holds the FIFO: a writer it still saw would extend its read. */
static void last_reader_gone(struct kernel_play *p)
{
	while (fifo_open_here(p->fifo, -1) && !play_over(p))
		pause_ms(1);
}

static void *play_kernel(void *arg)
{
	struct kernel_play *p = arg;
	int i, fd;

	for (i = 0; i < p->rounds; i++) {
		size_t len = strlen(p->text[i]);

		last_reader_gone(p);
		if ((fd = open_writer(p)) < 0)
			break;
		/* its open returned (listed): from now on, the FIFO not listed is this reader gone */
		while (!fifo_open_here(p->fifo, fd) && !play_over(p))
			pause_ms(1);
		if (write(fd, p->text[i], len) != (ssize_t)len)
			fprintf(stderr, "kernel play: short write\n");
		/* inside the read: it sees no end of file before the close */
		if (p->modules_during[i])
			write_file(p->modules, p->modules_during[i]);
		close(fd);
		p->served++;
	}
	/* a read the play has no text for ends at once, empty, and is counted */
	for (;;) {
		last_reader_gone(p);
		if ((fd = open_writer(p)) < 0)
			break;
		while (!fifo_open_here(p->fifo, fd) && !play_over(p))
			pause_ms(1);
		close(fd);
		p->extra++;
	}
	return NULL;
}

/*
 * Reads p->text through resolve_read_kallsyms() as the loader does on a
 * module event (tries 0; else kallsyms_load_settled() with that many tries);
 * r: the resolution of vfio's rows then, from rows waiting for their modules
 * (novfio fixture).
 */
static void play_module_event(struct kernel_play *p, const char *modules_before, int tries,
			      struct resolved r[NR_HOOKS], struct resolver *rs)
{
	char dir[] = "/tmp/vfiotrace-unit-XXXXXX", real[PATH_MAX], err[256];
	struct kallsyms ks;
	struct kernel_view kv;
	pthread_t th;

	memset(rs, 0, sizeof(*rs));
	if (!mkdtemp(dir) || !realpath(dir, real))	/* as /proc/self/fd shows it */
		return;
	snprintf(p->fifo, sizeof(p->fifo), "%s/kallsyms", real);
	snprintf(p->modules, sizeof(p->modules), "%s/modules", real);
	if (mkfifo(p->fifo, 0600) || write_file(p->modules, modules_before) ||
	    pthread_create(&th, NULL, play_kernel, p)) {
		CHECK(0, "set up the play in %s", dir);
		return;
	}
	rs->kallsyms_path = p->fifo;
	rs->modules_path = p->modules;
	CHECK((tries ? kallsyms_load_settled(&rs->ks, p->fifo, p->modules, NULL, 0, tries) :
	       resolve_read_kallsyms(rs)) == 0, "read the played kallsyms");
	__atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CHECK(p->extra == 0, "%d reads more than the play has", p->extra);
	CHECK(resolve_fixture("novfio", MODE_AUTO, r, err, &ks) == 0 && r[HOOK_UNREG].waiting, "vfio not loaded");
	kallsyms_free(&ks);
	kv = (struct kernel_view){ .ks = &rs->ks, .func_nargs = no_btf };
	resolve_module_rows(&kv, MODE_AUTO, "vfio", r);
	unlink(p->fifo);
	unlink(p->modules);
	rmdir(dir);
}

#define VFIO_WHOLE							\
	"ffffffff81650000 T iommu_domain_alloc\n"				\
	"ffffffffc0401000 t vfio_device_put_registration\t[vfio]\n"		\
	"ffffffffc0402000 t vfio_group_fops_unl_ioctl\t[vfio]\n"		\
	"ffffffffc0403000 T vfio_unregister_group_dev\t[vfio]\n"		\
	"ffffffffc0404000 t vfio_group_fops_open\t[vfio]\n"			\
	"ffffffffc0405000 t vfio_group_fops_release\t[vfio]\n"
/* what a read sees when the entries shift under it: vfio listed, one of its functions never */
#define VFIO_TORN							\
	"ffffffff81650000 T iommu_domain_alloc\n"				\
	"ffffffffc0401000 t vfio_device_put_registration\t[vfio]\n"		\
	"ffffffffc0402000 t vfio_group_fops_unl_ioctl\t[vfio]\n"		\
	"ffffffffc0404000 t vfio_group_fops_open\t[vfio]\n"			\
	"ffffffffc0405000 t vfio_group_fops_release\t[vfio]\n"
#define VFIO_INIT "vfio 73728 0 - Loading 0xffffffffc0400000\n"
#define VFIO_LIVE "vfio 49152 0 - Live 0xffffffffc0400000\n"

static void test_kallsyms_settled(void)
{
	struct resolved r[NR_HOOKS];
	struct resolver rs;

	signal(SIGPIPE, SIG_IGN);
	/* vfio's init returns during the read (its size drops): read again, whole this time */
	{
		struct kernel_play p = { .rounds = 2, .text = { VFIO_TORN, VFIO_WHOLE },
					 .modules_during = { VFIO_LIVE } };

		play_module_event(&p, VFIO_INIT, 0, r, &rs);
		CHECK(p.served == 2 && rs.ks.reads == 2 && rs.ks.settled,
		      "a read modules changed during is read again: %d served, %d reads", p.served, rs.ks.reads);
		CHECK(r[HOOK_UNREG].func && !strcmp(r[HOOK_UNREG].func, "vfio_unregister_group_dev") &&
		      r[HOOK_PUT].func && !r[HOOK_UNREG].waiting,
		      "every vfio row resolves after a load seen mid-read: unregister %s (%s)",
		      r[HOOK_UNREG].func ? r[HOOK_UNREG].func : "(none)", r[HOOK_UNREG].why);
		kallsyms_free(&rs.ks);
	}
	/* nothing changes during the read: one read */
	{
		struct kernel_play p = { .rounds = 2, .text = { VFIO_WHOLE, VFIO_WHOLE } };

		play_module_event(&p, VFIO_LIVE, 0, r, &rs);
		CHECK(p.served == 1 && rs.ks.reads == 1 && rs.ks.settled && r[HOOK_UNREG].func,
		      "a settled read is read once: %d served, %d reads", p.served, rs.ks.reads);
		kallsyms_free(&rs.ks);
	}
	/* a reference taken or dropped (a VFIO fd opened) changes no symbol: not read again */
	{
		struct kernel_play p = { .rounds = 2, .text = { VFIO_WHOLE, VFIO_WHOLE },
					 .modules_during = { "vfio 49152 3 - Live 0xffffffffc0400000\n" }, };

		play_module_event(&p, VFIO_LIVE, 0, r, &rs);
		CHECK(p.served == 1 && rs.ks.reads == 1 && rs.ks.settled,
		      "a reference count change is no symbol change: %d served, %d reads", p.served, rs.ks.reads);
		kallsyms_free(&rs.ks);
	}
	/* modules change during several reads in a row (a modprobe's queue): read until one is settled */
	{
		struct kernel_play p = { .rounds = PLAY_MAX,
					 .text = { VFIO_TORN, VFIO_TORN, VFIO_TORN, VFIO_WHOLE },
					 .modules_during = { VFIO_LIVE, VFIO_INIT, VFIO_LIVE } };

		CHECK(KALLSYMS_TRIES > PLAY_MAX, "the tries outlast the play");
		play_module_event(&p, VFIO_INIT, 0, r, &rs);
		CHECK(p.served == PLAY_MAX && rs.ks.reads == PLAY_MAX && rs.ks.settled && r[HOOK_UNREG].func,
		      "read until a read is settled: %d served, %d reads", p.served, rs.ks.reads);
		kallsyms_free(&rs.ks);
	}
	/* they never stop changing: the tries end it, the last read is kept and not settled */
	{
		struct kernel_play p = { .rounds = 3,
					 .text = { VFIO_TORN, VFIO_WHOLE, VFIO_WHOLE },
					 .modules_during = { VFIO_LIVE, VFIO_INIT, VFIO_LIVE } };

		play_module_event(&p, VFIO_INIT, 2, r, &rs);
		CHECK(p.served == 2 && rs.ks.reads == 2 && !rs.ks.settled && r[HOOK_UNREG].func,
		      "at most the tries, the last read kept: %d served, %d reads", p.served, rs.ks.reads);
		kallsyms_free(&rs.ks);
	}
}
