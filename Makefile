# SPDX-License-Identifier: BSD-2-Clause
# pyspan: build, test, demo, bench and the packages they need on Debian 12.

CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BUILD     := build
PYTHON    := /usr/bin/python3

PREFIX    ?= /usr/local
DESTDIR   ?=
# The version lives in VERSION (every object gets it as PYSPAN_VERSION); a git checkout adds
# what git describe says to --version only.
VERSION   := $(shell cat VERSION)
GIT_DESC  := $(shell git describe --always --dirty 2>/dev/null | sed -e 's/^/ (git /' -e 's/$$/)/')

CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wno-unused-parameter
INCLUDES  := -Iinclude -Iuser -I$(BUILD) -DPYSPAN_VERSION='"$(VERSION)"'
LDLIBS    := -lbpf -lelf -lz -lcjson -lcurl -lcrypto -lm
SANITIZE  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# Every object and binary also writes the headers it read to a .d file beside it.
DEPFLAGS  := -MMD -MP

# Debian packages the build, tests and demo need; `make deps` installs the missing ones.
DEB_BUILD := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libcjson-dev libssl-dev \
	     libcurl4-openssl-dev pkg-config make gcc libc6-dev
DEB_TEST  := python3 python3-flask gunicorn curl procps iproute2 python3-botocore \
	     python3-psycopg2 python3-redis python3-requests postgresql redis-server openssl \
	     libcap2-bin util-linux python3-django python3-fastapi python3-starlette python3-uvicorn \
	     python3-anyio python3-gevent python3-greenlet uwsgi uwsgi-plugin-python3 nginx
# Only `make image-test` needs these: building and running the container image.
DEB_IMAGE := podman buildah debootstrap runc
DEB_BENCH := wrk python3-aws-xray-sdk
DEB_FUZZ  := libclang-rt-14-dev

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

USER_SRCS := $(sort $(shell find user -name '*.c'))
USER_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(USER_SRCS))
# Everything but the program's entry and the BPF loader: what unit tests link against.
LIB_SRCS  := $(filter-out user/main.c user/capture/capture.c,$(USER_SRCS))
SAN_OBJS  := $(patsubst %.c,$(BUILD)/san/%.o,$(LIB_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.SECONDARY:

.PHONY: all deps deps-build test unit e2e demo bench clean vmlinux format fuzz install uninstall \
	image-test FORCE

all: pyspan

pyspan: $(USER_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.bpf.o: bpf/%.bpf.c vmlinux/vmlinux.h
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror=undef $(DEPFLAGS) \
		-Iinclude -Ivmlinux -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<))_bpf > $@

# Rewritten only when git describe changes, so that only cli.o is rebuilt then.
$(BUILD)/version.h: FORCE
	@mkdir -p $(BUILD)
	@echo '#define PYSPAN_GIT "$(GIT_DESC)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# Generated headers, named for the objects that include them: the compiler's dependency files
# (-MMD) only know about them after a first build.
$(BUILD)/user/config/cli.o $(BUILD)/san/user/config/cli.o $(BUILD)/fuzz/obj/user/config/cli.o: \
	$(BUILD)/version.h
$(BUILD)/user/capture/capture.o: $(SKELS)

# Each object depends on the headers it includes, as the compiler lists them in its .d file.
$(BUILD)/user/%.o: user/%.c VERSION
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(DEPFLAGS) $(INCLUDES) -c $< -o $@

$(BUILD)/san/%.o: %.c VERSION
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SANITIZE) $(WARN) $(DEPFLAGS) $(INCLUDES) -c $< -o $@

$(BUILD)/tests/%: tests/unit/%.c $(SAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SANITIZE) $(WARN) $(DEPFLAGS) $(INCLUDES) -Itests/unit -o $@ $< $(SAN_OBJS) \
		$(LDLIBS)

# Fuzzing: tests/fuzz/fuzz_NAME.c is one libFuzzer harness. It links against an archive of
# every library source built with the fuzzing sanitizers, so the linker takes what the
# harness reaches, however that grows. "// fuzz-corpus: DIR ..." lines name its seed inputs
# and "// fuzz-flags: ..." lines extra libFuzzer options.
FUZZ_RUNS  ?= 1000000
FUZZ_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=undefined
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_OBJS  := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(LIB_SRCS))

