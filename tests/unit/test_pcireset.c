// SPDX-License-Identifier: GPL-2.0
/*
 * Included by test_main.c: a PCI device's reset methods and power state
 * (user/kernel/pcireset.c): config space parsed as the kernel walks it, 5.10's
 * probe rules and quirks, and diagnose over a /sys made here, once as 5.10 (from
 * config space) and once as 6.1 (sysfs reset_method, power_state).
 */
#include <sys/stat.h>
#include "pcireset.h"

/* Config space of the 6.1 guest's devices (od of /sys/bus/pci/devices/D/config), 256 bytes each. */
static const char cfg_e1000e[] =	/* 00:03.0: PM at 0xc8 (PMCSR D3hot), PCIe at 0xe0 without FLR */
	"8680d31000001000000000020000000000004440000046404130000000004840"
	"0000000000000000000000008680000000000000c8000000000000000a010000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"1100040003000000032000000000000000000000000000000000000000000000"
	"000000000000000001d022000300000005e08000000000000000000000000000"
	"10a0910000800000000000001104000000001100000000000000000000000000";
static const char cfg_nvme[] =		/* 00:10.0: PCIe at 0x80 with FLR, PM at 0x60 with No_Soft_Reset, D3hot */
	"361b100000001000020208010000000004004000010000000000000000000000"
	"000000000000000000000000f41a00110000000040000000000000000a010000"
	"1180400000200000003000000000000000000000000000000000000000000000"
	"010003000b000000000000000000000000000000000000000000000000000000"
	"1060920000800010000000001104000000001100000000000000000000000000"
	"0000000000003000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000";
static const char cfg_e1000[] =	/* 03:01.0: conventional PCI, no capability list */
	"86800e1000000000030000020000000000000840011000000000000000000000"
	"000000000000000000000000f41a00110000000000000000000000000b010000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000";

static void unhex(const char *hex, unsigned char *out)
{
	size_t i;

	for (i = 0; i < 256; i++) {
		unsigned int b;

		sscanf(hex + 2 * i, "%2x", &b);
		out[i] = b;
	}
}

/* The names pcireset_derive gives, space-separated. */
static const char *derived(const unsigned char *cfg, const struct pcitopo *t)
{
	static char buf[128];
	const char *n[PCIRESET_MAX_METHODS];
	struct pcicfg c;
	int i, k;

	if (pcicfg_parse(cfg, 256, &c))
		return "unparsed";
	k = pcireset_derive(&c, t, n, PCIRESET_MAX_METHODS);
	buf[0] = 0;
	for (i = 0; i < k; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "", n[i]);
	return buf;
}

/* A minimal config space: IDs, class, header type, then capabilities added by the caller. */
static void cfg_blank(unsigned char *c, unsigned int vendor, unsigned int device, unsigned int class)
{
	memset(c, 0, 256);
	c[0] = vendor & 0xff, c[1] = vendor >> 8, c[2] = device & 0xff, c[3] = device >> 8;
	c[9] = class & 0xff, c[10] = class >> 8 & 0xff, c[11] = class >> 16;
	c[6] = 0x10;		/* capability list */
}

