// SPDX-License-Identifier: GPL-2.0
/*
 * Device opens, resets and power (included by test_main.c): the devices a bus
 * reset reaches, read from a sysfs tree made here; reset and power events
 * through the one event pipeline, text and JSON.
 */
#include <sys/stat.h>
#include "resets.h"

/* root/bus/pci/devices/NAME -> root/devices/PATH/NAME, as sysfs links them */
static void fake_pci_dev(const char *root, const char *path, const char *name)
{
	char dir[256], link[256], cmd[1024];

	snprintf(dir, sizeof(dir), "%.40s/devices/%.120s/%.16s", root, path, name);
	snprintf(link, sizeof(link), "%.40s/bus/pci/devices/%.16s", root, name);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' '%.40s/bus/pci/devices' && ln -s '%s' '%s'", dir, root, dir, link);
	CHECK(!system(cmd), "%s", cmd);
}

static void test_bus_reset_devices(void)
{
	char root[] = "/tmp/vfiotrace-sysfs.XXXXXX", devs[8][NAME_LEN], cmd[64];
	int n;

	CHECK(mkdtemp(root), "mkdtemp");
	fake_pci_dev(root, "pci0000:00", "0000:00:03.0");
	fake_pci_dev(root, "pci0000:00/0000:00:04.0/0000:02:00.0", "0000:03:02.0");
	fake_pci_dev(root, "pci0000:00/0000:00:04.0/0000:02:00.0", "0000:03:01.0");
	n = bus_reset_devices(root, "0000:03:01.0", devs, 8);
	CHECK(n == 2 && !strcmp(devs[0], "0000:03:01.0") && !strcmp(devs[1], "0000:03:02.0"),
	      "the two devices behind the bridge, sorted: %d %s %s", n, devs[0], devs[1]);
	CHECK(bus_reset_devices(root, "0000:00:03.0", devs, 8) == 0, "a root-bus device: no bus reset");
	CHECK(bus_reset_devices(root, "0000:09:00.0", devs, 8) == 0, "an unknown device: none");
	CHECK(bus_reset_devices(root, "0000:03:01.0", devs, 1) == 2 && !strncmp(devs[0], "0000:03:0", 9),
	      "more devices than room: all counted, one kept");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK(!system(cmd), "cleanup");
}

static void test_reset_events(void)
{
	struct dev_event r = { .h = { .type = EV_RESET, .group = 4, .pid = 7, .tid = 7, .latency_ns = 2000 },
			       .trigger = TRIG_IOCTL_RESET, .scope = RESET_FUNCTION, .method = RM_FLR, .ntries = 2,
			       .tries = { { RM_DEVICE_SPECIFIC, -ENOTTY }, { RM_FLR, 0 } } };
	struct dev_event p = { .h = { .type = EV_POWER, .group = 4, .pid = 7, .ret = -EIO },
			       .from = 4, .to = 0, .reached = 4 };
	unsigned long long bad = ev_ctx.malformed;
	char *out;

	snprintf(r.dev, NAME_LEN, "0000:00:10.0");
	snprintf(r.target, NAME_LEN, "0000:00:10.0");
	out = consume(&r, sizeof(r), false, false);
	CHECK(strstr(out, " reset ") && strstr(out, " ok ") &&
	      strstr(out, "flr function reset (ioctl_reset via 0000:00:10.0): 0000:00:10.0; tried device_specific=ENOTTY flr=ok"),
	      "reset text: %s", out);
	out = consume(&r, sizeof(r), true, false);
	CHECK(strstr(out, "\"device\":\"0000:00:10.0\",\"devices\":[\"0000:00:10.0\"],\"method\":\"flr\","
			  "\"method_inferred\":false,\"trigger\":\"ioctl_reset\",\"scope\":\"function\","
			  "\"tried\":[{\"method\":\"device_specific\",\"ret\":-25},{\"method\":\"flr\",\"ret\":0}]") &&
	      !strstr(out, "groups_passed"), "reset json: %s", out);
	/* a refused hot reset: no method, the groups passed (read in BPF), a cause */
	r.trigger = TRIG_HOT_RESET, r.scope = RESET_REFUSED, r.method = RM_NONE, r.ntries = 0, r.h.ret = -EINVAL;
	r.nfds = 2, r.groups[0] = 1, r.groups[1] = -1;
	out = consume(&r, sizeof(r), true, false);
	CHECK(strstr(out, "\"method\":null") && strstr(out, "\"scope\":\"refused\"") &&
	      strstr(out, "\"groups_passed\":[1],\"group_fds_passed\":2") && strstr(out, "\"missing_groups\":[]") &&
	      strstr(out, "\"failed_step\":\"reset_refused\"") && strstr(out, "\"errno\":\"EINVAL\""),
	      "refused hot reset json: %s", out);
	out = consume(&p, sizeof(p), false, false);
	CHECK(strstr(out, " power ") && strstr(out, " EIO ") && strstr(out, "0000") == NULL &&
	      strstr(out, " D3cold -> D0 (now D3cold)\n  at power_up: "), "power text: %s", out);
	r.ntries = 1000, r.nfds = 1000;		/* out of range from a malformed record: bounded */
	out = consume(&r, sizeof(r), true, false);
	CHECK(strstr(out, "\"group_fds_passed\":1000"), "counts kept, arrays bounded: %s", out);
	CHECK(ev_ctx.malformed == bad, "nothing skipped");
}