$(BUILD)/fuzz/obj/%.o: %.c VERSION
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(WARN) $(DEPFLAGS) $(INCLUDES) -c $< -o $@

$(BUILD)/fuzz/libpyspan.a: $(FUZZ_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/fuzz/libpyspan.a
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $(WARN) $(DEPFLAGS) $(INCLUDES) -Itests/fuzz -o $@ \
		$< $(BUILD)/fuzz/libpyspan.a $(LDLIBS)

# Line-table seeds from the unit-test fixtures: first line and offset (2 x int32 LE), table.
$(BUILD)/fuzz/seeds/linetable: $(wildcard tests/unit/fixtures/linetables/*.txt)
	@mkdir -p $@
	$(PYTHON) tests/fuzz/linetable_seeds.py $@ $^

# Each harness for FUZZ_RUNS inputs; a crash fails the target and leaves its input in
# build/fuzz/crashes/.
fuzz: deps
	$(MAKE) $(FUZZ_BINS) $(BUILD)/fuzz/seeds/linetable
	FUZZ_RUNS=$(FUZZ_RUNS) tests/fuzz/run.sh $(FUZZ_BINS)

# Install what is missing, once: dpkg-query answers without touching the network.
deps:
	@missing=$$(for p in $(DEB_BUILD) $(DEB_TEST) $(DEB_BENCH) $(DEB_FUZZ); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Only what building pyspan needs (the container image's build stage uses this).
deps-build:
	@missing=$$(for p in $(DEB_BUILD); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps-build: installing" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; \
	fi

# The unit suites alone (no root needed), and the end-to-end suites alone (root and BPF).
unit: deps
	$(MAKE) $(UNIT_BINS)
	tests/run.sh unit

e2e: deps
	$(MAKE) pyspan
	tests/run.sh e2e

# The binary and its manual page; PREFIX and DESTDIR as usual (make install DESTDIR=/tmp/pkg).
install: pyspan
	install -D -m 0755 pyspan $(DESTDIR)$(PREFIX)/sbin/pyspan
	install -D -m 0644 man/pyspan.8 $(DESTDIR)$(PREFIX)/share/man/man8/pyspan.8

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/pyspan $(DESTDIR)$(PREFIX)/share/man/man8/pyspan.8

# The container image (deploy/Dockerfile), built and run against a traced service. Slow the
# first time (a Debian base made with debootstrap, the build stage's packages), so it is not
# part of `make test`.
image-test:
	@missing=$$(for p in $(DEB_IMAGE); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	$(PYTHON) tests/image/test_image.py
test: deps
	$(MAKE) pyspan $(UNIT_BINS)
	tests/run.sh

demo: deps
	$(MAKE) pyspan
	$(PYTHON) demo/run.py $(if $(EXPORT),--export $(EXPORT))

# Service overhead, pipeline, memory and probe cost in one run; writes bench/results/DATE.md.
bench: deps
	$(MAKE) pyspan $(BUILD)/bench/replay $(BUILD)/bench/uprobe_count
	$(PYTHON) bench/run.py

# The pipeline benchmark links what the unit tests link, built as pyspan is (no sanitizers).
$(BUILD)/bench/replay: bench/replay.c $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(INCLUDES) -o $@ $^ $(LDLIBS)

# The uprobe counter for the exception-capture candidates pyspan does not use.
$(BUILD)/bench/%.bpf.o: bench/%.bpf.c vmlinux/vmlinux.h
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror=undef \
		-Iinclude -Ivmlinux -c $< -o $@

$(BUILD)/bench/%.skel.h: $(BUILD)/bench/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<))_bpf > $@

$(BUILD)/bench/uprobe_count: bench/uprobe_count.c $(BUILD)/bench/uprobe_count.skel.h
	$(CC) $(CFLAGS) $(WARN) -I$(BUILD)/bench -o $@ $< -lbpf -lelf -lz

# Regenerate the checked-in vmlinux.h from the running kernel's BTF.
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

format:
	clang-format -i $(USER_SRCS) $(shell find user -name '*.h') $(wildcard include/*.h bpf/*.c \
		bpf/*.h tests/unit/*.c)

clean:
	rm -rf $(BUILD) pyspan

# What the compiler found each object to include (written by -MMD); absent before a first build.
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
