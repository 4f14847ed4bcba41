// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "histogram.h"
#include "snapshot.h"
#include "text.h"
#include "vmby.h"
#include "vmcache.h"
#include "vmname.h"

void vm_owners_add(struct vm_owners *w, int group, const struct vm_ident *id)
{
	int i;

	if (!id || group == NO_GROUP)
		return;
	for (i = 0; i < w->n; i++)
		if (w->o[i].group == group && w->o[i].id.pid == id->pid &&
		    w->o[i].id.starttime == id->starttime)
			return;
	if (w->n == VM_OWNERS_MAX) {
		w->lost++;
		return;
	}
	w->o[w->n].group = group;
	w->o[w->n++].id = *id;
}

bool vm_is(const struct vm_ident *id, const char *name)
{
	return id && id->name[0] && !strcmp(id->name, name);
}

bool vm_owns_group(const struct vm_owners *w, const char *name, int group)
{
	int i;

	for (i = 0; w && i < w->n; i++)
		if (w->o[i].group == group && vm_is(&w->o[i].id, name))
			return true;
	return false;
}

/* Keeps the n elements of size sz at base for which keep() says so; the new count. */
static int keep_if(void *base, int n, size_t sz, bool (*keep)(const void *el, const struct snapshot *s,
							      const char *name),
		   const struct snapshot *s, const char *name)
{
	char *b = base;
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (keep(b + i * sz, s, name)) {
			if (k != i)
				memcpy(b + k * sz, b + i * sz, sz);
			k++;
		}
	return k;
}

static bool owned(const struct snapshot *s, const char *name, int group)
{
	return vm_owns_group(s->owners, name, group);
}

static bool keep_group(const void *el, const struct snapshot *s, const char *name)
{
	return owned(s, name, ((const struct group_row *)el)->group);
}

static bool keep_ref(const void *el, const struct snapshot *s, const char *name)
{
	return owned(s, name, ((const struct ref_row *)el)->key.group);
}

static bool keep_dev(const void *el, const struct snapshot *s, const char *name)
{
	return owned(s, name, ((const struct dev_row *)el)->d.group);
}

static bool keep_dma_group(const void *el, const struct snapshot *s, const char *name)
{
	return owned(s, name, ((const struct dma_group *)el)->group);
}

static bool keep_dma_client(const void *el, const struct snapshot *s, const char *name)
{
	const struct dma_client *c = el;

	(void)s;
	return vm_is(vmcache_get(c->key.pid, c->key.comm), name);
}

static bool keep_fault(const void *el, const struct snapshot *s, const char *name)
{
	return owned(s, name, ((const struct fault_row *)el)->group);
}

static bool keep_pcidev(const void *el, const struct snapshot *s, const char *name)
{
	return owned(s, name, ((const struct pcidev_row *)el)->st.group);
}

static bool keep_group_resets(const void *el, const struct snapshot *s, const char *name)
{
	return owned(s, name, ((const struct group_resets *)el)->group);
}

/* A reset row: its device's group (the device rows, already cut) is the VM's. */
static bool keep_reset(const void *el, const struct snapshot *s, const char *name)
{
	const struct reset_row *r = el;
	int i;

	(void)name;
	for (i = 0; i < s->resets.ndevs; i++)
		if (!strcmp(s->resets.devs[i].key.dev, r->key.dev))
			return true;
	return false;
}

