// SPDX-License-Identifier: GPL-2.0
/*
 * Config space parsing and 5.10's reset rules (user/kernel/pcireset.c): a
 * topology byte, then config space (whatever its bytes and length). The walk of
 * the capability list stays inside the 256 bytes and ends; every capability
 * found is where the kernel can find one; the methods come out in the kernel's
 * order, "bus" only when the bus rule agrees.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "pcireset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const order[] = { "flr", "af_flr", "pm", "bus" };
	struct input in = { data, size };
	unsigned int topo = take_byte(&in), k = 0;
	struct pcitopo t = { .root_bus = topo & 1, .bridged = topo & 2, .subordinate = topo & 4,
			     .peers = topo >> 4 & 3, .pciehp_slot = topo & 8 };
	const char *names[PCIRESET_MAX_METHODS];
	unsigned char cfg[256] = { 0 };
	size_t len = in.n < sizeof(cfg) ? in.n : sizeof(cfg);
	struct pcicfg c;
	const char *ps;
	int n, i;

	memcpy(cfg, in.p, len);
	/* a short read is refused; otherwise parse the whole 256 (the rest zero) */
	if (pcicfg_parse(cfg, len, &c) == 0 && len < 256)
		FUZZ_FAIL("parsed %zu bytes", len);
	if (pcicfg_parse(cfg, sizeof(cfg), &c))
		return 0;
	if ((c.pm && (c.pm < 0x40 || c.pm > 0xfc || c.pm & 3)) || (c.exp && (c.exp < 0x40 || c.exp > 0xfc || c.exp & 3)) ||
	    (c.af && (c.af < 0x40 || c.af > 0xfc || c.af & 3)))
		FUZZ_FAIL("capability outside config space: pm %#x exp %#x af %#x", c.pm, c.exp, c.af);
	if ((c.pm && cfg[c.pm] != 0x01) || (c.exp && cfg[c.exp] != 0x10) || (c.af && cfg[c.af] != 0x13))
		FUZZ_FAIL("a capability with the wrong ID");
	ps = pcicfg_power_state(&c);
	if (strcmp(ps, "D0") && strcmp(ps, "D1") && strcmp(ps, "D2") && strcmp(ps, "D3hot"))
		FUZZ_FAIL("power state %s", ps);
	n = pcireset_derive(&c, &t, names, PCIRESET_MAX_METHODS);
	for (i = 0; i < n; i++) {
		while (k < 4 && strcmp(names[i], order[k]))
			k++;
		if (k == 4)
			FUZZ_FAIL("method %s out of the kernel's order", names[i]);
		k++;
		if (!strcmp(names[i], "bus") && !pcireset_bus_ok(&t, c.multifunction))
			FUZZ_FAIL("bus listed against the bus rule");
	}
	return 0;
}
