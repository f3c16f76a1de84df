# aigw: build the NGINX module against Debian's nginx-dev tree, out of tree in $(BUILD).
SHELL      := /bin/bash
NGX_SRC    ?= /usr/share/nginx/src
NGINX      ?= /usr/sbin/nginx
BUILD      ?= build
MODULES_DIR ?= /usr/lib/nginx/modules
CXX        ?= g++
# Parallel compiles in `make test` (the module's, the CLIs', the unit tests' and the fuzzers'
# objects); the unit tests run one at a time, the integration tests in TEST_LANES lanes.
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
# Debian's own compile flags for its nginx binary (nginx -V), so the module matches it.
NGX_CC_OPT ?= -g -O2 -fstack-protector-strong -Wformat -Werror=format-security -fPIC -Wdate-time -D_FORTIFY_SOURCE=2
NGX_LD_OPT ?= -Wl,-z,relro -Wl,-z,now -fPIC

MODULE     := $(BUILD)/nginx/objs/ngx_http_aigw_module.so
CORE_SRCS  := $(shell find src/core -name '*.cpp' | sort)
NGX_SRCS   := $(shell find src/ngx -name '*.cpp' | sort)
HEADERS    := $(shell find include/aigw src/core src/ngx -name '*.hpp' | sort)

# The tokenizer's tables (scripts/tokenizer-data/generate.mjs, from the pinned npm packages that
# scripts/install-deps installs there), compiled into src/core/accounting/tokenizer/tables.cpp.
TOKENIZER_TABLES := $(BUILD)/tokenizer/tables.bin
TOKENIZER_DEFINE  = -DAIGW_TOKENIZER_TABLES='"$(abspath $(TOKENIZER_TABLES))"'

# -O0: with the sanitizers, -O1 triples the compile time of a core object (simdjson's
# templates) and the tests take a few seconds either way; the module's -O2 build keeps the
# warnings that need the optimizer.
UNIT_CXXFLAGS := -std=c++17 -g -O0 -Wall -Wextra -Werror -Iinclude -Isrc -fsanitize=address,undefined -fno-omit-frame-pointer
UNIT_LIBS     := -lcmocka -lsimdjson -lcrypto
UNIT_TESTS    := $(patsubst t/unit/%.cpp,$(BUILD)/unit/%,$(shell find t/unit -name 'test_*.cpp' | sort))

