# netacl — build, test, install.
#
#   make            ./netacl
#   make check      unit + integration tests, then again under ASan+UBSan
#   make bench      benchmarks (tests/bench/), not part of check
#   make fuzz       libFuzzer targets: policy parser, compiled JSON, hosts files,
#                   DNS messages of the admission forwarder (clang)
#   make install    PREFIX=/usr/local DESTDIR= (SBINDIR, MANDIR, ... below;
#                   NETACL_BIN=PATH installs that binary instead of building)
#   make uninstall  the same variables: removes what install put there

PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
# bash-completion loads completions/NAME when NAME is first completed
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR  ?= $(PREFIX)/share/doc/netacl
# The systemd units and the OCI hook are examples, not services to start:
# they name a site's policy (/etc/netacl/...) and a site's program, so they
# go where Debian puts a package's examples (/usr/share/doc/PKG/examples,
# Debian policy 12.6), not in lib/systemd/system, where systemctl would list
# them and a package's scripts would enable them.  Copy one to
# /etc/systemd/system and edit it.
EXAMPLEDIR ?= $(DOCDIR)/examples
# The binary `make install` installs; the tests give the one they built.
NETACL_BIN ?= netacl
CC      ?= cc
CLANG   ?= clang
# Debian installs bpftool in /usr/sbin, which is not in a user's PATH
BPFTOOL ?= $(or $(shell command -v bpftool),/usr/sbin/bpftool)
CFLAGS  ?= -O2 -g
PKG_CONFIG ?= pkg-config

VERSION := 0.1.0
# Out-of-tree object directory; the sanitizer build uses its own.
O       ?= build

PKGS     := yaml-0.1 jansson yajl libcares libbpf libpsl libcrypto
WARN     := -Wall -Wextra -Werror
XCFLAGS  := -std=gnu11 $(WARN) -I. -I$(O) -DNETACL_VERSION='"$(VERSION)"' \
            $(shell $(PKG_CONFIG) --cflags $(PKGS)) $(SAN)
XLIBS    := $(shell $(PKG_CONFIG) --libs $(PKGS)) $(SAN)
TESTLIBS := $(shell $(PKG_CONFIG) --libs criterion)

