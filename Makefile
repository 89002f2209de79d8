# Thin wrapper around CMake/CTest. The real build is CMakeLists.txt.
#   make deps | build | demo | test | test-default | test-asan | test-tsan | bench | bench-quick
#        | test-bochs | test-bochs-linux | test-qemu | test-wine | test-msvc | windows | fuzz
#        | install | clean

BUILD      ?= build
BUILD_ASAN ?= $(BUILD)-asan
BUILD_TSAN ?= $(BUILD)-tsan
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

.PHONY: all deps build demo test test-default build-asan build-tsan test-asan test-tsan install clean

all: build

deps:
	$(call banner,deps)
	bash scripts/install-deps.sh

build: deps
	$(call banner,build $(BUILD) (RelWithDebInfo))
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	$(CMAKE) --build $(BUILD) -j$(JOBS)

# The host simulator on HyperDbg's own examples (examples/demo.scenario), then a scenario of
# mistakes, every line of which must be refused (hdevent run exits 1 when a line failed), then
# the bare-metal image under Bochs: the same core in a real VM-exit handler.
demo: build
	$(call banner,demo: hdevent run --text examples/demo.scenario)
	$(BUILD)/bin/hdevent run --text examples/demo.scenario
	$(call banner,demo: hdevent run --text examples/mistakes.scenario (every line refused))
	$(BUILD)/bin/hdevent run --text examples/mistakes.scenario; test $$? -eq 1
	$(call banner,demo: Bochs (real VMX exits in a bare-metal image))
	bash backends/baremetal/run-demo.sh $(BUILD)

# Stages run one after another even under `make -j`.
test:
	$(MAKE) --no-print-directory test-default
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory test-tsan
	$(call banner,all tests passed)

test-default: build
	$(call banner,tests $(BUILD))
	$(CTEST) --test-dir $(BUILD) --output-on-failure --no-tests=error -j$(JOBS)

build-asan: deps
	$(call banner,build $(BUILD_ASAN) (address+undefined sanitizers))
	$(CMAKE) -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DHDEVENT_SANITIZE=address,undefined
	$(CMAKE) --build $(BUILD_ASAN) -j$(JOBS)

test-asan: build-asan
	$(call banner,unit tests $(BUILD_ASAN) (address+undefined sanitizers))
	$(CTEST) --test-dir $(BUILD_ASAN) -L unit --output-on-failure --no-tests=error -j$(JOBS)

build-tsan: deps
	$(call banner,build $(BUILD_TSAN) (thread sanitizer))
	$(CMAKE) -S . -B $(BUILD_TSAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHDEVENT_SANITIZE=thread
	$(CMAKE) --build $(BUILD_TSAN) -j$(JOBS)

test-tsan: build-tsan
	$(call banner,unit tests $(BUILD_TSAN) (thread sanitizer$(if $(SETARCH),$(comma) ASLR off)))
	$(SETARCH) $(CTEST) --test-dir $(BUILD_TSAN) -L unit --output-on-failure --no-tests=error -j$(JOBS)

install: build
	$(call banner,install to $(PREFIX))
	$(CMAKE) --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN)

# Longer fuzzing runs (tests/fuzz/run.sh, docs/reliability.md): FUZZ_SECONDS seconds per
# harness (default 600; FUZZ_TIME is the old name), or FUZZ_RUNS inputs per harness for a
# campaign; FUZZ_TARGET=wire, wire-file, command, asm, code, script-compile, script-verify or
# script-vm one of them; FUZZ_MERGE=1 minimises what was found into tests/fuzz/corpus/.
FUZZ_SECONDS ?= $(or $(FUZZ_TIME),600)
.PHONY: fuzz
fuzz: deps
	$(call banner,fuzz $(or $(FUZZ_TARGET),all harnesses) for $(or $(FUZZ_RUNS:%=% inputs),$(FUZZ_SECONDS)s) each)
	bash tests/fuzz/run.sh $(FUZZ_TARGET:%=--target %) \
	    $(if $(FUZZ_RUNS),--runs $(FUZZ_RUNS),--time $(FUZZ_SECONDS)) \
	    $(if $(FUZZ_MERGE),--merge) --build $(BUILD)/fuzz --coverage

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
.PHONY: test-bochs test-bochs-linux test-qemu test-wine test-msvc windows
test-bochs: build
	$(CTEST) --test-dir $(BUILD) -L '^e2e-bochs$$' --output-on-failure
test-bochs-linux: build
	$(CTEST) --test-dir $(BUILD) -L '^e2e-bochs-linux$$' --output-on-failure
test-qemu: build
	$(CTEST) --test-dir $(BUILD) -L e2e-qemu --output-on-failure
test-wine: build
	$(CTEST) --test-dir $(BUILD) -L e2e-wine --output-on-failure
# The core with an MSVC toolchain (clang-cl, llvm-ml, lld-link /lib) under Wine (tests/msvc).
test-msvc: build
	$(CTEST) --test-dir $(BUILD) -L msvc --output-on-failure
windows: build
	$(CMAKE) --build $(BUILD) --target hdevent-windows
