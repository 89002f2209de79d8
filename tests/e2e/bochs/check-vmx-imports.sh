#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The VMX layer is freestanding: linked together, its objects may import only the hdevent
# core's dispatch and engine entry points and memset/memcpy/memcmp, nothing from an OS or libc.
#   check-vmx-imports.sh NM LD OBJECT...
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 NM LD OBJECT..." >&2; exit 2; }
nm=$1 ld=$2; shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$ld" -r -o "$tmp/vmx.o" "$@"
undef=$("$nm" -u "$tmp/vmx.o" | awk 'NF {print $NF}' | sort -u)
[ -n "$undef" ] || { echo "FAIL: no undefined symbols at all: the layer must call hd_dispatch_vmcall" >&2; exit 1; }
allowed=" hd_dispatch_vmcall_exit hd_vmcall_default hd_vmcall_own hd_engine_core_count memset memcpy memcmp "
bad=0
for sym in $undef; do
    case "$allowed" in *" $sym "*) ;; *) echo "FAIL: the VMX layer imports $sym" >&2; bad=1 ;; esac
done
[ "$bad" -eq 0 ] && echo "OK: the VMX layer imports only:" $undef
exit "$bad"
