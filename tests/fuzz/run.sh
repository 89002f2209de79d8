#!/usr/bin/env bash
# Build the fuzzers with clang (libFuzzer + ASan + UBSan) and run each for a while.
#
#   run.sh [--target TARGET] [--time SECONDS] [--build DIR] [--src DIR] [--coverage]
#
# Seven harnesses (--target, default all: each, one after the other, each for --time seconds):
#   wire           fuzz_wire_decode.c: the wire decoders, hd_wire_ioctl() and
#                  hd_wire_device_ioctl() (self-test VMCALL, message records, event list) on
#                  the host backend.
#   command        fuzz_command_parse.c: the command parser, parse -> format -> parse round trip
#                  (asm bodies through the assembler, inline scripts through the compiler).
#   asm            fuzz_asm.c: the assembler; every success round-trips through the disassembler.
#   code           fuzz_code_validate.c: raw-code validation (inputs up to 64 KiB); every buffer
#                  strict mode accepts is run through the trampoline in a forked child and must
#                  return.
#   script-compile fuzz_script_compile.c: the script compiler; what it accepts must verify,
#                  disassemble, register and run.
#   script-verify  fuzz_script_verify.c: the bytecode verifier on raw bytes; what it accepts
#                  must disassemble, register and run, what it refuses registration refuses.
#   script-vm      fuzz_script_vm.c: programs built to pass the verifier, run by the VM; the
#                  fast path against the interpreter (differential).
#
# The main build uses gcc, which has no libFuzzer, so this script compiles the harnesses and
# what they test with clang directly: the core with its own flags (freestanding, general
# registers only), everything with -fsanitize=fuzzer,address,undefined.
#
# wire: a seed corpus of valid requests is written by the encoder (the harness built with
# -DHD_FUZZ_SEEDS); the growing corpus is kept in BUILD/corpus between runs, crashes go to
# BUILD/artifacts/. command: the parser sources (libhdevent/user/command*.c), the assembler
# (asm*.c, code_disasm.c; Debian's shared Zydis) and the core's descriptors.c; seeds are
# tests/fuzz/corpus/command/ (commands from HyperDbg's docs), with the keyword dictionary
# tests/fuzz/command.dict; corpus, artifacts and log under BUILD/command/. asm: the assembler
# (asm*.c, code_disasm.c; Zydis); seeds tests/fuzz/corpus/asm/, dictionary tests/fuzz/asm.dict;
# under BUILD/asm/ (asm_command.c, the parser's side, is the command harness's).
#
# script-*: the user library's script*.c and command*.c, the core and the host backend; text
# seeds tests/fuzz/corpus/script/ with tests/fuzz/script.dict (compile), bytecode seeds compiled
# from them (verify; the harness built with -DHD_FUZZ_SEEDS), none (vm: its input is a recipe);
# corpus, artifacts and log under BUILD/script-compile/, BUILD/script-verify/, BUILD/script-vm/.
#
# code: libhdevent/user/code_*.c, the core's call_raw.S and Debian's Zydis (not instrumented);
# seeds are tests/fuzz/corpus/code/ (HyperDbg's two doc examples and a few clean buffers),
# dictionary tests/fuzz/code.dict; corpus, artifacts and log under BUILD/code/.
#
# --coverage: afterwards, replay each corpus through a source-coverage build and print the line
# and branch coverage of the wire, parser or assembler files (llvm-cov; skipped when missing).
#
# Exit status: libFuzzer's (0: clean; non-zero: a crash, leak, UB or broken invariant);
# 77 when clang or its fuzzer runtime is missing (ctest reports the test as skipped). libFuzzer
# itself exits 77 on a crash by default, so the runs pass -error_exitcode=1: a bug found must
# fail the ctest, not skip it.
# Environment: CLANG (default clang).
set -euo pipefail

time=60
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=
coverage=0
target=all
usage="usage: $0 [--target wire|command|asm|code|script-compile|script-verify|script-vm|all] [--time SECONDS] [--build DIR] [--src DIR] [--coverage]"
while [ $# -gt 0 ]; do
    case "$1" in
        --coverage) coverage=1; shift ;;
        --time) time=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --src) src=$2; shift 2 ;;
        --target) target=$2; shift 2 ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
done
case "$target" in
    wire|command|asm|code|script-compile|script-verify|script-vm|all) ;;
    *) echo "$usage" >&2; exit 2 ;;
