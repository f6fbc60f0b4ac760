# SPDX-License-Identifier: GPL-2.0-or-later
VERSION ?= 0.1.0
PREFIX ?= /usr
BINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
WARNINGS := -std=gnu11 -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wimplicit-fallthrough -Wno-unused-parameter
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
CPPFLAGS += -DIPTMON_VERSION='"$(VERSION)"' -D_GNU_SOURCE
# SMALL=1: built for size (a router's flash), after CFLAGS so that it wins over a packager's
# -O2: -Os, no unwind tables, unused sections collected, link-time optimisation. And, as
# OpenWrt does on its small-flash targets, neither PIE nor RELRO: a position-dependent binary
# has no relocations to carry (-8 KB) and no RELRO page to pad to (-2 to -3 KB), but its code and
# data sit at the same addresses in every run (no ASLR for them) and its GOT stays writable.
# SMALL=1 PIE=1 keeps both (the README gives both sizes).
SMALL_CFLAGS :=
SMALL_LDFLAGS :=
ifeq ($(SMALL),1)
SMALL_CFLAGS := -Os -fno-asynchronous-unwind-tables -fno-unwind-tables -ffunction-sections \
	-fdata-sections -flto=auto -fno-plt
SMALL_LDFLAGS := -Wl,--gc-sections -Wl,-O1 -Wl,--as-needed -Wl,--hash-style=gnu \
	-Wl,-z,noseparate-code
ifneq ($(PIE),1)
# In the compiler's flags too: unit tests link the objects without SMALL_LDFLAGS.
SMALL_CFLAGS += -fno-pie -no-pie
# Without RELRO nothing asks for the data to start on a page of its own in the file: a
# smaller common page size lets it follow the code (the kernel maps the page they share twice).
SMALL_LDFLAGS += -Wl,-z,norelro -Wl,-z,common-page-size=64
endif
endif
# RELR=1 (with PIE, SMALL=1 PIE=1 or a default build): the PIE's relative relocations packed
# (DT_RELR, 88 bytes instead of 8 KB). Needs binutils 2.38 and a C library that applies them:
# glibc 2.36 (older ones refuse the binary by its symbol version), musl 1.2.4 (OpenWrt 23.05;
# older musl would run it unrelocated and crash).
ifeq ($(RELR),1)
SMALL_LDFLAGS += -Wl,-z,pack-relative-relocs
endif
ALL_CFLAGS := $(WARNINGS) $(CFLAGS) $(SMALL_CFLAGS) -MMD -MP

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRCS := src/addr.c src/name.c src/config.c src/hosts.c src/dhcp.c src/run.c \
	src/backend.c src/journal.c src/plan.c src/dups.c src/ipt.c src/iptc.c src/nft.c src/show.c src/export.c src/totals.c src/period.c \
	src/http.c src/cdsock.c src/influx.c src/hpost.c src/dl.c src/membuf.c src/state.c src/daemon.c src/history.c \
	src/change.c src/neigh.c src/discover.c src/discd.c src/ct.c src/counting.c src/npool.c
# The library backends built in (OpenWrt's nft and iptables package variants build one each):
# nft = src/nft.c (libnftnl, libmnl), iptables = src/iptc.c (libip4tc, libip6tc). src/ipt.c
# (iptables-nft and `iptables`, through their programs) needs no library and is always built.
# WITH_IPTABLES=0 (nft only) and WITH_NFT=0 (iptables only) take one out of BACKENDS.
BACKENDS ?= nft iptables
ifeq ($(WITH_IPTABLES),0)
BACKENDS := $(filter-out iptables,$(BACKENDS))
endif
ifeq ($(WITH_NFT),0)
BACKENDS := $(filter-out nft,$(BACKENDS))
endif
# libmnl for every build: the daemon's host discovery reads the neighbour table (src/neigh.c)
# and its conntrack counting talks ctnetlink (src/ct.c).
BACKEND_PCS := libmnl
ifneq ($(filter nft,$(BACKENDS)),)
BACKEND_PCS += libnftnl
else
LIB_SRCS := $(filter-out src/nft.c,$(LIB_SRCS))
CPPFLAGS += -DIPTMON_NO_NFT
endif
ifneq ($(filter iptables,$(BACKENDS)),)
BACKEND_PCS += libip4tc libip6tc
else
LIB_SRCS := $(filter-out src/iptc.c,$(LIB_SRCS))
CPPFLAGS += -DIPTMON_NO_IPTC
endif
# Features a router can leave out (not in the default build; README, Footprint):
# WITH_DISCOVER=0 the daemon's host discovery (src/discover.c, src/neigh.c; src/discd.c says
# it is missing), WITH_CONNTRACK=0 the conntrack counting mode (src/ct.c; src/counting.c
# says it is missing and counts at the forward hook), WITH_PAGE=0 the page (mk/page.mk).
ifeq ($(WITH_DISCOVER),0)
LIB_SRCS := $(filter-out src/discover.c src/neigh.c,$(LIB_SRCS))
CPPFLAGS += -DIPTMON_NO_DISCOVER
endif
ifeq ($(WITH_CONNTRACK),0)
LIB_SRCS := $(filter-out src/ct.c,$(LIB_SRCS))
CPPFLAGS += -DIPTMON_NO_CONNTRACK
endif
# libmicrohttpd and libcurl are not linked: the daemon dlopen()s them (src/dl.h); only their
# headers are needed here.
LIBS := $(shell $(PKG_CONFIG) --libs $(BACKEND_PCS) 2>/dev/null || \
	echo $(patsubst lib%,-l%,$(BACKEND_PCS))) -ldl
