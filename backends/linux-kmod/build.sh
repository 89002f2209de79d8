#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build hdevent.ko against a kernel build tree, out of the source tree; or lay out its sources
# for DKMS.
#
#   backends/linux-kmod/build.sh [--kdir DIR] [--out DIR]
#   backends/linux-kmod/build.sh --export DIR
#
#   --kdir    the kernel's build directory (default /lib/modules/$(uname -r)/build; for Debian's
#             headers package /usr/src/linux-headers-<version>)
#   --out     kbuild's M= directory (default build/linux-kmod); gets the Kbuild file and links
#             to the sources, so objects never land in the source tree. hdevent.ko ends up there.
#   --export  copy the module's sources and its Kbuild file into DIR (a new directory) and
#             build nothing: a self-contained tree that builds with `make -C KDIR M=DIR`, as
#             the hdevent-dkms package installs it (/usr/src/hdevent-<version>, with dkms.conf).
#
# The layout (kmod/, vmx/, core/, include/) and how kbuild compiles it are in the Kbuild file
# beside this script: the core (libhdevent/core) is compiled inside kbuild with the kernel's own
# flags (code model, retpolines, objtool); nothing built outside kbuild is linked in.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
kdir="/lib/modules/$(uname -r)/build"
out="$src/build/linux-kmod"
export_dir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --kdir) kdir=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --export) export_dir=$2; shift 2 ;;
        *) echo "usage: $0 [--kdir DIR] [--out DIR] | --export DIR" >&2; exit 2 ;;
    esac
done

# place SOURCE... DIR: links to the sources (a build), or copies of them (an export).
place() {
    local dir=${*: -1}
    mkdir -p "$dir"
    if [ -n "$export_dir" ]; then
        cp "${@:1:$#-1}" "$dir/"
    else
        ln -s "${@:1:$#-1}" "$dir/"
    fi
}

# lay_out DIR: one real directory per source directory (kbuild writes .o and .cmd files next to
# each source as it names it: into DIR, never into $src). backends/vmx only when the tree has
# it: without it kmod_vmx.c is left out (Kbuild) and vmx=on refuses to load.
lay_out() {
    local dir=$1
    rm -rf "$dir/core" "$dir/kmod" "$dir/vmx" "$dir/include" "$dir/Kbuild"
    place "$src"/libhdevent/core/*.c "$dir/core"
    place "$src"/libhdevent/core/internal/*.h "$dir/core/internal"
    place "$src"/libhdevent/core/arch/x86_64/call_raw.S "$dir/core/arch/x86_64"
    place "$src"/include/hdevent/*.h "$dir/include/hdevent"
    place "$src"/backends/linux-kmod/*.c "$src"/backends/linux-kmod/*.S \
          "$src"/backends/linux-kmod/*.h "$dir/kmod"
    if [ -e "$src/backends/vmx/vmx_setup.c" ]; then
        place "$src"/backends/vmx/*.c "$src"/backends/vmx/*.S "$src"/backends/vmx/*.h "$dir/vmx"
    fi
    place "$src/backends/linux-kmod/Kbuild" "$dir"
}

if [ -n "$export_dir" ]; then
    if [ -e "$export_dir" ] && [ -n "$(ls -A "$export_dir")" ]; then
        echo "build.sh: --export $export_dir: not empty" >&2
        exit 1
    fi
    mkdir -p "$export_dir"
    lay_out "$export_dir"
    cp "$src/LICENSE" "$export_dir/"
    echo "build.sh: sources of hdevent.ko in $export_dir"
    exit 0
fi

if [ ! -e "$kdir/Makefile" ]; then
    echo "build.sh: no kernel build tree at $kdir (install linux-headers-\$(uname -r), or pass --kdir)" >&2
    exit 1
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
lay_out "$out"
make -C "$kdir" M="$out" modules
echo "build.sh: $out/hdevent.ko"
