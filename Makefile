# vfiotrace: `make` builds build/vfiotrace; `make check` runs every test;
# `make demo` boots a VM and shows vfiotrace tracing a VFIO workload.
# Missing build and test dependencies are installed with apt-get (as root).

BUILD    := build
CLANG    ?= clang
CC       ?= gcc
BPFTOOL  ?= bpftool
LLVM_STRIP ?= llvm-strip
ARCH     := x86
VERSION  := 0.1.0

CFLAGS   ?= -O2 -g
# user/: main, the command table and options at the top; the layers in folders (README: Layout)
USER_DIRS := user user/kernel user/loader user/features user/output
USER_CFLAGS := $(CFLAGS) -Wall -Wextra -Werror -std=gnu11 -I$(BUILD) -Ibpf $(addprefix -I,$(USER_DIRS)) \
               -DVFIOTRACE_VERSION='"$(VERSION)"'
# <linux/bpf.h> includes <asm/types.h>, which Debian keeps under the multiarch triplet
BPF_CFLAGS  := -target bpf -g -O2 -Wall -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Ibpf \
               -idirafter /usr/include/$(shell $(CC) -dumpmachine)
LDLIBS   := -Wl,-Bstatic -lbpf -lelf -lz -lzstd
# libelf from Debian bookworm pulls in zstd; -static links libbpf.a/libelf.a/libz.a.

DEPS := clang llvm libclang-rt-dev libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev \
        qemu-system-x86 busybox-static cpio xz-utils zstd python3 \
        prometheus prometheus-node-exporter mandoc man-db systemd bpftrace \
        flex bison bc dwarves

