// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <string.h>
#include "dma_vms.h"
#include "prom.h"
#include "vmcache.h"
#include "vmname.h"

struct vm_row {
	char vm[VM_LABEL_LEN];		/* the label value, escaped */
	const char *vmm;
	unsigned long long maps, map_fail, bytes_mapped, map_ns;
};

/* The row of (vm, vmm), NULL once the cap is reached. */
static struct vm_row *row_of(struct vm_row *rows, int *n, const char *vm, const char *vmm)
{
	int i;

	for (i = 0; i < *n; i++)
		if (!strcmp(rows[i].vm, vm) && !strcmp(rows[i].vmm, vmm))
			return &rows[i];
	if (*n == DMA_VM_SERIES_MAX)
		return NULL;
	snprintf(rows[*n].vm, sizeof(rows[*n].vm), "%s", vm);
	rows[*n].vmm = vmm;
	return &rows[(*n)++];
}

static void series(FILE *f, const char *name, const struct vm_row *r, size_t off, bool seconds)
{
	unsigned long long v = *(const unsigned long long *)((const char *)r + off);

	if (seconds)
		fprintf(f, "%s{vm=\"%s\",vmm=\"%s\"} %.9f\n", name, r->vm, r->vmm, v / 1e9);
	else
		fprintf(f, "%s{vm=\"%s\",vmm=\"%s\"} %llu\n", name, r->vm, r->vmm, v);
}

void dma_prom_vms(FILE *f, const struct dma_model *m)
{
	static struct vm_row rows[DMA_VM_SERIES_MAX + 1];	/* the last: vm="_other" */
	static const struct {
		const char *name, *help;
		size_t off;
		bool seconds;
	} fam[] = {
		{ "vfiotrace_dma_client_maps_total",
		  "VFIO_IOMMU_MAP_DMA calls of the VM's processes, failed ones included.",
		  offsetof(struct vm_row, maps), false },
		{ "vfiotrace_dma_client_map_failures_total", "Maps of the VM's processes that failed.",
		  offsetof(struct vm_row, map_fail), false },
		{ "vfiotrace_dma_client_mapped_bytes_total", "Bytes the VM's processes mapped.",
		  offsetof(struct vm_row, bytes_mapped), false },
		{ "vfiotrace_dma_client_map_seconds_total",
		  "Time the VM's processes spent in VFIO_IOMMU_MAP_DMA (pinning included).",
		  offsetof(struct vm_row, map_ns), true },
	};
	struct vm_row *other = &rows[DMA_VM_SERIES_MAX];
	unsigned long long folded = 0;
	char vm[VM_LABEL_LEN], help[160];
	unsigned int k;
	int i, n = 0;

	memset(rows, 0, sizeof(rows));
	strcpy(other->vm, "_other");
	other->vmm = "";
	for (i = 0; i < m->nclients; i++) {
		const struct dma_client *c = &m->clients[i];
		const struct vm_ident *id = vmcache_get(c->key.pid, c->key.comm);
		struct vm_row *r = row_of(rows, &n, vm_label(id ? id->name : "", vm, sizeof(vm)),
					  id && !id->gone ? vmm_name(id->vmm) : "");

		if (!r) {
			r = other;
			folded++;
		}
		r->maps += c->st.maps;
		r->map_fail += c->st.map_fail;
		r->bytes_mapped += c->st.bytes_mapped;
		r->map_ns += c->st.map_ns;
	}
	for (k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		prom_family(f, fam[k].name, "counter", fam[k].help);
		for (i = 0; i < n; i++)
			series(f, fam[k].name, &rows[i], fam[k].off, fam[k].seconds);
		if (folded)
			series(f, fam[k].name, other, fam[k].off, fam[k].seconds);
	}
	snprintf(help, sizeof(help), "DMA clients past the cap of %d (vm, vmm) label sets, summed under vm=\"_other\".",
		 DMA_VM_SERIES_MAX);
	prom_family(f, "vfiotrace_dma_client_vms_folded", "gauge", help);
	fprintf(f, "vfiotrace_dma_client_vms_folded %llu\n", folded);
}