esac
build=${build:-$src/build/fuzz}
cc=${CLANG:-clang}

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "SKIP: $cc not found (scripts/install-deps.sh installs clang and libclang-rt-14-dev)"
    [ -n "${HDEVENT_REQUIRE_E2E:-}" ] && { echo "HDEVENT_REQUIRE_E2E is set: failing"; exit 1; }
    exit 77
fi
mkdir -p "$build/obj"
# One probe per target: ctest may run the wire and command tests at once in one BUILD.
probe=$build/obj/probe-$target
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" 2>"$probe.log"; then
    echo "SKIP: $cc cannot link -fsanitize=fuzzer (install libclang-rt-14-dev):"
    cat "$probe.log"
    [ -n "${HDEVENT_REQUIRE_E2E:-}" ] && { echo "HDEVENT_REQUIRE_E2E is set: failing"; exit 1; }
    exit 77
fi

san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
common=(-std=c11 -g -O1 -I "$src/include" -I "$src/libhdevent/core")
core_flags=(-ffreestanding -fno-stack-protector -mgeneral-regs-only -fno-strict-aliasing)
shopt -s nullglob
core_srcs=("$src"/libhdevent/core/*.c "$src"/libhdevent/core/arch/x86_64/*.S)
host_srcs=("$src"/backends/host/*.c "$src/libhdevent/user/wire_replies.c")
script_srcs=("$src"/libhdevent/user/script_*.c)

# compile OUTDIR EXTRA-FLAGS... -- SOURCES...: objects into OUTDIR, their paths in $objs.
compile() {
    local out=$1; shift
    local flags=()
    while [ "$1" != "--" ]; do flags+=("$1"); shift; done
    shift
    mkdir -p "$out"
    objs=()
    local i=0
    for s in "$@"; do
        local o="$out/$i-$(basename "$s").o"
        "$cc" "${common[@]}" "${flags[@]}" -c "$s" -o "$o"
        objs+=("$o"); i=$((i + 1))
    done
}

# ---- wire: the decoders and hd_wire_ioctl() ----------------------------------------------
# run_libfuzzer BIN DIR [libFuzzer options and corpus dirs...]: run one harness for $time
# seconds with the sanitizers' options, print its summary, keep its log in DIR/last-run.log.
# Returns libFuzzer's status: a crash must fail ctest, hence -error_exitcode=1 (libFuzzer's
# own default, 77, is ctest's "skipped").
run_libfuzzer() {
    local bin=$1 dir=$2 log=$2/last-run.log rc
    shift 2
    set +e
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$bin" -max_total_time="$time" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
        -error_exitcode=1 -artifact_prefix="$dir/artifacts/" "$@" >"$log" 2>&1
    rc=$?
    set -e
    tail -n 40 "$log"
    echo "== summary"
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log" || true
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" || true
    echo "corpus: $(find "$dir/corpus" -type f | wc -l) files; log: $log"
    if [ "$rc" -ne 0 ]; then
        echo "FAIL: libFuzzer exited with $rc; reproducer in $dir/artifacts/" >&2
    fi
    return "$rc"
}

fuzz_wire() {
    mkdir -p "$build/corpus" "$build/seeds" "$build/artifacts"
    echo "== build $build/fuzz_wire_decode ($cc, libFuzzer + ASan + UBSan)"
    compile "$build/obj/fuzz-core" "${core_flags[@]}" "${san[@]}" -fsanitize=fuzzer-no-link -- "${core_srcs[@]}"
    fuzz_core=("${objs[@]}")
    compile "$build/obj/fuzz-host" "${san[@]}" -fsanitize=fuzzer-no-link -- "${host_srcs[@]}"
    fuzz_host=("${objs[@]}")
    "$cc" "${common[@]}" "${san[@]}" -fsanitize=fuzzer "$src/tests/fuzz/fuzz_wire_decode.c" \
        "${fuzz_core[@]}" "${fuzz_host[@]}" -lpthread -o "$build/fuzz_wire_decode"

    echo "== seeds: valid requests from the encoder"
    compile "$build/obj/seed-core" "${core_flags[@]}" -- "${core_srcs[@]}"
    seed_core=("${objs[@]}")
    "$cc" "${common[@]}" -DHD_FUZZ_SEEDS "$src/tests/fuzz/fuzz_wire_decode.c" \
        "$src/libhdevent/user/wire_encode.c" "${script_srcs[@]}" "${host_srcs[@]}" \
        "${seed_core[@]}" -lpthread \
        -o "$build/fuzz_seeds"
    rm -f "$build/seeds"/seed-*
    "$build/fuzz_seeds" "$build/seeds"

    echo "== run for ${time}s (corpus $build/corpus, artifacts $build/artifacts)"
    run_libfuzzer "$build/fuzz_wire_decode" "$build" -max_len=8192 "$build/corpus" "$build/seeds" ||
        return $?

    if [ "$coverage" -eq 1 ]; then
        profdata=$(command -v llvm-profdata || true)
        llvmcov=$(command -v llvm-cov || true)
        if [ -z "$profdata" ] || [ -z "$llvmcov" ]; then
            echo "== coverage: skipped (llvm-profdata / llvm-cov not found)"
            return 0
        fi
        echo "== coverage of the corpus (source-based, wire files)"
        cov=(-fprofile-instr-generate -fcoverage-mapping)
        compile "$build/obj/cov-core" "${core_flags[@]}" "${cov[@]}" -- "${core_srcs[@]}"
        cov_core=("${objs[@]}")
        "$cc" "${common[@]}" "${cov[@]}" -fsanitize=fuzzer "$src/tests/fuzz/fuzz_wire_decode.c" \
            "${cov_core[@]}" "${host_srcs[@]}" -lpthread -o "$build/fuzz_wire_decode_cov"
        rm -f "$build"/cov-*.profraw
        LLVM_PROFILE_FILE="$build/cov-%p.profraw" "$build/fuzz_wire_decode_cov" -runs=0 \
            "$build/corpus" "$build/seeds" >"$build/coverage-run.log" 2>&1
        "$profdata" merge -sparse "$build"/cov-*.profraw -o "$build/cov.profdata"
        "$llvmcov" report "$build/fuzz_wire_decode_cov" -instr-profile="$build/cov.profdata" \
            "$src/libhdevent/core/wire_decode.c" "$src/libhdevent/core/wire_ioctl.c" \
            "$src/libhdevent/core/wire_error.c" | tee "$build/coverage.txt"
    fi
    return 0
}

# ---- command: the parser, parse -> format -> parse ---------------------------------------
fuzz_command() {
    local dir=$build/command
    # The parser assembles asm bodies and compiles inline scripts: the assembler, the
    # compiler and the core's verifier come along.
    local parser_srcs=("$src"/libhdevent/user/command*.c "$src"/libhdevent/user/asm*.c
                       "$src/libhdevent/user/code_disasm.c" "${script_srcs[@]}"
                       "$src/libhdevent/core/descriptors.c" "$src/libhdevent/core/script_verify.c"
                       "$src/libhdevent/core/script_format.c" "$src/libhdevent/core/status.c")
    mkdir -p "$dir/corpus" "$dir/artifacts"

    echo "== build $dir/fuzz_command_parse ($cc, libFuzzer + ASan + UBSan)"
    compile "$build/obj/fuzz-command" "${san[@]}" -fsanitize=fuzzer-no-link -- "${parser_srcs[@]}"
    "$cc" "${common[@]}" "${san[@]}" -fsanitize=fuzzer "$src/tests/fuzz/fuzz_command_parse.c" \
        "${objs[@]}" -lZydis -o "$dir/fuzz_command_parse"

    echo "== run for ${time}s (corpus $dir/corpus, seeds tests/fuzz/corpus/command, artifacts $dir/artifacts)"
    run_libfuzzer "$dir/fuzz_command_parse" "$dir" -max_len=4096 \
        -dict="$src/tests/fuzz/command.dict" "$dir/corpus" "$src/tests/fuzz/corpus/command" ||
        return $?

    if [ "$coverage" -eq 1 ]; then
        local profdata llvmcov
        profdata=$(command -v llvm-profdata || true)
        llvmcov=$(command -v llvm-cov || true)
        if [ -z "$profdata" ] || [ -z "$llvmcov" ]; then
            echo "== coverage: skipped (llvm-profdata / llvm-cov not found)"
            return 0
        fi
        echo "== coverage of the corpus (source-based, parser files)"
        local cov=(-fprofile-instr-generate -fcoverage-mapping)
        "$cc" "${common[@]}" "${cov[@]}" -fsanitize=fuzzer "$src/tests/fuzz/fuzz_command_parse.c" \
            "${parser_srcs[@]}" -lZydis -o "$dir/fuzz_command_parse_cov"
        rm -f "$dir"/cov-*.profraw
        LLVM_PROFILE_FILE="$dir/cov-%p.profraw" "$dir/fuzz_command_parse_cov" -runs=0 \
            "$dir/corpus" "$src/tests/fuzz/corpus/command" >"$dir/coverage-run.log" 2>&1
        "$profdata" merge -sparse "$dir"/cov-*.profraw -o "$dir/cov.profdata"
        "$llvmcov" report "$dir/fuzz_command_parse_cov" -instr-profile="$dir/cov.profdata" \
            "$src"/libhdevent/user/command*.c | tee "$dir/coverage.txt"
    fi
    return 0
}

# ---- asm: the assembler, every success read back ----------------------------------------
fuzz_asm() {
    local dir=$build/asm
    local asm_srcs=("$src/libhdevent/user/code_disasm.c") f
    for f in "$src"/libhdevent/user/asm*.c; do # asm_command.c is the command parser's
        [ "$(basename "$f")" = asm_command.c ] || asm_srcs+=("$f")
    done
    mkdir -p "$dir/corpus" "$dir/artifacts"

    echo "== build $dir/fuzz_asm ($cc, libFuzzer + ASan + UBSan)"
    compile "$build/obj/fuzz-asm" "${san[@]}" -fsanitize=fuzzer-no-link -- "${asm_srcs[@]}"
    "$cc" "${common[@]}" "${san[@]}" -fsanitize=fuzzer "$src/tests/fuzz/fuzz_asm.c" \
        "${objs[@]}" -lZydis -o "$dir/fuzz_asm"

    echo "== run for ${time}s (corpus $dir/corpus, seeds tests/fuzz/corpus/asm, artifacts $dir/artifacts)"
    run_libfuzzer "$dir/fuzz_asm" "$dir" -max_len=2048 -dict="$src/tests/fuzz/asm.dict" \
        "$dir/corpus" "$src/tests/fuzz/corpus/asm" || return $?

    if [ "$coverage" -eq 1 ]; then
        local profdata llvmcov
        profdata=$(command -v llvm-profdata || true)
        llvmcov=$(command -v llvm-cov || true)
        if [ -z "$profdata" ] || [ -z "$llvmcov" ]; then
            echo "== coverage: skipped (llvm-profdata / llvm-cov not found)"
            return 0
        fi
        echo "== coverage of the corpus (source-based, assembler files)"
        local cov=(-fprofile-instr-generate -fcoverage-mapping)
        "$cc" "${common[@]}" "${cov[@]}" -fsanitize=fuzzer "$src/tests/fuzz/fuzz_asm.c" \
            "${asm_srcs[@]}" -lZydis -o "$dir/fuzz_asm_cov"
        rm -f "$dir"/cov-*.profraw
        LLVM_PROFILE_FILE="$dir/cov-%p.profraw" "$dir/fuzz_asm_cov" -runs=0 \
            "$dir/corpus" "$src/tests/fuzz/corpus/asm" >"$dir/coverage-run.log" 2>&1
        "$profdata" merge -sparse "$dir"/cov-*.profraw -o "$dir/cov.profdata"
        "$llvmcov" report "$dir/fuzz_asm_cov" -instr-profile="$dir/cov.profdata" \
            "$src"/libhdevent/user/asm*.c | tee "$dir/coverage.txt"
    fi
    return 0
}

# ---- code: raw-code validation, and accepted code run in a child ---------------------------
fuzz_code() {
    local dir=$build/code
    local code_srcs=("$src"/libhdevent/user/code_*.c "$src/libhdevent/core/arch/x86_64/call_raw.S")
    mkdir -p "$dir/corpus" "$dir/artifacts"

    echo "== build $dir/fuzz_code_validate ($cc, libFuzzer + ASan + UBSan)"
    compile "$build/obj/fuzz-code" "${san[@]}" -fsanitize=fuzzer-no-link -- "${code_srcs[@]}"
    "$cc" "${common[@]}" "${san[@]}" -fsanitize=fuzzer "$src/tests/fuzz/fuzz_code_validate.c" \
        "${objs[@]}" -lZydis -o "$dir/fuzz_code_validate"

    echo "== run for ${time}s (corpus $dir/corpus, seeds tests/fuzz/corpus/code, artifacts $dir/artifacts)"
    # -len_control=0: lengths up to 64 KiB from the start (validation is linear in the size;
    # the limits on subroutines and stack only show in long buffers).
    run_libfuzzer "$dir/fuzz_code_validate" "$dir" -max_len=65536 -len_control=0 \
        -dict="$src/tests/fuzz/code.dict" "$dir/corpus" "$src/tests/fuzz/corpus/code" ||
        return $?
    grep -E '^fuzz_code_validate: [0-9]+ strict-accepted' "$dir/last-run.log" || true

    if [ "$coverage" -eq 1 ]; then
        local profdata llvmcov
        profdata=$(command -v llvm-profdata || true)
        llvmcov=$(command -v llvm-cov || true)
        if [ -z "$profdata" ] || [ -z "$llvmcov" ]; then
            echo "== coverage: skipped (llvm-profdata / llvm-cov not found)"
            return 0
        fi
        echo "== coverage of the corpus (source-based, code validation files)"
        local cov=(-fprofile-instr-generate -fcoverage-mapping)
        "$cc" "${common[@]}" "${cov[@]}" -fsanitize=fuzzer "$src/tests/fuzz/fuzz_code_validate.c" \
            "${code_srcs[@]}" -lZydis -o "$dir/fuzz_code_validate_cov"
        rm -f "$dir"/cov-*.profraw
        LLVM_PROFILE_FILE="$dir/cov-%p.profraw" "$dir/fuzz_code_validate_cov" -runs=0 \
            "$dir/corpus" "$src/tests/fuzz/corpus/code" >"$dir/coverage-run.log" 2>&1
        "$profdata" merge -sparse "$dir"/cov-*.profraw -o "$dir/cov.profdata"
        "$llvmcov" report "$dir/fuzz_code_validate_cov" -instr-profile="$dir/cov.profdata" \
            "$src"/libhdevent/user/code_*.c | tee "$dir/coverage.txt"
    fi
    return 0
}

# ---- script: the compiler, the verifier, the VM ------------------------------------------
# fuzz_script NAME: build tests/fuzz/fuzz_NAME.c (NAME script_compile, script_verify,
# script_vm) with the user library's script and command sources, the core and the host backend.
# Objects per harness: ctest may run the three at once in one BUILD.
build_script_objs() {
    compile "$build/obj/$1-core" "${core_flags[@]}" "${san[@]}" -fsanitize=fuzzer-no-link -- "${core_srcs[@]}"
    script_objs=("${objs[@]}")
    compile "$build/obj/$1-user" "${san[@]}" -fsanitize=fuzzer-no-link -- \
        "${host_srcs[@]}" "${script_srcs[@]}"
    script_objs+=("${objs[@]}")
}

fuzz_script() {
    local name=$1 dir=$build/${1//_/-}
    local bin=$dir/fuzz_$name
    local extra=()
    mkdir -p "$dir/corpus" "$dir/artifacts"
    echo "== build $bin ($cc, libFuzzer + ASan + UBSan)"
    build_script_objs "$name"
    "$cc" "${common[@]}" "${san[@]}" -fsanitize=fuzzer "$src/tests/fuzz/fuzz_$name.c" \
        "${script_objs[@]}" -lpthread -o "$bin"
    case "$name" in
        script_compile)
            extra=(-max_len=4096 -dict="$src/tests/fuzz/script.dict" "$dir/corpus"
                   "$src/tests/fuzz/corpus/script") ;;
        script_verify)
            echo "== seeds: the text corpus compiled"
            mkdir -p "$dir/seeds"
            rm -f "$dir/seeds"/seed-*
            "$cc" "${common[@]}" -DHD_FUZZ_SEEDS "$src/tests/fuzz/fuzz_script_verify.c" \
                "${script_objs[@]}" "${san[@]}" -lpthread -o "$dir/fuzz_script_seeds"
            "$dir/fuzz_script_seeds" "$src/tests/fuzz/corpus/script" "$dir/seeds"
            extra=(-max_len=16384 "$dir/corpus" "$dir/seeds") ;;
        *)
            extra=(-max_len=1400 "$dir/corpus") ;;
    esac
    echo "== run for ${time}s (corpus $dir/corpus, artifacts $dir/artifacts)"
    run_libfuzzer "$bin" "$dir" "${extra[@]}" || return $?
    if [ "$coverage" -eq 1 ]; then
        echo "== coverage: not measured for the script harnesses (the wire and command ones only)"
    fi
    return 0
}

# Called as plain commands so that set -e stops at a failed build or run (inside `f || …`
# bash would ignore errors in f). With all, a failing run ends the script.
if [ "$target" = all ] || [ "$target" = wire ]; then
    fuzz_wire
fi
if [ "$target" = all ] || [ "$target" = command ]; then
    fuzz_command
fi
if [ "$target" = all ] || [ "$target" = asm ]; then
    fuzz_asm
fi
if [ "$target" = all ] || [ "$target" = code ]; then
    fuzz_code
fi
for t in script-compile script-verify script-vm; do
    if [ "$target" = all ] || [ "$target" = "$t" ]; then
        fuzz_script "${t//-/_}"
    fi
done
exit 0
