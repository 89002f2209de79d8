#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# e2e-wine: the Windows driver built for real with mingw-w64, checked as a PE image, and its
# device and IOCTL plumbing run under Wine (docs/backends/windows.md).
#
#   run.sh --src REPO --build DIR --host-core LIBHDEVENT_CORE_A [--keep]
#
# 1. make -f backends/windows-wdk/mingw.mk: hdevent.sys (VMX off, and VMX on when the shared
#    layer has sources), hdevent.exe, wire_probe.exe.
# 2. check-pe.sh on every .sys: native PE32+, entry DriverEntry, imports only ntoskrnl/HAL.
# 3. No fork of the core: the driver's core archive has one object per libhdevent/core source
#    and defines exactly the symbols the host build's core defines; the .sys holds them.
# 4. A fresh Wine prefix under DIR: the VMX-off driver as a kernel service; hdevent.exe adds
#    events (scripts too) through \\.\hdevent, fires self-test VMCALL exits, reads messages, runs
#    `events d/e/c`; wire_probe.exe sends malformed buffers; the service stops and the device
#    is gone.
# Exit 0 pass, 1 fail, 77 skipped (mingw-w64 or wine not installed).
set -euo pipefail
# 77 tells ctest "skipped"; CI sets HDEVENT_REQUIRE_E2E=1 so that a missing tool fails instead.
skip() { [ -n "${HDEVENT_REQUIRE_E2E:-}" ] && { echo "HDEVENT_REQUIRE_E2E is set: failing"; exit 1; }; exit 77; }

SRC= BUILD= HOST_CORE= KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --src) SRC=$2; shift 2 ;;
        --build) BUILD=$2; shift 2 ;;
        --host-core) HOST_CORE=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        *) echo "usage: $0 --src REPO --build DIR --host-core LIB [--keep]" >&2; exit 2 ;;
    esac
done
[ -n "$SRC" ] && [ -n "$BUILD" ] && [ -n "$HOST_CORE" ] || { echo "missing arguments" >&2; exit 2; }

CROSS=x86_64-w64-mingw32-
for tool in ${CROSS}gcc ${CROSS}objdump ${CROSS}nm wine wineserver; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: $tool not found (scripts/install-deps.sh installs scripts/deps.d/e2e/wine.list)"
        skip
    fi
done

T0=$(date +%s%N)
step() { local ms=$((($(date +%s%N) - T0) / 1000000)); printf '== %s (%d.%01d s)\n' "$1" $((ms / 1000)) $((ms % 1000 / 100)); }
fail() { echo "FAIL: $*"; exit 1; }

