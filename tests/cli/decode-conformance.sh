#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `hdevent decode` on every FILE of the wire conformance table: a valid FILE decodes (exit 0,
# one "event" line), a malformed one exits 1 with {"type":"error","error":"HD_WIRE_ERR_...",
# "code":"0x<code>",...} giving the documented code. Usage: decode-conformance.sh <hdevent> <wire_conformance>
set -euo pipefail
hdevent=$1
conformance=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$conformance" --write-files "$dir" >/dev/null
checked=0
failed=0
while IFS=$'\t' read -r row code; do
    set +e
    out=$("$hdevent" decode --cores 4 "$dir/$row.bin") # the table's engine has 4 cores
    rc=$?
    set -e
    if [ "$code" = "0x00000000" ]; then
        if [ $rc -ne 0 ] || ! grep -q '^{"type":"event"' <<<"$out"; then
            echo "FAIL $row: expected a decoded event, got rc=$rc: $out"
            failed=$((failed + 1))
        fi
    else
        want=$(printf '0x%x' "$code")
        if [ $rc -ne 1 ] || ! grep -q "^{\"type\":\"error\",\"error\":\"HD_WIRE_ERR_[A-Z0-9_]*\",\"code\":\"$want\"" <<<"$out"; then
            echo "FAIL $row: expected error $want, got rc=$rc: $out"
            failed=$((failed + 1))
        fi
    fi
    checked=$((checked + 1))
done <"$dir/expected.tsv"
echo "hdevent decode: $checked FILEs checked, $failed wrong"
[ "$checked" -gt 0 ] && [ "$failed" -eq 0 ]
