#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# msvc: the core with an MSVC toolchain, without Windows (docs/backends/windows.md):
#
# 1. call_raw.asm assembled with llvm-ml (MASM) and call_raw.S with clang for the MSVC target:
#    the same instructions and the same unwind codes (PROC FRAME/.pushreg/.allocstack beside
#    .seh_pushreg/.seh_stackalloc);
# 2. the freestanding core compiled with clang-cl, MSVC ABI, with the flags /kernel stands for
#    (clang-cl 14 ignores /kernel itself): no C++ exceptions or RTTI, no /GS cookie, no default
#    CRT library, _KERNEL_MODE, plus freestanding and general registers only; then checked: no
#    SIMD register in its code, no security-cookie or stack-probe call, no /DEFAULTLIB
#    directive, imports memcpy/memset/memcmp only;
# 3. two .lib files made with lld-link /lib: the core with the MASM trampoline, and with the GAS
#    one;
# 4. tests/msvc/harness.c + probe.S built with mingw-w64 and linked with each .lib, run under
#    Wine (one prefix under the build tree, kept between runs): the trampoline's checks and
#    real exits through the clang-cl core; both outputs must be byte-identical.
#
#   run.sh --src REPO --build DIR
# Exit 0 pass, 1 fail, 77 skipped (a tool is missing; HDEVENT_REQUIRE_E2E=1 fails instead).
set -euo pipefail
skip() { [ -n "${HDEVENT_REQUIRE_E2E:-}" ] && { echo "HDEVENT_REQUIRE_E2E is set: failing"; exit 1; }; exit 77; }

SRC= BUILD=
while [ $# -gt 0 ]; do
    case "$1" in
        --src) SRC=$2; shift 2 ;;
        --build) BUILD=$2; shift 2 ;;
        *) echo "usage: $0 --src REPO --build DIR" >&2; exit 2 ;;
    esac
done
[ -n "$SRC" ] && [ -n "$BUILD" ] || { echo "usage: $0 --src REPO --build DIR" >&2; exit 2; }

LLVM=14
ML=llvm-ml-$LLVM CLCL=clang-cl-$LLVM LLD=lld-link-$LLVM
READOBJ=llvm-readobj-$LLVM OBJDUMP=llvm-objdump-$LLVM NM=llvm-nm-$LLVM
MINGW=x86_64-w64-mingw32-gcc
for tool in $ML $CLCL $LLD $READOBJ $OBJDUMP $NM clang $MINGW wine wineserver; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: $tool not found (scripts/install-deps.sh installs scripts/deps.d/e2e/msvc.list, wine.list)"
        skip
    fi
done

T0=$(date +%s%N)
step() { local ms=$((($(date +%s%N) - T0) / 1000000)); printf '== %s (%d.%01d s)\n' "$1" $((ms / 1000)) $((ms % 1000 / 100)); }
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$BUILD"
OUT=$BUILD/out
rm -rf "$OUT"
mkdir -p "$OUT/core"
ARCH=$SRC/libhdevent/core/arch/x86_64

# ---- 1. the two trampolines -----------------------------------------------------------------
step "assemble call_raw.asm (llvm-ml) and call_raw.S (clang, MSVC target)"
$ML -m64 /c /Fo "$OUT/call_raw_masm.obj" "$ARCH/call_raw.asm" 2>&1 | grep -v "unsupported 'nologo'" || true
[ -s "$OUT/call_raw_masm.obj" ] || fail "llvm-ml produced nothing"
clang --target=x86_64-pc-windows-msvc -c "$ARCH/call_raw.S" -o "$OUT/call_raw_gas.obj"
insns() { $OBJDUMP -d --no-show-raw-insn "$1" | grep -E '^ +[0-9a-f]+:' | sed 's/^ *[0-9a-f]*://'; }
unwind() { $READOBJ --unwind "$1" | sed -n '/UnwindInfo {/,/^    }/p'; }
diff <(insns "$OUT/call_raw_masm.obj") <(insns "$OUT/call_raw_gas.obj") ||
    fail "call_raw.asm and call_raw.S differ in their instructions (above)"
diff <(unwind "$OUT/call_raw_masm.obj") <(unwind "$OUT/call_raw_gas.obj") ||
    fail "call_raw.asm and call_raw.S differ in their unwind data (above)"
codes=$(unwind "$OUT/call_raw_masm.obj" | grep -cE 'PUSH_NONVOL|ALLOC_SMALL')
[ "$codes" = 9 ] || fail "the MASM trampoline has $codes unwind codes, not 8 pushes and one allocation"
echo "same $(insns "$OUT/call_raw_masm.obj" | wc -l) instructions, same unwind codes (8 pushes, 40 bytes)"

# ---- 2. the core with clang-cl --------------------------------------------------------------
step "compile the core with clang-cl"
CLFLAGS=(/nologo /c /O2 /Z7 /GS- /GR- /EHs-c- /Zl /D_KERNEL_MODE /D_AMD64_
         "/I$SRC/include" "/I$SRC/libhdevent/core"
         /clang:-std=c11 /clang:-ffreestanding /clang:-mgeneral-regs-only
         /clang:-fno-strict-aliasing /clang:-Wall /clang:-Wextra /clang:-Werror)