# ---- 1. build ------------------------------------------------------------------------------
step "build with mingw-w64"
OUT=$BUILD/mingw
mkdir -p "$OUT"
targets="novmx exe core"
if ls "$SRC"/backends/vmx/*.c >/dev/null 2>&1; then targets="$targets vmx"; fi
make -s -f "$SRC/backends/windows-wdk/mingw.mk" SRC="$SRC" O="$OUT" -j2 $targets
${CROSS}gcc -std=c11 -O2 -Wall -Wextra -Werror -D__USE_MINGW_ANSI_STDIO=1 -I"$SRC/include" \
    "$SRC/tests/e2e/wine/wire_probe.c" -o "$OUT/wire_probe.exe"

# ---- 2. PE checks --------------------------------------------------------------------------
for sys in "$OUT"/novmx/hdevent.sys "$OUT"/vmx/hdevent.sys; do
    [ -e "$sys" ] || continue
    step "PE checks: ${sys#$OUT/}"
    bash "$SRC/tests/e2e/wine/check-pe.sh" "$sys" "${CROSS}objdump" "${CROSS}nm"
done
[ -e "$OUT/vmx/hdevent.sys" ] || echo "note: backends/vmx has no sources: VMX-on driver not built"
# The Wine variant must not hold one privileged instruction but the IRQL's CR8 moves (which
# Wine's ntoskrnl emulates); the VMX variant must hold the layer's VMLAUNCH.
mnemonics() { ${CROSS}objdump -d --no-show-raw-insn "$1" | awk -F'\t' 'NF >= 2 {split($2, a, " "); print a[1]}'; }
priv=$(mnemonics "$OUT/novmx/hdevent.sys" |
       grep -Ex 'vm[a-z]+|invept|invvpid|cli|sti|hlt|rdmsr|wrmsr|lgdt|lidt|ltr|invd|wbinvd' |
       sort | uniq -c | tr -s ' \n' ' ' || true)
[ -z "$priv" ] || fail "VMX-off driver holds privileged instructions:$priv"
if [ -e "$OUT/vmx/hdevent.sys" ]; then
    vmx_insns=$(mnemonics "$OUT/vmx/hdevent.sys")
    grep -qx vmlaunch <<<"$vmx_insns" || fail "VMX driver has no vmlaunch"
fi

# ---- 3. the core inside is the core everybody uses ---------------------------------------
step "core: same sources, same symbols"
want=$(cd "$SRC/libhdevent/core" && ls *.c arch/x86_64/*.S | sed 's|.*/||; s|$|.o|' | sort)
have=$(${CROSS}ar t "$OUT/core/libhdevent_core.a" | sort)
[ "$want" = "$have" ] || fail "driver core objects differ from libhdevent/core sources:
$(diff <(echo "$want") <(echo "$have"))"
syms() { "$1" -g --defined-only "$2" 2>/dev/null | awk 'NF == 3 && $2 ~ /[TDRB]/ {print $3}' | sort -u; }
host_syms=$(syms nm "$HOST_CORE")
win_syms=$(syms ${CROSS}nm "$OUT/core/libhdevent_core.a")
[ -n "$host_syms" ] || fail "no symbols in $HOST_CORE"
[ "$host_syms" = "$win_syms" ] || fail "core symbols differ (host < > driver):
$(diff <(echo "$host_syms") <(echo "$win_syms"))"
sys_syms=$(${CROSS}nm "$OUT/novmx/hdevent.sys" | awk '{print $3}' | sort -u)
for s in hd_wire_device_ioctl hd_wire_ioctl hd_dispatch_vmcall hd_dispatch_vmcall_post \
         hd_engine_create hd__arch_call_raw; do
    grep -qx "$s" <<<"$sys_syms" || fail "hdevent.sys does not contain the core's $s"
done
echo "core: $(wc -l <<<"$have") objects, $(wc -l <<<"$win_syms") global symbols, same as the host build"

