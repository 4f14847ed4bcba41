// SPDX-License-Identifier: GPL-2.0
/*
 * Included by test_main.c: the VM identity of a process from its command line
 * and cgroup (libvirt, Proxmox, Kubernetes, hostile names), its writers, and
 * the cache over a /proc made here (reuse, a process gone, eviction).
 */
#include <sys/stat.h>
#include "vmcache.h"
#include "vmident.h"
#include "vmname.h"
#include "dma_vms.h"

/* argv as /proc/PID/cmdline holds it: each argument NUL-terminated. */
static size_t argv_buf(char *buf, size_t len, const char *const *argv)
{
	size_t o = 0;

	for (; *argv; argv++) {
		size_t n = strlen(*argv) + 1;

		if (o + n > len)
			break;
		memcpy(buf + o, *argv, n);
		o += n;
	}
	return o;
}

static struct vm_ident ident_of(const char *const *argv, const char *cgroup)
{
	struct vm_ident id = {};
	char buf[8192];

	vm_parse_cmdline(buf, argv_buf(buf, sizeof(buf), argv), &id);
	if (cgroup)
		vm_parse_cgroup(cgroup, &id);
	return id;
}

static void test_vm_qemu_name(void)
{
	char out[VM_NAME_LEN];

	CHECK(!vm_qemu_name("guest=web-01,debug-threads=on", out, sizeof(out)) && !strcmp(out, "web-01"), "%s", out);
	CHECK(!vm_qemu_name("web-01,debug-threads=on", out, sizeof(out)) && !strcmp(out, "web-01"), "%s", out);
	CHECK(!vm_qemu_name("debug-threads=on,guest=a,,b,,,,c", out, sizeof(out)) && !strcmp(out, "a,b,,c"), "%s", out);
	CHECK(!vm_qemu_name("a,,b", out, sizeof(out)) && !strcmp(out, "a,b"), "%s", out);
	CHECK(vm_qemu_name("debug-threads=on", out, sizeof(out)) == -1, "no guest");
	CHECK(vm_qemu_name("", out, sizeof(out)) == -1, "empty");
	CHECK(!vm_qemu_name("guest=abcdef", out, 4) && !strcmp(out, "abc"), "cut: %s", out);
}

static void test_vm_cmdline(void)
{
	static const char *const libvirt[] = { "/usr/bin/qemu-system-x86_64", "-name",
		"guest=web-01,debug-threads=on", "-S", "-id", "7", NULL };
	static const char *const pve[] = { "/usr/bin/kvm", "-id", "104", "-name", "db,debug-threads=on", NULL };
	static const char *const pve_id[] = { "vfio-workload", "-n", "1", "--", "-id", "104", NULL };
	static const char *const other[] = { "./vfio-workload", "-n", "2", NULL };
	static const char *const fc[] = { "/usr/bin/firecracker", "--api-sock", "/run/fc.sock", "--id",
		"gpu-vm-7", NULL };
	static const char *const last[] = { "qemu-kvm", "-name", NULL };
	static const char *const vmms[][2] = { { "/opt/cloud-hypervisor", "cloud-hypervisor" },
		{ "crosvm", "crosvm" }, { "/usr/bin/firecracker", "firecracker" },
		{ "qemu-system-aarch64", "qemu" }, { "qemu-system-", "qemu" }, { "/bin/qemu", "other" } };
	struct vm_ident id;
	unsigned int i;

	id = ident_of(libvirt, NULL);
	CHECK(id.vmm == VMM_QEMU && !strcmp(id.name, "web-01") && !strcmp(id.source, "qemu-name"),
	      "%d %s", id.vmm, id.name);
	id = ident_of(pve, NULL);
	CHECK(id.vmm == VMM_QEMU && !strcmp(id.name, "db") && !strcmp(id.source, "qemu-name"), "%s", id.name);
	id = ident_of(pve_id, NULL);
	CHECK(id.vmm == VMM_OTHER && !strcmp(id.name, "104") && !strcmp(id.source, "proxmox-id"), "%s", id.name);
	id = ident_of(fc, NULL);
	CHECK(id.vmm == VMM_FIRECRACKER && !strcmp(id.name, "gpu-vm-7") && !strcmp(id.source, "firecracker-id"),
	      "%d %s", id.vmm, id.name);
	id = ident_of(other, NULL);
	CHECK(id.vmm == VMM_OTHER && !id.name[0] && !id.source, "%s", id.name);
	id = ident_of(last, NULL);
	CHECK(id.vmm == VMM_QEMU && !id.name[0], "-name without a value: %s", id.name);
	for (i = 0; i < sizeof(vmms) / sizeof(vmms[0]); i++) {
		const char *const argv[] = { vmms[i][0], NULL };

		id = ident_of(argv, NULL);
		CHECK(!strcmp(vmm_name(id.vmm), vmms[i][1]), "%s: %s", vmms[i][0], vmm_name(id.vmm));
	}
	/* a command line cut by the read: the argument without its NUL is not taken */
	{
		static const char cut[] = "qemu-system-x86_64\0-name\0guest=partial";

		memset(&id, 0, sizeof(id));
		vm_parse_cmdline(cut, sizeof(cut) - 1, &id);
		CHECK(id.vmm == VMM_QEMU && !id.name[0], "%s", id.name);
	}
}

