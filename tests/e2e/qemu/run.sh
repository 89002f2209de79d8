#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# e2e-qemu: build hdevent.ko against Debian's kernel headers, boot that kernel in QEMU (TCG,
# 2 CPUs) with a busybox initramfs, and run tests/e2e/qemu/guest.sh inside: insmod vmx=off,
# events through the statically linked hdevent CLI, self-test exits on both CPUs, messages,
# events d/e/c, malformed IOCTLs (ioctl_probe), a module calling the exported exit entries
# (hdcaller.c), rmmod, dmesg clean; then the exits the guest recorded (`hdevent record`)
# replayed by the host's `hdevent run` with no difference.
#
#   tests/e2e/qemu/run.sh --src DIR --work DIR [--cache DIR] --hdevent HOST_CLI
#
# The kernel image is never installed: `apt-get download linux-image-<version>-amd64` into the
# cache (kept between runs, shared with e2e-bochs-linux) and `dpkg -x`; the steps are
# tests/e2e/lib/linux-guest.sh's. Exit 0 pass, 1 fail, 77 skip (no headers/qemu).
set -euo pipefail
. "$(dirname "$0")/../lib/linux-guest.sh"
lg_setup e2e-qemu "$@"

lg_need qemu-system-x86_64 cpio gzip gcc make bc file
lg_kernel
lg_build_kmod
# hdcaller.ko: a module of somebody else's using hdevent.ko's exports (hdevent_kmod.h).
mkdir -p "$work/hdcaller"
cp "$src/tests/e2e/qemu/hdcaller.c" "$work/hdcaller/"
printf 'obj-m := hdcaller.o\nccflags-y := -I%s/include -I%s/backends/linux-kmod -Werror\n' \
    "$src" "$src" >"$work/hdcaller/Kbuild"
make -C "$kdir" M="$work/hdcaller" KBUILD_EXTRA_SYMBOLS="$work/kmod/Module.symvers" modules \
    >"$work/hdcaller-build.log" 2>&1 || { cat "$work/hdcaller-build.log"; die "hdcaller.ko build failed"; }
if grep -E "warning|WARNING" "$work/hdcaller-build.log"; then die "hdcaller.ko build has warnings"; fi
step "hdcaller.ko built"
lg_build_cli
lg_build_static "$work/ioctl_probe" "$src/tests/e2e/qemu/ioctl_probe.c"
step "static hdevent and ioctl_probe built"

# ---- initramfs --------------------------------------------------------------------------------
root="$work/initramfs"
rm -rf "$root"
mkdir -p "$root/bin"
cp "$work/hdevent" "$work/ioctl_probe" "$root/bin/"
cp "$work/kmod/hdevent.ko" "$work/hdcaller/hdcaller.ko" "$root/"
cp "$src/tests/e2e/qemu/guest.sh" "$root/guest.sh"
# The "$ hdevent ..." examples of docs/backends/linux.md and the output printed under each.
awk '/^```sh$/ { inblock = 1; next }
     /^```/    { inblock = 0; next }
     inblock && /^\$ hdevent / { print "CMD " substr($0, 3); next }
     inblock && /^\$ / { next }
     inblock { print "OUT " $0 }' "$src/docs/backends/linux.md" >"$root/doc-examples.txt"
lg_initramfs "$root" "$work/initramfs.cpio.gz"

# ---- boot --------------------------------------------------------------------------------------
log="$work/serial.log"
timeout -s KILL 100 qemu-system-x86_64 -accel tcg -smp 2 -m 512 -nographic -no-reboot \
    -kernel "$vmlinuz" -initrd "$work/initramfs.cpio.gz" \
    -append "console=ttyS0 panic=-1 loglevel=4 quiet" >"$log" 2>&1 || true
step "guest done (serial log: $log)"

lg_verdict "$log" 60

# ---- the flight recorder: the exits the guest recorded (`hdevent record`, printed between two
# markers), replayed by the host's hdevent run with no difference; a changed register in an
# expect line is reported.
rec="$work/recorded.scenario"
lg_replay HDEVENT-RECORDING "$rec" 10
sed 's/^\(expect .* rbx=\)0x20 /\10x21 /' "$rec" >"$rec.changed"
if "$host_hdevent" run --cores "$lg_cores" "$rec.changed" >"$work/replay-changed.out" 2>&1 ||
   ! grep -q '"type":"difference".*"word":"rbx","expected":"0x21","actual":"0x20"' "$work/replay-changed.out"; then
    cat "$work/replay-changed.out"; die "a changed expect line was not reported as a difference"
fi

# docs/host-backend.md's workflow: what the guest recorded with the plugin's script twin is the
# recording examples/plugin_replay/ keeps (ctest example.plugin_replay replays it against the
# C plugin); after a change, copy $work/plugin.scenario over it.
lg_replay HDEVENT-PLUGIN-RECORDING "$work/plugin.scenario" 4
diff -u "$src/examples/plugin_replay/recorded.scenario" "$work/plugin.scenario" ||
    die "the plugin's recording is not examples/plugin_replay/recorded.scenario (diff above)"
step "PASS: the plugin's recording is examples/plugin_replay/recorded.scenario"
