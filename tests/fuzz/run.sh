#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the libFuzzer harnesses with clang (libFuzzer + ASan + UBSan) and run them.
#
#   run.sh [--target T] [--time SECONDS | --runs N] [--max-len BYTES] [--build DIR] [--src DIR]
#          [--coverage] [--merge]
#
# Harnesses (--target, default all: each in turn). docs/reliability.md says what each holds
# true and records the long campaigns.
#   wire           fuzz_wire_decode.c: the wire decoders, hd_wire_ioctl() and
#                  hd_wire_device_ioctl() (self-test VMCALL, message records, event list) on the
#                  host backend; every reply also through the user-mode reply decoders.
#   wire-file      fuzz_wire_file.c: FILE bytes (`hdevent decode`) split and decoded; what
#                  decodes re-encodes to a FILE that decodes the same, and registers.
#   command        fuzz_command_parse.c: the command parser, parse -> format -> parse round trip
#                  (asm bodies through the assembler, inline scripts through the compiler).
#   asm            fuzz_asm.c: the assembler; every success round-trips through the disassembler.
#   code           fuzz_code_validate.c: raw-code validation; every buffer strict mode accepts
#                  runs through the trampoline in a forked child and must return.
#   script-compile fuzz_script_compile.c: the script compiler; what it accepts must verify,
#                  disassemble, register and run.
#   script-verify  fuzz_script_verify.c: the bytecode verifier on raw bytes; what it accepts
#                  must disassemble, register and run, what it refuses registration refuses.
#   script-vm      fuzz_script_vm.c: programs built to pass the verifier, run by the VM; the
#                  fast path against the interpreter (differential).
#
# Each run starts from the minimised corpus kept in the tree (tests/fuzz/corpus/T/), the
# hand-written seeds (tests/fuzz/seeds/T/) and, for wire, wire-file and script-verify, seeds a
# program writes (the harness built with -DHD_FUZZ_SEEDS). What a run finds is kept in
# BUILD/T/corpus between runs; crashes go to BUILD/T/artifacts/, the log to BUILD/T/last-run.log.
#
#   --time S     run each harness S seconds (default 60)
#   --runs N     run each harness until N inputs were executed instead (a campaign)
#   --max-len B  cap inputs at B bytes instead of the harness's own limit (most are 64 KiB): a
#                campaign of many short inputs (the code harness runs ~1 ms per 64 KiB input)
#   --coverage   afterwards replay the corpus through a source-coverage build and print the
#                line and branch coverage of the harness's files (llvm-cov; skipped if missing)
#   --merge      afterwards minimise everything known (the tree's corpus, the seeds, the run's
#                corpus) into tests/fuzz/corpus/T/, which replaces it (commit the result)
#
# The main build uses gcc, which has no libFuzzer: this script compiles the harnesses and what
# they test with clang directly, the core with its own flags (freestanding, general registers
# only), everything instrumented with -fsanitize=fuzzer-no-link,address,undefined.
#
# Exit status: libFuzzer's (0: clean; non-zero: a crash, leak, UB or broken invariant); 77 when
# clang or its fuzzer runtime is missing (ctest reports the test as skipped). libFuzzer itself
# exits 77 on a crash by default, so the runs pass -error_exitcode=1: a bug found must fail the
# ctest, not skip it. Environment: CLANG (default clang).
set -euo pipefail

targets=(wire wire-file command asm code script-compile script-verify script-vm)
time=60
runs=
max_len=
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=
coverage=0
merge=0
target=all
usage="usage: $0 [--target $(IFS='|'; echo "${targets[*]}")|all] [--time SECONDS | --runs N] [--max-len BYTES] [--build DIR] [--src DIR] [--coverage] [--merge]"
while [ $# -gt 0 ]; do
    case "$1" in
        --coverage) coverage=1; shift ;;
        --merge) merge=1; shift ;;
        --time) time=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --max-len) max_len=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --src) src=$2; shift 2 ;;
        --target) target=$2; shift 2 ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
done
if [ -n "$max_len" ] && ! [[ "$max_len" =~ ^[1-9][0-9]*$ ]]; then echo "$usage" >&2; exit 2; fi
case " ${targets[*]} all " in
    *" $target "*) ;;
    *) echo "$usage" >&2; exit 2 ;;
esac
build=${build:-$src/build/fuzz}
cc=${CLANG:-clang}

