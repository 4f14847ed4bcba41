// SPDX-License-Identifier: GPL-2.0
/* --vm NAME and stat --by vm (features/vmby.c): included by test_main.c, after test_vmident.c. */
#include "vmby.h"

static void test_vm_options(void)
{
	struct options o;
	char err[256];
	char *argv[] = { "vfiotrace", "snoop", "--vm", "a\nb", NULL };

	CHECK(parse(&o, err, "snoop --vm web-01") == PARSE_OK && o.vm && !strcmp(o.vm, "web-01") && !o.pid,
	      "snoop --vm");
	CHECK(parse(&o, err, "stat -j --by vm --dma") == PARSE_OK && o.by_vm && !o.vm, "--by vm");
	CHECK(parse(&o, err, "stat --by vm --vm 104") == PARSE_OK && o.by_vm && !strcmp(o.vm, "104"), "both");
	CHECK(parse(&o, err, "hist --vm x") == PARSE_OK && parse(&o, err, "refs --vm x") == PARSE_OK, "hist, refs");
	CHECK(parse(&o, err, "probes --vm x") == PARSE_ERROR && strstr(err, "--vm does not apply") &&
	      strstr(err, "stat, snoop, hist or refs"), "%s", err);
	CHECK(parse(&o, err, "diagnose --vm x") == PARSE_ERROR && strstr(err, "--vm does not apply"), "%s", err);
	CHECK(parse(&o, err, "snoop --vm x -p 7") == PARSE_ERROR && strstr(err, "give one of them"), "%s", err);
	CHECK(parse(&o, err, "snoop --by vm") == PARSE_ERROR && strstr(err, "use stat --by vm"), "%s", err);
	CHECK(parse(&o, err, "stat --by pid") == PARSE_ERROR && strstr(err, "invalid --by 'pid'"), "%s", err);
	CHECK(parse(&o, err, "stat --vm") == PARSE_ERROR && strstr(err, "needs a value"), "%s", err);
	/* strtok cannot give an empty or multi-line argument: argv by hand */
	CHECK(parse_options(4, argv, &o, err, 256) == PARSE_ERROR && strstr(err, "control byte (\\x0a") &&
	      !strchr(err, '\n'), "%s", err);
	argv[3] = "";
	CHECK(parse_options(4, argv, &o, err, 256) == PARSE_ERROR && strstr(err, "invalid --vm ''"), "%s", err);
}

static struct vm_ident named(unsigned int pid, const char *name)
{
	struct vm_ident id = { .pid = pid, .starttime = 1, .vmm = VMM_QEMU };

	snprintf(id.comm, sizeof(id.comm), "qemu%u", pid);
	if (name) {
		snprintf(id.name, sizeof(id.name), "%s", name);
		id.source = "qemu-name";
	}
	return id;
}

static void test_vm_owners(void)
{
	static struct vm_owners w;
	struct vm_ident a = named(10, "web-01"), b = named(11, NULL);
	int i;

	memset(&w, 0, sizeof(w));
	vm_owners_add(&w, 3, &a);
	vm_owners_add(&w, 3, &a);
	vm_owners_add(&w, NO_GROUP, &a);
	vm_owners_add(&w, 4, NULL);
	vm_owners_add(&w, 5, &b);
	CHECK(w.n == 2 && !w.lost, "%d owners", w.n);
	CHECK(vm_owns_group(&w, "web-01", 3) && !vm_owns_group(&w, "web-01", 5) && !vm_owns_group(&w, "web", 3),
	      "owns");
	CHECK(!vm_owns_group(&w, "", 5), "a process without a VM name is of no VM");
	CHECK(vm_is(&a, "web-01") && !vm_is(&b, "") && !vm_is(NULL, "web-01"), "vm_is");
	for (i = 0; i < VM_OWNERS_MAX + 3; i++) {
		struct vm_ident c = named(1000 + i, "many");

		vm_owners_add(&w, 7, &c);
	}
	CHECK(w.n == VM_OWNERS_MAX && w.lost == 5, "cap: %d kept, %llu lost", w.n, w.lost);
}

/*
 * Two VMs and a process without a name: web-01 (pid 400) held group 3, vm 104 (pid 401)
 * group 5, pid 402 group 9; group 11 held by no process seen. DMA: 400, 401, 402.
 */
