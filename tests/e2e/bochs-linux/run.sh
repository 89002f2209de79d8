#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# e2e-bochs-linux: Debian's own kernel under Bochs' software VMX (2 CPUs), hdevent.ko loaded
# with vmx=on, and tests/e2e/bochs-linux/guest.sh inside: real VMCALL exits from ring 3
# (vmcall_user) and ring 0 (hdevent_vmcall_probe.ko) on both CPUs through the CLI's events,
# the exit records in debugfs, a clear during a VMCALL loop, rmmod, #UD afterwards, dmesg clean.
#
#   tests/e2e/bochs-linux/run.sh --src DIR --work DIR [--cache DIR]
#
# Boot medium: an ISOLINUX CD image (xorriso) holding the kernel the QEMU test uses (downloaded
# and unpacked by tests/e2e/lib/linux-guest.sh, never installed) and a busybox initramfs. The
# guest reports through /dev/kmsg (synchronous console writes) and powers off; Bochs then exits
# 1 (ACPI power-off), so the verdict comes from the serial log's markers alone.
# Exit 0 pass, 1 fail, 77 skip (a tool missing and HDEVENT_REQUIRE_E2E unset).
#
# HDEVENT_BOCHS_LINUX_CPU_LIMIT: CPU seconds of Bochs before it is killed (default 600; a
# good run takes about half), HDEVENT_BOCHS_LINUX_LIMIT: wall seconds (default 1200). CPU time
# is the measure that holds when the machine is busy with other work.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/linux-guest.sh"
lg_setup e2e-bochs-linux "$@"
limit=${HDEVENT_BOCHS_LINUX_LIMIT:-1200}
cpu_limit=${HDEVENT_BOCHS_LINUX_CPU_LIMIT:-600}

lg_need bochs-bin xorriso cpio gzip gcc make bc file
for pkg in isolinux syslinux-common bochsbios vgabios bochs-term; do
    [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] ||
        skip "package $pkg missing (scripts/deps.d/e2e/bochs.list, bochs-linux.list)"
done
lg_kernel
lg_build_kmod

# ---- the ring-0 probe module, against the same headers ---------------------------------------
probe="$work/probe"
rm -rf "$probe"
mkdir -p "$probe"
ln -s "$here/vmcall_probe.c" "$probe/hdevent_vmcall_probe.c"
cat >"$probe/Kbuild" <<KBUILD
obj-m := hdevent_vmcall_probe.o
ccflags-y := -I$src/include -Werror
KBUILD
make -C "$kdir" M="$probe" modules >"$work/probe-build.log" 2>&1 ||
    { cat "$work/probe-build.log"; die "probe module build failed"; }
if grep -E "warning|WARNING" "$work/probe-build.log"; then die "probe module build has warnings"; fi
lg_build_cli
lg_build_static "$work/vmcall_user" "$here/vmcall_user.c"
step "hdevent_vmcall_probe.ko, static hdevent and vmcall_user built"

# ---- initramfs and the CD image -----------------------------------------------------------------
root="$work/initramfs" iso="$work/iso"
rm -rf "$root" "$iso"
mkdir -p "$root/bin" "$iso/isolinux"
cp "$work/hdevent" "$work/vmcall_user" "$root/bin/"
cp "$work/kmod/hdevent.ko" "$probe/hdevent_vmcall_probe.ko" "$root/"
cp "$here/guest.sh" "$root/guest.sh"
lg_initramfs "$root" "$iso/initrd.gz" kmsg
cp "$vmlinuz" "$iso/vmlinuz"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
# quiet: every console character is emulated (the kernel's boot messages cost a minute or
# two); printk.devkmsg=on: /dev/kmsg writes are not rate limited (the guest reports there);
# cryptomgr.notests: the boot-time self-tests of every crypto algorithm took 7.4 of the 17
# emulated seconds of the boot (initcall_debug: crypto_algapi_init).
cat >"$iso/isolinux/isolinux.cfg" <<'CFG'
SERIAL 0 115200
DEFAULT linux
LABEL linux
  KERNEL /vmlinuz
  INITRD /initrd.gz
  APPEND console=ttyS0 earlyprintk=serial panic=-1 quiet printk.devkmsg=on cryptomgr.notests
CFG
xorriso -as mkisofs -quiet -o "$work/boot.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
    -no-emul-boot -boot-load-size 4 -boot-info-table -R -J "$iso" 2>"$work/xorriso.log" ||
    { cat "$work/xorriso.log"; die "xorriso failed"; }
step "boot.iso built"