SRCS := $(LIB_SRCS) src/main.c
OBJS := $(SRCS:src/%.c=build/%.o)
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
# A backend's own tests go with it.
ifeq ($(filter nft,$(BACKENDS)),)
UNIT_TESTS := $(filter-out test_nft test_nft_% test_golden_nft,$(UNIT_TESTS))
endif
ifeq ($(filter iptables,$(BACKENDS)),)
UNIT_TESTS := $(filter-out test_golden_iptc test_iptc test_iptc_%,$(UNIT_TESTS))
endif
ifeq ($(WITH_DISCOVER),0)
UNIT_TESTS := $(filter-out test_discover,$(UNIT_TESTS))
endif
ifeq ($(WITH_CONNTRACK),0)
UNIT_TESTS := $(filter-out test_ct,$(UNIT_TESTS))
endif
UNIT_BINS := $(UNIT_TESTS:%=build/tests/%)
SAN_BINS := $(UNIT_TESTS:%=build/san/%)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: all clean install uninstall check unit-check ns-check san-check demo bench deps strip
all: iptmon

# Objects, the binary and the tests are made again when the flags or backends change
# (`make WITH_IPTABLES=0` after `make`): build/.flags holds the last ones.
BUILD_FLAGS := $(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $(SMALL_LDFLAGS) $(LIBS)
ifeq ($(VDIR),) # (mk/variants.mk's builds have a directory each)
ifneq ($(file <build/.flags),$(BUILD_FLAGS))
$(shell mkdir -p build)
$(file >build/.flags,$(BUILD_FLAGS))
endif
endif
$(OBJS) $(UNIT_BINS) $(SAN_BINS) build/san/iptmon: build/.flags

# The binary as a router installs it (OpenWrt strips too): the size the README gives.
strip: iptmon
	$(Q)strip -s -R .comment -R .note.gnu.build-id -o build/iptmon.stripped iptmon
	$(Q)size build/iptmon.stripped; stat -c '%s bytes stripped' build/iptmon.stripped

iptmon: $(OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(SMALL_LDFLAGS) -o $@ $^ $(LIBS) $(LDLIBS)

build/%.o: src/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# Unit tests link the real sources (all but main.c).
build/tests/%: tests/unit/%.c $(LIB_SRCS) tests/unit/*.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CPPFLAGS) -Isrc $(WARNINGS) -O1 -g -o $@ $< $(LIB_SRCS) $(CMOCKA_LIBS) $(LIBS)

build/san/%: tests/unit/%.c $(LIB_SRCS) tests/unit/*.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  SAN     $@")
	$(Q)$(CC) $(CPPFLAGS) -Isrc $(WARNINGS) -O1 -g $(SANFLAGS) -o $@ $< $(LIB_SRCS) $(CMOCKA_LIBS) $(LIBS)

# test_membuf inflates what membuf.c compressed: zlib linked (the daemon loads it with dlopen).
build/tests/test_membuf build/san/test_membuf: LIBS += -lz

build/san/iptmon: $(SRCS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(WARNINGS) -O1 -g $(SANFLAGS) -o $@ $(SRCS) $(LIBS)

unit-check: $(UNIT_BINS) $(SAN_BINS)
	$(Q)tests/unit/run.sh $(UNIT_BINS) $(SAN_BINS)

# Needs root: real netfilter in network namespaces, real dnsmasq and collectd.
ns-check: iptmon
	$(Q)tests/ns/run.sh

san-check: build/san/iptmon
	$(Q)IPTMON_BIN=$(CURDIR)/build/san/iptmon tests/ns/run.sh

# Debian packages for the build, the demo and the tests (installed when run as root).
deps:
	$(Q)tests/deps.sh

# Unit tests, then (as root) the namespace suite with the release and the sanitizer builds.
check: deps
	$(Q)$(MAKE) --no-print-directory iptmon build/san/iptmon $(UNIT_BINS) $(SAN_BINS)
	$(Q)tests/check.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory iptmon
	$(Q)tests/ns/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory iptmon
	$(Q)bench/run.sh

install: iptmon
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 iptmon $(DESTDIR)$(BINDIR)/iptmon
	install -m 0644 man/iptmon.8 $(DESTDIR)$(MANDIR)/man8/iptmon.8

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/iptmon $(DESTDIR)$(MANDIR)/man8/iptmon.8

clean:
	rm -rf build iptmon

# Extra targets, one file per subject (cross builds, fuzzing, packages).
include $(wildcard mk/*.mk)

-include $(OBJS:.o=.d)
