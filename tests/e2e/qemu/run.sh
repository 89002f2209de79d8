#!/usr/bin/env bash
# e2e-qemu: build hdevent.ko against Debian's kernel headers, boot that kernel in QEMU (TCG,
# 2 CPUs) with a busybox initramfs, and run tests/e2e/qemu/guest.sh inside: insmod vmx=off,
# events through the statically linked hdevent CLI, self-test exits on both CPUs, messages,
# events d/e/c, malformed IOCTLs (ioctl_probe), rmmod, dmesg clean.
#
#   tests/e2e/qemu/run.sh --src DIR --work DIR
#
# The kernel image is never installed: `apt-get download linux-image-<version>-amd64` into
# WORK/cache (kept between runs) and `dpkg -x`. Exit 0 pass, 1 fail, 77 skip (no headers/qemu).
set -euo pipefail
# 77 tells ctest "skipped"; CI sets HDEVENT_REQUIRE_E2E=1 so that a missing tool fails instead.
skip() { [ -n "${HDEVENT_REQUIRE_E2E:-}" ] && { echo "HDEVENT_REQUIRE_E2E is set: failing"; exit 1; }; exit 77; }

src="" work=""
while [ $# -gt 0 ]; do
    case "$1" in
        --src) src=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        *) echo "usage: $0 --src DIR --work DIR" >&2; exit 2 ;;
    esac
done
[ -n "$src" ] && [ -n "$work" ] || { echo "usage: $0 --src DIR --work DIR" >&2; exit 2; }
mkdir -p "$work/cache"
work=$(cd "$work" && pwd)
t0=$(date +%s.%N)
step() { printf 'e2e-qemu: [%5.1fs] %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*"; }
die() { echo "e2e-qemu: FAIL: $*" >&2; exit 1; }

# ---- what we need ---------------------------------------------------------------------------
for tool in qemu-system-x86_64 cpio gzip gcc make dpkg apt-get bc; do
    command -v "$tool" >/dev/null || { echo "e2e-qemu: SKIP: $tool missing (scripts/install-deps.sh)"; skip; }
done
busybox=/bin/busybox
[ -x "$busybox" ] && file -L "$busybox" 2>/dev/null | grep -q "statically linked" ||
    { echo "e2e-qemu: SKIP: busybox-static missing"; skip; }
# The kernel the headers meta-package points at: linux-headers-amd64 -> linux-headers-<ver>.
kver=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
       grep -o 'linux-headers-[^ ,]*-amd64' | head -1 | sed 's/^linux-headers-//') ||
    true
[ -n "$kver" ] && [ -e "/usr/src/linux-headers-$kver/Makefile" ] ||
    { echo "e2e-qemu: SKIP: linux-headers-amd64 not installed"; skip; }
step "kernel $kver"

# ---- the kernel image: downloaded once, unpacked, never installed ----------------------------
vmlinuz="$work/image/boot/vmlinuz-$kver"
if [ ! -e "$vmlinuz" ]; then
    deb=$(ls "$work"/cache/linux-image-"$kver"_*.deb 2>/dev/null | head -1 || true)
    if [ -z "$deb" ]; then
        # apt-get download needs package lists; a fresh machine may have none yet.
        (cd "$work/cache" && apt-get download "linux-image-$kver" >/dev/null 2>&1) ||
            { step "apt-get download failed: apt-get update, then again"
              apt-get update >/dev/null 2>&1 || die "apt-get update failed (need root/network)"
              (cd "$work/cache" && apt-get download "linux-image-$kver") ||
                  die "apt-get download linux-image-$kver failed"; }
        deb=$(ls "$work"/cache/linux-image-"$kver"_*.deb | head -1)
    fi
    rm -rf "$work/image"
    dpkg -x "$deb" "$work/image"
    [ -e "$vmlinuz" ] || die "$deb holds no boot/vmlinuz-$kver"
fi
step "image $vmlinuz"

# ---- the module, against the same kernel's headers --------------------------------------------
"$src/backends/linux-kmod/build.sh" --kdir "/usr/src/linux-headers-$kver" --out "$work/kmod" \
    >"$work/kmod-build.log" 2>&1 || { cat "$work/kmod-build.log"; die "module build failed"; }
if grep -E "warning|WARNING" "$work/kmod-build.log"; then die "module build has warnings"; fi
step "hdevent.ko built"

# ---- static guest programs: the hdevent CLI (device subcommands) and the IOCTL probe ----------
cflags=(-std=c11 -O2 -Wall -Wextra -Werror -static -I"$src/include" -I"$src/libhdevent/core")
core_src=("$src"/libhdevent/core/*.c "$src"/libhdevent/core/arch/x86_64/call_raw.S)
user_src=()
for f in "$src"/libhdevent/user/*.c; do
    case "$(basename "$f")" in code_*|asm*) ;; *) user_src+=("$f") ;; esac # no Zydis: shared only
done
gcc "${cflags[@]}" -DHDEVENT_CLI_DEVICE_ONLY -DHDEVENT_CLI_HAVE_DEVICE -DHDEVENT_NO_ZYDIS \
    -o "$work/hdevent" "$src"/tools/hdevent/{main,cli_util,cli_command,device_cli,device_posix}.c \
    "$src"/tools/hdevent/cmd_{add,events,read,selftest}.c \
    "${user_src[@]}" "${core_src[@]}" || die "static hdevent CLI build failed"
gcc "${cflags[@]}" -o "$work/ioctl_probe" "$src/tests/e2e/qemu/ioctl_probe.c" ||
    die "ioctl_probe build failed"
step "static hdevent and ioctl_probe built"

# ---- initramfs --------------------------------------------------------------------------------
root="$work/initramfs"
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp}
cp "$busybox" "$root/bin/busybox"
cp "$work/hdevent" "$work/ioctl_probe" "$root/bin/"
cp "$work/kmod/hdevent.ko" "$root/"
cp "$src/tests/e2e/qemu/guest.sh" "$root/guest.sh"
# The "$ hdevent ..." examples of docs/backends/linux.md and the output printed under each.
awk '/^```sh$/ { inblock = 1; next }
     /^```/    { inblock = 0; next }
     inblock && /^\$ hdevent / { print "CMD " substr($0, 3); next }
     inblock && /^\$ / { next }
     inblock { print "OUT " $0 }' "$src/docs/backends/linux.md" >"$root/doc-examples.txt"
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "HDEVENT-E2E-START"
sh /guest.sh
echo "HDEVENT-E2E-END"
poweroff -f
INIT
chmod +x "$root/init" "$root/guest.sh"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.cpio.gz"
step "initramfs built"

# ---- boot --------------------------------------------------------------------------------------
log="$work/serial.log"
timeout -s KILL 100 qemu-system-x86_64 -accel tcg -smp 2 -m 512 -nographic -no-reboot \
    -kernel "$vmlinuz" -initrd "$work/initramfs.cpio.gz" \
    -append "console=ttyS0 panic=-1 loglevel=4 quiet" >"$log" 2>&1 || true
step "guest done (serial log: $log)"

# ---- verdict -----------------------------------------------------------------------------------
tr -d '\r' <"$log" >"$log.txt"
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
[ "$n" -ge 60 ] || die "only $n checks ran (expected at least 60)"
step "PASS: $n checks"