void vm_filter_snapshot(struct snapshot *s, const char *name)
{
	s->ngroups = keep_if(s->groups, s->ngroups, sizeof(*s->groups), keep_group, s, name);
	s->nrefs = keep_if(s->refs, s->nrefs, sizeof(*s->refs), keep_ref, s, name);
	s->ndevs = keep_if(s->devs, s->ndevs, sizeof(*s->devs), keep_dev, s, name);
	s->dma.ngroups = keep_if(s->dma.groups, s->dma.ngroups, sizeof(*s->dma.groups), keep_dma_group, s, name);
	s->dma.nclients = keep_if(s->dma.clients, s->dma.nclients, sizeof(*s->dma.clients), keep_dma_client,
				  s, name);
	s->resets.ndevs = keep_if(s->resets.devs, s->resets.ndevs, sizeof(*s->resets.devs), keep_pcidev, s, name);
	s->faults.nrows = keep_if(s->faults.rows, s->faults.nrows, sizeof(*s->faults.rows), keep_fault, s, name);
	s->resets.ngroups = keep_if(s->resets.groups, s->resets.ngroups, sizeof(*s->resets.groups),
				    keep_group_resets, s, name);
	s->resets.nresets = keep_if(s->resets.resets, s->resets.nresets, sizeof(*s->resets.resets), keep_reset,
				    s, name);
}

/* ---- stat --by vm ---- */

#define ROW_PIDS 16
#define ROW_GROUPS 64

struct vm_view {
	struct vm_ident id;		/* the first process's */
	int npids;			/* may exceed ROW_PIDS: the first kept */
	struct { unsigned int pid; char comm[COMM_LEN]; } pids[ROW_PIDS];
	int ngroups;			/* may exceed ROW_GROUPS: the first kept */
	int groups[ROW_GROUPS];
	bool dma;			/* one of its processes mapped */
	unsigned long long maps, map_fail, bytes_mapped, map_ns;
};

/* One row per VM name, one per process without one. */
static bool same_row(const struct vm_view *v, const struct vm_ident *id)
{
	if (v->id.name[0] || id->name[0])
		return !strcmp(v->id.name, id->name);
	return v->id.pid == id->pid;
}

static struct vm_view *view_of(struct vm_view *rows, int *n, const struct vm_ident *id)
{
	struct vm_view *v;
	int i;

	for (i = 0; i < *n; i++)
		if (same_row(&rows[i], id))
			break;
	v = &rows[i];
	if (i == *n) {
		memset(v, 0, sizeof(*v));
		v->id = *id;
		(*n)++;
	}
	for (i = 0; i < v->npids && i < ROW_PIDS; i++)
		if (v->pids[i].pid == id->pid)
			return v;
	if (v->npids < ROW_PIDS) {
		v->pids[v->npids].pid = id->pid;
		memcpy(v->pids[v->npids].comm, id->comm, COMM_LEN);
	}
	v->npids++;
	return v;
}

static void add_group(struct vm_view *v, int group)
{
	int i, k;

	for (i = 0; i < v->ngroups && i < ROW_GROUPS; i++)
		if (v->groups[i] == group)
			return;
	if (v->ngroups < ROW_GROUPS) {	/* sorted */
		for (k = v->ngroups; k > 0 && v->groups[k - 1] > group; k--)
			v->groups[k] = v->groups[k - 1];
		v->groups[k] = group;
	}
	v->ngroups++;
}

static const struct group_row *group_of(const struct snapshot *s, int group)
{
	int i;

	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i].group == group)
			return &s->groups[i];
	return NULL;
}

/* The rows of s, in order of first appearance (holders first, then DMA clients); *n of them. */
static struct vm_view *views(const struct snapshot *s, int *n)
{
	int max = (s->owners ? s->owners->n : 0) + (s->dma_traced ? s->dma.nclients : 0);
	struct vm_view *rows = calloc(max ? max : 1, sizeof(*rows));
	int i;

	*n = 0;
	if (!rows)
		return NULL;
	for (i = 0; s->owners && i < s->owners->n; i++)
		if (group_of(s, s->owners->o[i].group))
			add_group(view_of(rows, n, &s->owners->o[i].id), s->owners->o[i].group);
	for (i = 0; s->dma_traced && i < s->dma.nclients; i++) {
		const struct dma_client *c = &s->dma.clients[i];
		const struct vm_ident *id = vmcache_get(c->key.pid, c->key.comm);
		struct vm_view *v;

		if (!id)
			continue;
		v = view_of(rows, n, id);
		v->dma = true;
		v->maps += c->st.maps;
		v->map_fail += c->st.map_fail;
		v->bytes_mapped += c->st.bytes_mapped;
		v->map_ns += c->st.map_ns;
	}
	return rows;
}

