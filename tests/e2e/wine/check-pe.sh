#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-pe.sh SYS OBJDUMP NM — is SYS a Windows kernel driver as the loader wants it?
#   PE32+ (x86-64), subsystem native (1), entry point = DriverEntry, imports only from
#   ntoskrnl.exe and HAL.dll, no exports, no import of memcpy/memset/memcmp (the driver's
#   own GPR-only versions serve the exit path), and relocations present (drivers load
#   anywhere).
set -euo pipefail
sys=$1 objdump=$2 nm=$3
fail() { echo "FAIL: $sys: $*"; exit 1; }

hdr=$("$objdump" -p "$sys")
grep -Eq '^Magic[[:space:]]+020b' <<<"$hdr" || fail "not PE32+ (Magic 020b)"
grep -Eq '^Subsystem[[:space:]]+00000001' <<<"$hdr" || fail "subsystem is not native (1)"
grep -q 'architecture: i386:x86-64' <<<"$("$objdump" -f "$sys")" || fail "not x86-64"

entry=$(awk '/^AddressOfEntryPoint/ {print $2}' <<<"$hdr")
base=$(awk '/^ImageBase/ {print $2}' <<<"$hdr")
de=$("$nm" "$sys" | awk '$3 == "DriverEntry" {print $1}')
[ -n "$de" ] || fail "no DriverEntry symbol"
[ $((16#$base + 16#$entry)) -eq $((16#$de)) ] ||
    fail "entry point 0x$entry (+ base 0x$base) is not DriverEntry at 0x$de"

dlls=$(awk '/DLL Name:/ {print tolower($3)}' <<<"$hdr" | sort -u | tr '\n' ' ')
[ -n "$dlls" ] || fail "no imports at all"
for d in $dlls; do
    case "$d" in
        ntoskrnl.exe|hal.dll) ;;
        *) fail "imports from $d (only ntoskrnl.exe and HAL.dll allowed)" ;;
    esac
done
imports=$(awk '/^\t[0-9a-f]+[ \t]+[0-9]+[ \t]+[A-Za-z_]/ {print $3}' <<<"$hdr")
for f in memcpy memset memcmp memmove; do
    grep -qx "$f" <<<"$imports" && fail "imports $f from the kernel (use backends/windows-wdk/mem.c)"
done
if grep -q 'There is an export table' <<<"$hdr"; then
    grep -Eq '^\s*\[\s*[0-9]+\]' <(sed -n '/Export Address Table/,/^$/p' <<<"$hdr") &&
        fail "exports symbols (link with --exclude-all-symbols)"
fi
grep -q 'There is a relocation table\|\.reloc' <<<"$hdr$("$objdump" -h "$sys")" ||
    fail "no relocation table (the kernel loads drivers at any address)"

echo "$sys: PE32+ native, entry DriverEntry, imports from: $dlls($(wc -l <<<"$imports") functions)"
