# SPDX-License-Identifier: MIT
# tests/e2e/lib/linux-guest.sh — what the end-to-end tests that boot Debian's kernel share
# (tests/e2e/qemu: QEMU, vmx=off; tests/e2e/bochs-linux: Bochs, vmx=on). Sourced by their
# run.sh (bash, set -euo pipefail), after which:
#
#   lg_setup NAME "$@"      --src DIR --work DIR [--cache DIR] [--hdevent PATH (host CLI)];
#                           defines step, die, skip
#   lg_need TOOL...         skip (77) when a tool is missing, unless HDEVENT_REQUIRE_E2E is set
#   lg_kernel               $kver, $kdir (headers) and $vmlinuz: linux-image-$kver downloaded
#                           once into the cache (apt-get download) and unpacked (dpkg -x),
#                           never installed; one lock for every test sharing the cache
#   lg_build_kmod           $work/kmod/hdevent.ko against $kdir, no warning allowed
#   lg_build_static OUT SRC...   a static guest program with the project's headers
#   lg_build_cli            $work/hdevent: the CLI with the device subcommands, static
#   lg_initramfs ROOT OUT [kmsg]  ROOT (guest.sh and what it needs) + busybox + /init + the
#                           guest-side checks (checks.sh) into a gzip'd newc cpio
#   lg_verdict LOG MIN      the serial log: markers, no FAIL, the result line, at least MIN
#                           checks, no kernel warning
#   lg_replay MARKER OUT N  a recording the guest printed, replayed by the host's hdevent run
#
# The guest reports on the serial console: "ok - NAME" / "FAIL - NAME: ...", then
# "HDEVENT-E2E-RESULT fails=N"; init frames it with HDEVENT-E2E-START / -END.

lg_setup() {
    lg_name=$1
    shift
    src="" work="" cache="" host_hdevent=""
    while [ $# -gt 0 ]; do
        case "$1" in
            --src) src=$2; shift 2 ;;
            --work) work=$2; shift 2 ;;
            --cache) cache=$2; shift 2 ;;
            --hdevent) host_hdevent=$2; shift 2 ;; # the host's CLI (replays recordings)
            *) echo "usage: $0 --src DIR --work DIR [--cache DIR] [--hdevent PATH]" >&2; exit 2 ;;
        esac
    done
    [ -n "$src" ] && [ -n "$work" ] || { echo "usage: $0 --src DIR --work DIR [--cache DIR]" >&2; exit 2; }
    cache=${cache:-$work/cache}
    mkdir -p "$work" "$cache"
    work=$(cd "$work" && pwd)
    cache=$(cd "$cache" && pwd)
    lg_t0=$(date +%s.%N)
}

step() { printf '%s: [%5.1fs] %s\n' "$lg_name" "$(echo "$(date +%s.%N) - $lg_t0" | bc)" "$*"; }
die() { echo "$lg_name: FAIL: $*" >&2; exit 1; }
# 77 tells ctest "skipped"; CI sets HDEVENT_REQUIRE_E2E=1 so that a missing tool fails instead.
skip() {
    echo "$lg_name: SKIP: $*"
    [ -n "${HDEVENT_REQUIRE_E2E:-}" ] && { echo "HDEVENT_REQUIRE_E2E is set: failing"; exit 1; }
    exit 77
}

lg_need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || skip "$tool missing (scripts/install-deps.sh)"
    done
}

