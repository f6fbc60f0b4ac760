# SPDX-License-Identifier: GPL-2.0-or-later
# The build variants routers need, each built with WERROR=1 in its own directory and its unit
# tests run (the tests of a backend left out are left out with it):
#
#   make variant-check   nft only (WITH_IPTABLES=0), iptables only (WITH_NFT=0), every
#                        backend built for size (SMALL=1, link-time optimisation included),
#                        without discovery, conntrack and the page (WITH_DISCOVER=0
#                        WITH_CONNTRACK=0 WITH_PAGE=0);
#                        and the PIE with packed relocations (SMALL=1 PIE=1 RELR=1), its
#                        binary only, run once (the loader applies its relocations)
#   make sizes           the stripped size of each variant built with SMALL=1 (the README's)
#
# One object per source and variant, shared by the binary and the tests (tests link the
# variant's objects but main.o).

VARIANT_NAMES := nft iptables small lean
VARIANT_ARGS_nft := WITH_IPTABLES=0
VARIANT_ARGS_iptables := WITH_NFT=0
VARIANT_ARGS_small := SMALL=1
VARIANT_ARGS_lean := WITH_DISCOVER=0 WITH_CONNTRACK=0 WITH_PAGE=0

.PHONY: variant-check variant-one sizes
variant-check: build/page.h
	$(Q)$(foreach v,$(VARIANT_NAMES),$(MAKE) --no-print-directory $(VARIANT_ARGS_$(v)) \
		WERROR=1 VDIR=build/var-$(v) variant-one && ) true
	$(Q)$(MAKE) --no-print-directory SMALL=1 PIE=1 RELR=1 WERROR=1 VDIR=build/var-relr \
		build/var-relr/iptmon && echo "build/var-relr (SMALL=1 PIE=1 RELR=1): $$(build/var-relr/iptmon version)"

ifneq ($(VDIR),)
VDIR_OBJS := $(SRCS:src/%.c=$(VDIR)/obj/%.o)
VDIR_TESTS := $(UNIT_TESTS:%=$(VDIR)/tests/%)

variant-one: $(VDIR)/iptmon $(VDIR_TESTS)
	$(Q)tests/unit/run.sh $(VDIR_TESTS) >$(VDIR)/unit.log 2>&1 || { cat $(VDIR)/unit.log; exit 1; }
	$(Q)echo "$(VDIR) (BACKENDS=$(BACKENDS)): $$(tail -n 1 $(VDIR)/unit.log); $$($(VDIR)/iptmon version)"

$(VDIR)/obj/%.o: src/%.c Makefile mk/variants.mk $(PAGE_H)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(VDIR)/iptmon: $(VDIR_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(SMALL_LDFLAGS) -o $@ $^ $(LIBS) $(LDLIBS)

$(VDIR)/tests/%: tests/unit/%.c $(filter-out $(VDIR)/obj/main.o,$(VDIR_OBJS)) tests/unit/*.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CPPFLAGS) -Isrc $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< \
		$(filter-out $(VDIR)/obj/main.o,$(VDIR_OBJS)) $(CMOCKA_LIBS) $(LIBS)

$(VDIR)/tests/test_membuf: LIBS += -lz

-include $(VDIR_OBJS:.o=.d)
endif

# Stripped sizes of the SMALL=1 variants (bytes), as a router installs them; PIE=1's (and
# with RELR=1) too.
SIZE_VARIANTS := all: nft:WITH_IPTABLES=0 iptables:WITH_NFT=0 all-pie:PIE=1 nft-pie:WITH_IPTABLES=0,PIE=1 \
	all-relr:PIE=1,RELR=1 nft-relr:WITH_IPTABLES=0,PIE=1,RELR=1 \
	nft-nodisc:WITH_IPTABLES=0,WITH_DISCOVER=0 nft-noct:WITH_IPTABLES=0,WITH_CONNTRACK=0 \
	nft-nopage:WITH_IPTABLES=0,WITH_PAGE=0 \
	nft-lean:WITH_IPTABLES=0,WITH_DISCOVER=0,WITH_CONNTRACK=0,WITH_PAGE=0 \
	all-lean:WITH_DISCOVER=0,WITH_CONNTRACK=0,WITH_PAGE=0
sizes: build/page.h
	$(Q)for v in $(SIZE_VARIANTS); do \
		d=build/size-$${v%%:*}; a=$$(echo "$${v#*:}" | tr , ' '); \
		$(MAKE) --no-print-directory -s SMALL=1 $$a VDIR=$$d $$d/iptmon >/dev/null || exit 1; \
		strip -s -R .comment -R .note.gnu.build-id -o $$d/iptmon.stripped $$d/iptmon; \
		echo "SMALL=1 $$a ($${v%%:*}): $$(stat -c %s $$d/iptmon.stripped) bytes stripped"; \
	done