ACL_SRC      := $(wildcard acl/*.c)
COMPILER_SRC := $(filter-out compiler/cmd/main.c,$(wildcard compiler/*.c compiler/*/*.c))
BPF_USER_SRC := $(wildcard bpf/*.c)
BPF_SRC      := $(wildcard bpf/*.bpf.c)
BPF_SKELS    := $(patsubst bpf/%.bpf.c,$(O)/bpf/%.skel.h,$(BPF_SRC))
LIB_SRC      := $(ACL_SRC) $(COMPILER_SRC) $(filter-out %.bpf.c,$(BPF_USER_SRC))
LIB_OBJ      := $(patsubst %.c,$(O)/%.o,$(LIB_SRC))
UNIT_SRC     := $(wildcard tests/unit/*.c)
UNIT_OBJ     := $(patsubst %.c,$(O)/%.o,$(UNIT_SRC))

.PHONY: all check test harness unit integration bench fuzz install uninstall clean
all: netacl

netacl: $(O)/netacl
	cp $< $@

$(O)/netacl: $(O)/compiler/cmd/main.o $(LIB_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(XLIBS) $(LDFLAGS)

$(O)/%.o: %.c | $(BPF_SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -MMD -MP -c -o $@ $<

# eBPF: bpf/x.bpf.c -> x.bpf.o -> x.skel.h (libbpf-bootstrap style)
$(O)/bpf/%.bpf.o: bpf/%.bpf.c bpf/*.h
	@mkdir -p $(@D)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -I. \
	    -idirafter /usr/include/$(shell $(CLANG) -print-multiarch) -c $< -o $@

$(O)/bpf/%.skel.h: $(O)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

# The object and skeleton are kept (a second make does nothing), and a
# recipe that fails leaves no half-written target behind.
.SECONDARY: $(BPF_SKELS) $(BPF_SKELS:.skel.h=.bpf.o)
.DELETE_ON_ERROR:

$(O)/tests/unit-tests: $(UNIT_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(XLIBS) $(TESTLIBS) $(LDFLAGS)

unit: $(O)/tests/unit-tests
	$(O)/tests/unit-tests --jobs 2

# the kernel tests' helper: connects and sends from inside a cgroup
$(O)/tests/probe: tests/kernel/probe.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) $(SAN) -o $@ $<

# integration and kernel tests, by one runner (tests/run.sh); the kernel
# tests skip without root, and fail instead under NETACL_REQUIRE_BPF=1
integration: $(O)/netacl $(O)/tests/probe
	NETACL=$(CURDIR)/$(O)/netacl PROBE=$(CURDIR)/$(O)/tests/probe \
	    tests/run.sh tests/integration tests/kernel

# the runner itself must fail a test at any failed check
harness:
	tests/harness/selftest.sh

test: harness unit integration

SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
check:
	$(MAKE) test
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(MAKE) test O=build-san SAN="$(SANFLAGS)" CFLAGS="-O1 -g"

bench: $(O)/netacl $(O)/tests/probe
	NETACL=$(CURDIR)/$(O)/netacl PROBE=$(CURDIR)/$(O)/tests/probe O=$(O) tests/bench/run.sh

FUZZERS := policy json hosts dns
fuzz:
	$(MAKE) O=build-fuzz CC=$(CLANG) SAN="-fsanitize=fuzzer-no-link,address,undefined" CFLAGS="-O1 -g" build-fuzz/lib.stamp
	for f in $(FUZZERS); do \
	  $(CLANG) -O1 -g -std=gnu11 -I. -Ibuild-fuzz -fsanitize=fuzzer,address,undefined \
	    $(shell $(PKG_CONFIG) --cflags $(PKGS)) -o build-fuzz/fuzz-$$f tests/fuzz/fuzz_$$f.c \
	    $(patsubst %.c,build-fuzz/%.o,$(LIB_SRC)) $(shell $(PKG_CONFIG) --libs $(PKGS)) || exit 1; \
	done
	@echo "run: build-fuzz/fuzz-NAME -max_total_time=600 tests/fuzz/corpus-NAME (NAME: $(FUZZERS))"

$(O)/lib.stamp: $(LIB_OBJ)
	touch $@

# The examples name the binary as /usr/local/sbin/netacl; installed, they
# name it where it is ($(SBINDIR)).  examples/oci/ is installed when it is
# there, every file in it.
EXAMPLES        := $(wildcard examples/*.yaml examples/*.hosts)
EXAMPLES_SYSTEMD := $(wildcard examples/systemd/*)
EXAMPLES_OCI    := $(wildcard examples/oci/*)
SUBST_SBIN      := sed 's|/usr/local/sbin/netacl|$(SBINDIR)/netacl|g'

install: $(NETACL_BIN)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(EXAMPLEDIR)/systemd
	install -m 0755 $(NETACL_BIN) $(DESTDIR)$(SBINDIR)/netacl
	install -m 0644 man/netacl-policy.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/netacl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 completion/netacl.bash $(DESTDIR)$(BASHCOMPDIR)/netacl
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(EXAMPLEDIR)/
	for f in $(EXAMPLES_SYSTEMD) $(EXAMPLES_OCI); do \
	  if [ -f "$$f" ]; then \
	    install -d $(DESTDIR)$(EXAMPLEDIR)/$$(basename $$(dirname $$f)) && \
	    $(SUBST_SBIN) "$$f" > $(DESTDIR)$(EXAMPLEDIR)/$${f#examples/} && \
	    chmod 0644 $(DESTDIR)$(EXAMPLEDIR)/$${f#examples/} || exit 1; \
	  fi; \
	done

# What install put there, and the directories that are netacl's own.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/netacl $(DESTDIR)$(MANDIR)/man5/netacl-policy.5 \
	    $(DESTDIR)$(MANDIR)/man8/netacl.8 $(DESTDIR)$(BASHCOMPDIR)/netacl \
	    $(addprefix $(DESTDIR)$(EXAMPLEDIR)/,$(patsubst examples/%,%,$(EXAMPLES) \
	        $(EXAMPLES_SYSTEMD) $(EXAMPLES_OCI)))
	for d in $(EXAMPLEDIR)/systemd $(EXAMPLEDIR)/oci $(EXAMPLEDIR) $(DOCDIR); do \
	  if [ -d $(DESTDIR)$$d ]; then rmdir --ignore-fail-on-non-empty $(DESTDIR)$$d || exit 1; fi; \
	done

clean:
	rm -rf build build-san build-fuzz netacl

-include $(shell find $(O) -name '*.d' 2>/dev/null)
