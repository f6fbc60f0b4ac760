# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzzing: libFuzzer harnesses (tests/fuzz/fuzz_NAME.c) built with clang under ASan + UBSan
# against the real sources, each run for FUZZ_SECONDS from its seed corpus
# (tests/fuzz/corpus/NAME/). `make fuzz` fails on any crash, sanitizer report or broken
# property; the input that did it is left in build/fuzz/artifacts/.
#   make fuzz                       every harness, FUZZ_SECONDS (20) each
#   make fuzz FUZZ=name FUZZ_SECONDS=600
#   make fuzz-build                 build only
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 20
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ ?= $(FUZZ_TARGETS)
FUZZ_BINS := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_OBJS := $(LIB_SRCS:src/%.c=build/fuzz/obj/%.o)
# clang also flags vfprintf(fmt) in a log callback whose format it cannot see (src/http.c's
# mhd_log); gcc's -Wformat=2 does not. The rest of the warning set holds under clang too.
FUZZ_WARNINGS := $(WARNINGS) -Wno-format-nonliteral

.PHONY: fuzz fuzz-build
.SECONDARY: $(FUZZ_OBJS)
fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ:%=build/fuzz/fuzz_%)
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ)

# The sources once, with coverage for libFuzzer; each harness links them.
build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_WARNINGS) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP \
		-c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -Isrc $(FUZZ_WARNINGS) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_OBJS) $(LIBS) $(LDLIBS)

-include $(FUZZ_OBJS:.o=.d)