# ---- Bochs -------------------------------------------------------------------------------------
# corei7_haswell_4770: VMX with the controls the layer wants, and no XSAVE size mismatch
# WARNING from the kernel (corei7_skylake_x has one). ips=20M with clock sync=none: emulated
# time is instructions / ips, and whatever the guest waits for in emulated time (each console
# character, idle time, which Bochs does not skip with 2 CPUs) costs instructions in
# proportion: the test part took 53 s of Bochs CPU at 100M, 31 s at 20M (32 s at 10M, where
# timer interrupts weigh more); the rest of the boot did not change. docs/backends/vmx.md has
# the settings.
log="$work/serial.log"
cat >"$work/bochsrc" <<RC
megs: 256
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
cpu: model=corei7_haswell_4770, count=2, ips=20000000, reset_on_triple_fault=0
ata0-master: type=cdrom, path=$work/boot.iso, status=inserted
boot: cdrom
display_library: term
com1: enabled=1, mode=file, dev=$log
clock: sync=none, time0=local
log: /dev/null
panic: action=fatal
RC
# bochs-bin is a debugger build: `c` runs the machine, `quit` ends it if it ever stops.
printf 'c\nquit\n' >"$work/bochs.rc"
rm -f "$log"
: >"$log"
# Bochs ignores SIGTERM and has no deadline of its own: this loop is its watchdog (KILL past
# either limit, or as soon as the guest panics: panic=-1 would reboot it into the BIOS again).
TERM=dumb bochs-bin -q -f "$work/bochsrc" -rc "$work/bochs.rc" </dev/null >"$work/bochs.out" \
    2>"$work/bochs.err" &
bochs=$!
trap 'kill -KILL $bochs 2>/dev/null || true' EXIT
# Bochs' CPU seconds so far (utime + stime): unlike wall time, they do not depend on what else
# the machine runs, so the phases are reported in both.
hz=$(getconf CLK_TCK)
bochs_cpu() { awk -v hz="$hz" '{ printf "%.0f", ($14 + $15) / hz }' "/proc/$bochs/stat" 2>/dev/null || echo 0; }
started=$(date +%s) kernel_s="" boot_s="" end_s="" why="" cpu_now=0
markers() { # report each phase once, the first time its marker is in the serial log
    local now=$(($(date +%s) - started))
    # The kernel's first line comes once ISOLINUX has loaded it and it has unpacked itself.
    if [ -z "$kernel_s" ] && grep -aq "Linux version" "$log"; then
        kernel_s=$now
        step "kernel running: loaded and decompressed (Bochs: ${now}s wall, ${cpu_now}s CPU)"
    fi
    if [ -z "$boot_s" ] && grep -aq "HDEVENT-E2E-START" "$log"; then
        boot_s=$now
        step "guest booted: the test starts (Bochs: ${now}s wall, ${cpu_now}s CPU)"
    fi
    if [ -z "$end_s" ] && grep -aq "HDEVENT-E2E-END" "$log"; then
        end_s=$now
        step "guest done, powering off (Bochs: ${now}s wall, ${cpu_now}s CPU)"
    fi
}
while kill -0 "$bochs" 2>/dev/null; do
    cpu=$(bochs_cpu)
    [ "$cpu" = 0 ] || cpu_now=$cpu # 0: Bochs has just exited, keep the last reading
    markers
    if grep -aq "Kernel panic" "$log"; then why="the guest panicked"; fi
    if [ $(($(date +%s) - started)) -ge "$limit" ]; then
        why="killed after ${limit}s of wall time (HDEVENT_BOCHS_LINUX_LIMIT)"
    fi
    if [ "$cpu_now" -ge "$cpu_limit" ]; then
        why="killed after ${cpu_limit}s of CPU time (HDEVENT_BOCHS_LINUX_CPU_LIMIT)"
    fi
    if [ -n "$why" ]; then
        kill -KILL "$bochs" 2>/dev/null || true
        break
    fi
    sleep 1
done
markers # the last phases may end between two looks
rc=0
wait "$bochs" || rc=$?
trap - EXIT
step "Bochs exited with $rc after $(($(date +%s) - started))s wall, ${cpu_now}s CPU${why:+: $why} (serial log: $log)"
[ -z "$boot_s" ] || [ -z "$end_s" ] || step "the test part inside the guest: $((end_s - boot_s))s of Bochs (wall)"
[ -z "$why" ] || { tr -d '\r' <"$log" | tail -40; die "$why"; }
# Bochs exits 1 on the guest's ACPI power-off: the markers say whether the run was good.
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || grep -v ALSA "$work/bochs.err" | tail -5

lg_verdict "$log" 80
# Four real VMCALL exits from ring 3 (VMX root, both CPUs), recorded by `hdevent record` in the
# guest, replayed by the host's `hdevent run`: no difference.
lg_replay HDEVENT-RECORDING "$work/recorded.scenario" 4
