#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Prove the core imports nothing but memcpy, memset and memcmp.
#
#   check-freestanding.sh archive   <ar> <nm> <ld> <libhdevent_core.a>
#       link every member of the built archive into one relocatable object.
#   check-freestanding.sh recompile <cc> <nm> <ld> <source-root>
#       compile libhdevent/core/*.c and arch/x86_64/*.S again with
#       -std=c11 -ffreestanding -nostdlib ... and link those the same way.
#
# In both cases `nm -u` on the `ld -r` result must list only the allowed names.
set -euo pipefail

ALLOWED="memcpy memset memcmp"

usage() { echo "usage: $0 archive <ar> <nm> <ld> <lib.a> | recompile <cc> <nm> <ld> <srcroot>" >&2; exit 2; }
[ $# -eq 5 ] || usage
mode=$1 tool=$2 nm=$3 ld=$4 arg=$5

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

objs=()
case "$mode" in
archive)
    ar=$tool lib=$arg
    [ -f "$lib" ] || { echo "FAIL: no archive $lib" >&2; exit 1; }
    # Extract member by member with their index (N) so equal names cannot clobber.
    mapfile -t members < <("$ar" t "$lib")
    declare -A seen=()
    i=0
    for m in "${members[@]}"; do
        n=$(( ${seen[$m]:-0} + 1 )); seen[$m]=$n
        mkdir -p "$tmp/x$i"
        (cd "$tmp/x$i" && "$ar" xN "$n" "$lib" "$m")
        objs+=("$tmp/x$i/$m"); i=$((i + 1))
    done
    echo "checked archive $lib (${#objs[@]} objects: ${members[*]})"
    ;;
recompile)
    cc=$tool root=$arg
    flags=(-std=c11 -ffreestanding -nostdlib -fno-stack-protector -mgeneral-regs-only -O2
           -c -I "$root/include" -I "$root/libhdevent/core")
    shopt -s nullglob
    srcs=("$root"/libhdevent/core/*.c "$root"/libhdevent/core/arch/x86_64/*.S)
    [ ${#srcs[@]} -gt 0 ] || { echo "FAIL: no core sources under $root" >&2; exit 1; }
    i=0
    for s in "${srcs[@]}"; do
        o="$tmp/$i-$(basename "$s").o"
        "$cc" "${flags[@]}" "$s" -o "$o"
        objs+=("$o"); i=$((i + 1))
    done
    echo "recompiled ${#srcs[@]} core sources with: $cc ${flags[*]}"
    for s in "${srcs[@]}"; do echo "  ${s#"$root"/}"; done
    ;;
*) usage ;;
esac

[ ${#objs[@]} -gt 0 ] || { echo "FAIL: nothing to check" >&2; exit 1; }
"$ld" -r -o "$tmp/core.o" "${objs[@]}"

undef=$("$nm" -u "$tmp/core.o" | awk '{print $NF}' | sort -u)
bad=()
for sym in $undef; do
    case " $ALLOWED " in
        *" $sym "*) ;;
        *) bad+=("$sym") ;;
    esac
done

echo "undefined symbols: ${undef:-<none>}" | tr '\n' ' '; echo
if [ ${#bad[@]} -gt 0 ]; then
    echo "FAIL: core imports symbols other than $ALLOWED:" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
fi
echo "OK: core ($mode) imports only what is allowed ($ALLOWED)"
