// SPDX-License-Identifier: GPL-2.0
/*
 * bench-linemap ID...: where each loaded BPF program's source lines begin in its JIT image, so
 * that tools/bench --perf can name the line a sample fell in (guest.py). One line per function
 * ("ID FUNC ADDR LEN") and per line-info record ("ID LINE ADDR FILE:LINE SOURCE"); addresses
 * in hex, as perf script prints them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

static void prog_lines(__u32 id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), nl, njl, nk, i;
	void *lines = NULL;
	__u64 *jited = NULL, *ksyms = NULL;
	__u32 *lens = NULL;
	struct btf *btf = NULL;
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		goto out;
	nl = info.nr_line_info;
	njl = info.nr_jited_line_info;
	nk = info.nr_jited_ksyms;
	if (!nl || njl != nl || !nk)
		goto out;	/* no BTF line info, or not JITed */
	lines = calloc(nl, info.line_info_rec_size);
	jited = calloc(njl, sizeof(*jited));
	ksyms = calloc(nk, sizeof(*ksyms));
	lens = calloc(nk, sizeof(*lens));
	if (!lines || !jited || !ksyms || !lens)
		goto out;
	{
		struct bpf_prog_info more = {
			.nr_line_info = nl, .line_info_rec_size = info.line_info_rec_size,
			.line_info = (unsigned long)lines,
			.nr_jited_line_info = njl, .jited_line_info_rec_size = sizeof(*jited),
			.jited_line_info = (unsigned long)jited,
			.nr_jited_ksyms = nk, .jited_ksyms = (unsigned long)ksyms,
			.nr_jited_func_lens = nk, .jited_func_lens = (unsigned long)lens,
		};
		__u32 btf_id = info.btf_id;

		len = sizeof(more);
		if (bpf_obj_get_info_by_fd(fd, &more, &len))
			goto out;
		info = more;
		btf = btf__load_from_kernel_by_id(btf_id);
	}
	for (i = 0; i < nk; i++)
		printf("%u FUNC %llx %u\n", id, (unsigned long long)ksyms[i], lens[i]);
	for (i = 0; i < nl; i++) {
		const struct bpf_line_info *l = (const void *)((const char *)lines + i * info.line_info_rec_size);
		const char *file = btf ? btf__name_by_offset(btf, l->file_name_off) : NULL;
		const char *src = btf ? btf__name_by_offset(btf, l->line_off) : NULL;
		const char *base = file ? strrchr(file, '/') : NULL;

		printf("%u LINE %llx %s:%u %s\n", id, (unsigned long long)jited[i],
		       base ? base + 1 : file ? file : "?", BPF_LINE_INFO_LINE_NUM(l->line_col), src ? src : "");
	}
out:
	btf__free(btf);
	free(lines);
	free(jited);
	free(ksyms);
	free(lens);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		prog_lines((__u32)strtoul(argv[i], NULL, 10));
	return 0;
}
