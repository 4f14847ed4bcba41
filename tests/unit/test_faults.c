/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Included by test_main.c (after test_pcireset.c, whose /sys helpers it uses): the requester id
 * a PCI device's DMA reaches the IOMMU with and the devices behind one id (user/kernel/pcialias.c),
 * over the harness guest's topology and a conventional bridge; the kernel's interrupt counts
 * (user/kernel/irqcount.c) from tests/unit/fixtures/irq/interrupts; the reason names.
 */
#include "faults.h"
#include "faults_explain.h"
#include "irqcount.h"
#include "pcialias.h"
#include <linux/pci_regs.h>

/* Config space with a PCI Express capability of port type (PCI_EXP_TYPE_*) at 0x40; a bridge
 * (header type 1) gets secondary bus sec. */
static void cfg_pcie(unsigned char *c, unsigned int device, int type, bool bridge, int sec)
{
	cfg_blank(c, 0x8086, device, bridge ? 0x060400 : 0x020000);
	c[PCI_HEADER_TYPE] = bridge ? PCI_HEADER_TYPE_BRIDGE : PCI_HEADER_TYPE_NORMAL;
	if (bridge)
		c[PCI_SECONDARY_BUS] = sec;
	c[PCI_CAPABILITY_LIST] = 0x40;
	c[0x40] = PCI_CAP_ID_EXP;
	c[0x41] = 0;
	c[0x40 + PCI_EXP_FLAGS] = (unsigned char)(type << 4 | 2);
}

/* A PCI device at sys/devices/DIR/DEV with config space cfg, in group g (g < 0: none). */
static void alias_dev(const char *root, const char *dir, const char *dev, const unsigned char *cfg, int g)
{
	char rel[400], tgt[400];

	snprintf(rel, sizeof(rel), "sys/devices/%s/%s/config", dir, dev);
	sys_put(root, rel, cfg, 256);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", dev);
	snprintf(tgt, sizeof(tgt), "../../../devices/%s/%s", dir, dev);
	link_to(root, rel, tgt);
	if (g < 0)
		return;
	snprintf(rel, sizeof(rel), "sys/devices/%s/%s/iommu_group", dir, dev);
	snprintf(tgt, sizeof(tgt), "../../kernel/iommu_groups/%d", g);
	link_to(root, rel, tgt);
}

static const char *alias_list(const struct alias_devs *a)
{
	static char buf[512];
	int i;

	buf[0] = 0;
	for (i = 0; i < a->n && i < ALIAS_MAX_DEVS; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "", a->devs[i]);
	return buf;
}