static void test_pcicfg(void)
{
	struct pcitopo root = { .root_bus = true }, alone = { .bridged = true }, shared = { .bridged = true, .peers = 1 };
	struct pcitopo bridge = { .bridged = true, .subordinate = true }, slot = { .bridged = true, .peers = 1,
										  .pciehp_slot = true };
	unsigned char c[256];
	struct pcicfg p;
	int i;

	/* the guest's devices: what 6.1's reset_method listed for them, bus aside */
	unhex(cfg_e1000e, c);
	CHECK(!pcicfg_parse(c, 256, &p) && p.pm == 0xc8 && p.exp == 0xe0 && !(p.devcap & (1u << 28)) && !p.af,
	      "e1000e: pm %#x exp %#x devcap %#x", p.pm, p.exp, p.devcap);
	CHECK(!strcmp(pcicfg_power_state(&p), "D3hot"), "e1000e power %s", pcicfg_power_state(&p));
	CHECK(!strcmp(derived(c, &root), "pm"), "e1000e on the root bus: %s", derived(c, &root));
	unhex(cfg_nvme, c);
	CHECK(!pcicfg_parse(c, 256, &p) && p.pm == 0x60 && p.exp == 0x80 && (p.pmcsr & 8), "nvme: pm %#x exp %#x", p.pm,
	      p.exp);
	CHECK(!strcmp(derived(c, &root), "flr"), "nvme: FLR, No_Soft_Reset set: %s", derived(c, &root));
	unhex(cfg_e1000, c);
	CHECK(!pcicfg_parse(c, 256, &p) && !p.pm && !p.exp && !strcmp(pcicfg_power_state(&p), "D0"),
	      "e1000: no capabilities, D0");
	CHECK(!strcmp(derived(c, &alone), "bus"), "e1000 alone behind its bridge: %s", derived(c, &alone));
	CHECK(!strcmp(derived(c, &shared), ""), "e1000 sharing its bus: %s", derived(c, &shared));
	CHECK(!strcmp(derived(c, &root), ""), "e1000 on a root bus: %s", derived(c, &root));
	CHECK(!strcmp(derived(c, &bridge), ""), "a bridge: %s", derived(c, &bridge));
	CHECK(!strcmp(derived(c, &slot), "bus"), "a pciehp slot, single function: %s", derived(c, &slot));
	c[0x0e] = 0x80;		/* multifunction: no slot reset */
	CHECK(!strcmp(derived(c, &slot), ""), "a pciehp slot, multifunction: %s", derived(c, &slot));

	/* unreadable: a short (unprivileged) read, a device that does not answer */
	CHECK(pcicfg_parse(c, 64, &p) == -1, "64 bytes");
	memset(c, 0xff, 256);
	CHECK(pcicfg_parse(c, 256, &p) == -1, "all ones");

	/* Advanced Features: FLR needs TP too */
	cfg_blank(c, 0x1234, 0x5678, 0x020000);
	c[0x34] = 0x40, c[0x40] = 0x13, c[0x41] = 0, c[0x43] = 0x03;
	CHECK(!strcmp(derived(c, &root), "af_flr"), "AF TP+FLR: %s", derived(c, &root));
	c[0x43] = 0x02;
	CHECK(!strcmp(derived(c, &root), ""), "AF FLR without TP: %s", derived(c, &root));

	/* quirks: no FLR (Intel 82579LM), no PM reset (ATI VGA, not on a root bus), no bus reset (Atheros, NVIDIA 0x2340) */
	cfg_blank(c, 0x8086, 0x1502, 0x020000);
	c[0x34] = 0x40, c[0x40] = 0x10, c[0x41] = 0x50, c[0x47] = 0x10;	/* PCIe, DevCap FLR */
	c[0x50] = 0x01, c[0x52] = 0x03;					/* PM v3, PMCSR D0 */
	CHECK(!strcmp(derived(c, &root), "pm"), "82579LM: no FLR: %s", derived(c, &root));
	c[2] = 0x00, c[3] = 0x15;
	CHECK(!strcmp(derived(c, &root), "flr pm"), "another Intel device: %s", derived(c, &root));
	cfg_blank(c, 0x1002, 0x6611, 0x030000);
	c[0x34] = 0x50, c[0x50] = 0x01, c[0x52] = 0x03;
	CHECK(!strcmp(derived(c, &alone), "bus"), "ATI VGA behind a bridge: no PM reset: %s", derived(c, &alone));
	CHECK(!strcmp(derived(c, &root), "pm"), "ATI VGA on a root bus: PM reset: %s", derived(c, &root));
	c[0x52] = 0x04;		/* PM version 4: the kernel does not use the capability */
	CHECK(!pcicfg_parse(c, 256, &p) && !p.pm && !strcmp(derived(c, &root), ""), "PM v4 ignored: %s",
	      derived(c, &root));
	cfg_blank(c, 0x168c, 0x003c, 0x028000);
	CHECK(!strcmp(derived(c, &alone), ""), "Atheros: no bus reset: %s", derived(c, &alone));
	cfg_blank(c, 0x10de, 0x2345, 0x030000);
	CHECK(!strcmp(derived(c, &alone), ""), "NVIDIA 0x2345: no bus reset: %s", derived(c, &alone));
	cfg_blank(c, 0x10de, 0x2385, 0x030000);
	CHECK(!strcmp(derived(c, &alone), "bus"), "NVIDIA 0x2385: bus: %s", derived(c, &alone));
	CHECK(pcireset_510_device_specific(0x1425, 0x1234) && pcireset_510_device_specific(0x8086, 0x10ed) &&
	      !pcireset_510_device_specific(0x8086, 0x10d3), "5.10's device-specific table");

	/* a capability list that loops ends, as the kernel's 48 hops do */
	cfg_blank(c, 0x1234, 0x5678, 0x020000);
	c[0x34] = 0x40, c[0x40] = 0x05, c[0x41] = 0x40;
	CHECK(!pcicfg_parse(c, 256, &p) && !p.pm && !p.exp, "loop");
	/* a pointer below 0x40 ends the list; the low two bits are ignored */
	c[0x41] = 0x10;
	CHECK(!pcicfg_parse(c, 256, &p) && !p.pm, "pointer below 0x40");
	c[0x41] = 0x53, c[0x50] = 0x01;
	CHECK(!pcicfg_parse(c, 256, &p) && p.pm == 0x50, "pointer 0x53 -> 0x50: %#x", p.pm);
	/* a PM capability in the last dword: PMCSR lies past the 256 bytes and reads all ones (No_Soft_Reset) */
	cfg_blank(c, 0x1234, 0x5678, 0x020000);
	c[0x34] = 0xfc, c[0xfc] = 0x01, c[0xfe] = 0x03;
	CHECK(!pcicfg_parse(c, 256, &p) && p.pm == 0xfc && p.pmcsr == 0xffff && !strcmp(derived(c, &root), ""),
	      "PM at 0xfc: pmcsr %#x, %s", p.pmcsr, derived(c, &root));
	for (i = 0; i < 256; i++)
		c[i] = (unsigned char)(i * 37 + 11);	/* any bytes: no read outside the 256 */
	c[0] = 0x34, c[1] = 0x12;
	pcicfg_parse(c, 256, &p);
	CHECK(1, "garbage parsed");
}

