# SPDX-License-Identifier: GPL-2.0-or-later
# Packages:
#
#   make deb         build/deb/iptmon_VERSION_ARCH.deb with dpkg-buildpackage -b -us -uc, in a
#                    copy of the tree (so nothing is left in it), then lintian on it
#   make pkg-check   the OpenWrt glue (openwrt/) under busybox ash, and the .deb's files
#                    (root: both run against the real kernel in network namespaces)
#
# openwrt/ is built by an OpenWrt SDK (see openwrt/README.md); the SDK does not run here.

DEB_DIR := build/deb
DEB_ARCH = $(shell dpkg --print-architecture)
DEB_FILE = $(DEB_DIR)/iptmon_$(VERSION)_$(DEB_ARCH).deb

.PHONY: deb pkg-check
deb:
	$(Q)v=$$(dpkg-parsechangelog -l debian/changelog -S Version) && [ "$$v" = "$(VERSION)" ] || \
		{ echo "deb: debian/changelog says $$v, the Makefile's VERSION is $(VERSION)" >&2; exit 1; }
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/iptmon-$(VERSION)
	$(Q)if git rev-parse --git-dir >/dev/null 2>&1; then \
		git ls-files -z -c -o --exclude-standard | xargs -0 cp -P --parents -t $(DEB_DIR)/iptmon-$(VERSION); \
	else \
		tar -c --exclude=./build --exclude=./iptmon . | tar -x -C $(DEB_DIR)/iptmon-$(VERSION); \
	fi
	$(Q)cd $(DEB_DIR)/iptmon-$(VERSION) && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -n 40 ../build.log >&2; exit 1; }
	$(Q)lintian --fail-on error,warning $(DEB_DIR)/*.changes
	@echo "deb: $(DEB_FILE)"

pkg-check: iptmon
	$(Q)tests/pkg/openwrt.sh

# The binaries OpenWrt's two variants build (BACKENDS=nft, BACKENDS=iptables), for the
# OpenWrt namespace case: one compiler run each, out of the way of the main build.
VARIANT_nft_PCS := libnftnl libmnl
VARIANT_iptables_PCS := libip4tc libip6tc libmnl
VARIANT_nft_OUT := src/iptc.c
VARIANT_iptables_OUT := src/nft.c
VARIANT_nft_DEFS := -DIPTMON_NO_IPTC
VARIANT_iptables_DEFS := -DIPTMON_NO_NFT
.PHONY: variants
variants: build/variant-nft/iptmon build/variant-iptables/iptmon
build/variant-%/iptmon: $(SRCS) $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(filter-out -DIPTMON_NO_%,$(CPPFLAGS)) $(VARIANT_$*_DEFS) $(WARNINGS) $(CFLAGS) \
		$(LDFLAGS) -o $@ $(filter-out $(VARIANT_$*_OUT),$(SRCS)) \
		$(shell $(PKG_CONFIG) --libs $(VARIANT_$*_PCS) 2>/dev/null) -ldl