static void test_pcialias(void)
{
	char root[] = "/tmp/vfiotrace-unit-XXXXXX", sys[64], cmd[300], dev[32];
	unsigned char c[256], e1000[256], e1000e[256];
	struct alias_devs a;
	int i;

	if (!mkdtemp(root)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(sys, sizeof(sys), "%s/sys", root);
	unhex(cfg_e1000, e1000);
	unhex(cfg_e1000e, e1000e);
	/*
	 * tools/vmtest's topology: the e1000e 00:03.0 on the root bus; a root port 00:04.0, behind it
	 * the PCIe-to-PCI bridge 02:00.0 (secondary bus 03) and behind that the e1000s 03:01.0 and
	 * 03:02.0, which reach the IOMMU as 03:00.0 (measured: the DMAR lines name 03:00.0).
	 */
	alias_dev(root, "pci0000:00", "0000:00:03.0", e1000e, 1);
	cfg_pcie(c, 0x7f00, PCI_EXP_TYPE_ROOT_PORT, true, 2);
	alias_dev(root, "pci0000:00", "0000:00:04.0", c, 4);
	cfg_pcie(c, 0x7f01, PCI_EXP_TYPE_PCI_BRIDGE, true, 3);
	alias_dev(root, "pci0000:00/0000:00:04.0", "0000:02:00.0", c, 5);
	alias_dev(root, "pci0000:00/0000:00:04.0/0000:02:00.0", "0000:03:02.0", e1000, 5);
	alias_dev(root, "pci0000:00/0000:00:04.0/0000:02:00.0", "0000:03:01.0", e1000, 5);
	/* a conventional PCI bridge 00:05.0 (no capability list): its own id for what it forwards */
	cfg_blank(c, 0x8086, 0x244e, 0x060400);
	c[PCI_STATUS] = 0;
	c[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_BRIDGE;
	c[PCI_SECONDARY_BUS] = 4;
	alias_dev(root, "pci0000:00", "0000:00:05.0", c, 7);
	alias_dev(root, "pci0000:00/0000:00:05.0", "0000:04:01.0", e1000, 7);
	/* nine functions behind one more PCIe-to-PCI bridge (secondary bus 06): more than are kept */
	cfg_pcie(c, 0x7f01, PCI_EXP_TYPE_PCI_BRIDGE, true, 6);
	alias_dev(root, "pci0000:00", "0000:00:06.0", c, 8);
	for (i = 0; i < 9; i++) {
		snprintf(dev, sizeof(dev), "0000:06:%02x.0", 0x1f - i);
		alias_dev(root, "pci0000:00/0000:00:06.0", dev, e1000, -1);
	}

	CHECK(pci_requester_id(sys, "0000:00:03.0") == 0x0018, "root bus: its own id, 0x%x",
	      pci_requester_id(sys, "0000:00:03.0"));
	CHECK(pci_requester_id(sys, "0000:03:01.0") == 0x0300, "behind a PCIe-to-PCI bridge: (secondary, 00.0), 0x%x",
	      pci_requester_id(sys, "0000:03:01.0"));
	CHECK(pci_requester_id(sys, "0000:02:00.0") == 0x0200, "the bridge below a root port: its own id, 0x%x",
	      pci_requester_id(sys, "0000:02:00.0"));
	CHECK(pci_requester_id(sys, "0000:04:01.0") == 0x0028, "behind a conventional bridge: the bridge's id, 0x%x",
	      pci_requester_id(sys, "0000:04:01.0"));
	CHECK(pci_requester_id(sys, "0000:09:00.0") == -1, "no such device");
	CHECK(pci_requester_id(sys, "03:01.0") == -1 && pci_requester_id(sys, "0000:03:01.0x") == -1,
	      "not a full PCI name");

	pci_alias_devices(sys, 0, 0x0300, &a);
	CHECK(a.n == 2 && !strcmp(alias_list(&a), "0000:03:01.0 0000:03:02.0") && a.group == 5,
	      "03:00.0: %d devices (%s), group %d", a.n, alias_list(&a), a.group);
	pci_alias_devices(sys, 0, 0x0018, &a);
	CHECK(a.n == 1 && !strcmp(alias_list(&a), "0000:00:03.0") && a.group == 1, "00:03.0: %s, group %d",
	      alias_list(&a), a.group);
	pci_alias_devices(sys, 0, 0x0028, &a);
	CHECK(a.n == 2 && !strcmp(alias_list(&a), "0000:00:05.0 0000:04:01.0") && a.group == 7,
	      "00:05.0: the bridge and what it forwards: %s, group %d", alias_list(&a), a.group);
	pci_alias_devices(sys, 0, 0x0600, &a);
	CHECK(a.n == 9 && !strcmp(alias_list(&a), "0000:06:17.0 0000:06:18.0 0000:06:19.0 0000:06:1a.0 "
				  "0000:06:1b.0 0000:06:1c.0 0000:06:1d.0 0000:06:1e.0") && a.group == NO_GROUP,
	      "06:00.0: 9 counted, 8 kept: %d %s, group %d", a.n, alias_list(&a), a.group);
	pci_alias_devices(sys, 0, 0x0700, &a);
	CHECK(a.n == 0 && a.group == NO_GROUP, "an id nobody has: %d", a.n);
	pci_alias_devices(sys, 1, 0x0300, &a);
	CHECK(a.n == 0 && a.group == NO_GROUP, "another segment: %d", a.n);
	pci_alias_devices("/nonexistent", 0, 0x0300, &a);
	CHECK(a.n == 0 && a.group == NO_GROUP, "no sysfs: %d", a.n);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK(!system(cmd), "%s", cmd);
}

static void test_irq_count(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/irq/interrupts", fixtures);
	CHECK(irq_count(path, "DMAR") == 10000, "DMAR: %lld", irq_count(path, "DMAR"));
	CHECK(irq_count(path, "virtio0") == 2001, "virtio0: %lld", irq_count(path, "virtio0"));
	CHECK(irq_count(path, "AMD-Vi") == 0, "none: %lld", irq_count(path, "AMD-Vi"));
	CHECK(irq_count("/nonexistent/interrupts", "DMAR") == -1, "unreadable");
}

static void test_fault_names(void)
{
	char buf[NAME_LEN];
	struct faults_model m = { .irqs = 10, .kernel_irqs = 12 };

	CHECK(!strcmp(fault_reason_name(FAULT_VTD, 6), "PTE Read access is not set"), "0x06");
	CHECK(!strcmp(fault_reason_name(FAULT_VTD, 5), "PTE Write access is not set"), "0x05");
	CHECK(!strcmp(fault_reason_name(FAULT_VTD, 2), "Present bit in context entry is clear"), "0x02");
	CHECK(!strcmp(fault_reason_name(FAULT_VTD, 0x22), "Present field in the IRTE entry is clear"), "0x22");
	CHECK(fault_reason_name(FAULT_VTD, 0) == NULL && fault_reason_name(FAULT_VTD, 0x27) == NULL &&
	      fault_reason_name(FAULT_VTD, 0x1f) == NULL, "unknown codes");
	fault_requester_name(0, 0x0300, buf, sizeof(buf));
	CHECK(!strcmp(buf, "0000:03:00.0"), "%s", buf);
	fault_requester_name(1, 0xff1f, buf, sizeof(buf));
	CHECK(!strcmp(buf, "0001:ff:03.7"), "%s", buf);
	CHECK(faults_missed(&m) == 2, "missed %llu", faults_missed(&m));
	m.kernel_irqs = 9;
	CHECK(faults_missed(&m) == 0, "the hook saw more (it attached first): %llu", faults_missed(&m));
	m.kernel_irqs = -1;
	CHECK(faults_missed(&m) == 0, "unknown: %llu", faults_missed(&m));
}

/* Causes by reason and mapping (user/features/faults_explain.c), and every code in docs/diagnosis.md. */
static void test_fault_advice(void)
{
	const struct fault_advice *t;
	char path[512], pat[16], *doc = NULL, *sec;
	size_t len = 0;
	FILE *f;
	int n, i;

	CHECK(strstr(fault_explain(FAULT_VTD, 6, LEDGER_UNMAPPED)->cause, "had unmapped"), "0x06 unmapped");
	CHECK(strstr(fault_explain(FAULT_VTD, 6, LEDGER_NEVER)->cause, "never mapped"), "0x06 never");
	CHECK(strstr(fault_explain(FAULT_VTD, 5, LEDGER_READ_ONLY)->cause, "read-only"), "0x05 read_only");
	CHECK(strstr(fault_explain(FAULT_VTD, 6, LEDGER_READ_ONLY)->cause, "not mapped with that access"),
	      "a read cannot miss for read-only: the reason's row");
	CHECK(strstr(fault_explain(FAULT_VTD, 6, ANY_VERDICT)->remedy, "snoop --dma"), "without --dma");
	CHECK(strstr(fault_explain(FAULT_VTD, 6, LEDGER_UNKNOWN)->remedy, "snoop --dma"), "unknown");
	CHECK(strstr(fault_explain(FAULT_VTD, 2, LEDGER_NEVER)->cause, "no IOMMU domain"), "0x02");
	CHECK(strstr(fault_explain(FAULT_VTD, 0x22, ANY_VERDICT)->cause, "entry not present"), "0x22");
	CHECK(strstr(fault_explain(FAULT_REPORT, 0, LEDGER_UNMAPPED)->cause, "had unmapped"), "report, unmapped");
	CHECK(fault_explain(FAULT_VTD, 0, ANY_VERDICT) == NULL && fault_explain(FAULT_VTD, 0x1f, ANY_VERDICT) == NULL,
	      "reasons without a row");

	snprintf(path, sizeof(path), "%s/../../../docs/diagnosis.md", fixtures);
	if (!(f = fopen(path, "r"))) {
		CHECK(0, "cannot read %s", path);
		return;
	}
	if (getdelim(&doc, &len, 0, f) < 0)
		doc = NULL;
	fclose(f);
	sec = doc ? strstr(doc, "## IOMMU faults") : NULL;
	CHECK(sec != NULL, "docs/diagnosis.md has an IOMMU faults section");
	t = fault_advice_entries(&n);
	for (i = 0; sec && i < n; i++) {
		if (t[i].source != FAULT_VTD)
			continue;
		snprintf(pat, sizeof(pat), "`0x%02x`", t[i].lo);
		CHECK(strstr(sec, pat), "docs/diagnosis.md's IOMMU faults lack %s", pat);
	}
	free(doc);
}
