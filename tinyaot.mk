# tinyaot.mk - compile ONNX models with tinyaot from Make-based (firmware) builds (GNU make).
# Installed as <prefix>/share/tinyaot/tinyaot.mk; documentation: docs/build-integration.md.
#
#   TINYAOT := /opt/tinyaot/bin/tinyaot      # the compiler, run on the build machine (default: tinyaot in PATH)
#   TINYAOT_GEN_DIR := build/gen             # where generated files go (default: tinyaot-gen)
#   include /opt/tinyaot/share/tinyaot/tinyaot.mk
#
#   $(eval $(call tinyaot_model,kws,models/kws.onnx,--target cortex-m4))
#   #           NAME (C identifier), MODEL, [tinyaot compile options], [more prerequisites]
#
# defines   kws_CPP = $(TINYAOT_GEN_DIR)/kws/kws.cpp   kws_H = .../kws.h   kws_DIR = $(TINYAOT_GEN_DIR)/kws
# and appends to TINYAOT_SOURCES (every generated .cpp), TINYAOT_INCLUDES (-I flags) and
# TINYAOT_GENERATED (every generated file, for clean rules). The rule regenerates kws.cpp and kws.h
# when the model, the tinyaot executable, a listed extra prerequisite or the options change.
# Build the .cpp like any other source (C++11 or later) and make objects that include kws.h depend
# on $(kws_H), e.g.
#
#   CPPFLAGS += $(TINYAOT_INCLUDES)
#   main.o: main.cpp $(kws_H)
#   app.elf: main.o $(TINYAOT_SOURCES:.cpp=.o) ; $(CXX) $(LDFLAGS) $^ -lm -o $@
#
# Quantisation / calibration: pass the flags `tinyaot compile --help` lists in the options argument
# and name data files in the fourth argument. Paths must not contain spaces or single quotes.

TINYAOT ?= tinyaot
TINYAOT_GEN_DIR ?= tinyaot-gen

# The compiler as a file (for the prerequisite): $(TINYAOT) itself if it is a path, else from PATH.
tinyaot__exe = $(firstword $(wildcard $(TINYAOT)) $(shell command -v '$(TINYAOT)' 2>/dev/null))

# Grouped targets (GNU make 4.3+) make one tinyaot run produce both files, also with -j.
ifneq ($(filter grouped-target,$(.FEATURES)),)
define tinyaot__outputs_rule
$$($(1)_CPP) $$($(1)_H) &: $(2)
endef
else
define tinyaot__outputs_rule
$$($(1)_H): $$($(1)_CPP) ;
$$($(1)_CPP): $(2)
endef
endif

define tinyaot_model
tinyaot__goal := $$(.DEFAULT_GOAL)
$(1)_DIR := $$(TINYAOT_GEN_DIR)/$(1)
$(1)_CPP := $$($(1)_DIR)/$(1).cpp
$(1)_H := $$($(1)_DIR)/$(1).h
$(1)_TINYAOT_ARGS := compile $(2) -o $$($(1)_DIR) --name $(1) $(3)
TINYAOT_SOURCES += $$($(1)_CPP)
TINYAOT_INCLUDES += -I$$($(1)_DIR)
TINYAOT_GENERATED += $$($(1)_CPP) $$($(1)_H) $$($(1)_DIR)/.$(1).tinyaot-args

# Rewritten only when the arguments change (make re-reads its time after the recipe), so a changed
# option regenerates the model and an unchanged one does not.
$$($(1)_DIR)/.$(1).tinyaot-args: tinyaot__force
	@mkdir -p $$(@D)
	@echo '$$($(1)_TINYAOT_ARGS)' | cmp -s - $$@ || echo '$$($(1)_TINYAOT_ARGS)' > $$@

$(call tinyaot__outputs_rule,$(1),$(2) $(tinyaot__exe) $$($(1)_DIR)/.$(1).tinyaot-args $(4))
	@test -n "$$(tinyaot__exe)" || { echo "tinyaot.mk: cannot find the tinyaot compiler '$$(TINYAOT)' (set TINYAOT=/path/to/tinyaot)" >&2; exit 1; }
	$$(TINYAOT) $$($(1)_TINYAOT_ARGS)

# These rules must not become the makefile's default goal.
.DEFAULT_GOAL := $$(tinyaot__goal)
endef

tinyaot__goal := $(.DEFAULT_GOAL)
.PHONY: tinyaot__force
tinyaot__force:
.DEFAULT_GOAL := $(tinyaot__goal)
