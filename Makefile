# ksim: `make` builds ./ksim, `make test` runs every test under prove,
# `make demo` runs the demo scenario, `make bench` measures. SANITIZE=1 builds with ASan+UBSan.

CC      ?= cc
PKGS    := lua5.4 libcjson ncursesw
DEB_PKGS := liblua5.4-dev libcjson-dev libncurses-dev pkg-config
# Only the tests use these (the viewer's tmux test, xmllint on exported SVG).
TEST_DEB_PKGS := tmux libxml2-utils
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_XOPEN_SOURCE_EXTENDED
WARN    := -Wall -Wextra -Wshadow -Wno-unused-parameter
OPT     ?= -O2 -g

ifeq ($(SANITIZE),1)
  BUILD := build-san
  OPT   := -O1 -g -fno-omit-frame-pointer
  SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
  # The longest randomized sweeps take a fifth of their default seeds here (tap.h).
  TEST_ENV := SEEDS_DIV=5
else
  BUILD := build
  SAN   :=
endif

DEPS_OK := $(BUILD)/.deps-ok
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(CSTD) $(WARN) $(OPT) $(SAN) -I. $(PKG_CFLAGS) -MMD -MP
LDLIBS  += $(PKG_LIBS) -lm
LDFLAGS += $(SAN)

SIM_SRC  := $(sort $(shell find sim -name '*.c'))
LUA_SRC  := $(sort $(wildcard lua/*.c))
TUI_SRC  := $(sort $(wildcard tui/*.c))
UTIL_SRC := $(sort $(wildcard util/*.c))
LIB_SRC  := $(UTIL_SRC) $(SIM_SRC) $(LUA_SRC) $(TUI_SRC)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
KSIM     := $(BUILD)/ksim

.PHONY: all test test-deps demo bench clean deps golden
all: ksim

ksim: $(KSIM)
	@[ "$(BUILD)" = build ] && ln -sf $(KSIM) ksim || true

# Dependencies come from Debian's packages. Missing ones are installed when we are root
# with apt-get; otherwise the build stops with the exact command to run.
deps: $(DEPS_OK)
$(DEPS_OK):
	@mkdir -p $(BUILD)
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists $(PKGS); then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "ksim: installing $(DEB_PKGS)"; \
	    (apt-get install -y -q $(DEB_PKGS) || (apt-get update -q && apt-get install -y -q $(DEB_PKGS))) >&2 || exit 1; \
	  else \
	    echo "ksim: missing build dependencies. Run:"; \
	    echo "  sudo apt-get install -y $(DEB_PKGS)"; exit 1; \
	  fi; \
	fi
	@touch $@

$(BUILD)/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libksim.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

CLI_SRC  := $(sort $(wildcard cli/*.c))
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)

$(KSIM): $(CLI_OBJ) $(BUILD)/libksim.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libksim.a | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libksim.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libksim.a | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O2 -o $@ $< $(BUILD)/libksim.a $(LDFLAGS) $(LDLIBS)

# Test-only tools, installed like the build's packages; without them the tests that need
# them say SKIP.
test-deps:
	@if ! command -v tmux >/dev/null 2>&1 || ! command -v xmllint >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "ksim: installing $(TEST_DEB_PKGS) for the tests"; \
	    (apt-get install -y -q $(TEST_DEB_PKGS) || (apt-get update -q && apt-get install -y -q $(TEST_DEB_PKGS))) >&2 || \
	      echo "ksim: could not install $(TEST_DEB_PKGS): the viewer and export tests will skip" >&2; \
	  else \
	    echo "ksim: the viewer and export tests need $(TEST_DEB_PKGS); they skip without them. Run:"; \
	    echo "  sudo apt-get install -y $(TEST_DEB_PKGS)"; \
	  fi; \
	fi

# Every test is an executable speaking TAP: C unit tests and the scripts in tests/.
# The long randomized tests start first, so that the two jobs end together.
test: $(KSIM) $(UNIT_BIN) test-deps
	$(TEST_ENV) KSIM=$(abspath $(KSIM)) BUILD=$(abspath $(BUILD)) prove -j2 --exec '' \
	  $(filter %_random,$(UNIT_BIN)) $(filter-out %_random,$(UNIT_BIN)) $(sort $(wildcard tests/*.t))

# On a terminal the viewer opens (q quits); elsewhere the text timeline is printed.
demo: ksim
	$(KSIM) run scenarios/01-lost-ack-duplicate.lua --tui

# Records every scenario's digest as the new expectation (after an intended change).
golden: ksim
	@for f in $$(find scenarios -name '*.lua' | LC_ALL=C sort); do \
	  printf '%s %s\n' "$$f" "$$($(KSIM) run --quiet $$f | tail -n 1 | sed -n 's/^digest //p')"; \
	done > tests/golden/digests.txt
	@cat tests/golden/digests.txt

bench: $(KSIM) $(BENCH_BIN)
	@for b in $(BENCH_BIN); do $$b || exit 1; done

clean:
	rm -rf build build-san ksim

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_BIN:=.d) $(BENCH_BIN:=.d)
