# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's page: src/page.html, without its comments and meaningless line breaks
# (tools/minify-page.awk), becomes build/page.h, one C string literal (each line quoted,
# backslashes and quotes escaped), which src/http.c includes. No tool but awk and sed.
# WITH_PAGE=0: `/` serves tools/nopage.html instead, a few lines that point at the API
# (11 KB less), from build/nopage/page.h, so that build/page.h stays the page for other builds.
AWK ?= awk
page_c_string = sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/'
build/page.h: src/page.html tools/minify-page.awk mk/page.mk
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(AWK) -f tools/minify-page.awk $< >$@.html && $(page_c_string) $@.html >$@.tmp && mv $@.tmp $@

build/nopage/page.h: tools/nopage.html mk/page.mk
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)grep -v '^<!--' $< | $(page_c_string) >$@.tmp && mv $@.tmp $@

ifeq ($(WITH_PAGE),0)
PAGE_H := build/nopage/page.h
else
PAGE_H := build/page.h
endif
CPPFLAGS += -I$(patsubst %/,%,$(dir $(PAGE_H)))
# Every build of src/http.c (mk/fuzz.mk, mk/cross.mk, mk/pkg.mk too) needs it first.
build/http.o build/fuzz/obj/http.o $(UNIT_BINS) $(SAN_BINS) build/san/iptmon: $(PAGE_H)
cross-build musl-check build/variant-nft/iptmon build/variant-iptables/iptmon: $(PAGE_H)

# The page's size as served (bytes), for the README.
.PHONY: page-size
page-size: build/page.h
	$(Q)wc -c <build/page.h.html

# The page in headless chromium and the Grafana dashboards against real Prometheus and
# InfluxDB (root; chromium is a big install, see tests/deps.sh).
.PHONY: page-check
page-check: iptmon
	$(Q)tests/ns/run.sh -b nft page page_hour_off page_markup dashboards
