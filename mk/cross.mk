# SPDX-License-Identifier: GPL-2.0-or-later
# Cross builds, so that a big-endian or 32-bit mistake shows up before a router sees it:
#
#   make cross-check ARCH=s390x     big-endian, 64-bit
#   make cross-check ARCH=armhf     little-endian, 32-bit
#   make musl-check                 every source compiled against musl (Debian's musl-tools)
#
# cross-check builds iptmon and every unit test with Debian's cross compiler against a sysroot
# (build/sysroot-ARCH, made once by tests/pkg/sysroot.sh with mmdebstrap from this machine's
# own apt sources), runs the unit tests under qemu-user, and runs `iptmon version` and
# `iptmon help`. qemu-user has no NETLINK_NETFILTER, so nothing here reaches a kernel: the
# golden-byte tests (tests/unit/test_golden*.c) are what pin the bytes the kernel would get.

ARCH ?= s390x
CROSS_TRIPLET_s390x := s390x-linux-gnu
CROSS_TRIPLET_armhf := arm-linux-gnueabihf
CROSS_TRIPLET_arm64 := aarch64-linux-gnu
CROSS_TRIPLET_i386 := i686-linux-gnu
CROSS_QEMU_s390x := qemu-s390x
CROSS_QEMU_armhf := qemu-arm
CROSS_QEMU_arm64 := qemu-aarch64
CROSS_QEMU_i386 := qemu-i386
CROSS_TRIPLET = $(CROSS_TRIPLET_$(ARCH))
CROSS_QEMU = $(CROSS_QEMU_$(ARCH))
CROSS_SYSROOT = $(CURDIR)/build/sysroot-$(ARCH)
CROSS_DIR = build/cross-$(ARCH)
CROSS_CC = $(CROSS_TRIPLET)-gcc --sysroot=$(CROSS_SYSROOT)
CROSS_PKG_CONFIG = PKG_CONFIG_SYSROOT_DIR=$(CROSS_SYSROOT) \
	PKG_CONFIG_LIBDIR=$(CROSS_SYSROOT)/usr/lib/$(CROSS_TRIPLET)/pkgconfig:$(CROSS_SYSROOT)/usr/share/pkgconfig \
	$(PKG_CONFIG)
# The sysroot's libraries resolve the libraries' own dependencies at link time.
CROSS_LDFLAGS = -Wl,-rpath-link,$(CROSS_SYSROOT)/usr/lib/$(CROSS_TRIPLET)
CROSS_LIBS = $(shell $(CROSS_PKG_CONFIG) --libs $(BACKEND_PCS) 2>/dev/null) -ldl
CROSS_OBJS = $(SRCS:src/%.c=$(CROSS_DIR)/%.o)
CROSS_TESTS = $(UNIT_TESTS:%=$(CROSS_DIR)/tests/%)

.PHONY: cross-check cross-build musl-check
cross-check: cross-build
	$(Q)tests/unit/run.sh $(UNIT_TESTS:%=$(CROSS_DIR)/run/%)
	$(Q)$(CROSS_DIR)/run/iptmon version
	$(Q)$(CROSS_DIR)/run/iptmon help >/dev/null
	@echo "cross-check $(ARCH): ok"

cross-build:
	$(Q)if [ -z "$(CROSS_TRIPLET)" ]; then echo "cross: unknown ARCH '$(ARCH)' (s390x, armhf, arm64, i386)" >&2; exit 1; fi
	$(Q)command -v $(CROSS_TRIPLET)-gcc >/dev/null || { echo "cross: $(CROSS_TRIPLET)-gcc missing (apt-get install gcc-$(CROSS_TRIPLET))" >&2; exit 1; }
	$(Q)command -v $(CROSS_QEMU) >/dev/null || { echo "cross: $(CROSS_QEMU) missing (apt-get install qemu-user)" >&2; exit 1; }
	$(Q)tests/pkg/sysroot.sh $(ARCH) $(CROSS_SYSROOT)
	$(Q)$(MAKE) --no-print-directory $(CROSS_DIR)/iptmon $(CROSS_TESTS) $(CROSS_DIR)/run/iptmon \
		$(UNIT_TESTS:%=$(CROSS_DIR)/run/%)

$(CROSS_DIR)/%.o: src/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CROSS_CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(CROSS_DIR)/iptmon: $(CROSS_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CROSS_CC) $(ALL_CFLAGS) $(CROSS_LDFLAGS) -o $@ $^ $(CROSS_LIBS)

$(CROSS_DIR)/tests/%: tests/unit/%.c $(LIB_SRCS) tests/unit/*.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CROSS_CC) $(CPPFLAGS) -Isrc $(WARNINGS) -O1 -g $(CROSS_LDFLAGS) -o $@ $< $(LIB_SRCS) -lcmocka $(CROSS_LIBS)

$(CROSS_DIR)/tests/test_membuf: CROSS_LIBS += -lz

# qemu-user runs each binary with the sysroot as its library (and file) prefix.
# IPTMON_QEMU_USER tells the tests that what a child process sees of its signals and of a
# failed exec is qemu's, not the kernel's (tests/unit/test_run.c skips those checks).
$(CROSS_DIR)/run/%: $(CROSS_DIR)/tests/%
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nIPTMON_QEMU_USER=1 exec %s -L %s %s "$$@"\n' $(CROSS_QEMU) $(CROSS_SYSROOT) $(CURDIR)/$< >$@ && chmod +x $@

$(CROSS_DIR)/run/iptmon: $(CROSS_DIR)/iptmon
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec %s -L %s %s "$$@"\n' $(CROSS_QEMU) $(CROSS_SYSROOT) $(CURDIR)/$< >$@ && chmod +x $@

-include $(CROSS_OBJS:.o=.d)

# musl: compile every source (not link: Debian has no musl builds of libnftnl, libmnl,
# libiptc, libmicrohttpd or libcurl). musl-gcc searches only musl's own headers, so the
# libraries' headers and the kernel's come from a directory of links to Debian's copies;
# glibc's headers are never on the path, so anything glibc-only fails here.
MUSL_DIR := build/musl
MUSL_HDRS := libnftnl libmnl libiptc linux asm-generic microhttpd.h curl cmocka.h zlib.h zconf.h
musl-check:
	$(Q)command -v musl-gcc >/dev/null || { echo "musl: musl-gcc missing (apt-get install musl-tools)" >&2; exit 1; }
	$(Q)rm -rf $(MUSL_DIR) && mkdir -p $(MUSL_DIR)/include
	$(Q)ma=$$($(CC) -dumpmachine); for h in $(MUSL_HDRS) asm; do \
		for d in /usr/include /usr/include/$$ma; do \
			if [ -e $$d/$$h ]; then ln -s $$d/$$h $(MUSL_DIR)/include/$$h; break; fi; \
		done; \
		[ -e $(MUSL_DIR)/include/$$h ] || { echo "musl: no /usr/include/$$h (tests/deps.sh installs it)" >&2; exit 1; }; \
	done
	$(Q)for f in $(SRCS) $(wildcard tests/unit/*.c); do \
		$(if $(Q),echo "  MUSL    $$f";) \
		musl-gcc $(CPPFLAGS) -Isrc -idirafter $(MUSL_DIR)/include $(WARNINGS) -Werror -O2 \
			-c -o $(MUSL_DIR)/$$(basename $$f .c).o $$f || exit 1; \
	done
	@echo "musl-check: $(words $(SRCS) $(wildcard tests/unit/*.c)) files compiled"
