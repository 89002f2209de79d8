# SPDX-License-Identifier: MIT
# Thin wrapper around CMake/CTest. The real build is CMakeLists.txt.
#   make deps | build | demo | test | test-default | test-asan | test-tsan | bench | bench-quick
#        | test-bochs | test-bochs-linux | test-qemu | test-wine | test-msvc | test-package
#        | windows | fuzz | install | deb | clean

BUILD      ?= build
BUILD_ASAN ?= $(BUILD)-asan
BUILD_TSAN ?= $(BUILD)-tsan
# `make install` builds the libraries and the tool alone, in a build tree of its own.
BUILD_INSTALL ?= $(BUILD)-install
JOBS       ?= $(shell nproc)
PREFIX     ?= /usr/local
CMAKE      ?= cmake
CTEST      ?= ctest

# Also quiets the "Entering directory" lines of the make that CMake runs.
MAKEFLAGS  += --no-print-directory

# TSan (gcc 12) can die with "unexpected memory mapping" when ASLR entropy is
# high; run its tests with randomization off when the kernel lets us.
SETARCH := $(shell setarch $$(uname -m) -R true >/dev/null 2>&1 && echo setarch $$(uname -m) -R)

comma := ,
banner = @printf '\n==== %s ====\n' "$(1)"

# The Debian packages a target needs, by part (scripts/install-deps.sh, scripts/deps.d/<part>/):
# build (the libraries and the tool), test (unit, conformance, fuzz and consumer tests),
# deb (make deb), e2e (emulators, kernel headers, the package test), or one list (e2e/bochs).
deps = bash scripts/install-deps.sh $(1)
# The tests, examples and benchmark besides the libraries and the tool, asked for explicitly so
# that a tree configured otherwise by hand comes back to what `make test` expects.
FULL_BUILD := -DHDEVENT_BUILD_TESTS=ON -DHDEVENT_BUILD_EXAMPLES=ON -DHDEVENT_BUILD_BENCH=ON

.PHONY: all deps build demo test test-default build-asan build-tsan test-asan test-tsan install deb clean

all: build

# Every part, or those named: make deps PARTS="build deb".
deps:
	$(call banner,deps $(or $(PARTS),(every part)))
	$(call deps,$(PARTS))

build:
	$(call banner,build $(BUILD) (RelWithDebInfo))
	$(call deps,build test)
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(FULL_BUILD)
	$(CMAKE) --build $(BUILD) -j$(JOBS)

# The host simulator on HyperDbg's own examples (examples/demo.scenario), then a scenario of
# mistakes, every line of which must be refused (hdevent run exits 1 when a line failed), then
# the bare-metal image under Bochs: the same core in a real VM-exit handler.
demo: build
	$(call deps,e2e/bochs)
	$(call banner,demo: hdevent run --text examples/demo.scenario)
	$(BUILD)/bin/hdevent run --text examples/demo.scenario
	$(call banner,demo: hdevent run --text examples/mistakes.scenario (every line refused))
	$(BUILD)/bin/hdevent run --text examples/mistakes.scenario; test $$? -eq 1
	$(call banner,demo: Bochs (real VMX exits in a bare-metal image))
	bash backends/baremetal/run-demo.sh $(BUILD)

# Stages run one after another even under `make -j`. Every part is installed first: the plain
# stage runs the end-to-end and package tests too.
test:
	$(call banner,deps (every part))
	$(call deps,build test deb e2e)
	$(MAKE) --no-print-directory test-default
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory test-tsan
	$(call banner,all tests passed)

test-default: build
	$(call banner,tests $(BUILD))
	$(CTEST) --test-dir $(BUILD) --output-on-failure --no-tests=error -j$(JOBS)

build-asan:
	$(call banner,build $(BUILD_ASAN) (address+undefined sanitizers))
	$(call deps,build test)
	$(CMAKE) -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DHDEVENT_SANITIZE=address,undefined \
	    $(FULL_BUILD)
	$(CMAKE) --build $(BUILD_ASAN) -j$(JOBS)

test-asan: build-asan
	$(call banner,unit tests $(BUILD_ASAN) (address+undefined sanitizers))
	$(CTEST) --test-dir $(BUILD_ASAN) -L unit --output-on-failure --no-tests=error -j$(JOBS)