# The kernel the headers meta-package points at (linux-headers-amd64 -> linux-headers-<ver>),
# its image unpacked under the cache. Several tests may share the cache and run at once
# (ctest -j): the download and the unpacking happen under one lock.
lg_kernel() {
    local deb
    lg_need dpkg dpkg-query apt-get flock
    kver=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
           grep -o 'linux-headers-[^ ,]*-amd64' | head -1 | sed 's/^linux-headers-//') || true
    kdir=/usr/src/linux-headers-$kver
    [ -n "$kver" ] && [ -e "$kdir/Makefile" ] || skip "linux-headers-amd64 not installed"
    vmlinuz="$cache/image-$kver/boot/vmlinuz-$kver"
    exec 9>"$cache/.lock"
    flock 9
    if [ ! -e "$vmlinuz" ]; then
        deb=$(ls "$cache"/linux-image-"$kver"_*.deb 2>/dev/null | head -1 || true)
        if [ -z "$deb" ]; then
            # apt-get download needs package lists; a fresh machine may have none yet.
            (cd "$cache" && apt-get download "linux-image-$kver" >/dev/null 2>&1) ||
                { step "apt-get download failed: apt-get update, then again"
                  apt-get update >/dev/null 2>&1 || die "apt-get update failed (need root/network)"
                  (cd "$cache" && apt-get download "linux-image-$kver") ||
                      die "apt-get download linux-image-$kver failed"; }
            deb=$(ls "$cache"/linux-image-"$kver"_*.deb | head -1)
        fi
        rm -rf "$cache/image-$kver.tmp"
        dpkg -x "$deb" "$cache/image-$kver.tmp"
        [ -e "$cache/image-$kver.tmp/boot/vmlinuz-$kver" ] || die "$deb holds no boot/vmlinuz-$kver"
        rm -rf "$cache/image-$kver"
        mv "$cache/image-$kver.tmp" "$cache/image-$kver"
    fi
    flock -u 9
    exec 9>&-
    step "kernel $kver: $vmlinuz"
}

lg_build_kmod() {
    "$src/backends/linux-kmod/build.sh" --kdir "$kdir" --out "$work/kmod" \
        >"$work/kmod-build.log" 2>&1 || { cat "$work/kmod-build.log"; die "module build failed"; }
    if grep -E "warning|WARNING" "$work/kmod-build.log"; then die "module build has warnings"; fi
    step "hdevent.ko built"
}

lg_build_static() {
    local out=$1
    shift
    gcc -std=c11 -O2 -Wall -Wextra -Werror -static -s -I"$src/include" -I"$src/libhdevent/core" \
        -o "$out" "$@" || die "static build of $(basename "$out") failed"
}

