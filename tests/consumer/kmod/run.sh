#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# An out-of-tree Linux module of somebody else's, built against Debian's headers
# (linux-headers-amd64) and the hdevent installed into a temporary prefix, two ways:
#
#   hdcons_src.ko   the core compiled by Kbuild from the installed sources, through the
#                   installed fragment: include .../share/hdevent/core/hdevent-core.mk,
#                   hdcons_src-y := main.o $(hdevent-core-y)
#   hdcons_lib.ko   the installed prebuilt core, libhdevent_core_kernel.a, linked whole into the
#                   module (LDFLAGS_hdcons_lib.o := --whole-archive LIB --no-whole-archive)
#
# then tests/kernel/check-kernel-object.sh on the installed archive (DWARF producer required:
# every kernel flag), on the core objects Kbuild compiled, and on both modules: no red zone, no
# PIC relocation, no unwind tables. modpost must resolve every symbol.
#
#   run.sh <cmake> <hdevent-build-dir> <source root> <work dir>
# Exit 0 pass, 1 fail, 77 skipped (no linux-headers-amd64; HDEVENT_REQUIRE_E2E=1 fails instead).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 <cmake> <builddir> <srcroot> <workdir>" >&2; exit 2; }
cmake=$1 builddir=$2 src=$3 work=$4
skip() { [ -n "${HDEVENT_REQUIRE_E2E:-}" ] && { echo "HDEVENT_REQUIRE_E2E is set: failing"; exit 1; }; exit 77; }

kver=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
       grep -o 'linux-headers-[^ ,]*-amd64' | head -1 | sed 's/^linux-headers-//') || true
kdir=/usr/src/linux-headers-$kver
if [ -z "$kver" ] || [ ! -e "$kdir/Makefile" ]; then
    echo "SKIP: linux-headers-amd64 is not installed (scripts/deps.d/e2e/qemu.list)"
    skip
fi

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
echo "== install $builddir -> $prefix"
"$cmake" --install "$builddir" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; exit 1; }
mk=$(find "$prefix" -name hdevent-core.mk -print -quit)
lib=$(find "$prefix" -name libhdevent_core_kernel.a -print -quit)
[ -n "$mk" ] && [ -n "$lib" ] || { echo "FAIL: hdevent-core.mk or libhdevent_core_kernel.a not installed"; exit 1; }
echo "fragment: ${mk#"$prefix"/}; prebuilt: ${lib#"$prefix"/}"

m=$work/module
mkdir -p "$m"
cp "$src/tests/consumer/kmod/hdcons.c" "$m/src_main.c"
cp "$src/tests/consumer/kmod/hdcons.c" "$m/lib_main.c"
cat >"$m/Kbuild" <<KBUILD
# The installed core, built by Kbuild with this module's flags:
include $mk
obj-m += hdcons_src.o
hdcons_src-y := src_main.o \$(hdevent-core-y)
# The installed prebuilt kernel core, linked whole into the module's ld -r:
obj-m += hdcons_lib.o
hdcons_lib-y := lib_main.o
LDFLAGS_hdcons_lib.o := --whole-archive $lib --no-whole-archive
ccflags-y += -I\$(hdevent-core-include) -Werror
KBUILD

echo "== kbuild against $kdir"
start=$(date +%s%N)
make -C "$kdir" M="$m" -j2 modules >"$work/kbuild.log" 2>&1 || { cat "$work/kbuild.log"; echo "FAIL: kbuild"; exit 1; }
echo "built in $((($(date +%s%N) - start) / 1000000)) ms"
if grep -E 'warning|WARNING|undefined' "$work/kbuild.log"; then
    echo "FAIL: kbuild or modpost warned (above)"; exit 1
fi
for ko in hdcons_src hdcons_lib; do
    [ -s "$m/$ko.ko" ] || { echo "FAIL: no $ko.ko"; exit 1; }
    syms=$(nm "$m/$ko.ko")
    grep -q ' T hd_dispatch_vmcall_exit$' <<<"$syms" ||
        { echo "FAIL: $ko.ko does not hold the core's hd_dispatch_vmcall_exit"; exit 1; }
    imports=$(nm -u "$m/$ko.ko" | awk '{print $2}' | grep -E '^(mem|hd_)' | sort | tr '\n' ' ')
    license=$(grep -ao 'license=[[:print:]]*' "$m/$ko.ko" | head -1)
    [ "$license" = "license=Dual MIT/GPL" ] || { echo "FAIL: $ko.ko: $license"; exit 1; }
    echo "$ko.ko: $license; the core imports: $imports"
done
[ -e "$m/hdevent-core/dispatch.o" ] || { echo "FAIL: Kbuild did not compile hdevent-core/dispatch.o"; exit 1; }
[ -z "$(find "$prefix" -name '*.o' -o -name '*.cmd' | head -1)" ] ||
    { echo "FAIL: the build wrote into the installed prefix"; exit 1; }

echo "== the installed prebuilt core"
bash "$src/tests/kernel/check-kernel-object.sh" --require-producer \
    --flag -mno-red-zone --flag -mcmodel=kernel --flag -mgeneral-regs-only \
    --flag -fno-stack-protector --flag -fno-asynchronous-unwind-tables "$lib"
echo "== the core as Kbuild compiled it from the installed sources"
bash "$src/tests/kernel/check-kernel-object.sh" \
    --flag -mno-red-zone --flag -mcmodel=kernel --flag -mgeneral-regs-only \
    "$m"/hdevent-core/*.o "$m"/hdevent-core/arch/x86_64/*.o
echo "== both modules"
bash "$src/tests/kernel/check-kernel-object.sh" "$m/hdcons_src.ko" "$m/hdcons_lib.ko"
echo "OK: an out-of-tree module builds with the installed kernel core, from sources and prebuilt"