build-tsan:
	$(call banner,build $(BUILD_TSAN) (thread sanitizer))
	$(call deps,build test)
	$(CMAKE) -S . -B $(BUILD_TSAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHDEVENT_SANITIZE=thread \
	    $(FULL_BUILD)
	$(CMAKE) --build $(BUILD_TSAN) -j$(JOBS)

test-tsan: build-tsan
	$(call banner,unit tests $(BUILD_TSAN) (thread sanitizer$(if $(SETARCH),$(comma) ASLR off)))
	$(SETARCH) $(CTEST) --test-dir $(BUILD_TSAN) -L unit --output-on-failure --no-tests=error -j$(JOBS)

# The libraries, headers, CMake and pkg-config files, the core's sources and the tool: only the
# build part's packages (no cmocka, no emulator), nothing of tests/, examples/ or bench/.
# CMAKE_ARGS adds options, e.g. CMAKE_ARGS=-DHDEVENT_BUILD_TOOLS=OFF for the libraries alone.
install:
	$(call banner,install to $(PREFIX) (libraries and tool; $(BUILD_INSTALL)))
	$(call deps,build)
	$(CMAKE) -S . -B $(BUILD_INSTALL) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHDEVENT_BUILD_TESTS=OFF \
	    -DHDEVENT_BUILD_EXAMPLES=OFF -DHDEVENT_BUILD_BENCH=OFF $(CMAKE_ARGS)
	$(CMAKE) --build $(BUILD_INSTALL) -j$(JOBS)
	$(CMAKE) --install $(BUILD_INSTALL) --prefix $(PREFIX)

# The Debian packages libhdevent-dev, hdevent and hdevent-dkms (debian/, docs/packaging.md),
# built by dpkg-buildpackage from a copy of this tree: the .deb files land in $(BUILD)/deb/.
deb:
	$(call banner,deb: Debian packages in $(BUILD)/deb)
	$(call deps,build deb)
	bash scripts/build-deb.sh --out $(BUILD)/deb --jobs $(JOBS)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN) $(BUILD_INSTALL)

# Longer fuzzing runs (tests/fuzz/run.sh, docs/reliability.md): FUZZ_SECONDS seconds per
# harness (default 600; FUZZ_TIME is the old name), or FUZZ_RUNS inputs per harness for a
# campaign; FUZZ_TARGET=wire, wire-file, command, asm, code, script-compile, script-verify or
# script-vm one of them; FUZZ_MAX_LEN=B caps inputs at B bytes; FUZZ_MERGE=1 minimises what was
# found into tests/fuzz/corpus/.
FUZZ_SECONDS ?= $(or $(FUZZ_TIME),600)
.PHONY: fuzz
fuzz:
	$(call deps,build test)
	$(call banner,fuzz $(or $(FUZZ_TARGET),all harnesses) for $(or $(FUZZ_RUNS:%=% inputs),$(FUZZ_SECONDS)s) each)
	bash tests/fuzz/run.sh $(FUZZ_TARGET:%=--target %) \
	    $(if $(FUZZ_RUNS),--runs $(FUZZ_RUNS),--time $(FUZZ_SECONDS)) \
	    $(FUZZ_MAX_LEN:%=--max-len %) $(if $(FUZZ_MERGE),--merge) --build $(BUILD)/fuzz --coverage

# Dispatch benchmark (bench/, docs/performance.md): hdevent beside a re-creation of HyperDbg's
# dispatch. Prints figures; nothing is asserted. bench-quick finishes in under a minute.
.PHONY: bench bench-quick
bench: build
	$(call banner,bench)
	$(BUILD)/bin/hdevent-bench $(BENCH_ARGS)

bench-quick: build
	$(call banner,bench --quick)
	$(BUILD)/bin/hdevent-bench --quick $(BENCH_ARGS)

# One end-to-end test each (also part of `make test`): the Bochs image (real VMX exits), the
# Linux module with vmx=on in Debian's kernel under Bochs, the Linux module in QEMU, the
# Windows driver's plumbing under Wine. `make windows` cross-builds hdevent.sys (both
# variants) and hdevent.exe with mingw-w64 into $(BUILD)/windows-wdk/. -L takes a regular
# expression: e2e-bochs alone is anchored, or it would match e2e-bochs-linux too.
.PHONY: test-bochs test-bochs-linux test-qemu test-wine test-msvc test-package windows
test-bochs: build
	$(call deps,e2e/bochs)
	$(CTEST) --test-dir $(BUILD) -L '^e2e-bochs$$' --output-on-failure
test-bochs-linux: build
	$(call deps,e2e/bochs e2e/bochs-linux e2e/qemu)
	$(CTEST) --test-dir $(BUILD) -L '^e2e-bochs-linux$$' --output-on-failure
test-qemu: build
	$(call deps,e2e/qemu)
	$(CTEST) --test-dir $(BUILD) -L e2e-qemu --output-on-failure
test-wine: build
	$(call deps,e2e/wine)
	$(CTEST) --test-dir $(BUILD) -L e2e-wine --output-on-failure
# The core with an MSVC toolchain (clang-cl, llvm-ml, lld-link /lib) under Wine (tests/msvc).
test-msvc: build
	$(call deps,e2e/msvc e2e/wine)
	$(CTEST) --test-dir $(BUILD) -L msvc --output-on-failure
# The Debian packages built, installed on this machine (root), used and purged (tests/package).
test-package: build
	$(call deps,deb e2e/package)
	$(CTEST) --test-dir $(BUILD) -L '^package$$' --output-on-failure
windows: build
	$(call deps,e2e/wine)
	$(CMAKE) --build $(BUILD) --target hdevent-windows