# The hdevent CLI with the device subcommands only and no Zydis (Debian ships it shared only);
# <hdevent/version.h> made as CMake makes it, for --version.
lg_build_cli() {
    local f user_src=()
    for f in "$src"/libhdevent/user/*.c; do # no Zydis in the guest: no validator, no assembler
        case "$(basename "$f")" in code_*|asm*) ;; *) user_src+=("$f") ;; esac
    done
    sh "$src/cmake/version-header.sh" "$src" "$work/include/hdevent/version.h" ||
        die "version.h for the static CLI"
    lg_build_static "$work/hdevent" -I"$work/include" -DHDEVENT_CLI_DEVICE_ONLY \
        -DHDEVENT_CLI_HAVE_DEVICE -DHDEVENT_NO_ZYDIS '-DHDEVENT_BUILD_TYPE="static, for the guest"' \
        "$src"/tools/hdevent/{main,cli_util,cli_options,cli_input,cli_command,cli_message}.c \
        "$src"/tools/hdevent/{device_cli,device_posix,sink,sink_route,record_scenario,record_dump}.c \
        "$src"/tools/hdevent/cmd_{add,events,read,selftest,record}.c \
        "${user_src[@]}" "$src"/libhdevent/core/*.c "$src"/libhdevent/core/arch/x86_64/call_raw.S
}

# lg_initramfs ROOT OUT [kmsg]: ROOT already holds /guest.sh and its files. The guest's output
# goes to the console as it is (QEMU's serial is synchronous), or with "kmsg" each line through
# /dev/kmsg: printk writes the console synchronously, while tty output still queued when the
# guest powers off is lost (Bochs' UART drains slowly), and what a crash interrupts is seen up
# to the line before it. Lines then read "[  12.345678] e2e: ..." (lg_verdict strips that).
lg_initramfs() {
    local root=$1 out=$2 mode=${3:-tty} busybox=/bin/busybox
    [ -x "$busybox" ] && file -L "$busybox" 2>/dev/null | grep -q "statically linked" ||
        skip "busybox-static missing"
    mkdir -p "$root"/{bin,dev,proc,sys,tmp}
    cp "$busybox" "$root/bin/busybox"
    cp "$src/tests/e2e/lib/checks.sh" "$root/checks.sh"
    {
        echo '#!/bin/busybox sh'
        echo '/bin/busybox --install -s /bin'
        echo 'mount -t proc proc /proc'
        echo 'mount -t sysfs sys /sys'
        echo 'mount -t devtmpfs dev /dev'
        echo 'mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null'
        if [ "$mode" = kmsg ]; then
            echo 'out() { while IFS= read -r l; do echo "<2>e2e: $l" >/dev/kmsg; done; }'
            echo '{ echo "HDEVENT-E2E-START"; sh /guest.sh 2>&1; echo "HDEVENT-E2E-END"; } | out'
        else
            echo 'echo "HDEVENT-E2E-START"'
            echo 'sh /guest.sh'
            echo 'echo "HDEVENT-E2E-END"'
        fi
        echo 'poweroff -f'
    } >"$root/init"
    chmod +x "$root/init" "$root/guest.sh"
    (cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) >"$out"
    step "initramfs built ($(du -k "$out" | cut -f1) KiB)"
}

# lg_replay MARKER OUT EXITS: the scenario the guest printed between the lines MARKER-BEGIN and
# MARKER-END of $log.txt (`hdevent record`'s recording) into OUT, then replayed by the host's
# `hdevent run` (--hdevent) with the CPU count its first line names: EXITS exits, no
# difference, no failed line. Sets $lg_cores.
lg_replay() {
    local marker=$1 out=$2 want=$3 n
    [ -n "$host_hdevent" ] || die "--hdevent PATH (the host's CLI) is needed to replay a recording"
    sed -n "/^$marker-BEGIN\$/,/^$marker-END\$/p" "$log.txt" | sed '1d;$d' >"$out"
    n=$(grep -c '^vmcall ' "$out" || true)
    [ "$n" = "$want" ] || die "the recording $out holds $n exits, not $want"
    lg_cores=$(sed -n 's/^# recorded by hdevent record: replay with hdevent run --cores \(0n[0-9]*\) FILE$/\1/p' "$out")
    [ -n "$lg_cores" ] || die "no replay line in $out"
    "$host_hdevent" run --cores "$lg_cores" "$out" >"$out.replay" 2>&1 ||
        { cat "$out.replay"; die "replaying $out on the host: differences or errors (above)"; }
    grep -q '"type":"summary","lines":[0-9]*,"failed":0' "$out.replay" ||
        die "no clean summary: $out.replay"
    step "PASS: the guest's recording ($want exits) replays on the host with no difference"
}

# lg_verdict LOG MIN: LOG is the raw serial output; LOG.txt gets it without CRs and without
# the kmsg prefix of guest lines.
lg_verdict() {
    local log=$1 min=$2 n
    tr -d '\r' <"$log" | sed -E 's/^\[ *[0-9]+\.[0-9]+\] e2e: //' >"$log.txt"
    grep -E "^(ok|FAIL) - " "$log.txt" | sed 's/^/  /' || true
    grep -q "HDEVENT-E2E-START" "$log.txt" || { tail -40 "$log.txt"; die "the guest never ran the test"; }
    grep -q "HDEVENT-E2E-END" "$log.txt" || { tail -40 "$log.txt"; die "the guest did not finish (timeout or crash)"; }
    if grep -qE "^FAIL - " "$log.txt"; then
        die "$(grep -cE '^FAIL - ' "$log.txt") check(s) failed (above)"
    fi
    grep -q "HDEVENT-E2E-RESULT fails=0" "$log.txt" || die "no passing result line"
    if grep -vE "^(ok|FAIL) - " "$log.txt" | grep -E "WARNING:|BUG:|Oops|Call Trace|Kernel panic"; then
        die "kernel warnings on the console"
    fi
    n=$(grep -cE "^ok - " "$log.txt")
    [ "$n" -ge "$min" ] || die "only $n checks ran (expected at least $min)"
    step "PASS: $n checks"
}