static void test_vm_cgroup(void)
{
	static const char *const none[] = { "qemu-system-x86_64", NULL };
	struct vm_ident id;

	id = ident_of(none, "0::/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d01.scope/libvirt/emulator\n");
	CHECK(!strcmp(id.name, "web-01") && !strcmp(id.source, "libvirt-scope") &&
	      !strcmp(id.unit, "machine-qemu\\x2d1\\x2dweb\\x2d01.scope") && !id.pod[0] && !id.container[0],
	      "%s %s", id.name, id.unit);
	id = ident_of(none, "0::/qemu.slice/104.scope\n");
	CHECK(!strcmp(id.name, "104") && !strcmp(id.source, "proxmox-scope") && !strcmp(id.unit, "104.scope"),
	      "%s %s", id.name, id.unit);
	id = ident_of(none, "0::/user.slice/104.scope\n");
	CHECK(!id.name[0] && !strcmp(id.unit, "104.scope"), "not qemu.slice: %s", id.name);
	/* v1: systemd's hierarchy over the controllers' */
	id = ident_of(none, "12:cpu,cpuacct:/\n1:name=systemd:/system.slice/foo.service\n0::/\n");
	CHECK(!strcmp(id.unit, "foo.service") && !id.name[0], "%s", id.unit);
	id = ident_of(none, "0::/kubepods.slice/kubepods-besteffort.slice/"
		      "kubepods-besteffort-pod0f1e2d3c_4b5a_6978_8a9b_0c1d2e3f4a5b.slice/"
		      "cri-containerd-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n");
	CHECK(!strcmp(id.pod, "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b") &&
	      !strcmp(id.container, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") &&
	      !strncmp(id.unit, "cri-containerd-0123", 19) && !id.name[0], "%s %s", id.pod, id.container);
	id = ident_of(none, "0::/kubepods/burstable/pod0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b/"
		      "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\n");
	CHECK(!strcmp(id.pod, "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b") &&
	      !strcmp(id.container, "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210") &&
	      !id.unit[0], "cgroupfs driver: %s %s", id.pod, id.container);
	id = ident_of(none, "0::/system.slice/docker-abc123.scope\n");
	CHECK(!id.container[0] && !id.pod[0] && !strcmp(id.unit, "docker-abc123.scope"), "no kubepods: %s", id.container);
	id = ident_of(none, "0::/kubepods.slice/x/crio-abc123.scope\n");
	CHECK(!strcmp(id.container, "abc123") && !id.pod[0], "%s", id.container);
	id = ident_of(none, "0::/kubepods.slice/kubepods-podZZZ.slice\n");
	CHECK(!id.pod[0], "no UID: %s", id.pod);
	/* the command line's name wins over the scope's */
	{
		static const char *const named[] = { "qemu-system-x86_64", "-name", "from-cmdline", NULL };

		id = ident_of(named, "0::/machine.slice/machine-qemu\\x2d3\\x2dfrom\\x2dscope.scope\n");
		CHECK(!strcmp(id.name, "from-cmdline") && !strcmp(id.source, "qemu-name"), "%s", id.name);
	}
	id = ident_of(none, "");
	CHECK(!id.unit[0] && !id.name[0], "empty");
	id = ident_of(none, "garbage without colons\n");
	CHECK(!id.unit[0], "garbage");
}

static void test_vm_hostile(void)
{
	char big[4200], arg[4300], text[VM_TEXT_LEN], label[VM_LABEL_LEN], out[8192];
	const char *argv[] = { "qemu-system-x86_64", "-name", arg, NULL };
	struct vm_ident id;
	struct json j;
	FILE *f;

	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	snprintf(arg, sizeof(arg), "guest=%s", big);
	id = ident_of(argv, NULL);
	CHECK(strlen(id.name) == VM_NAME_LEN - 1, "4 KiB cut to %zu", strlen(id.name));
	vm_text(&id, "", text, sizeof(text));
	CHECK(strlen(text) == VM_TEXT_SHOW + 3 && !strcmp(text + VM_TEXT_SHOW, "..."), "%s", text);
	vm_label(id.name, label, sizeof(label));
	CHECK(strlen(label) == VM_LABEL_SHOW + 3 && !strcmp(label + VM_LABEL_SHOW, "..."), "%zu", strlen(label));

	snprintf(arg, sizeof(arg), "guest=a\"b\\c\nd\x01\xff\xc3\xa9,,e");
	id = ident_of(argv, "0::/machine.slice/machine-qemu\\x2d9\\x2dq\\x22\\x0a.scope\n");
	CHECK(!strcmp(id.name, "a\"b\\c\nd\x01\xff\xc3\xa9,e"), "%s", id.name);
	CHECK(!strcmp(vm_text(&id, "", text, sizeof(text)), "a\"b\\x5cc\\x0ad\\x01\xff\xc3\xa9,e"), "%s", text);
	CHECK(!strcmp(vm_label(id.name, label, sizeof(label)), "a\\\"b\\\\c\\nd\\\\x01\\\\xff\xc3\xa9,e"), "%s", label);
	f = fmemopen(out, sizeof(out), "w");
	json_init(&j, f);
	json_obj_begin(&j, NULL);
	vm_json(&j, &id);
	json_obj_end(&j);
	fclose(f);
	CHECK(!strcmp(out, "{\"vm\":{\"name\":\"a\\\"b\\\\c\\nd\\u0001\\u00ff\xc3\xa9,e\",\"source\":\"qemu-name\","
		      "\"vmm\":\"qemu\",\"unit\":\"machine-qemu\\\\x2d9\\\\x2dq\\\\x22\\\\x0a.scope\",\"pod\":null,"
		      "\"container\":null,\"gone\":false}}\n"), "%s", out);
	/* the scope's escapes undone into the name: a quote and a newline */
	id = ident_of((const char *const[]){ "qemu-system-x86_64", NULL },
		      "0::/machine.slice/machine-qemu\\x2d9\\x2dq\\x22\\x0a.scope\n");
	CHECK(!strcmp(id.name, "q\"\n"), "%s", id.name);
	CHECK(!strcmp(vm_text(&id, ", vm ", text, sizeof(text)), ", vm q\"\\x0a"), "%s", text);
	CHECK(!strcmp(vm_text(NULL, ", vm ", text, sizeof(text)), ""), "no process: %s", text);
}

static void put(const char *dir, const char *name, const char *data, size_t n)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fwrite(data, 1, n, f);
		fclose(f);
	}
}

