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