struct view_sums {
	unsigned long long attach_ok, attach_fail, failures, iommu_faults;
};

static struct view_sums sums(const struct snapshot *s, const struct vm_view *v)
{
	struct view_sums r = {};
	int i, k;

	for (i = 0; i < v->ngroups && i < ROW_GROUPS; i++) {
		const struct group_row *g = group_of(s, v->groups[i]);

		if (!g)
			continue;
		r.attach_ok += g->st.attach_ok;
		r.attach_fail += g->st.attach_fail;
		for (k = 0; k < g->nfails; k++)
			r.failures += g->fails[k].n;
		for (k = 0; k < s->faults.nrows; k++)
			if (s->faults.rows[k].group == g->group)
				r.iommu_faults += s->faults.rows[k].st.count;
	}
	return r;
}

static int group_ndevs(const struct group_row *g)
{
	if (!g || !g->has_mem)
		return 0;
	return g->mem.ndevs < GROUP_MAX_DEVS ? (int)g->mem.ndevs : GROUP_MAX_DEVS;
}

/* "web-01", or "pid 123 (comm)" for a process without a VM name; escaped for text. */
static const char *view_label(const struct vm_view *v, char *buf, size_t len)
{
	char comm[TEXT_LEN(COMM_LEN)];

	if (v->id.name[0])
		return vm_text(&v->id, "", buf, len);
	snprintf(buf, len, "pid %u (%s)", v->id.pid, text_name(v->id.comm, comm, sizeof(comm)));
	return buf;
}

static bool attributed(const struct snapshot *s, int group)
{
	int i;

	for (i = 0; s->owners && i < s->owners->n; i++)
		if (s->owners->o[i].group == group)
			return true;
	return false;
}

void vms_json(struct json *j, const struct snapshot *s)
{
	struct vm_view *rows;
	int n, i, k, d;

	rows = views(s, &n);
	json_arr_begin(j, "vms");
	for (i = 0; rows && i < n; i++) {
		const struct vm_view *v = &rows[i];
		struct view_sums t = sums(s, v);
		char label[VM_TEXT_LEN + 32];

		json_obj_begin(j, NULL);
		if (v->id.name[0])
			json_str(j, "label", v->id.name);
		else
			json_str(j, "label", view_label(v, label, sizeof(label)));
		vm_json(j, &v->id);
		json_arr_begin(j, "processes");
		for (k = 0; k < v->npids && k < ROW_PIDS; k++) {
			json_obj_begin(j, NULL);
			json_uint(j, "pid", v->pids[k].pid);
			json_str(j, "comm", v->pids[k].comm);
			json_obj_end(j);
		}
		json_arr_end(j);
		json_uint(j, "processes_untracked", v->npids > ROW_PIDS ? v->npids - ROW_PIDS : 0);
		json_arr_begin(j, "groups");
		for (k = 0; k < v->ngroups && k < ROW_GROUPS; k++)
			json_int(j, NULL, v->groups[k]);
		json_arr_end(j);
		json_uint(j, "groups_untracked", v->ngroups > ROW_GROUPS ? v->ngroups - ROW_GROUPS : 0);
		json_arr_begin(j, "devices");
		for (k = 0; k < v->ngroups && k < ROW_GROUPS; k++) {
			const struct group_row *g = group_of(s, v->groups[k]);

			for (d = 0; d < group_ndevs(g); d++)
				json_str(j, NULL, g->mem.devs[d]);
		}
		json_arr_end(j);
		json_uint(j, "attach_ok", t.attach_ok);
		json_uint(j, "attach_fail", t.attach_fail);
		json_uint(j, "failures", t.failures);
		if (s->dma_traced) {
			json_obj_begin(j, "dma");
			json_uint(j, "maps", v->maps);
			json_uint(j, "map_fail", v->map_fail);
			json_uint(j, "bytes_mapped", v->bytes_mapped);
			json_uint(j, "map_ns", v->map_ns);
			json_obj_end(j);
		}
		json_uint(j, "iommu_faults", t.iommu_faults);	/* of its groups */
		json_obj_end(j);
	}
	json_arr_end(j);
	json_arr_begin(j, "vms_unattributed_groups");
	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i].group != NO_GROUP && !attributed(s, s->groups[i].group))
			json_int(j, NULL, s->groups[i].group);
	json_arr_end(j);
	json_uint(j, "vms_lost", s->owners ? s->owners->lost : 0);
	free(rows);
}

