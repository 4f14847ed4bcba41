// SPDX-License-Identifier: GPL-2.0
/* probes: what is attached on this kernel, how, and why. */
#include <string.h>
#include "json.h"
#include "probes.h"

void render_probes(FILE *f, const struct resolved r[NR_HOOKS], const char *count_field, bool dma_btf,
		   const char *fallback, int retprobe_maxactive, const char *links, bool json)
{
	struct json j;
	int i;

	if (json) {
		json_line_begin(&j, f, "probes");
		json_arr_begin(&j, "hooks");
	} else {
		fprintf(f, "%-18s %-34s %-17s %-12s %-7s %s\n", "HOOK", "FUNCTION", "MODULE", "STYLE", "BACKEND",
			"WHY / DEGRADED");
	}
	for (i = 0; i < NR_HOOKS; i++) {
		const struct target *t = &targets[i];
		char degraded[200] = "";

		if (i == HOOK_PUT && r[i].func && !count_field)
			snprintf(degraded, sizeof(degraded), "device, group and refcount unavailable: "
				 "no BTF describes struct vfio_device (pass --btf)");
		if (i == HOOK_DMA_IOCTL && r[i].func && !dma_btf)
			snprintf(degraded, sizeof(degraded), "map failures told apart by errno only: no BTF for "
				 "vfio_iommu_type1 (overlapped mapping, IOVA ranges, page size not read)");
		if (json) {
			json_obj_begin(&j, NULL);
			json_str(&j, "hook", t->hook);
			json_str(&j, "purpose", t->purpose);
			if (r[i].func)
				json_str(&j, "function", r[i].func);
			else
				json_null(&j, "function");
			json_str(&j, "module", r[i].func ? (r[i].module ? r[i].module : "vmlinux") :
				 (t->module ? t->module : "vmlinux"));
			json_str(&j, "style", style_name(r[i].style));
			json_bool(&j, "return_probe", has_return_probe(t));
			json_bool(&j, "entry_probe", t->kprobe_prog || t->fentry_prog);
			json_int(&j, "nargs", r[i].nargs);
			json_str(&j, "why", r[i].why);
			json_str(&j, "backend", t->backend ? t->backend : "both");
			if (t->kernels)
				json_str(&j, "kernels", t->kernels);
			else
				json_null(&j, "kernels");
			if (i == HOOK_PUT)
				json_bool(&j, "refcount_available", count_field != NULL);
			if (degraded[0])
				json_str(&j, "degraded", degraded);
			else
				json_null(&j, "degraded");
			json_obj_end(&j);
			continue;
		}
		fprintf(f, "%-18s %-34s %-17s %-12s %-7s %s%s%s\n", t->hook, r[i].func ? r[i].func : "-",
			r[i].func ? (r[i].module ? r[i].module : "vmlinux") : "-",
			style_name(r[i].style), t->backend ? t->backend : "both", r[i].why, degraded[0] ? "; " : "",
			degraded);
	}
	if (json) {
		json_arr_end(&j);
		if (fallback)
			json_str(&j, "fentry_fallback", fallback);
		if (retprobe_maxactive)
			json_int(&j, "return_probe_instances", retprobe_maxactive);
		else
			json_null(&j, "return_probe_instances");
		if (links)
			json_str(&j, "multi_links", links);
		else
			json_null(&j, "multi_links");
		json_obj_end(&j);
		fflush(f);
		return;
	}
	if (fallback)
		fprintf(f, "fentry was refused by the kernel (%s); kprobes are used instead\n", fallback);
	if (retprobe_maxactive)
		fprintf(f, "return probes: %d instances each, made in tracefs (a kernel without "
			"CONFIG_PREEMPTION gives a kretprobe one per CPU)\n", retprobe_maxactive);
	if (links && !strcmp(links, "kprobe.session"))
		fprintf(f, "kprobe.multi: on kprobe.session links, a function's entry and return on one (6.10+)\n");
	else if (links)
		fprintf(f, "kprobe.multi: on kprobe.multi links, entries and returns on links of their own\n");
	fflush(f);
}

