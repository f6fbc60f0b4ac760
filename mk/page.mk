# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's page: src/page.html, without its comments and meaningless line breaks
# (tools/minify-page.awk), becomes build/page.h, one C string literal (each line quoted,
# backslashes and quotes escaped), which src/http.c includes. No tool but awk and sed.
AWK ?= awk
build/page.h: src/page.html tools/minify-page.awk mk/page.mk
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(AWK) -f tools/minify-page.awk $< >$@.html && \
		sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $@.html >$@.tmp && mv $@.tmp $@

CPPFLAGS += -Ibuild
# Every build of src/http.c (mk/fuzz.mk, mk/cross.mk, mk/pkg.mk too) needs it first.
build/http.o build/fuzz/obj/http.o $(UNIT_BINS) $(SAN_BINS) build/san/iptmon: build/page.h
cross-build musl-check build/variant-nft/iptmon build/variant-iptables/iptmon: build/page.h

# The page's size as served (bytes), for the README.
.PHONY: page-size
page-size: build/page.h
	$(Q)wc -c <build/page.h.html

# The page in headless chromium and the Grafana dashboards against real Prometheus and
# InfluxDB (root; chromium is a big install, see tests/deps.sh).
.PHONY: page-check
page-check: iptmon
	$(Q)tests/ns/run.sh -b nft page page_markup dashboards