void vms_text(FILE *f, const struct snapshot *s)
{
	struct vm_view *rows;
	char label[VM_TEXT_LEN + 32], unit[TEXT_LEN(VM_UNIT_LEN)], b[16];
	int n, i, k, d, un = 0;

	rows = views(s, &n);
	fprintf(f, "\nPer VM (groups its processes held, their DMA):\n");
	if (!rows || !n)
		fprintf(f, "  (no VFIO client process seen)\n");
	for (i = 0; rows && i < n; i++) {
		const struct vm_view *v = &rows[i];
		struct view_sums t = sums(s, v);

		fprintf(f, "  %s", view_label(v, label, sizeof(label)));
		if (v->id.name[0])
			fprintf(f, " (%s, %s)", v->id.gone ? "gone" : vmm_name(v->id.vmm),
				v->id.source ? v->id.source : "-");
		if (v->id.unit[0])
			fprintf(f, " unit %s", text_name(v->id.unit, unit, sizeof(unit)));
		if (v->id.pod[0])
			fprintf(f, " pod %s", v->id.pod);
		fprintf(f, ": pids");
		for (k = 0; k < v->npids && k < ROW_PIDS; k++)
			fprintf(f, "%s%u", k ? "," : " ", v->pids[k].pid);
		if (v->npids > ROW_PIDS)
			fprintf(f, ",+%d more", v->npids - ROW_PIDS);
		fprintf(f, "; groups");
		for (k = 0; k < v->ngroups && k < ROW_GROUPS; k++)
			fprintf(f, "%s%d", k ? "," : " ", v->groups[k]);
		if (!v->ngroups)
			fprintf(f, " -");
		fprintf(f, "; devices");
		for (k = 0, d = 0; k < v->ngroups && k < ROW_GROUPS; k++) {
			const struct group_row *g = group_of(s, v->groups[k]);
			int m;

			for (m = 0; m < group_ndevs(g); m++)
				fprintf(f, "%s%s", d++ ? "," : " ", g->mem.devs[m]);
		}
		if (!d)
			fprintf(f, " -");
		fprintf(f, "; attaches %llu ok, %llu failed; %llu failure%s diagnosed", t.attach_ok, t.attach_fail,
			t.failures, t.failures == 1 ? "" : "s");
		if (t.iommu_faults)
			fprintf(f, "; %llu IOMMU fault%s", t.iommu_faults, t.iommu_faults == 1 ? "" : "s");
		if (s->dma_traced)
			fprintf(f, "; DMA %llu bytes mapped in %s (%llu maps, %llu failed)", v->bytes_mapped,
				fmt_ns(v->map_ns, b, sizeof(b)), v->maps, v->map_fail);
		fprintf(f, "\n");
	}
	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i].group != NO_GROUP && !attributed(s, s->groups[i].group))
			fprintf(f, "%s%d", un++ ? "," : "  groups no process was seen holding: ", s->groups[i].group);
	if (un)
		fprintf(f, "\n");
	if (s->owners && s->owners->lost)
		fprintf(f, "  WARNING: %llu (group, process) pairs past %d not kept: their groups show as held by none\n",
			s->owners->lost, VM_OWNERS_MAX);
	free(rows);
}
