// SPDX-License-Identifier: GPL-2.0
/* Module lifecycle: the watcher and the module event printers. */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "histogram.h"
#include "json.h"
#include "lifecycle.h"
#include "lifecycle.skel.h"
#include "log.h"

int lifecycle_start(struct lifecycle *lc, const char *const modules[], int n)
{
	const char one = 1;
	int i, e;

	memset(lc, 0, sizeof(*lc));
	lc->skel = lifecycle_bpf__open_and_load();
	if (!lc->skel) {
		snprintf(lc->why, sizeof(lc->why), "cannot load the module watcher: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		char key[MODULE_NAME_LEN_] = {};

		snprintf(key, sizeof(key), "%s", modules[i]);
		if (bpf_map_update_elem(bpf_map__fd(lc->skel->maps.watched), key, &one, BPF_ANY)) {
			snprintf(lc->why, sizeof(lc->why), "cannot watch module %s: %s", modules[i],
				 strerror(errno));
			goto fail;
		}
	}
	if (lifecycle_bpf__attach(lc->skel)) {
		e = errno;
		/* CONFIG_MODULES unset: no module tracepoints, and nothing to follow */
		snprintf(lc->why, sizeof(lc->why), "module_load/module_free tracepoints: %s%s",
			 strerror(e), e == ENOENT ? " (kernel without module support?)" : "");
		goto fail;
	}
	lc->active = true;
	return 0;
fail:
	lifecycle_bpf__destroy(lc->skel);
	lc->skel = NULL;
	return -1;
}

void lifecycle_stop(struct lifecycle *lc)
{
	lifecycle_bpf__destroy(lc->skel);
	lc->skel = NULL;
	lc->active = false;
}

int lifecycle_ring_fd(const struct lifecycle *lc)
{
	return lc->skel ? bpf_map__fd(lc->skel->maps.module_events) : -1;
}

unsigned long long lifecycle_drops(const struct lifecycle *lc)
{
	return lc->skel ? lc->skel->bss->module_event_drops : 0;
}

static void module_text(FILE *f, const struct module_report *r)
{
	char buf[512] = "", d[16];
	int i;

	for (i = 0; i < r->nhooks; i++) {
		const struct hook_change *h = &r->hooks[i];

		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s (%s)", i ? ", " : "",
			 h->hook, h->function);
		if (r->action == MODULE_LOADED && h->detached_ns >= 0)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " after %s detached",
				 fmt_ns((unsigned long long)h->detached_ns, d, sizeof(d)));
	}
	if (r->action == MODULE_FREED)
		fprintf(f, "vfiotrace: module %s unloaded: detached %s; counts kept, "
			"re-attaching when it is loaded again\n", r->module, r->nhooks ? buf : "nothing");
	else
		fprintf(f, "vfiotrace: module %s loaded: attached %s%s%s\n", r->module,
			r->nhooks ? buf : "nothing", r->error[0] ? "; " : "", r->error);
}

void render_module_event(FILE *err, FILE *out, const struct module_report *r, bool json)
{
	struct json j;
	int i;

	module_text(err, r);
	fflush(err);
	if (!json)
		return;
	json_init(&j, out);
	json_obj_begin(&j, NULL);
	json_str(&j, "event", "module");
	json_str(&j, "module", r->module);
	json_str(&j, "action", r->action == MODULE_FREED ? "unload" : "load");
	json_uint(&j, "ts_ns", r->ts_ns);
	json_arr_begin(&j, "hooks");
	for (i = 0; i < r->nhooks; i++) {
		const struct hook_change *h = &r->hooks[i];

		json_obj_begin(&j, NULL);
		json_str(&j, "hook", h->hook);
		json_str(&j, "function", h->function);
		json_str(&j, "style", h->style);
		if (r->action == MODULE_LOADED) {
			if (h->detached_ns >= 0)
				json_uint(&j, "detached_ns", (unsigned long long)h->detached_ns);
			else
				json_null(&j, "detached_ns");
		}
		json_obj_end(&j);
	}
	json_arr_end(&j);
	if (r->action == MODULE_LOADED) {
		long long max = -1;

		for (i = 0; i < r->nhooks; i++)
			if (r->hooks[i].detached_ns > max)
				max = r->hooks[i].detached_ns;
		if (max >= 0)
			json_uint(&j, "detached_ns", (unsigned long long)max);
		else
			json_null(&j, "detached_ns");
	}
	if (r->error[0])
		json_str(&j, "error", r->error);
	json_obj_end(&j);
	fflush(out);
}