# The unit tests' and the fuzzers' core objects are one per source folder: the compiler is given
# the folder's first source and -include's the others, one translation unit. A folder's sources
# share most of what they include (simdjson's 127,000 lines, RapidJSON, the pivot's types) and
# the template code that instantiates, which one object per source parsed and compiled again
# each time: the unit objects took about 180 CPU-seconds so, 75 one per folder; the fuzzers'
# about 60, 40.
# The module and the CLIs still compile one object per source, so a source that leans on what
# another one of its folder includes or declares still fails to build there. (When this was
# written, each function of the unit objects called the same functions as when compiled one
# object per source: no name of one source changed what a call of another one means.)
# Compiled alone: tables.cpp (its own rule, for the generated tables) and journal.cpp (its
# impl holds types of its unnamed namespace, which GCC warns of outside the main file).
UNITY_ALONE   := src/core/accounting/tokenizer/tables.cpp src/core/accounting/journal.cpp
unity_srcs     = $(filter-out $(UNITY_ALONE),$(sort $(wildcard $(1)/*.cpp)))
# The folders of which the sources $(1) hold every one (two or more): one object each.
unity_dirs     = $(foreach d,$(sort $(patsubst %/,%,$(dir $(1)))),$(if $(word 2,$(call unity_srcs,$(d))),$(if $(filter-out $(1),$(call unity_srcs,$(d))),,$(d))))
# The objects of the sources $(1) under $(BUILD)/$(2): those folders', then one per other source.
objs_of        = $(patsubst src/%,$(BUILD)/$(2)/unity/%.o,$(call unity_dirs,$(1))) \
                 $(patsubst src/%.cpp,$(BUILD)/$(2)/obj/%.o,$(filter-out $(foreach d,$(call unity_dirs,$(1)),$(call unity_srcs,$(d))),$(1)))
# The compiler's arguments for the folder $(1)'s object.
unity_args     = $(patsubst %,-include %,$(wordlist 2,999,$(call unity_srcs,$(1)))) -c $(firstword $(call unity_srcs,$(1)))
CORE_OBJS     := $(call objs_of,$(CORE_SRCS),unit)

# The admin CLI (scripts/aigw-keys runs it): not part of the module, so not in `config`.
CLI           := $(BUILD)/aigw-keys
CLI_CXXFLAGS  := -std=c++17 -O2 -Wall -Wextra -Werror -Iinclude -Isrc
CLI_LIBS      := -lhiredis -lcrypto -lsimdjson
CLI_CORE_SRCS := $(wildcard src/core/keys/*.cpp) src/core/text/strings.cpp src/core/text/log_value.cpp src/core/schema.cpp src/core/api/error.cpp src/core/accounting/pricing.cpp \
                 src/core/dialects/endpoints.cpp src/core/request_id.cpp src/core/status/attempts.cpp
CLI_OBJS      := $(patsubst src/%.cpp,$(BUILD)/cli/obj/%.o,$(CLI_CORE_SRCS) src/cli/aigw_keys.cpp)

# The token counter (scripts/aigw-tokens runs it).
TOKENS_CLI      := $(BUILD)/aigw-tokens
TOKENS_SRCS     := $(wildcard src/core/accounting/tokenizer/*.cpp) src/core/accounting/token_estimate.cpp src/core/text/json_walk.cpp src/core/text/text_hash.cpp
TOKENS_OBJS     := $(patsubst src/%.cpp,$(BUILD)/cli/obj/%.o,$(TOKENS_SRCS) src/cli/aigw_tokens.cpp)

.PHONY: all module cli deps unit tokenizer-identity fuzz fuzz-objs integration test demo bench bench-metrics bench-tokenizer chaos chaos-memory install clean

all: module cli

$(TOKENIZER_TABLES): scripts/tokenizer-data/generate.mjs scripts/tokenizer-data/package-lock.json
	@mkdir -p $(dir $@)
	node scripts/tokenizer-data/generate.mjs $@

module: $(MODULE)

deps:
	@scripts/install-deps

# configure writes objs/Makefile (Debian's tree has no top-level Makefile to write), so that is
# the target: a second `make` finds it newer than config and does not configure again.
$(BUILD)/nginx/objs/Makefile: config $(NGX_SRC)/conf_flags scripts/tokenizer-data/generate.mjs scripts/tokenizer-data/package-lock.json
	rm -rf $(BUILD)/nginx && mkdir -p $(BUILD) && cp -a $(NGX_SRC) $(BUILD)/nginx
	cd $(BUILD)/nginx && source ./conf_flags && \
	  ./configure "$${NGX_CONF_FLAGS[@]}" --with-cc-opt="$(NGX_CC_OPT)" --with-ld-opt="$(NGX_LD_OPT)" \
	  --add-dynamic-module="$(CURDIR)" > configure.log 2>&1 || { tail -40 configure.log; exit 1; }

# NGINX's own objs/Makefile recompiles only the objects whose source or headers changed. The
# sources that include <simdjson.h> (scripts/includers) read it precompiled: see
# scripts/module-pch.mk, which adds that to objs/Makefile.
$(MODULE): $(BUILD)/nginx/objs/Makefile $(CORE_SRCS) $(NGX_SRCS) $(HEADERS) src/ngx/status_page.html scripts/module-pch.mk
	$(MAKE) -C $(BUILD)/nginx -f objs/Makefile -f $(CURDIR)/scripts/module-pch.mk \
	  AIGW_PCH_SRCS="$$(scripts/includers simdjson.h $(CORE_SRCS) $(NGX_SRCS) | tr '\n' ' ')" modules

.SECONDEXPANSION:

# Core unit tests (cmocka), built with sanitizers; no NGINX involved.
$(BUILD)/unit/unity/%.o: $$(call unity_srcs,src/$$*) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CXX) $(UNIT_CXXFLAGS) $(call unity_args,src/$*) -o $@

$(BUILD)/unit/obj/%.o: src/%.cpp $(HEADERS)
	@mkdir -p $(dir $@)
	$(CXX) $(UNIT_CXXFLAGS) -c $< -o $@

$(BUILD)/unit/obj/core/accounting/tokenizer/tables.o: src/core/accounting/tokenizer/tables.cpp $(HEADERS) $(TOKENIZER_TABLES)
	@mkdir -p $(dir $@)
	$(CXX) $(UNIT_CXXFLAGS) $(TOKENIZER_DEFINE) -c $< -o $@

# The core objects as one archive: each test binary links only the objects it uses (15 MB on
# average, where all of them made 60 MB binaries and most of the unit build's link time).
CORE_LIB := $(BUILD)/unit/libaigw_core.a

$(CORE_LIB): $(CORE_OBJS)
	@rm -f $@
	ar rcs $@ $(CORE_OBJS)

# The test binaries link with gold where binutils has it: each link reads the debug information
# of the core objects it takes, and the 66 links took 41 CPU-seconds with ld.bfd, 27 with gold.
UNIT_LDFLAGS := $(if $(shell command -v ld.gold),-fuse-ld=gold)

# The standard headers most tests include (t/unit/pch.hpp), precompiled with UNIT_CXXFLAGS (a
# precompiled header serves only compiles with the same flags): each test's compile
# -include's pch.hpp and finds the precompiled one first ($(BUILD)/unit/pch, ahead of t/unit).
# The 66 compiles took 85 CPU-seconds without it, 71 with it.
UNIT_PCH := $(BUILD)/unit/pch/pch.hpp.gch

$(UNIT_PCH): t/unit/pch.hpp
	@mkdir -p $(dir $@)
	$(CXX) $(UNIT_CXXFLAGS) -x c++-header $< -o $@

$(BUILD)/unit/%: t/unit/%.cpp $(CORE_LIB) $(wildcard t/unit/*.hpp) $(UNIT_PCH)
	@mkdir -p $(dir $@)
	$(CXX) $(UNIT_CXXFLAGS) -I$(BUILD)/unit/pch -It/unit -include pch.hpp $< $(CORE_LIB) $(UNIT_LIBS) $(UNIT_LDFLAGS) -o $@

# Keep the core objects between runs (they are intermediate files to make).
.SECONDARY: $(CORE_OBJS)

$(BUILD)/cli/obj/%.o: src/%.cpp $(HEADERS)
	@mkdir -p $(dir $@)
	$(CXX) $(CLI_CXXFLAGS) -c $< -o $@

$(BUILD)/cli/obj/core/accounting/tokenizer/tables.o: src/core/accounting/tokenizer/tables.cpp $(HEADERS) $(TOKENIZER_TABLES)
	@mkdir -p $(dir $@)
	$(CXX) $(CLI_CXXFLAGS) $(TOKENIZER_DEFINE) -c $< -o $@

$(CLI): $(CLI_OBJS)
	$(CXX) $(CLI_CXXFLAGS) $(CLI_OBJS) $(CLI_LIBS) -o $@

$(TOKENS_CLI): $(TOKENS_OBJS)
	$(CXX) $(CLI_CXXFLAGS) $(TOKENS_OBJS) -lsimdjson -o $@

cli: $(CLI) $(TOKENS_CLI)

unit: $(UNIT_TESTS)
	@rc=0; for t in $(UNIT_TESTS); do echo "# $$t"; $$t || rc=1; done; exit $$rc

# The tokenizer's ids against OpenAI's tiktoken (the npm package in scripts/tokenizer-data), both
# encodings, on every text of a generated corpus (t/tokenizer/corpus.mjs: about 14,600 texts).
tokenizer-identity: deps $(TOKENS_CLI)
	node t/tokenizer/identity.mjs $(TOKENS_CLI)

# A core parser under libFuzzer (clang), for a bounded time: FUZZ_TIME seconds. FUZZ_TARGET is
# fuzz_$(FUZZ_TARGET).cpp anywhere under t/unit: sse_framer (what `make test` runs),
# usage_scanner, translate (OpenAI chat to and from the pivot), gemini (Gemini's answers),
# multipart (form bodies of image edits and video uploads) or tokenizer (`make test` runs these
# two too). The corpus stays in
# $(BUILD)/fuzz/corpus (corpus-<target> for the others), so a second run starts where the first
# stopped.
FUZZ_CXX      ?= clang++
FUZZ_TIME     ?= 20
FUZZ_TARGET   ?= sse_framer
# pointer-overflow off: RapidJSON's Stack::Reserve adds to its null pointer on a writer's first
# push, which clang reports on every JSON written (GCC's unit builds do not check it).
FUZZ_CXXFLAGS := -std=c++17 -g -O1 -Wall -Wextra -Werror -Iinclude -Isrc -It/unit -fsanitize=fuzzer,address,undefined -fno-sanitize=pointer-overflow -fno-sanitize-recover=undefined
FUZZ_SRCS     := $(wildcard src/core/text/*.cpp src/core/api/*.cpp src/core/dialects/openai_chat/*.cpp \
                 src/core/dialects/anthropic/*.cpp src/core/dialects/gemini/*.cpp) src/core/accounting/token_estimate.cpp src/core/request_id.cpp \
                 $(wildcard src/core/accounting/tokenizer/*.cpp)
# A target that needs less than all of FUZZ_SRCS names its own (it builds in seconds, not minutes).
FUZZ_SRCS_tokenizer := $(wildcard src/core/accounting/tokenizer/*.cpp)
FUZZ_SRCS_multipart := src/core/text/multipart.cpp src/core/text/strings.cpp src/core/text/log_value.cpp
FUZZ_SRCS_sse_framer := $(wildcard src/core/text/*.cpp src/core/api/*.cpp src/core/dialects/openai_chat/*.cpp \
                 src/core/accounting/tokenizer/*.cpp) src/core/accounting/token_estimate.cpp src/core/request_id.cpp
FUZZ_TARGET_SRCS := $(or $(FUZZ_SRCS_$(FUZZ_TARGET)),$(FUZZ_SRCS))
FUZZ_SOURCE   := $(firstword $(shell find t/unit -name 'fuzz_$(FUZZ_TARGET).cpp' | sort))
FUZZ_CORPUS   := $(if $(filter sse_framer,$(FUZZ_TARGET)),corpus,corpus-$(FUZZ_TARGET))

# The core sources are compiled one object per folder that the target takes whole (see
# CORE_OBJS), one object each for the others (make -j compiles them side by side, and the targets
# share them); the fuzz target's own source is compiled at the link.
FUZZ_OBJS     := $(call objs_of,$(FUZZ_TARGET_SRCS),fuzz)

$(BUILD)/fuzz/unity/%.o: $$(call unity_srcs,src/$$*) $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) $(call unity_args,src/$*) -o $@

$(BUILD)/fuzz/obj/%.o: src/%.cpp $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -c $< -o $@

$(BUILD)/fuzz/obj/core/accounting/tokenizer/tables.o: src/core/accounting/tokenizer/tables.cpp $(HEADERS) $(TOKENIZER_TABLES)
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) $(TOKENIZER_DEFINE) -c $< -o $@

$(BUILD)/fuzz/fuzz_$(FUZZ_TARGET): $(FUZZ_SOURCE) $(FUZZ_OBJS) $(HEADERS) $(wildcard t/unit/*.hpp)
	@test -n "$(FUZZ_SOURCE)" || { echo "no t/unit/**/fuzz_$(FUZZ_TARGET).cpp" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) $(FUZZ_SOURCE) $(FUZZ_OBJS) -lsimdjson -lcrypto -o $@

.SECONDARY: $(call objs_of,$(FUZZ_SRCS),fuzz)

fuzz: $(BUILD)/fuzz/fuzz_$(FUZZ_TARGET)
	@mkdir -p $(BUILD)/fuzz/$(FUZZ_CORPUS)
	cd $(BUILD)/fuzz && ./fuzz_$(FUZZ_TARGET) -max_total_time=$(FUZZ_TIME) -max_len=4096 -print_final_stats=1 $(FUZZ_CORPUS)

# The .t files in parallel lanes (scripts/test-lanes: each lane one `prove` with its own servroot
# and gateway port; files that share a fixed port or a named servroot are in one lane, so never
# run at once). Most of a file's time is waiting, so TEST_LANES lanes finish in a fraction of
# the time on two CPUs; TEST_LANES=1 runs them one after another as before. Each lane's output
# is printed when it finishes, then which file failed, if any. The CLIs are built first: many
# files run scripts/aigw-keys or scripts/aigw-tokens, which would otherwise build them from
# several lanes at once. One file alone: TEST_NGINX_AIGW_MODULE=$(MODULE) prove -I t/lib t/NNN-x.t
TEST_LANES ?= 3
integration: module cli
	TEST_NGINX_AIGW_MODULE="$(CURDIR)/$(MODULE)" TEST_NGINX_BINARY="$(NGINX)" scripts/test-lanes --lanes $(TEST_LANES) --logs $(BUILD)/integration

# The fuzz targets' core objects (those of sse_framer, the default target, which hold the other
# targets' too), without building or running a fuzzer.
fuzz-objs: $(FUZZ_OBJS)

# The README's test command: installs what it needs, then unit + integration tests. The steps
# overlap where one of them leaves a CPU idle, each step's output kept together (-Otarget):
# the CLIs (which tokenizer-identity and the integration tests run) compile with the module;
# the fuzzers' objects compile while the unit tests run one after another; the tokenizer's
# identity check (one node process) runs while the first fuzzer runs. Each fuzzer still runs
# its full FUZZ_TIME, one after another, the first beside that one node process.
# Each step is announced with the time it starts, so that a slow run shows which step grew.
test_step = @echo "make test: $$(date -u +%H:%M:%S) $(1)"

test: deps
	$(call test_step,the module and the CLIs)
	$(MAKE) -j$(JOBS) module cli
	$(call test_step,unit tests beside the fuzzers' objects)
	$(MAKE) --no-print-directory -j$(JOBS) -Otarget unit fuzz-objs
	$(call test_step,tokenizer identity beside the first fuzzer)
	$(MAKE) --no-print-directory -j$(JOBS) -Otarget tokenizer-identity fuzz FUZZ_TIME=15
	$(call test_step,the tokenizer and multipart fuzzers)
	$(MAKE) -j$(JOBS) fuzz FUZZ_TARGET=tokenizer FUZZ_TIME=10
	$(MAKE) -j$(JOBS) fuzz FUZZ_TARGET=multipart FUZZ_TIME=10
	$(call test_step,integration)
	$(MAKE) integration
	$(call test_step,done)

demo: deps module cli
	AIGW_MODULE="$(CURDIR)/$(MODULE)" AIGW_BUILD="$(BUILD)" scripts/demo

bench: deps module
	AIGW_MODULE="$(CURDIR)/$(MODULE)" scripts/bench

# What the metrics cost: the JSON and full-path rows with the metrics zone on (the default),
# then off; compare the two tables' aigw cpu/req.
bench-metrics: deps module
	AIGW_MODULE="$(CURDIR)/$(MODULE)" AIGW_BENCH_ROWS=chat-json,full scripts/bench
	AIGW_MODULE="$(CURDIR)/$(MODULE)" AIGW_BENCH_ROWS=chat-json,full AIGW_BENCH_STATUS_ZONE=off scripts/bench

# The gateway under faults and hostile input (scripts/chaos; about 6 minutes, not part of
# `make test`): Redis killed, the upstream killed, reloads, slow clients, a malformed-input
# corpus, each checked for non-JSON answers, crashes, lost usage records and billing drift;
# then the memory check, which chaos-memory runs alone.
chaos: deps module
	AIGW_MODULE="$(CURDIR)/$(MODULE)" AIGW_BUILD="$(BUILD)" scripts/chaos

chaos-memory: deps module
	AIGW_MODULE="$(CURDIR)/$(MODULE)" AIGW_BUILD="$(BUILD)" scripts/chaos memory

# The token counter against tiktoken (npm), one thread each, the same few MB of mixed text.
bench-tokenizer: deps $(TOKENS_CLI)
	node scripts/bench-tokenizer.mjs $(TOKENS_CLI)

install: module
	install -d $(DESTDIR)$(MODULES_DIR) $(DESTDIR)/usr/share/nginx/modules-available
	install -m 0644 $(MODULE) $(DESTDIR)$(MODULES_DIR)/ngx_http_aigw_module.so
	echo 'load_module modules/ngx_http_aigw_module.so;' > $(DESTDIR)/usr/share/nginx/modules-available/mod-http-aigw.conf
	@echo "enable with: ln -s /usr/share/nginx/modules-available/mod-http-aigw.conf /etc/nginx/modules-enabled/50-mod-http-aigw.conf"

clean:
	rm -rf $(BUILD) t/servroot*