static void fake_proc(const char *root, unsigned int pid, const char *start, const char *cmdline, size_t n,
		      const char *cgroup)
{
	char dir[200], stat[128];

	snprintf(dir, sizeof(dir), "%s/%u", root, pid);
	mkdir(dir, 0755);
	snprintf(stat, sizeof(stat), "%u (a) b) S 1 %u 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %s 0 0\n", pid, pid, start);
	put(dir, "stat", stat, strlen(stat));
	put(dir, "cmdline", cmdline, n);
	put(dir, "comm", "qemu-system-x86\n", 16);
	put(dir, "cgroup", cgroup, strlen(cgroup));
}

static void test_vmcache(void)
{
	static const char web[] = "qemu-system-x86_64\0-name\0guest=web-01\0";
	static const char db[] = "qemu-system-x86_64\0-name\0db\0";
	char root[] = "/tmp/vfiotrace-unit-XXXXXX", cmd[300], dir[64];
	const struct vm_ident *id;
	struct vmcache_counts n;
	unsigned int pid;

	CHECK(vm_stat_starttime("1 (a) b) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242 19\n") == 4242, "stat");
	CHECK(vm_stat_starttime("1 (x") == 0, "short stat");
	if (!mkdtemp(root)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	vmcache_reset(root, 0);
	fake_proc(root, 100, "555", web, sizeof(web) - 1, "0::/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d01.scope\n");
	id = vmcache_get(100, "CPU 0/KVM");
	CHECK(id && !id->gone && id->starttime == 555 && !strcmp(id->name, "web-01") &&
	      !strcmp(id->comm, "qemu-system-x86") && !strcmp(id->unit, "machine-qemu\\x2d1\\x2dweb\\x2d01.scope"),
	      "%s", id ? id->name : "NULL");
	/* gone: the identity read while it lived stays */
	snprintf(cmd, sizeof(cmd), "rm -r %s/100", root);
	CHECK(!system(cmd), "%s", cmd);
	id = vmcache_get(100, "x");
	CHECK(id && !id->gone && !strcmp(id->name, "web-01"), "after exit: %s", id ? id->name : "NULL");
	/* the pid reused by another process: read again */
	fake_proc(root, 100, "777", db, sizeof(db) - 1, "0::/\n");
	id = vmcache_get(100, "x");
	CHECK(id && id->starttime == 777 && !strcmp(id->name, "db") && !id->unit[0], "reused: %s", id ? id->name : "NULL");
	/* never read: pid and the event's comm, marked, counted */
	id = vmcache_get(101, "vfio-workload");
	CHECK(id && id->gone && !strcmp(id->comm, "vfio-workload") && !id->name[0], "gone");
	/* an empty command line: argv emptied by a live process, or the memory of an exiting one */
	fake_proc(root, 102, "888", "", 0, "0::/\n");
	id = vmcache_get(102, "x");
	CHECK(id && !id->gone, "empty cmdline, running: %d", id ? id->gone : -1);
	fake_proc(root, 103, "999", "", 0, "0::/\n");
	snprintf(dir, sizeof(dir), "%s/103", root);
	put(dir, "stat", "103 (a) b) Z 1 103 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 999 0 0\n", 61);
	id = vmcache_get(103, "vfio-workload");
	CHECK(id && id->gone && !strcmp(id->comm, "vfio-workload"), "empty cmdline, zombie: %d", id ? id->gone : -1);
	n = vmcache_counts();
	CHECK(n.gone == 2 && n.evicted == 0, "%llu %llu", n.gone, n.evicted);
	CHECK(vmcache_get(0, "swapper") == NULL, "pid 0");
	for (pid = 1000; pid < 1000 + VMCACHE_MAX; pid++)
		vmcache_get(pid, "x");
	n = vmcache_counts();
	CHECK(n.gone == 2 + VMCACHE_MAX && n.evicted == 4, "%llu %llu", n.gone, n.evicted);
	snprintf(cmd, sizeof(cmd), "rm -r %s", root);
	CHECK(!system(cmd), "%s", cmd);
	vmcache_reset("/nonexistent", 0);
}

/* The per-VM DMA series: one label set per VM, the clients of a VM summed, the rest folded and counted. */
static void test_prom_vms(void)
{
	char root[] = "/tmp/vfiotrace-unit-XXXXXX", cmd[300], argv[64], *text = NULL;
	struct dma_client cl[DMA_VM_SERIES_MAX + 4] = {};
	struct dma_model m = { .clients = cl };
	size_t len = 0;
	FILE *f;
	int i;

	if (!mkdtemp(root)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	vmcache_reset(root, 0);
	/* first a pid that never existed; then "web\"1" twice (pids 200, 201), vm2.. vm66 one each */
	cl[0].key.pid = 199;
	cl[0].st.maps = 7;
	for (i = 0; i < DMA_VM_SERIES_MAX + 3; i++) {
		int k = snprintf(argv, sizeof(argv), "qemu-system-x86_64%c-name%cguest=%s%d", 0, 0,
				 i < 2 ? "web\"" : "vm", i < 2 ? 1 : i);

		fake_proc(root, 200 + i, "1", argv, (size_t)k + 1, "0::/\n");
		cl[i + 1].key.pid = 200 + i;
		cl[i + 1].st.maps = 1;
		cl[i + 1].st.bytes_mapped = 4096;
		cl[i + 1].st.map_ns = 1500000000ULL;
	}
	m.nclients = i + 1;
	f = open_memstream(&text, &len);
	dma_prom_vms(f, &m);
	fclose(f);
	CHECK(!strncmp(line_value(text, "vfiotrace_dma_client_maps_total{vm=\"web\\\"1\",vmm=\"qemu\"}"), "2\n", 2),
	      "%s", text);
	CHECK(!strncmp(line_value(text, "vfiotrace_dma_client_mapped_bytes_total{vm=\"web\\\"1\",vmm=\"qemu\"}"),
		       "8192\n", 5), "bytes");
	CHECK(!strncmp(line_value(text, "vfiotrace_dma_client_map_seconds_total{vm=\"web\\\"1\",vmm=\"qemu\"}"),
		       "3.000000000\n", 12), "seconds");
	CHECK(!strncmp(line_value(text, "vfiotrace_dma_client_maps_total{vm=\"\",vmm=\"\"}"), "7\n", 2), "gone client");
	/* 64 label sets: the gone client's, web"1, vm2..vm63; vm64..vm66 folded */
	CHECK(!strncmp(line_value(text, "vfiotrace_dma_client_maps_total{vm=\"vm63\",vmm=\"qemu\"}"), "1\n", 2), "vm63");
	CHECK(!strstr(text, "vm=\"vm64\""), "past the cap");
	CHECK(!strncmp(line_value(text, "vfiotrace_dma_client_maps_total{vm=\"_other\",vmm=\"\"}"), "3\n", 2),
	      "folded: %s", text);
	CHECK(!strncmp(line_value(text, "vfiotrace_dma_client_vms_folded"), "3\n", 2), "folded count");
	free(text);
	snprintf(cmd, sizeof(cmd), "rm -r %s", root);
	CHECK(!system(cmd), "%s", cmd);
	vmcache_reset("/nonexistent", 0);
}

/* A named VM's process in the event line (text, JSON), as a holder and as a DMA client; others unchanged. */
static void test_vm_named_outputs(void)
{
	static const char web[] = "/usr/bin/qemu-system-x86_64\0-name\0guest=web-01,debug-threads=on\0";
	char root[] = "/tmp/vfiotrace-unit-XXXXXX", cmd[300], *out, *text = NULL;
	struct dma_client cl[2] = { { .key = { .pid = 300, .comm = "qemu-system-x86" }, .st = { .maps = 1 } },
				    { .key = { .pid = 301, .comm = "vfio-workload" }, .st = { .maps = 1 } } };
	struct dma_model m = { .clients = cl, .nclients = 2 };
	struct refs_live l = {};
	size_t len = 0;
	FILE *f;

	if (!mkdtemp(root)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	vmcache_reset(root, 0);
	fake_proc(root, 300, "9", web, sizeof(web) - 1, "0::/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d01.scope\n");
	out = ref_event(&l, EV_DEVICE_GET, 300, 2);
	CHECK(strstr(out, "\"comm\":\"task300\",\"vm\":{\"name\":\"web-01\",\"source\":\"qemu-name\",\"vmm\":\"qemu\","
		      "\"unit\":\"machine-qemu\\\\x2d1\\\\x2dweb\\\\x2d01.scope\",\"pod\":null,\"container\":null,"
		      "\"gone\":false},"), "%s", out);
	ref_event(&l, EV_DEVICE_GET, 301, 3);
	{
		struct event e = { .h = { .type = EV_DEVICE_PUT, .pid = 300, .ts_ns = 1 }, .refcount = 5,
				   .dev_ptr = 0xfff0, .stack_id = -1, .name = "0000:00:04.0" };

		out = consume(&e, sizeof(e), false, true);
		CHECK(strstr(out, " device_put ") && strstr(out, " vm=web-01 0000:00:04.0 by "), "%s", out);
		e.h.pid = 301;
		out = consume(&e, sizeof(e), false, true);
		CHECK(strstr(out, " device_put ") && !strstr(out, "vm=") && !strstr(out, "web-01"), "%s", out);
	}
	out = ref_event(&l, EV_UNREG_BEGIN, 302, 4);
	CHECK(strstr(out, "\"holders\":[{\"pid\":300,\"comm\":\"task300\",\"vm\":{\"name\":\"web-01\","), "%s", out);
	/* text: the name beside the pid; a process without one as before */
	{
		struct event e = { .h = { .type = EV_UNREG_BEGIN, .pid = 302, .ts_ns = 1 }, .refcount = 4,
				   .dev_ptr = 0xffff1000, .stack_id = -1 };

		out = consume(&e, sizeof(e), false, true);
		CHECK(strstr(out, "pid 300 (task300, vm web-01) 1 ref for ") && strstr(out, "pid 301 (task301) 1 ref"),
		      "%s", out);
	}
	out = ref_event(&l, EV_DEVICE_PUT, 300, 3);
	f = open_memstream(&text, &len);
	dma_text(f, &m);
	fclose(f);
	CHECK(strstr(text, "\nqemu-system-x86 pid 300 vm web-01: 0 B mapped in ") &&
	      strstr(text, "\nvfio-workload pid 301: 0 B mapped in "), "%s", text);
	free(text);
	refs_live_free(&l);
	snprintf(cmd, sizeof(cmd), "rm -r %s", root);
	CHECK(!system(cmd), "%s", cmd);
	vmcache_reset("/nonexistent", 0);
}