/* ---- a /sys made here ---- */

static void sys_put(const char *root, const char *rel, const void *data, size_t len)
{
	char p[600], cmd[700];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
	CHECK(!system(cmd), "%s", cmd);
	f = fopen(p, "wb");
	CHECK(f != NULL, "%s", p);
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

static void sys_put_str(const char *root, const char *rel, const char *s)
{
	sys_put(root, rel, s, strlen(s));
}

static void link_to(const char *root, const char *rel, const char *target)
{
	char p[600], cmd[700];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
	CHECK(!system(cmd), "%s", cmd);
	unlink(p);
	CHECK(!symlink(target, p), "symlink %s", p);
}

/* A PCI device DEV in DIR (under sys/devices), config from HEX, in IOMMU group G, bound to vfio-pci. */
static void fake_dev(const char *root, const char *dir, const char *dev, const char *hex, int g)
{
	char rel[400], tgt[400];
	unsigned char cfg[256];

	unhex(hex, cfg);
	snprintf(rel, sizeof(rel), "sys/devices/%s/%s/config", dir, dev);
	sys_put(root, rel, cfg, sizeof(cfg));
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", dev);
	snprintf(tgt, sizeof(tgt), "../../../devices/%s/%s", dir, dev);
	link_to(root, rel, tgt);
	snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices/%s", g, dev);
	snprintf(tgt, sizeof(tgt), "../../../../devices/%s/%s", dir, dev);
	link_to(root, rel, tgt);
	snprintf(rel, sizeof(rel), "sys/devices/%s/%s/driver", dir, dev);
	link_to(root, rel, "../../../bus/pci/drivers/vfio-pci");
	snprintf(rel, sizeof(rel), "sys/devices/%s/%s/iommu_group", dir, dev);
	snprintf(tgt, sizeof(tgt), "../../kernel/iommu_groups/%d", g);
	link_to(root, rel, tgt);
}

static char *diagnose_out(const char *root, bool json, int *rc)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	*rc = run_diagnose(f, json, root);
	fclose(f);
	return out;
}

/* The vfio_devices entry of DEV in diagnose -j's output (up to the next device), or "". */
static const char *entry_of(const char *out, const char *dev, char *buf, size_t len)
{
	char key[64];
	const char *s, *e;

	snprintf(key, sizeof(key), "{\"device\":\"%s\",\"group\"", dev);
	s = strstr(strstr(out, "\"vfio_devices\"") ? strstr(out, "\"vfio_devices\"") : out, key);
	if (!s)
		return "";
	e = strstr(s + 1, "{\"device\":\"0000");
	snprintf(buf, len, "%.*s", (int)(e ? e - s : (long)strlen(s)), s);
	return buf;
}

