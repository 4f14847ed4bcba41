// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "targets.h"

/* Facts per kernel version: ../docs/kernels.md and shared/KERNELS.md. */
const struct target targets[NR_HOOKS] = {
	[HOOK_ATTACH] = {
		.hook = "attach", .purpose = "VFIO type1 group attach",
		.module = "vfio_iommu_type1",
		.candidates = { "vfio_iommu_type1_attach_group" },
		.kprobe_prog = "kp_attach", .kretprobe_prog = "krp_attach",
		.fentry_prog = "fe_attach",
		.fexit_progs = { [2] = "fx_attach2", [3] = "fx_attach3" },
		.required = true,
		.missing_hint = "load VFIO (modprobe vfio-pci vfio_iommu_type1) and retry",
	},
	/*
	 * 6.13+: _flags (the short name became an inline wrapper);
	 * 6.11-6.12: iommu_paging_domain_alloc, which type1 calls although
	 * iommu_domain_alloc still exists there. Both rows attach when both exist.
	 */
	[HOOK_ALLOC_DEV] = {
		.hook = "domain_alloc", .purpose = "IOMMU paging domain allocation (by device)",
		.candidates = { "iommu_paging_domain_alloc_flags", "iommu_paging_domain_alloc" },
		.kprobe_prog = "kp_alloc_dev", .kretprobe_prog = "krp_alloc",
		.fentry_prog = "fe_alloc_dev",
		.fexit_progs = { [1] = "fx_alloc_dev1", [2] = "fx_alloc_dev2" },
		.required = true,
		.missing_hint = "kernel without CONFIG_IOMMU_API?",
	},
	/* 5.10-6.12; what type1 calls up to 6.10 */
	[HOOK_ALLOC_BUS] = {
		.hook = "domain_alloc", .purpose = "IOMMU domain allocation (by bus)",
		.candidates = { "iommu_domain_alloc" },
		.kprobe_prog = "kp_alloc_bus", .kretprobe_prog = "krp_alloc",
		.fentry_prog = "fe_alloc_bus",
		.fexit_progs = { [1] = "fx_alloc_bus1" },
		.required = true,
		.missing_hint = "kernel without CONFIG_IOMMU_API?",
	},
	/* 6.1+: vfio_device_put_registration; 5.10-6.0: vfio_device_put */
	[HOOK_PUT] = {
		.hook = "device_put", .purpose = "VFIO device reference drop",
		.module = "vfio",
		.candidates = { "vfio_device_put_registration", "vfio_device_put" },
		.kprobe_prog = "kp_put", .fentry_prog = "fe_put",
		.required = true,
		.missing_hint = "load VFIO (modprobe vfio-pci vfio_iommu_type1) and retry",
		/*
		 * The put's caller is the point of this hook, and stacks taken under
		 * an fentry trampoline stop at the trampoline (seen on 6.1); puts are
		 * rare, so the kprobe's cost does not matter.
		 */
		.kprobe_preferred = "preferred: its stacks reach the caller (fentry stacks stop at the BPF trampoline)",
	},
	/*
	 * Attach-failure diagnosis: kprobes only (rare calls; one program fits
	 * every signature; 5.10 has no module BTF). A step whose function is
	 * absent on a kernel is not observed there, and reported as unknown.
	 */
	[HOOK_GROUP_OPEN] = {
		.hook = "group_open", .purpose = "open of /dev/vfio/N (EBUSY: held; holders)",
		.module = "vfio", .candidates = { "vfio_group_fops_open" },
		.kprobe_prog = "kp_group_open", .kretprobe_prog = "krp_group_open",
	},
	[HOOK_GROUP_RELEASE] = {
		.hook = "group_release", .purpose = "last close of /dev/vfio/N (holder gone)",
		.module = "vfio", .candidates = { "vfio_group_fops_release" },
		.kprobe_prog = "kp_group_release",
	},
	/* set_container / get_device_fd are inlined into it on every kernel tested */
	[HOOK_GROUP_IOCTL] = {
		.hook = "group_ioctl", .purpose = "VFIO_GROUP_SET_CONTAINER / GET_DEVICE_FD result",
		.module = "vfio", .candidates = { "vfio_group_fops_unl_ioctl" },
		.kprobe_prog = "kp_group_ioctl", .kretprobe_prog = "krp_group_ioctl",
	},
	/* 6.0+ (5.19 for the function): a group with a member bound to a host driver fails here */
	[HOOK_DMA_OWNER] = {
		.kernels = "5.19+",
		.hook = "step_dma_owner", .purpose = "DMA-ownership claim at set-container (not viable)",
		.candidates = { "iommu_group_claim_dma_owner" },
		.kprobe_prog = "kp_dma_owner", .kretprobe_prog = "krp_dma_owner",
	},
	/* up to 5.19: the viability check (at GET_DEVICE_FD on 5.10) */
	[HOOK_VIABLE] = {
		.kernels = "up to 5.19",
		.hook = "step_viable", .purpose = "group viability check per member (not viable)",
		.module = "vfio", .candidates = { "vfio_dev_viable" },
		.kprobe_prog = "kp_viable", .kretprobe_prog = "krp_viable",
	},
	/* 6.4+: iommu_group_has_isolated_msi; up to 6.3: irq_domain_check_msi_remap() || ... */
	[HOOK_MSI] = {
		.kernels = "all (irq_domain_check_msi_remap up to 6.3, iommu_group_has_isolated_msi 6.4+)",
		.hook = "step_msi", .purpose = "interrupt remapping / MSI isolation check in type1",
		.candidates = { "iommu_group_has_isolated_msi", "irq_domain_check_msi_remap" },
		.kretprobe_prog = "krp_msi",
	},
	/* the other half of the check up to 6.3: iommu_capable (<= 5.19), device_iommu_capable (6.0+) */
	[HOOK_MSI_CAP] = {
		.kernels = "up to 6.3",
		.hook = "step_msi", .purpose = "IOMMU interrupt-remapping capability (MSI check)",
		.candidates = { "iommu_capable", "device_iommu_capable" },
		.kprobe_prog = "kp_msi_cap", .kretprobe_prog = "krp_msi_cap",
		.superseded_by = "iommu_group_has_isolated_msi",
	},
	[HOOK_ATTACH_GROUP] = {
		.hook = "step_attach_group", .purpose = "iommu_attach_group in type1 attach",
		.candidates = { "iommu_attach_group" },
		.kretprobe_prog = "krp_attach_group",
	},
	/* Intel only; refuses RMRR devices up to 6.1 */
	[HOOK_DRIVER_ATTACH] = {
		.kernels = "all (Intel VT-d)",
		.hook = "step_driver_attach", .purpose = "IOMMU driver attach_dev (Intel VT-d)",
		.candidates = { "intel_iommu_attach_device" },
		.kretprobe_prog = "krp_driver_attach",
	},
	[HOOK_MSI_COOKIE] = {
		.hook = "step_msi_cookie", .purpose = "MSI IOVA cookie (IOMMUs that translate MSIs)",
		.candidates = { "iommu_get_msi_cookie" },
		.kretprobe_prog = "krp_msi_cookie",
	},
	/* 6.0-6.10: type1 allocates by dev->bus in this per-device callback: names the device */
	[HOOK_ALLOC_CB] = {
		.kernels = "6.0+",
		.hook = "alloc_device", .purpose = "device a type1 domain is allocated for (6.0+)",
		.module = "vfio_iommu_type1", .candidates = { "vfio_iommu_domain_alloc" },
		.kprobe_prog = "kp_alloc_cb",
	},
};