USER_SRCS := $(filter-out user/main.c,$(wildcard $(addsuffix /*.c,$(USER_DIRS))))
USER_HDRS := $(wildcard $(addsuffix /*.h,$(USER_DIRS)))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
BPF_HDRS  := $(wildcard bpf/*.h)

.DELETE_ON_ERROR:

.PHONY: all binaries deps check unit demo bench clean install deb sanitize fuzz fuzz-build fuzz-merge

PREFIX   ?= /usr/local
DESTDIR  ?=
SBINDIR  := $(PREFIX)/sbin
MANDIR   := $(PREFIX)/share/man
DOCDIR   := $(PREFIX)/share/doc/vfiotrace
# systemd looks in /lib/systemd/system for packages, /etc/systemd/system for local installs
UNITDIR  ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,/etc/systemd/system)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB      := $(BUILD)/vfiotrace_$(VERSION)_$(DEB_ARCH).deb

all binaries: $(BUILD)/vfiotrace $(BUILD)/vfio-workload

deps:
	@missing=""; for p in $(DEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: need root to apt-get install$$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# One BPF source per feature (bpf/*.bpf.c), linked into one object and one skeleton.
# common first: libbpf 1.1's linker cannot resolve an extern map defined in a later object
# lifecycle is its own object: loaded first, attached while the rest waits for its modules;
# ksym_lookup and ksym_iter too: run once, in start-up's kallsyms thread
OWN_OBJS := lifecycle ksym_lookup ksym_iter
BPF_SRCS := bpf/common.bpf.c $(filter-out bpf/common.bpf.c $(OWN_OBJS:%=bpf/%.bpf.c),$(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) vmlinux/$(ARCH)/vmlinux.h | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# DWARF is stripped (BTF stays): the skeleton embeds this object in the binary.
$(BUILD)/vfiotrace.bpf.o: $(BPF_OBJS)
	$(BPFTOOL) gen object $@ $^
	$(LLVM_STRIP) -g $@

$(BUILD)/vfiotrace.skel.h: $(BUILD)/vfiotrace.bpf.o
	$(BPFTOOL) gen skeleton $< name vfiotrace_bpf > $@

# The same object with the events' code compiled out (bpf/common.bpf.h VFIOTRACE_NO_EVENTS), for
# the commands that emit none: a fifth less for the kernel to load (docs/benchmarks.md, run 19).
# The loader opens the main skeleton on its bytes, so its skeleton must be the main one's but
# for the bytes: checked here.
BPF_QUIET_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf-quiet/%.bpf.o,$(BPF_SRCS))
SKEL_CODE = sed '/^static inline const void \*vfiotrace_bpf__elf_bytes(size_t \*sz)$$/,/^}$$/d'

$(BUILD)/bpf-quiet/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) vmlinux/$(ARCH)/vmlinux.h | $(BUILD)/bpf-quiet
	$(CLANG) $(BPF_CFLAGS) -DVFIOTRACE_NO_EVENTS -c $< -o $@

$(BUILD)/vfiotrace_quiet.bpf.o: $(BPF_QUIET_OBJS)
	$(BPFTOOL) gen object $@ $^
	$(LLVM_STRIP) -g $@

$(BUILD)/vfiotrace_quiet.skel.h: $(BUILD)/vfiotrace_quiet.bpf.o $(BUILD)/vfiotrace.skel.h
	$(BPFTOOL) gen skeleton $< name vfiotrace_bpf | $(SKEL_CODE) > $@.code
	$(SKEL_CODE) $(BUILD)/vfiotrace.skel.h | cmp -s - $@.code || \
		{ echo "$<: its skeleton differs from vfiotrace.bpf.o's (diff $@.code)" >&2; exit 1; }
	$(BPFTOOL) gen skeleton $< name vfiotrace_quiet_bpf > $@

$(OWN_OBJS:%=$(BUILD)/%.bpf.o): $(BUILD)/%.bpf.o: $(BUILD)/bpf/%.bpf.o
	$(LLVM_STRIP) -g -o $@ $<

$(OWN_OBJS:%=$(BUILD)/%.skel.h): $(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# The skeletons are generated headers: every object may include them (make -j).
$(BUILD)/user/%.o: user/%.c $(USER_HDRS) $(BPF_HDRS) $(BUILD)/vfiotrace.skel.h $(OWN_OBJS:%=$(BUILD)/%.skel.h) | $(addprefix $(BUILD)/,$(USER_DIRS))
	$(CC) $(USER_CFLAGS) -c $< -o $@


$(BUILD)/vfiotrace: $(USER_OBJS) $(BUILD)/user/main.o
	$(CC) -static $(CFLAGS) -o $@ $^ $(LDLIBS)

# the requester-id walk is the loader's own (user/kernel/pcialias.c), one copy: the VM checks hold
# it against the source id the IOMMU itself recorded (the fault's "device")
$(BUILD)/vfio-workload: tools/vfio-workload.c tools/vfio-fault.c tools/vfio-fault.h tools/vfio-iommufd.c \
		tools/vfio-iommufd.h user/kernel/pcialias.c user/kernel/pcialias.h | $(BUILD)
	$(CC) -static $(CFLAGS) -Wall -Wextra -Werror -Iuser/kernel -o $@ tools/vfio-workload.c tools/vfio-fault.c \
		tools/vfio-iommufd.c user/kernel/pcialias.c

$(BUILD) $(BUILD)/bpf $(BUILD)/bpf-quiet $(addprefix $(BUILD)/,$(USER_DIRS)) $(BUILD)/tests $(BUILD)/bench:
	mkdir -p $@

# Host unit tests for the loader's logic (no BPF, no VFIO needed).
$(BUILD)/tests/unit: tests/unit/test_main.c $(wildcard tests/unit/*.c) $(USER_OBJS) | $(BUILD)/tests
	$(CC) $(USER_CFLAGS) -o $@ tests/unit/test_main.c $(USER_OBJS) $(LDLIBS) -static

# The exporter's HTTP server alone, for hostile-client tests (tests/http/hostile.py).
$(BUILD)/tests/httpd: tests/http/httpd.c $(BUILD)/user/output/http.o | $(BUILD)/tests
	$(CC) $(USER_CFLAGS) -o $@ $^ -static

# make sanitize: the loader and the unit tests with ASan+UBSan, dynamically linked
# (the sanitizer runtimes do not link with -static; libclang-rt-dev has them and
# libFuzzer, clang only recommends it). A report exits 99
# (tests/sanitize/defaults.c), so every test that checks exit codes fails on it.
SAN       := $(BUILD)/sanitize
SAN_CC    ?= clang
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_CFLAGS := -O1 -g $(SAN_FLAGS) $(filter-out $(CFLAGS),$(USER_CFLAGS))
SAN_LIBS  := -lbpf -lelf -lz
SAN_OBJS  := $(patsubst user/%.c,$(SAN)/user/%.o,$(USER_SRCS)) $(SAN)/defaults.o

$(SAN)/user/%.o: user/%.c $(USER_HDRS) $(BPF_HDRS) | $(addprefix $(SAN)/,$(USER_DIRS))
	$(SAN_CC) $(SAN_CFLAGS) -c $< -o $@


$(SAN)/defaults.o: tests/sanitize/defaults.c | $(SAN)
	$(SAN_CC) $(SAN_CFLAGS) -c $< -o $@

$(SAN)/vfiotrace: $(SAN_OBJS) $(SAN)/user/main.o
	$(SAN_CC) $(SAN_FLAGS) -o $@ $^ $(SAN_LIBS)

$(SAN)/unit: tests/unit/test_main.c $(wildcard tests/unit/*.c) $(SAN_OBJS)
	$(SAN_CC) $(SAN_CFLAGS) -o $@ tests/unit/test_main.c $(SAN_OBJS) $(SAN_LIBS)

$(SAN)/httpd: tests/http/httpd.c $(SAN)/user/output/http.o $(SAN)/defaults.o
	$(SAN_CC) $(SAN_CFLAGS) -o $@ $^

$(SAN) $(addprefix $(SAN)/,$(USER_DIRS)):
	mkdir -p $@

sanitize: $(SAN)/vfiotrace $(SAN)/unit $(SAN)/httpd

# make fuzz [FUZZ_SECONDS=60]: every libFuzzer target in tests/fuzz/*.c for
# FUZZ_SECONDS each (tests/fuzz/run); their logs are build/fuzz/TARGET.log.
FUZZ      := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SAN  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(filter-out $(CFLAGS),$(USER_CFLAGS))
FUZZ_OBJS := $(patsubst user/%.c,$(FUZZ)/user/%.o,$(USER_SRCS))
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ)/%,$(wildcard tests/fuzz/*.c))

$(FUZZ)/user/%.o: user/%.c $(USER_HDRS) $(BPF_HDRS) | $(addprefix $(FUZZ)/,$(USER_DIRS))
	$(SAN_CC) $(FUZZ_CFLAGS) -c $< -o $@

# Sources that include a skeleton, in every build of user/ (plain, sanitize, fuzz).
SKEL_DIRS := $(BUILD)/user $(SAN)/user $(FUZZ)/user
$(foreach d,$(SKEL_DIRS),$(d)/main.o $(d)/loader/tracer.o $(d)/loader/object.o $(d)/loader/capacity.o): $(BUILD)/vfiotrace.skel.h
$(foreach d,$(SKEL_DIRS),$(d)/loader/object.o): $(BUILD)/vfiotrace_quiet.skel.h
$(foreach d,$(SKEL_DIRS),$(d)/loader/lifecycle.o): $(BUILD)/lifecycle.skel.h
$(foreach d,$(SKEL_DIRS),$(d)/kernel/ksym_lookup.o): $(BUILD)/ksym_lookup.skel.h
$(foreach d,$(SKEL_DIRS),$(d)/kernel/ksym_iter.o): $(BUILD)/ksym_iter.skel.h

# kept between runs: make would delete them as intermediates of the pattern rule below
.SECONDARY: $(FUZZ_OBJS)

$(FUZZ)/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(FUZZ_OBJS)
	$(SAN_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(SAN_LIBS)

$(addprefix $(FUZZ)/,$(USER_DIRS)):
	mkdir -p $@

fuzz-build: $(FUZZ_TARGETS)

fuzz: $(FUZZ_TARGETS)
	tests/fuzz/run $(FUZZ_SECONDS) $(notdir $(FUZZ_TARGETS))

# Inputs that `make fuzz` found and that add coverage go into tests/fuzz/corpus (to commit).
fuzz-merge: $(FUZZ_TARGETS)
	for t in $(notdir $(FUZZ_TARGETS)); do \
		$(FUZZ)/$$t -merge=1 tests/fuzz/corpus/$$t $(FUZZ)/corpus/$$t >$(FUZZ)/$$t-merge.log 2>&1 || exit 1; \
	done

unit: $(BUILD)/tests/unit
	$(BUILD)/tests/unit tests/unit/fixtures

check: deps all $(BUILD)/tests/unit $(BUILD)/tests/httpd $(BUILD)/bench-floor sanitize fuzz-build
	tests/run

demo: deps all
	tools/demo

# Overhead against bpftrace and an empty-program floor (docs/benchmarks.md).
bench: deps all $(BUILD)/bench-floor $(BUILD)/bench-linemap
	tools/bench

# tools/bench's floor loader: empty kprobes, without and with one CO-RE read
$(BUILD)/bench/floor.bpf.o: tools/bench.d/floor.bpf.c vmlinux/$(ARCH)/vmlinux.h | $(BUILD)/bench
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(LLVM_STRIP) -g $@

$(BUILD)/bench/floor_core.bpf.o: tools/bench.d/floor.bpf.c vmlinux/$(ARCH)/vmlinux.h | $(BUILD)/bench
	$(CLANG) $(BPF_CFLAGS) -DCORE -c $< -o $@
	$(LLVM_STRIP) -g $@

$(BUILD)/bench/%.skel.h: $(BUILD)/bench/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(BUILD)/bench-floor: tools/bench.d/floor.c $(BUILD)/bench/floor.skel.h $(BUILD)/bench/floor_core.skel.h
	$(CC) -static $(CFLAGS) -Wall -Wextra -Werror -I$(BUILD)/bench -o $@ $< $(LDLIBS)

$(BUILD)/bench-linemap: tools/bench.d/linemap.c
	@mkdir -p $(BUILD)
	$(CC) -static $(CFLAGS) -Wall -Wextra -Werror -o $@ $< $(LDLIBS)

# make install [PREFIX=/usr/local] [DESTDIR=...]: binary, man page, unit, docs
install: $(BUILD)/vfiotrace
	install -D -m 0755 $(BUILD)/vfiotrace $(DESTDIR)$(SBINDIR)/vfiotrace
	install -D -m 0644 packaging/vfiotrace.8 $(DESTDIR)$(MANDIR)/man8/vfiotrace.8
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|' packaging/vfiotrace.service.in > $(DESTDIR)$(UNITDIR)/vfiotrace.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/vfiotrace.service
	install -D -m 0644 packaging/vfiotrace.default $(DESTDIR)/etc/default/vfiotrace
	install -d $(DESTDIR)$(DOCDIR)/prometheus
	install -m 0644 README.md docs/*.md packaging/copyright $(DESTDIR)$(DOCDIR)/
	install -m 0644 docs/prometheus/*.yml docs/prometheus/*.json $(DESTDIR)$(DOCDIR)/prometheus/

# make deb: build/vfiotrace_VERSION_ARCH.deb (binary, man page, unit, docs)
deb: $(BUILD)/vfiotrace
	rm -rf $(BUILD)/deb
	$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(BUILD)/deb PREFIX=/usr
	gzip -9n $(BUILD)/deb/usr/share/man/man8/vfiotrace.8
	install -d $(BUILD)/deb/DEBIAN
	echo /etc/default/vfiotrace > $(BUILD)/deb/DEBIAN/conffiles
	sed -e 's|@VERSION@|$(VERSION)|' -e 's|@ARCH@|$(DEB_ARCH)|' \
	    -e "s|@SIZE@|$$(du -sk $(BUILD)/deb --exclude=DEBIAN | cut -f1)|" \
	    packaging/control.in > $(BUILD)/deb/DEBIAN/control
	dpkg-deb --root-owner-group -Zxz --build $(BUILD)/deb $(DEB)

clean:
	rm -rf $(BUILD)
