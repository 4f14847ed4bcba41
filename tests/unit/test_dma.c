/* SPDX-License-Identifier: GPL-2.0 */
/* The step, cause and detail of failed DMA maps (user/features/dma_explain.c), from the state BPF reads. */

static void dma_case(const struct dma_failure *f, int step, const char *cause_has, const char *detail_has)
{
	struct dma_explained x;

	dma_explain(f, &x);
	CHECK(x.step == step, "step %s, want %s (%s)", step_name(x.step), step_name(step), x.detail);
	CHECK(strstr(x.cause, cause_has), "cause %s lacks %s", x.cause, cause_has);
	CHECK(strstr(x.detail, detail_has), "detail %s lacks %s", x.detail, detail_has);
}

static void test_dma_explain(void)
{
	struct dma_failure base = { .ret = -EINVAL, .iova = 0x10000000, .size = 0x100000, .vaddr = 0x7f0000000000,
				    .flags = 3, .argsz = 32, .known = 1, .pgsize = 0x1000 };
	struct dma_failure f;

	f = base;
	f.size = 0x100800;
	dma_case(&f, STEP_DMA_REQUEST, "aligned", "not aligned to the IOMMU page size 0x1000: size 0x100800");
	f = base;
	f.flags = 0;
	dma_case(&f, STEP_DMA_REQUEST, "malformed", "flags 0x0");
	f = base;
	f.iova = 0xfee00000;
	f.size = 0x1000;
	f.nranges = 2;
	f.ranges[0][0] = 0;
	f.ranges[0][1] = 0xfedfffff;
	f.ranges[1][0] = 0xfef00000;
	f.ranges[1][1] = 0x7fffffffff;
	dma_case(&f, STEP_DMA_IOVA_RANGE, "reserved",
		 "iova 0xfee00000-0xfee00fff is in none of the container's 2 valid IOVA ranges: 0x0-0xfedfffff, "
		 "0xfef00000-0x7fffffffff");
	f.iova = 0x10000000;
	dma_case(&f, STEP_UNKNOWN, "not told apart", "no check");
	f = base;
	f.known = 0;
	f.pgsize = 0;
	dma_case(&f, STEP_UNKNOWN, "not told apart", "without type1 BTF");
	f.size = 0x100800;
	dma_case(&f, STEP_DMA_REQUEST, "aligned", "0x1000");
	f = base;
	f.ret = -EEXIST;
	f.has_existing = 1;
	f.existing_iova = 0x0ff80000;
	f.existing_size = 0x100000;
	dma_case(&f, STEP_DMA_OVERLAP, "overlaps", "iova 0x10000000-0x100fffff overlaps the mapping 0xff80000-0x1007ffff");
	f.has_existing = 0;
	dma_case(&f, STEP_DMA_OVERLAP, "overlaps", "not read");
	f = base;
	f.ret = -ENOSPC;
	dma_case(&f, STEP_DMA_LIMIT, "dma_entry_limit", "every entry is used");
	f = base;
	f.ret = -ENOMEM;
	f.pin_failed = 1;
	f.memlock_limit = 65536;
	f.locked = 61440;
	f.pin_size = 1044480;
	dma_case(&f, STEP_DMA_PIN, "RLIMIT_MEMLOCK", "RLIMIT_MEMLOCK 65536 bytes, 61440 locked before, pinning 1044480");
	f.ret = -EFAULT;
	f.pin_vaddr = 0x7f0000001000;
	dma_case(&f, STEP_DMA_PIN, "not mapped", "0x7f0000001000");
	f.pin_failed = 0;
	dma_case(&f, STEP_DMA_REQUEST, "bad user pointer", "could not be read");
	f.ret = -ENOMEM;
	dma_case(&f, STEP_UNKNOWN, "bookkeeping", "");
}

/* Task names in text output: a name cannot break a line or forge a column. */
static void test_text_name(void)
{
	char buf[TEXT_NAME_LEN];

	CHECK(!strcmp(text_name("q\"\\\x01\n\x7f\t\xc3\xa9", buf, sizeof(buf)), "q\"\\x5c\\x01\\x0a\\x7f\\x09\xc3\xa9"),
	      "escaped: %s", buf);
	CHECK(!strcmp(text_name("\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01", buf, sizeof(buf)),
		      "\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01"), "15 control bytes fit: %s", buf);
	CHECK(!strcmp(text_name("\x01\x01", buf, 6), "\\x01"), "truncated at a whole escape: %s", buf);
}