bool has_return_probe(const struct target *t)
{
	return t->kretprobe_prog != NULL;
}

const char *fexit_prog(const struct target *t, int nargs)
{
	return nargs >= 0 && nargs <= MAX_NARGS ? t->fexit_progs[nargs] : NULL;
}

void target_programs(const struct target *t, const struct resolved *r, const char *names[2])
{
	names[0] = r->style == STYLE_FENTRY ? t->fentry_prog : t->kprobe_prog;
	names[1] = r->style == STYLE_FENTRY ? fexit_prog(t, r->nargs) : t->kretprobe_prog;
}

const char *style_name(enum style s)
{
	return s == STYLE_FENTRY ? "fentry" : s == STYLE_KPROBE ? "kprobe" : "none";
}

/* fentry needs BTF for the function and, with a return probe, an fexit program for its arity. */
static bool fentry_possible(const struct target *t, int nargs, char *why, int len,
			    const char *module)
{
	if (nargs < 0) {
		snprintf(why, len, "no BTF for %s%s", module ? "module " : "", module ? module : "vmlinux");
		return false;
	}
	if (has_return_probe(t) && !fexit_prog(t, nargs)) {
		snprintf(why, len, "no fexit program for %d arguments", nargs);
		return false;
	}
	return true;
}

static void resolve_one(const struct kernel_view *kv, const struct target *t, enum mode mode,
			struct resolved *r)
{
	const struct ksym *sym = NULL;
	int i;

