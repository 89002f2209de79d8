#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `hdevent encode` then `hdevent decode`: the command's fields survive the IOCTL buffers, and
# bad commands are refused with a located error and no FILE. Usage: encode-decode.sh <hdevent>
set -euo pipefail
hdevent=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cond='48 8B 59 10 48 81 FB 00 10 00 00 74 05 48 31 C0 EB 07 48 C7 C0 01 00 00 00 C3'
code='48 8B 5A 40 48 81 FB 48 44 42 47 74 02 EB 08 48 C7 42 40 48 44 42 32 C3'
out=$("$hdevent" encode "!vmcall pid 490 core 2 stage pre buffer 20 imm no condition {$cond} code {$code}" \
      -o "$dir/e.bin" --tag 1000007)
grep -q '"type":"encoded"' <<<"$out" || fail "encode: $out"
# 168 + 26 condition bytes, 32 + 24 code bytes
[ "$(stat -c %s "$dir/e.bin")" -eq 250 ] || fail "FILE size $(stat -c %s "$dir/e.bin")"
out=$("$hdevent" decode "$dir/e.bin")
for want in '"tag":"0x1000007"' '"id":7' '"pid":"0x490"' '"core":"0x2"' '"stage":"pre"' \
            "\"condition_bytes\":\"$cond\"" "\"bytes\":\"$code\"" '"immediate":false' \
            '"buffer_size":32' '"condition":"raw"' '"size":250'; do
    grep -qF "$want" <<<"$out" || fail "decode lacks $want: $out"
done

# output {…} travels as OutputSourceTags, FNV-1a 64 of each name: decode shows the tags.
"$hdevent" encode '!vmcall pid 4 output {log, net}' -o "$dir/o.bin" >/dev/null
grep -qF '"output_tags":["0x125073191daf5431","0x2138d2192571b218"]' <<<"$("$hdevent" decode "$dir/o.bin")" ||
    fail "decode lacks the output tags"
grep -qF 'output tags 0x125073191daf5431, 0x2138d2192571b218' <<<"$("$hdevent" decode --text "$dir/o.bin")" ||
    fail "decode --text lacks the output tags"

# A plain !vmcall is one break action; RET is appended to code without one.
"$hdevent" encode '!vmcall' -o "$dir/b.bin" >/dev/null
grep -q '"kind":"break"' <<<"$("$hdevent" decode "$dir/b.bin")" || fail "break action"
"$hdevent" encode '!vmcall code {90 90 90}' -o "$dir/r.bin" >/dev/null
grep -q '"bytes":"90 90 90 C3"' <<<"$("$hdevent" decode "$dir/r.bin")" || fail "RET append"

# asm bodies travel as the bytes they assemble to, the RET appended, condition and code apart.
"$hdevent" encode "!vmcall asm code {mov rbx, qword ptr [rdx+0x40]; cmp rbx, 0x47424448; je l1
jmp l2; l1: mov qword ptr [rdx+0x40], 0x32424448; l2: ret} asm condition {xor eax, eax; inc eax}" \
    -o "$dir/a.bin" >/dev/null
out=$("$hdevent" decode "$dir/a.bin")
for want in "\"bytes\":\"$code\"" '"condition_bytes":"31 C0 FF C0 C3"'; do
    grep -qF "$want" <<<"$out" || fail "asm: decode lacks $want: $out"
done

# --strict holds assembled code to what it holds hex to: a privileged instruction is refused.
"$hdevent" encode '!vmcall asm code {cli}' -o "$dir/w.bin" | grep -q '"type":"warning"' ||
    fail "asm code {cli}: no warning"
set +e
out=$("$hdevent" encode --strict '!vmcall asm code {cli}' -o "$dir/s.bin")
rc=$?
set -e
[ $rc -eq 1 ] && grep -q '"finding":"privileged"' <<<"$out" && [ ! -e "$dir/s.bin" ] ||
    fail "--strict asm code {cli} gave rc=$rc: $out"

# A script travels as bytecode (RUN_SCRIPT: ScriptBufferSize bytes, ScriptBufferPointer
# instructions), its step budget in the event's Options[0].
"$hdevent" encode '!vmcall steps 0n500 script { printf("%llx", @rax); }' -o "$dir/s.bin" >/dev/null
out=$("$hdevent" decode "$dir/s.bin")
for want in '"steps":500' '"kind":"script"' '"instructions":3'; do
    grep -qF "$want" <<<"$out" || fail "decode of a script lacks $want: $out"
done

# Refusals: located error, exit 1, no FILE written.
for bad in '!vmcall pid 490x' '!vmcall sc on stage post' '!vmcall asm code {mov rax, bl}' \
           '!vmcall script { printf("x", 1); }' '!vmcall script {file:/nonexistent.ds}'; do
    set +e
    out=$("$hdevent" encode "$bad" -o "$dir/x.bin")
    rc=$?
    set -e
    [ $rc -eq 1 ] && grep -q '^{"type":"error"' <<<"$out" || fail "'$bad' gave rc=$rc: $out"
    [ ! -e "$dir/x.bin" ] || fail "'$bad' wrote a FILE"
done
# An events command makes no FILE: a usage error (exit 2, stderr), nothing written.
set +e
err=$("$hdevent" encode 'events d 1' -o "$dir/x.bin" 2>&1 >/dev/null)
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "^hdevent encode: only !vmcall commands make event buffers" <<<"$err" ||
    fail "'events d 1' gave rc=$rc: $err"
[ ! -e "$dir/x.bin" ] || fail "'events d 1' wrote a FILE"
# The size limit: a FILE of exactly 64 MiB is read (and judged: stray bytes after the event),
# one byte more is refused unread.
head -c 168 "$dir/b.bin" >"$dir/big.bin"
truncate -s $((64 * 1024 * 1024)) "$dir/big.bin"
out=$("$hdevent" decode "$dir/big.bin" || true)
grep -q 'HD_WIRE_ERR_TRAILING_BYTES' <<<"$out" || fail "a 64 MiB FILE: $out"
truncate -s $((64 * 1024 * 1024 + 1)) "$dir/big.bin"
out=$("$hdevent" decode "$dir/big.bin" || true)
grep -q 'larger than 67108864 bytes' <<<"$out" || fail "a FILE over 64 MiB: $out"
rm -f "$dir/big.bin"
echo "hdevent encode/decode: all checks passed"