pids=()
for c in "$SRC"/libhdevent/core/*.c; do
    # "--": a path such as /work/... would otherwise be read as the option /w.
    $CLCL "${CLFLAGS[@]}" "/Fo$OUT/core/$(basename "${c%.c}").obj" -- "$c" &
    pids+=($!)
    [ ${#pids[@]} -lt 2 ] || { wait "${pids[0]}" || fail "clang-cl"; pids=("${pids[@]:1}"); }
done
for p in "${pids[@]}"; do wait "$p" || fail "clang-cl"; done
nobj=$(ls "$OUT"/core/*.obj | wc -l)
nsrc=$(ls "$SRC"/libhdevent/core/*.c | wc -l)
[ "$nobj" = "$nsrc" ] || fail "$nobj objects for $nsrc sources"
echo "clang-cl ${CLFLAGS[*]}"

step "check the clang-cl objects"
simd=$($OBJDUMP -d "$OUT"/core/*.obj | grep -cE '%[xyz]mm[0-9]' || true)
[ "$simd" = 0 ] || fail "$simd instructions use SIMD registers"
directives=$($READOBJ --sections --section-data "$OUT"/core/*.obj | grep -A3 'Name: .drectve' | grep -i 'defaultlib' || true)
[ -z "$directives" ] || fail "a /DEFAULTLIB directive (no /Zl?): $directives"
undefined=$($NM "$OUT"/core/*.obj 2>/dev/null | awk '$1 == "U" {print $2}' | sort -u)
defined=$($NM "$OUT"/core/*.obj "$OUT/call_raw_masm.obj" 2>/dev/null | awk 'NF == 3 && $2 ~ /[TDRB]/ {print $3}' | sort -u)
imports=$(comm -23 <(echo "$undefined") <(echo "$defined") | tr '\n' ' ')
for s in $imports; do
    case "$s" in memcpy|memset|memcmp) ;; *) fail "the core imports $s (cookie, stack probe or CRT)" ;; esac
done
echo "no SIMD register, no /DEFAULTLIB; imports: $imports"

# ---- 3. the libraries -----------------------------------------------------------------------
step "lld-link /lib: hdevent_core_masm.lib, hdevent_core_gas.lib"
for t in masm gas; do
    $LLD /lib "/out:$OUT/hdevent_core_$t.lib" "$OUT"/core/*.obj "$OUT/call_raw_$t.obj"
done

# ---- 4. the harness under Wine --------------------------------------------------------------
step "build the harness with mingw-w64, once per library"
$MINGW -std=c11 -O2 -Wall -Wextra -Werror -I"$SRC/include" -c "$SRC/tests/msvc/harness.c" -o "$OUT/harness.o"
$MINGW -c "$SRC/tests/msvc/probe.S" -o "$OUT/probe.o"
for t in masm gas; do
    $MINGW -o "$OUT/harness_$t.exe" "$OUT/harness.o" "$OUT/probe.o" "$OUT/hdevent_core_$t.lib"
done

export WINEPREFIX="$BUILD/wine-prefix" WINEDEBUG=-all WINEARCH=win64
export WINEDLLOVERRIDES="mscoree,mshtml=" # no Mono / Gecko installer in a test prefix
unset DISPLAY WAYLAND_DISPLAY
WINE_BIN=$(command -v wine)
wine() { timeout -k 5 "${WINE_TIMEOUT:-30}" "$WINE_BIN" "$@"; }
trap 'wineserver -k >/dev/null 2>&1 || true' EXIT
if [ ! -e "$WINEPREFIX/system.reg" ]; then
    step "create the Wine prefix (once; kept in $WINEPREFIX)"
    rm -rf "$WINEPREFIX"
    WINE_TIMEOUT=120 wine wineboot -i >"$BUILD/wineboot.log" 2>&1 || { cat "$BUILD/wineboot.log"; fail "wineboot -i"; }
    wineserver -w # the new prefix's services settle before the first program
fi

for t in masm gas; do
    step "run harness_$t.exe under Wine"
    rc=0
    wine "$OUT/harness_$t.exe" >"$OUT/$t.out" 2>"$OUT/$t.err" || rc=$?
    if [ $rc != 0 ] && [ ! -s "$OUT/$t.out" ] && [ ! -s "$OUT/$t.err" ]; then
        # Wine did not start the program at all (exit 1, not a line written: seen once under
        # make test's load, right after the prefix was made): once more, after the server.
        echo "harness_$t.exe: Wine exited $rc before the program wrote anything; once more"
        wineserver -w
        rc=0
        wine "$OUT/harness_$t.exe" >"$OUT/$t.out" 2>"$OUT/$t.err" || rc=$?
    fi
    tr -d '\r' <"$OUT/$t.out" >"$OUT/$t.txt"
    grep -v '^ok: ' "$OUT/$t.txt" || true
    [ $rc = 0 ] || { cat "$OUT/$t.err"; fail "harness_$t.exe exited $rc"; }
    grep -qx 'ok: 0 failure(s)' "$OUT/$t.txt" || fail "harness_$t.exe did not finish"
done
cmp "$OUT/masm.txt" "$OUT/gas.txt" || { diff "$OUT/masm.txt" "$OUT/gas.txt"; fail "the trampolines behave differently"; }
sed 's/^/  /' "$OUT/masm.txt"
step "msvc passed: $(grep -c '^ok: ' "$OUT/masm.txt") checks, byte-identical with the MASM and the GAS trampoline"