# ---- 4. Wine --------------------------------------------------------------------------------
export WINEPREFIX="$BUILD/wine-prefix" WINEDEBUG=-all WINEARCH=win64
export WINEDLLOVERRIDES="mscoree,mshtml=" # no Mono / Gecko installer in a test prefix
unset DISPLAY WAYLAND_DISPLAY          # no window is needed: wine runs headless here
cleanup() {
    if [ "$KEEP" = 0 ]; then wineserver -k >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# Every Wine program gets a deadline: a driver that hangs an IRP must fail the test, not hang it.
WINE_BIN=$(command -v wine)
wine() { timeout -k 5 "${WINE_TIMEOUT:-30}" "$WINE_BIN" "$@"; }
wineserver -k >/dev/null 2>&1 || true   # a server left by an aborted run of this prefix
rm -rf "$WINEPREFIX"

step "fresh Wine prefix"
WINE_TIMEOUT=120 wine wineboot -i >"$BUILD/wineboot.log" 2>&1 || { cat "$BUILD/wineboot.log"; fail "wineboot -i"; }
DRIVERS="$WINEPREFIX/drive_c/windows/system32/drivers"
cp "$OUT/novmx/hdevent.sys" "$DRIVERS/hdevent.sys"

step "install and start the kernel service"
wine sc create hdevent type= kernel start= demand \
    binPath= 'C:\windows\system32\drivers\hdevent.sys' >/dev/null || fail "sc create"
# A kernel service created in this server's lifetime does not start: restart the server,
# and keep it alive (-p) so the driver stays loaded between the client runs below.
wineserver -k >/dev/null 2>&1 || true
wineserver -p
state() { wine sc query hdevent 2>/dev/null | tr -d '\r' | awk '/STATE/ {print $4}'; }
wine sc start hdevent >/dev/null 2>&1 || true
# Up to 60 s: the start is asynchronous, and a loaded machine (make test runs the Bochs and
# QEMU tests beside this one) has been seen to take longer than 10 s.
deadline=$((SECONDS + 60))
until [ "$(state)" = RUNNING ] || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.2; done
[ "$(state)" = RUNNING ] || fail "service hdevent did not reach RUNNING: $(wine sc query hdevent)"

# Under Wine the driver runs in winedevice.exe, a process of its own, so pinning the client
# does not pin the thread that serves the IOCTL. Pin winedevice.exe itself: then the core the
# driver reads (KeGetCurrentProcessorNumberEx) is the one chosen here.
WINEDEVICE=
for p in $(pgrep -f 'winedevice.exe' || true); do
    env_of_p=$( (tr '\0' '\n' <"/proc/$p/environ") 2>/dev/null || true)
    if grep -qx "WINEPREFIX=$WINEPREFIX" <<<"$env_of_p"; then
        WINEDEVICE="$WINEDEVICE $p"
    fi
done
[ -n "$WINEDEVICE" ] || fail "no winedevice.exe process for $WINEPREFIX"
pin() { for p in $WINEDEVICE; do taskset -a -p -c "$1" "$p" >/dev/null; done; }
pin 0

H="$OUT/hdevent.exe"
LAST=
# hd ARGS: run hdevent.exe; its output (CR stripped) in LAST, its exit status in RC.
hd() {
    RC=0
    LAST=$(wine "$H" "$@" 2>&1 | tr -d '\r'; exit "${PIPESTATUS[0]}") || RC=$?
    echo "  hdevent $* -> [$RC] $LAST" | cut -c1-400
}
rc() { [ "$RC" = "$1" ] || fail "exit status $RC, wanted $1: $LAST"; }
expect() { grep -qF -- "$1" <<<"$LAST" || fail "expected '$1' in: $LAST"; }
reject() { if grep -qF -- "$1" <<<"$LAST"; then fail "unexpected '$1' in: $LAST"; fi; }

DOC_CODE='48 8B 5A 40 48 81 FB 48 44 42 47 74 02 EB 08 48 C7 42 40 48 44 42 32 C3'
DOC_COND='48 8B 59 10 48 81 FB 00 10 00 00 74 05 48 31 C0 EB 07 48 C7 C0 01 00 00 00 C3'
MSG_CODE='C7 01 48 44 45 56 48 89 C8 C3' # *(u32 *)buffer = "HDEV"; return buffer

step "hdevent.exe: register, self-test exits, messages"
hd events
reject '"type":"listed"'
hd add "!vmcall pid 490 code {$DOC_CODE}"
expect '"type":"added","id":0,"tag":"0x1000000"'
hd selftest-vmcall core=0 pid=490 r8=47424448
expect '"fired_pre":1,'; expect '"r8":"0x32424448"'; expect '"default_handled":true'
expect '"rax":"0xfffffffffffffc18"'; expect '"rip":"0x3"'
hd selftest-vmcall core=0 pid=491 r8=47424448
expect '"fired_pre":0,'; expect '"r8":"0x47424448"'

hd add "!vmcall pid 492 condition {$DOC_COND} buffer 10 code {$MSG_CODE}"
expect '"type":"added","id":1,"tag":"0x1000001"'
hd selftest-vmcall core=0 pid=492 rdx=1000
expect '"fired_pre":1,'
hd selftest-vmcall core=0 pid=492 rdx=fff
expect '"fired_pre":0,'
hd read
expect '"type":"message","event":1,"tag":"0x1000001","core":"0x0","text":"HDEV"'
[ "$(grep -c '"type":"message"' <<<"$LAST")" = 1 ] || fail "one message expected: $LAST"
hd read
rc 0; reject '"type":"message"'

hd add '!vmcall pid 493 sc on code {C3}'
expect '"id":2,'
hd selftest-vmcall core=0 pid=493 rax=77
expect '"fired_pre":1,'; expect '"short_circuit":true'; expect '"default_handled":false'
expect '"rax":"0x77"'; expect '"rip":"0x3"'

hd add "!vmcall pid 494 stage post code {$DOC_CODE}"
expect '"id":3,'
hd selftest-vmcall core=0 pid=494 r8=47424448
expect '"fired_pre":0,"fired_post":1'; expect '"post_ran":true'; expect '"r8":"0x32424448"'

if [ "$(nproc)" -ge 2 ]; then
    hd add "!vmcall pid 495 core 1 code {$DOC_CODE}"
    expect '"id":4,'
    hd selftest-vmcall core=0 pid=495 r8=47424448
    expect '"core":"0x0",'; expect '"fired_pre":0,'
    pin 1
    hd selftest-vmcall core=1 pid=495 r8=47424448
    expect '"core":"0x1",'; expect '"fired_pre":1,'; expect '"r8":"0x32424448"'
    pin 0
else
    echo "note: one CPU: the core-filter exit on core 1 is skipped"
fi

step "hdevent.exe: the flight recorder and the command text"
hd events
expect '"id":1,"tag":"0x1000001","enabled":true,"command":"!vmcall pid 492 condition {'
hd record --stop
rc 0
hd record
rc 0; expect '!vmcall pid 493 sc on code {C3}'; reject 'vmcall core='
hd selftest-vmcall core=0 pid=493 rax=5
hd record --stop
rc 0; expect 'vmcall core=0x0 pid=0x493 cpl=0 rax=0x5 '
expect 'expect fired=[2] short_circuit=true rax=0x5 '

step "hdevent.exe: events d / e / c"
hd events d 0
expect '"type":"modified","change":"disable","id":0'
hd selftest-vmcall core=0 pid=490 r8=47424448
expect '"fired_pre":0,'
hd events
expect '"id":0,"tag":"0x1000000","enabled":false'
hd events e 0
hd selftest-vmcall core=0 pid=490 r8=47424448
expect '"fired_pre":1,'
hd events c 0
expect '"change":"clear","id":0'
hd events
reject '"id":0,'; expect '"id":1,'
hd selftest-vmcall core=0 pid=490 r8=47424448
expect '"fired_pre":0,'
hd events c 0
rc 1; expect 'HD_WIRE_ERR_MODIFY_INVALID_TAG'

step "hdevent.exe: scripts (compiled here, verified and run by the driver's core)"
hd add '!vmcall pid 497 script { printf("VMCALL executed with context: %llx\n", $context); }'
expect '"type":"added"'
hd selftest-vmcall core=0 pid=497
expect '"fired_pre":1,'; expect '"default_handled":true'
hd read
expect '"type":"message"'; expect '"text":"VMCALL executed with context: 0\n"'
hd read --text
expect 'no messages'
hd add '!vmcall pid 498 steps 0n40 script { .n += 1; x = 100 / @rbx; while (1) { } }'
expect '"type":"added"'
hd selftest-vmcall core=0 pid=498 rbx=0
expect '"fired_pre":1,'
hd selftest-vmcall core=0 pid=498 rbx=4
hd read
expect '"type":"script_error"'; expect '"error":"HD_ERR_SCRIPT_DIVIDE_BY_ZERO"'
expect '"error":"HD_ERR_SCRIPT_STEPS"'
hd add '!vmcall pid 499 script { printf("%s", 1); }'
rc 1; expect '"type":"error"'; expect 'script_line'

step "malformed input rejected"
hd add '!vmcall pid 496 core 1000'
expect 'HD_WIRE_ERR_INVALID_CORE_ID'
hd add '!vmcall pid 0n12x'
expect '"type":"error"'
hd selftest-vmcall core=0 cpl=4
rc 2; expect "hdevent selftest-vmcall: cpl=4: not a number up to 0x3"
wine "$OUT/wire_probe.exe" 2>&1 | tr -d '\r' | tee "$BUILD/wire_probe.log" | grep -v '^ok ' || true
grep -qx 'ok: 0 failure(s)' "$BUILD/wire_probe.log" || fail "wire_probe.exe (see $BUILD/wire_probe.log)"
echo "  wire_probe: $(grep -c '^ok ' "$BUILD/wire_probe.log") checks passed"

hd events c all
rc 0
hd events
rc 0; reject '"type":"listed"'

step "hdevent.exe as a Unix tool: --version, -f FILE, usage errors"
hd --version
rc 0; expect "hdevent "; expect "Zydis: not built in"; expect "build: mingw-w64"
hd events --bogus
rc 2; expect "hdevent events: unknown option '--bogus'"
hd add --help
rc 0; expect "usage: hdevent add "
printf '!vmcall pid 4a0\r\n    code {C3}\r\n' >"$WINEPREFIX/drive_c/hook.txt"
hd add -f 'C:\hook.txt'
rc 0; expect '"type":"added"'
hd events --text
expect 'pid 0x4a0'
hd events c all
rc 0

step "stop the service"
wine sc stop hdevent >/dev/null 2>&1 || true
deadline=$((SECONDS + 60))
until [ "$(state)" = STOPPED ] || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.2; done
[ "$(state)" = STOPPED ] || fail "service hdevent did not stop: $(wine sc query hdevent)"
# The unload routine deleted the symbolic link: the device cannot be opened any more.
hd events
rc 1; expect 'cannot open'

step "e2e-wine passed"