	memset(r, 0, sizeof(*r));
	r->nargs = -1;
	for (i = 0; i < 3 && t->candidates[i] && !sym; i++)
		sym = kallsyms_find(kv->ks, t->candidates[i], t->module);
	if (!sym) {
		snprintf(r->why, sizeof(r->why), "no %s%s%s in kallsyms%s%s%s", t->candidates[0],
			 t->candidates[1] ? "/" : "", t->candidates[1] ? t->candidates[1] : "",
			 t->module ? " (module " : "", t->module ? t->module : "",
			 t->module ? " not loaded?)" : "");
		return;
	}
	if (t->superseded_by && kallsyms_find(kv->ks, t->superseded_by, NULL)) {
		snprintf(r->why, sizeof(r->why), "not used here: %s replaces it", t->superseded_by);
		return;
	}
	r->func = sym->name;
	r->module = sym->module;
	r->nargs = kv->func_nargs(kv->ctx, sym->module, sym->name);
	if (mode == MODE_KPROBE) {
		r->style = STYLE_KPROBE;
		snprintf(r->why, sizeof(r->why), "--mode kprobe");
	} else if (!t->fentry_prog) {
		r->style = STYLE_KPROBE;
		snprintf(r->why, sizeof(r->why), "kprobe only (rare call; no module BTF needed)");
	} else if (!fentry_possible(t, r->nargs, r->why, sizeof(r->why), sym->module)) {
		r->style = mode == MODE_FENTRY ? STYLE_NONE : STYLE_KPROBE;
	} else if (mode == MODE_FENTRY || !t->kprobe_preferred) {
		r->style = STYLE_FENTRY;
		snprintf(r->why, sizeof(r->why), "BTF for %s", sym->module ? sym->module : "vmlinux");
	} else {
		r->style = STYLE_KPROBE;
		snprintf(r->why, sizeof(r->why), "%s", t->kprobe_preferred);
	}
}

/* Some row with t's hook name resolved. */
static bool hook_found(const struct target *t, const struct resolved out[NR_HOOKS])
{
	int i;

	for (i = 0; i < NR_HOOKS; i++)
		if (out[i].func && !strcmp(targets[i].hook, t->hook))
			return true;
	return false;
}

int resolve_targets(const struct kernel_view *kv, enum mode mode,
		    struct resolved out[NR_HOOKS], char *errbuf, int errlen)
{
	int i;

	for (i = 0; i < NR_HOOKS; i++)
		resolve_one(kv, &targets[i], mode, &out[i]);
	for (i = 0; i < NR_HOOKS; i++) {
		const struct target *t = &targets[i];

		if (t->required && !hook_found(t, out)) {
			snprintf(errbuf, errlen, "%s: %s; %s", t->purpose, out[i].why, t->missing_hint);
			return -1;
		}
		if (out[i].func && out[i].style == STYLE_NONE) {
			snprintf(errbuf, errlen, "--mode fentry impossible for %s: %s; use --mode kprobe",
				 out[i].func, out[i].why);
			return -1;
		}
	}
	return 0;
}

void fall_back_to_kprobes(struct resolved out[NR_HOOKS], const char *why)
{
	int i;

	for (i = 0; i < NR_HOOKS; i++) {
		if (out[i].style != STYLE_FENTRY)
			continue;
		out[i].style = STYLE_KPROBE;
		snprintf(out[i].why, sizeof(out[i].why), "%s", why);
	}
}