static void test_vm_cut_and_view(void)
{
	static const char web[] = "qemu-system-x86_64\0-name\0guest=web-01\0";
	static const char pve[] = "/usr/bin/kvm\0-id\0104\0";
	static const char anon[] = "vfio-workload\0-g\0009\0";
	static struct vm_owners w;
	char root[] = "/tmp/vfiotrace-unit-XXXXXX", cmd[300], *text = NULL;
	struct group_row g[5] = {};
	struct dev_row d[3] = {};
	struct ref_row r[2] = {};
	struct dma_group dg[2] = {};
	struct dma_client cl[3] = {};
	struct pcidev_row pd[2] = {};
	struct reset_row rr[2] = {};
	struct group_resets gr[2] = {};
	struct snapshot s = {};
	size_t len = 0;
	FILE *f;
	int i;

	if (!mkdtemp(root)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	vmcache_reset(root, 0);
	fake_proc(root, 400, "5", web, sizeof(web) - 1, "0::/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d01.scope\n");
	fake_proc(root, 401, "5", pve, sizeof(pve) - 1, "0::/qemu.slice/104.scope\n");
	fake_proc(root, 402, "5", anon, sizeof(anon) - 1, "0::/\n");
	memset(&w, 0, sizeof(w));
	vm_owners_add(&w, 3, vmcache_get(400, "x"));
	vm_owners_add(&w, 5, vmcache_get(401, "x"));
	vm_owners_add(&w, 9, vmcache_get(402, "x"));
	g[0].group = NO_GROUP;
	g[0].st.domain_allocs = 4;
	for (i = 1; i < 5; i++) {
		g[i].group = (int[]){ 3, 5, 9, 11 }[i - 1];
		g[i].st.attach_ok = (unsigned long long)i;
		g[i].has_mem = true;
		g[i].mem.ndevs = 1;
		snprintf(g[i].mem.devs[0], NAME_LEN, "0000:00:0%d.0", i);
	}
	g[1].st.attach_fail = 2;
	g[1].nfails = 1;
	g[1].fails[0].n = 2;
	d[0].d.group = 3, d[1].d.group = 5, d[2].d.group = NO_GROUP;
	r[0].key.group = 5, r[1].key.group = 3;
	dg[0].group = 3, dg[1].group = 11;
	for (i = 0; i < 3; i++) {
		cl[i].key.pid = 400 + i;
		cl[i].st.maps = 1;
		cl[i].st.bytes_mapped = 4096u << i;
		cl[i].st.map_ns = 1000u * (i + 1);
	}
	strcpy(pd[0].key.dev, "0000:00:01.0"), pd[0].st.group = 3;
	strcpy(pd[1].key.dev, "0000:00:02.0"), pd[1].st.group = 5;
	strcpy(rr[0].key.dev, "0000:00:02.0"), strcpy(rr[1].key.dev, "0000:00:01.0");
	gr[0].group = 3, gr[1].group = 5;
	s = (struct snapshot){ .groups = g, .ngroups = 5, .devs = d, .ndevs = 3, .refs = r, .nrefs = 2,
			       .dma_traced = true, .dma = { .groups = dg, .ngroups = 2, .clients = cl, .nclients = 3 },
			       .resets = { .resets = rr, .nresets = 2, .devs = pd, .ndevs = 2, .groups = gr, .ngroups = 2 },
			       .owners = &w, .by_vm = true };

	/* the per-VM view first (on the whole snapshot) */
	f = open_memstream(&text, &len);
	{
		struct json j;

		json_line_begin(&j, f, "summary");
		vms_json(&j, &s);
		json_obj_end(&j);
	}
	fclose(f);
	CHECK(strstr(text, "\"vms\":[{\"label\":\"web-01\",\"vm\":{\"name\":\"web-01\",\"source\":\"qemu-name\","
			   "\"vmm\":\"qemu\",\"unit\":\"machine-qemu\\\\x2d1\\\\x2dweb\\\\x2d01.scope\"") &&
	      strstr(text, "\"processes\":[{\"pid\":400,\"comm\":\"qemu-system-x86\"}],\"processes_untracked\":0,"
			   "\"groups\":[3],\"groups_untracked\":0,\"devices\":[\"0000:00:01.0\"],\"attach_ok\":1,"
			   "\"attach_fail\":2,\"failures\":2,\"dma\":{\"maps\":1,\"map_fail\":0,\"bytes_mapped\":4096,"
			   "\"map_ns\":1000},\"iommu_faults\":0}"), "%s", text);
	CHECK(strstr(text, "{\"label\":\"104\",\"vm\":{\"name\":\"104\",\"source\":\"proxmox-") &&
	      strstr(text, "\"groups\":[5],\"groups_untracked\":0,\"devices\":[\"0000:00:02.0\"],\"attach_ok\":2,"
			   "\"attach_fail\":0,\"failures\":0,\"dma\":{\"maps\":1,\"map_fail\":0,\"bytes_mapped\":8192"),
	      "%s", text);
	CHECK(strstr(text, "{\"label\":\"pid 402 (qemu-system-x86)\",\"vm\":{\"name\":null,") &&
	      strstr(text, "\"groups\":[9],") && strstr(text, "\"bytes_mapped\":16384,"), "%s", text);
	CHECK(strstr(text, "\"vms_unattributed_groups\":[11],\"vms_lost\":0}"), "%s", text);
	free(text);
	text = NULL;
	f = open_memstream(&text, &len);
	vms_text(f, &s);
	fclose(f);
	CHECK(strstr(text, "\n  web-01 (qemu, qemu-name) unit machine-qemu\\x5cx2d1\\x5cx2dweb\\x5cx2d01.scope: pids 400; "
			   "groups 3; devices 0000:00:01.0; attaches 1 ok, 2 failed; 2 failures diagnosed; "
			   "DMA 4096 bytes mapped in ") &&
	      strstr(text, "\n  pid 402 (qemu-system-x86): pids 402; groups 9;") &&
	      strstr(text, "\n  groups no process was seen holding: 11\n"), "%s", text);
	free(text);

	/* --vm web-01: its group 3 whole, its DMA client; NO_GROUP and the others' gone */
	vm_filter_snapshot(&s, "web-01");
	CHECK(s.ngroups == 1 && s.groups[0].group == 3, "%d groups", s.ngroups);
	CHECK(s.ndevs == 1 && s.devs[0].d.group == 3 && s.nrefs == 1 && s.refs[0].key.group == 3, "devs, refs");
	CHECK(s.dma.ngroups == 1 && s.dma.groups[0].group == 3 && s.dma.nclients == 1 && s.dma.clients[0].key.pid == 400,
	      "dma %d %d", s.dma.ngroups, s.dma.nclients);
	CHECK(s.resets.ndevs == 1 && s.resets.nresets == 1 && !strcmp(s.resets.resets[0].key.dev, "0000:00:01.0") &&
	      s.resets.ngroups == 1 && s.resets.groups[0].group == 3, "resets");
	/* a name no process has: nothing left */
	vm_filter_snapshot(&s, "db");
	CHECK(!s.ngroups && !s.ndevs && !s.nrefs && !s.dma.ngroups && !s.dma.nclients && !s.resets.ndevs,
	      "unknown VM");
	snprintf(cmd, sizeof(cmd), "rm -r %s", root);
	CHECK(!system(cmd), "%s", cmd);
	vmcache_reset("/nonexistent", 0);
}

/* snoop --vm: another VM's events are decoded (holders follow them) but not printed, and counted. */
static void test_vm_event_filter(void)
{
	static const char web[] = "qemu-system-x86_64\0-name\0guest=web-01\0";
	static const char db[] = "qemu-system-x86_64\0-name\0db\0";
	char root[] = "/tmp/vfiotrace-unit-XXXXXX", cmd[300], *out;
	struct refs_live l = {};
	unsigned long long before = ev_ctx.filtered;

	if (!mkdtemp(root)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	vmcache_reset(root, 0);
	fake_proc(root, 500, "5", web, sizeof(web) - 1, "0::/\n");
	fake_proc(root, 501, "5", db, sizeof(db) - 1, "0::/\n");
	ev_ctx.vm = "web-01";
	out = ref_event(&l, EV_DEVICE_GET, 500, 2);
	CHECK(strstr(out, "\"pid\":500,") && strstr(out, "\"name\":\"web-01\""), "%s", out);
	out = ref_event(&l, EV_DEVICE_GET, 501, 3);
	CHECK(!out[0] && ev_ctx.filtered == before + 1, "filtered: '%s'", out);
	out = ref_event(&l, EV_DEVICE_GET, 502, 4);	/* gone before it was read: of no VM */
	CHECK(!out[0] && ev_ctx.filtered == before + 2, "gone: '%s'", out);
	/* the hidden get still counts: web-01's unbind wait names db's process as a holder */
	out = ref_event(&l, EV_UNREG_BEGIN, 500, 4);
	CHECK(strstr(out, "\"holders\":[") && strstr(out, "\"pid\":501,"), "%s", out);
	ev_ctx.vm = NULL;
	refs_live_free(&l);
	snprintf(cmd, sizeof(cmd), "rm -r %s", root);
	CHECK(!system(cmd), "%s", cmd);
	vmcache_reset("/nonexistent", 0);
}