static void test_diagnose_resets(void)
{
	char root[] = "/tmp/vfiotrace-unit-XXXXXX", cmd[300], e[2048], *out;
	int rc;

	if (!mkdtemp(root)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	/* the guest's tree: e1000e on the root bus; two e1000 behind the bridge 00:04.0 (bus 03) */
	fake_dev(root, "pci0000:00", "0000:00:03.0", cfg_e1000e, 1);
	fake_dev(root, "pci0000:00/0000:00:04.0", "0000:03:01.0", cfg_e1000, 6);
	fake_dev(root, "pci0000:00/0000:00:04.0", "0000:03:02.0", cfg_e1000, 6);
	sys_put_str(root, "sys/devices/pci0000:00/0000:00:04.0/config", "");
	link_to(root, "sys/bus/pci/devices/0000:00:04.0", "../../../devices/pci0000:00/0000:00:04.0");
	sys_put_str(root, "sys/devices/pci0000:00/0000:00:04.0/pci_bus/0000:03/cpuaffinity", "0\n");
	sys_put_str(root, "sys/devices/pci0000:00/0000:00:03.0/reset", "");
	sys_put_str(root, "sys/devices/pci0000:00/0000:00:03.0/d3cold_allowed", "1\n");
	sys_put_str(root, "sys/devices/pci0000:00/0000:00:04.0/0000:03:01.0/reset", "");	/* alone at device add */
	sys_put_str(root, "sys/class/iommu/dmar0/name", "dmar0\n");
	sys_put_str(root, "proc/interrupts", " 24:  1  IR-PCI-MSI 49152-edge  vfio-msi\n");
	sys_put_str(root, "sys/module/vfio/refcnt", "1\n");
	sys_put_str(root, "dev/vfio/vfio", "");
	sys_put_str(root, "sys/module/vfio_pci/parameters/disable_idle_d3", "N\n");
	sys_put_str(root, "proc/sys/kernel/osrelease", "5.10.0-32-amd64\n");

	/* 5.10: from config space */
	out = diagnose_out(root, true, &rc);
	CHECK(strstr(out, "\"disable_idle_d3\":false,\"vfio_devices\":["), "%s", out);
	CHECK(strstr(entry_of(out, "0000:00:03.0", e, sizeof(e)),
		     "\"reset_methods\":[\"pm\"],\"reset_methods_source\":\"config\",\"reset_method_status\":"
		     "[{\"method\":\"pm\",\"usable\":true,\"reason\":null}],\"function_reset\":true,"
		     "\"bus_reset_devices\":null,\"bus_reset_groups\":null,\"power_state\":\"D3hot\","
		     "\"power_state_source\":\"config\",\"d3cold_allowed\":true"),
	      "00:03.0 on 5.10: %s", e);
	CHECK(strstr(entry_of(out, "0000:03:01.0", e, sizeof(e)),
		     "\"reset_methods\":[],\"reset_methods_source\":\"config\",\"reset_method_status\":[],"
		     "\"function_reset\":false,\"bus_reset_devices\":[\"0000:03:02.0\"],\"bus_reset_groups\":[6],"
		     "\"power_state\":\"D0\"") && strstr(e, "when it was alone on its bus"),
	      "03:01.0 on 5.10: %s", e);
	free(out);
	/* alone on its bus now, but without a sysfs reset file: 5.10 refuses every function reset */
	snprintf(cmd, sizeof(cmd), "rm -r %s/sys/devices/pci0000:00/0000:00:04.0/0000:03:01.0 "
		 "%s/sys/bus/pci/devices/0000:03:01.0 %s/sys/kernel/iommu_groups/6/devices/0000:03:01.0", root, root, root);
	CHECK(!system(cmd), "%s", cmd);
	out = diagnose_out(root, true, &rc);
	CHECK(strstr(entry_of(out, "0000:03:02.0", e, sizeof(e)),
		     "\"reset_methods\":[\"bus\"],\"reset_methods_source\":\"config\",\"reset_method_status\":"
		     "[{\"method\":\"bus\",\"usable\":false,\"reason\":\"the kernel found no reset method") &&
	      strstr(e, "\"function_reset\":false,\"bus_reset_devices\":[]"),
	      "03:02.0 alone, no reset file: %s", e);
	free(out);
	fake_dev(root, "pci0000:00/0000:00:04.0", "0000:03:01.0", cfg_e1000, 6);

	/* 6.1: sysfs reset_method and power_state; config space is not needed */
	sys_put_str(root, "proc/sys/kernel/osrelease", "6.1.0-50-amd64\n");
	sys_put_str(root, "sys/devices/pci0000:00/0000:00:03.0/reset_method", "pm\n");
	sys_put_str(root, "sys/devices/pci0000:00/0000:00:03.0/power_state", "D3hot\n");
	sys_put_str(root, "sys/devices/pci0000:00/0000:00:04.0/0000:03:01.0/reset_method", "bus\n");
	sys_put_str(root, "sys/devices/pci0000:00/0000:00:04.0/0000:03:01.0/power_state", "D0\n");
	sys_put_str(root, "sys/devices/pci0000:00/0000:00:04.0/0000:03:02.0/power_state", "D0\n");
	out = diagnose_out(root, true, &rc);
	CHECK(rc == 0, "no check fails: %d %s", rc, out);
	CHECK(strstr(entry_of(out, "0000:00:03.0", e, sizeof(e)),
		     "\"reset_methods\":[\"pm\"],\"reset_methods_source\":\"sysfs\"") &&
	      strstr(e, "\"power_state\":\"D3hot\",\"power_state_source\":\"sysfs\""), "00:03.0 on 6.1: %s", e);
	CHECK(strstr(entry_of(out, "0000:03:01.0", e, sizeof(e)),
		     "\"reset_methods\":[\"bus\"],\"reset_methods_source\":\"sysfs\",\"reset_method_status\":"
		     "[{\"method\":\"bus\",\"usable\":false,\"reason\":\"0000:03:02.0 shares bus 0000:03") &&
	      strstr(e, "\"function_reset\":false,\"bus_reset_devices\":[\"0000:03:02.0\"]"),
	      "03:01.0 on 6.1: listed, refused now: %s", e);
	CHECK(strstr(entry_of(out, "0000:03:02.0", e, sizeof(e)),
		     "\"reset_methods\":[],\"reset_methods_source\":\"sysfs\""), "03:02.0 on 6.1: %s", e);
	CHECK(strstr(out, "{\"check\":\"device_reset\",\"status\":\"WARN\",\"group\":6,\"device\":\"0000:03:01.0\""),
	      "a warning for 03:01.0: %s", out);
	free(out);
	out = diagnose_out(root, false, &rc);
	CHECK(strstr(out, "WARN device_reset         0000:03:01.0 (group 6): no function reset") &&
	      strstr(out, "which also resets 0000:03:02.0; remedy: QEMU can reset it only by a hot reset of bus 0000:03"),
	      "text: %s", out);
	CHECK(strstr(out, "OK   device_reset         0000:00:03.0 (group 1): function reset: pm") &&
	      strstr(out, "INFO disable_idle_d3      vfio_pci.disable_idle_d3=N"), "text: %s", out);
	free(out);
	/* the sibling gone: the listed bus method works again */
	snprintf(cmd, sizeof(cmd), "rm -r %s/sys/devices/pci0000:00/0000:00:04.0/0000:03:02.0 "
		 "%s/sys/bus/pci/devices/0000:03:02.0 %s/sys/kernel/iommu_groups/6/devices/0000:03:02.0", root, root, root);
	CHECK(!system(cmd), "%s", cmd);
	out = diagnose_out(root, true, &rc);
	CHECK(strstr(entry_of(out, "0000:03:01.0", e, sizeof(e)),
		     "[{\"method\":\"bus\",\"usable\":true,\"reason\":null}],\"function_reset\":true,"
		     "\"bus_reset_devices\":[],\"bus_reset_groups\":[6]"), "03:01.0 alone: %s", e);
	free(out);
	/* a module parameter that is not there: null */
	snprintf(cmd, sizeof(cmd), "rm -r %s/sys/module/vfio_pci", root);
	CHECK(!system(cmd), "%s", cmd);
	out = diagnose_out(root, true, &rc);
	CHECK(strstr(out, "\"disable_idle_d3\":null") && !strstr(out, "\"check\":\"disable_idle_d3\""), "%s", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "rm -r %s", root);
	CHECK(!system(cmd), "%s", cmd);
}