skip() {
    echo "SKIP: $*"
    [ -n "${HDEVENT_REQUIRE_E2E:-}" ] && { echo "HDEVENT_REQUIRE_E2E is set: failing"; exit 1; }
    exit 77
}
command -v "$cc" >/dev/null 2>&1 ||
    skip "$cc not found (scripts/install-deps.sh installs clang and libclang-rt-14-dev)"
mkdir -p "$build/obj"
# One probe per target: ctest runs the harnesses at once in one BUILD.
probe=$build/obj/probe-$target
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe.c"
"$cc" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" 2>"$probe.log" ||
    skip "$cc cannot link -fsanitize=fuzzer (install libclang-rt-14-dev): $(cat "$probe.log")"

san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
common=(-std=c11 -g -O1 -I "$src/include" -I "$src/libhdevent/core")
core_flags=(-ffreestanding -fno-stack-protector -mgeneral-regs-only -fno-strict-aliasing)
shopt -s nullglob
core_srcs=("$src"/libhdevent/core/*.c "$src"/libhdevent/core/arch/x86_64/*.S)
host_srcs=("$src"/backends/host/*.c "$src/libhdevent/user/wire_replies.c")
script_srcs=("$src"/libhdevent/user/script_*.c)
user=$src/libhdevent/user

# ---- what each harness is made of -------------------------------------------------------------
# describe T sets, for harness T:
#   main   its source (tests/fuzz/)       core   1: link the core
#   srcs   the other sources it tests     libs   link flags
#   guide  how srcs are instrumented for libFuzzer's guidance (default: all of it)
#   opts   libFuzzer options              report the files --coverage reports on
#   asan   ASan options besides the defaults (":"-separated, with a leading ":")
#   seeder the arguments of its -DHD_FUZZ_SEEDS program (whose last is the output directory
#          it fills), or nothing when it has none; seed_srcs what that program needs besides
describe() {
    core=0 srcs=() libs=() opts=() report=() seeder=() seed_srcs=() asan=
    guide=(-fsanitize=fuzzer-no-link)
    case "$1" in
        wire)
            main=fuzz_wire_decode.c core=1 srcs=("${host_srcs[@]}") libs=(-lpthread)
            opts=(-max_len=65536) # a record's length is a u16: bodies up to 64 KiB
            seeder=(SEEDS) seed_srcs=("$user/wire_encode.c" "${script_srcs[@]}")
            report=("$src"/libhdevent/core/wire_*.c "$user/wire_replies.c") ;;
        wire-file)
            main=fuzz_wire_file.c core=1
            srcs=("${host_srcs[@]}" "$user/wire_file.c" "$user/wire_encode.c") libs=(-lpthread)
            opts=(-max_len=65536) seeder=(SEEDS) seed_srcs=("${script_srcs[@]}")
            report=("$user/wire_file.c" "$user/wire_encode.c" "$src/libhdevent/core/wire_decode.c") ;;
        command)
            # The parser assembles asm bodies and compiles inline scripts: the assembler, the
            # compiler and the core's verifier come along.
            main=fuzz_command_parse.c
            srcs=("$user"/command*.c "$user"/asm*.c "$user/code_disasm.c" "${script_srcs[@]}"
                  "$src/libhdevent/core/descriptors.c" "$src/libhdevent/core/script_verify.c"
                  "$src/libhdevent/core/script_format.c" "$src/libhdevent/core/status.c")
            libs=(-lZydis) opts=(-max_len=65536 -dict="$src/tests/fuzz/command.dict")
            report=("$user"/command*.c) ;;
        asm)
            main=fuzz_asm.c srcs=("$user/code_disasm.c") libs=(-lZydis)
            local f
            for f in "$user"/asm*.c; do # asm_command.c is the command parser's
                [ "$(basename "$f")" = asm_command.c ] || srcs+=("$f")
            done
            opts=(-max_len=4096 -dict="$src/tests/fuzz/asm.dict")
            report=("${srcs[@]}") ;;
        code)
            main=fuzz_code_validate.c libs=(-lZydis)
            srcs=("$user"/code_*.c "$src/libhdevent/core/arch/x86_64/call_raw.S")
            # -len_control=0: lengths up to 64 KiB from the start (validation is linear in the
            # size; the limits on subroutines and stack only show in long buffers).
            opts=(-max_len=65536 -len_control=0 -dict="$src/tests/fuzz/code.dict")
            # Edge counters without comparison tracing: the validator compares what Zydis
            # decoded (mnemonics, operand kinds), never input bytes, so the operands libFuzzer
            # would learn from its compares are no bytes to insert; the tracing took 60% of the
            # time (2.7x the inputs a second without it, same inputs, this machine).
            guide=(-fsanitize-coverage=inline-8bit-counters,pc-table)
            # It forks for every buffer strict mode accepts: ASan's default 256 MB quarantine
            # made the process ~330 MB resident, whose page tables each fork copies, and its
            # recycled blocks slower to calloc. 16 MB: 15 % more inputs a second (same inputs
            # and seed, this machine), for a shorter window in which ASan still catches a use
            # after free (16 MB of freed blocks instead of 256).
            asan=:quarantine_size_mb=16
            report=("$user"/code_*.c) ;;
        script-compile)
            main=fuzz_script_compile.c core=1 srcs=("${host_srcs[@]}" "${script_srcs[@]}")
            libs=(-lpthread) opts=(-max_len=4096 -dict="$src/tests/fuzz/script.dict")
            report=("${script_srcs[@]}") ;;
        script-verify)
            main=fuzz_script_verify.c core=1 srcs=("${host_srcs[@]}" "${script_srcs[@]}")
            libs=(-lpthread) opts=(-max_len=16384)
            seeder=("$src/tests/fuzz/seeds/script-compile" SEEDS)
            report=("$src/libhdevent/core/script_verify.c" "$src/libhdevent/core/script_load.c") ;;
        script-vm)
            main=fuzz_script_vm.c core=1 srcs=("${host_srcs[@]}" "${script_srcs[@]}")
            libs=(-lpthread) opts=(-max_len=1400)
            report=("$src"/libhdevent/core/script_vm.c "$src"/libhdevent/core/script_fast.c) ;;
    esac
}

# compile OUTDIR EXTRA-FLAGS... -- SOURCES...: objects into OUTDIR, their paths in $objs.
compile() {
    local out=$1 flags=() i=0 s o
    shift
    while [ "$1" != "--" ]; do flags+=("$1"); shift; done
    shift
    mkdir -p "$out"
    objs=()
    for s in "$@"; do
        o="$out/$i-$(basename "$s").o"
        "$cc" "${common[@]}" "${flags[@]}" -c "$s" -o "$o"
        objs+=("$o"); i=$((i + 1))
    done
}

# link_objects DIR FLAVOUR FLAGS...: the core (when the harness takes it) and srcs compiled
# with FLAGS into DIR/obj-FLAVOUR; their paths in $linked.
link_objects() {
    local dir=$1 flavour=$2
    shift 2
    linked=()
    if [ "$core" = 1 ]; then
        compile "$dir/obj-$flavour-core" "${core_flags[@]}" "$@" -- "${core_srcs[@]}"
        linked+=("${objs[@]}")
    fi
    compile "$dir/obj-$flavour" "$@" -- "${srcs[@]}"
    linked+=("${objs[@]}")
}

# run_libfuzzer BIN DIR [options and corpus dirs...]: run one harness for --time seconds or
# --runs inputs, print its summary and the harness's own statistics (lines "fuzz_...: ..."),
# keep the log in DIR/last-run.log. Returns libFuzzer's status.
run_libfuzzer() {
    local bin=$1 dir=$2 log=$2/last-run.log rc limit
    shift 2
    if [ -n "$runs" ]; then limit=(-runs="$runs"); else limit=(-max_total_time="$time"); fi
    set +e
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0$asan UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$bin" "${limit[@]}" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
        -error_exitcode=1 -artifact_prefix="$dir/artifacts/" "$@" >"$log" 2>&1
    rc=$?
    set -e
    tail -n 30 "$log"
    echo "== summary"
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log" || true
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" || true
    grep -E '^fuzz_[a-z_]+: ' "$log" | tail -n 3 || true
    echo "corpus: $(find "$dir/corpus" -type f | wc -l) files; log: $log"
    [ "$rc" -eq 0 ] || echo "FAIL: libFuzzer exited with $rc; reproducer in $dir/artifacts/" >&2
    return "$rc"
}

# coverage T DIR INPUTS...: replay INPUTS through a source-coverage build, report on $report.
coverage() {
    local t=$1 dir=$2 profdata llvmcov
    shift 2
    profdata=$(command -v llvm-profdata || true)
    llvmcov=$(command -v llvm-cov || true)
    if [ -z "$profdata" ] || [ -z "$llvmcov" ]; then
        echo "== coverage: skipped (llvm-profdata / llvm-cov not found)"
        return 0
    fi
    echo "== coverage of the corpus (source-based)"
    link_objects "$dir" cov -fprofile-instr-generate -fcoverage-mapping
    "$cc" "${common[@]}" -fprofile-instr-generate -fcoverage-mapping -fsanitize=fuzzer \
        "$src/tests/fuzz/$main" "${linked[@]}" "${libs[@]}" -o "$dir/fuzz-cov"
    rm -f "$dir"/cov-*.profraw
    LLVM_PROFILE_FILE="$dir/cov-%p.profraw" "$dir/fuzz-cov" -runs=0 "$@" \
        >"$dir/coverage-run.log" 2>&1
    "$profdata" merge -sparse "$dir"/cov-*.profraw -o "$dir/cov.profdata"
    "$llvmcov" report "$dir/fuzz-cov" -instr-profile="$dir/cov.profdata" "${report[@]}" |
        tee "$dir/coverage.txt"
}

# fuzz T: build harness T, write its seeds, run it; then --coverage and --merge.
fuzz() {
    local t=$1 dir=$build/$1 tree=$src/tests/fuzz/corpus/$1 hand=$src/tests/fuzz/seeds/$1
    local bin inputs=()
    describe "$t"
    bin=$dir/${main%.c}
    mkdir -p "$dir/corpus" "$dir/artifacts"

    echo "== build $bin ($cc, libFuzzer + ASan + UBSan)"
    link_objects "$dir" fuzz "${san[@]}" "${guide[@]}"
    "$cc" "${common[@]}" "${san[@]}" -fsanitize=fuzzer "$src/tests/fuzz/$main" \
        "${linked[@]}" "${libs[@]}" -o "$bin"

    inputs=("$dir/corpus")
    [ -d "$tree" ] && inputs+=("$tree")
    [ -d "$hand" ] && inputs+=("$hand")
    if [ "${#seeder[@]}" -gt 0 ]; then
        echo "== seeds: $main built with -DHD_FUZZ_SEEDS"
        rm -rf "$dir/seeds"
        mkdir -p "$dir/seeds"
        "$cc" "${common[@]}" "${san[@]}" -DHD_FUZZ_SEEDS "$src/tests/fuzz/$main" \
            "${linked[@]}" "${seed_srcs[@]}" "${libs[@]}" -o "$dir/seeder"
        "$dir/seeder" "${seeder[@]/#SEEDS/$dir/seeds}"
        inputs+=("$dir/seeds")
    fi

    # --max-len caps the run's inputs; coverage and merge still read every input whole.
    local run_opts=("${opts[@]}")
    [ -z "$max_len" ] || run_opts=("${opts[@]/#-max_len=*/-max_len=$max_len}")
    echo "== run for $(if [ -n "$runs" ]; then echo "$runs inputs"; else echo "${time}s"; fi)" \
         "of at most $(printf '%s\n' "${run_opts[@]}" | sed -n 's/^-max_len=//p') bytes" \
         "(inputs ${inputs[*]}; artifacts $dir/artifacts)"
    run_libfuzzer "$bin" "$dir" "${run_opts[@]}" "${inputs[@]}" || return $?
    [ "$coverage" -eq 0 ] || coverage "$t" "$dir" "${inputs[@]}"
    if [ "$merge" -eq 1 ]; then
        echo "== merge: minimising into $tree"
        rm -rf "$dir/merged"
        mkdir -p "$dir/merged"
        "$bin" -merge=1 "${opts[@]}" "$dir/merged" "${inputs[@]}" >"$dir/merge.log" 2>&1 ||
            { tail -n 20 "$dir/merge.log"; return 1; }
        rm -rf "$tree"
        mkdir -p "$(dirname "$tree")" # tests/fuzz/corpus/ is not in git until a first merge
        mv "$dir/merged" "$tree"
        echo "tests/fuzz/corpus/$t: $(find "$tree" -type f | wc -l) files, $(du -sh "$tree" | cut -f1)"
    fi
    return 0
}

# Plain commands, so that set -e stops at a failed build or run (inside `f || ...` bash would
# ignore errors in f). With all, a failing run ends the script.
for t in "${targets[@]}"; do
    if [ "$target" = all ] || [ "$target" = "$t" ]; then
        fuzz "$t"
    fi
done
exit 0
