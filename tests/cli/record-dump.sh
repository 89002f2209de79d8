#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `hdevent record --from FILE` (docs/cli.md#a-recorder-dump) on the Bochs image's real dump,
# examples/bochs_recording/console.log: the scenario it makes replays with no difference, a
# disabled event and one without text come out as on the device, a console's CR LF is read;
# then every way a dump can be bad is refused with exit status 1, a message saying what and
# where, and no -o file; the options that need a device are usage errors (exit 2).
#
#   record-dump.sh <hdevent> <source dir>
set -uo pipefail
shopt -s lastpipe # `... | refuses`: its checks count in this shell
hdevent=$(realpath "$1")
src=$(realpath "$2")
log=$src/examples/bochs_recording/console.log
work=$(mktemp -d /tmp/hdevent-dump-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/checks.sh"
has() { grep -qF -- "$2" "$1"; }

# ---- a good dump -----------------------------------------------------------------------------
"$hdevent" record --from "$log" -o "$work/good.scenario" >"$work/good.out"
check "a good dump: exit 0" [ $? -eq 0 ]
check "a good dump: the recorded record" \
    has "$work/good.out" '{"type":"recorded","file":"'"$work/good.scenario"'","events":13,"exits":8,"lost":0,"recording":false}'
check "a good dump: 13 commands" [ "$(grep -c '^!vmcall' "$work/good.scenario")" -eq 13 ]
check "a good dump: 8 vmcall lines" [ "$(grep -c '^vmcall ' "$work/good.scenario")" -eq 8 ]
# The image's tags skip 0x1000006 (refused at registration): the script event 0x100000a is the
# replay's event 9, and the pre + post exit fired 3 and 4.
check "fired tags renumbered as the replay numbers events" has "$work/good.scenario" 'expect fired=[9] '
check "both passes' tags kept" has "$work/good.scenario" 'expect fired=[3,4] '
"$hdevent" run --cores 1 "$work/good.scenario" >"$work/good.replay"
check "the scenario replays with no difference (exit $?)" [ $? -eq 0 ]
check "no difference record" bash -c "! grep -q '\"type\":\"difference\"' '$work/good.replay'"

sed 's/\r*$/\r/' "$log" | "$hdevent" record --from - >"$work/crlf.scenario"
check "CR LF lines: the same scenario" cmp -s "$work/crlf.scenario" "$work/good.scenario"

sed 's/^\(recorder-event tag=0x1000001 enabled=\)0x1/\10x0/' "$log" |
    "$hdevent" record --from - >"$work/disabled.scenario"
check "a disabled event is followed by events d" \
    bash -c "grep -A1 -x '!vmcall pid 200' '$work/disabled.scenario' | grep -qx 'events d 0n1'"

sed 's/^\(recorder-event tag=0x1000001 enabled=0x1 text=\).*/\1/' "$log" |
    "$hdevent" record --from - >"$work/notext.scenario"
check "an event without text is a comment" \
    has "$work/notext.scenario" '# event 1 has no command text in the dump'
check "an exit that fired it says so" \
    has "$work/notext.scenario" '# the next exit ran an event without command text here'

# ---- bad dumps: exit 1, what and where, no file ------------------------------------------------
# refuses NAME WANT: the dump on stdin is refused with a message holding WANT, and -o makes nothing.
refuses() {
    local name=$1 want=$2 rc
    cat >"$work/in"
    rm -f "$work/bad.scenario"
    "$hdevent" record --from "$work/in" -o "$work/bad.scenario" >"$work/bad.out" 2>&1
    rc=$?
    check "$name: exit status 1 (got $rc)" [ "$rc" -eq 1 ]
    check "$name: the message says '$want' (got: $(cat "$work/bad.out"))" has "$work/bad.out" "$want"
    check "$name: no -o file" [ ! -e "$work/bad.scenario" ]
}
reply_line=$(grep -n '^recorder-reply ' "$log" | cut -d: -f1)
edit_reply() { # PYTHON-EXPRESSION on the reply's bytes b (a bytearray): the log with it applied
    python3 - "$log" "$1" <<'EOF'
import sys
path, expr = sys.argv[1], sys.argv[2]
for line in open(path).read().split('\n')[:-1]:
    if line.startswith('recorder-reply '):
        b = bytearray(bytes.fromhex(line[15:]))
        exec(expr)
        line = 'recorder-reply ' + b.hex()
    print(line)
EOF
}

grep -v '^recorder-end' "$log" | refuses "no end" "has no recorder-end line: it was cut short"
grep -v '^recorder-' "$log" | refuses "no dump" "no recorder-dump line: not a recorder dump"
sed 's/^\(recorder-reply .*\).$/\1/' "$log" | refuses "odd hex" \
    "recorder-reply: 5695 hex digits, an odd number"
sed 's/^\(recorder-reply .\{40\}\)./\1g/' "$log" | refuses "not hex" \
    "recorder-reply: column 56 is not a hex digit"
sed 's/^\(recorder-reply .*\)..$/\1/' "$log" | refuses "a reply cut short" \
    "HD_WIRE_ERR_TRUNCATED: 2847 bytes, where a header counting 8 records makes 2848"
edit_reply 'b[4] = 9' | refuses "a count above the records" \
    "HD_WIRE_ERR_TRUNCATED: 2848 bytes, where a header counting 9 records makes 3200"
edit_reply 'b[4] = 7' | refuses "bytes after the records" "HD_WIRE_ERR_TRAILING_BYTES"
edit_reply 'b[32 + 2 * 352 + 281] |= 0x80' | refuses "a record's unknown flag" \
    "exit record 2 (from 0) of the reply was refused: HD_WIRE_ERR_REPLY_MALFORMED"
edit_reply 'b[32 + 352 + 280] = 4' | refuses "a record's CPL 4" \
    "exit record 1 (from 0) of the reply was refused: HD_WIRE_ERR_REPLY_MALFORMED"
edit_reply 'b[:] = bytes.fromhex("001000c0") + bytes(28)' | refuses "a refused request" \
    "the recorder had refused its request: HD_WIRE_ERR_TRUNCATED (0xC0001000)"
check "the errors carry the reply's line" has "$work/bad.out" "\"line\":$reply_line,"
sed '/^recorder-end/a recorder-dump cores=0x1' "$log" | refuses "two dumps" \
    "a recorder- line after recorder-end"
sed '/^recorder-end/i recorder-event tag=0x2000000 enabled=0x1 text=21' "$log" |
    refuses "an event after a reply" "recorder-event after a recorder-reply: the events come first"
sed 's/^recorder-end/recorder-fin/' "$log" | refuses "an unknown word" "begins with an unknown word"
sed 's/^recorder-dump cores=0x1/recorder-dump cores=0/' "$log" | refuses "no CPU" \
    "cores=0: a machine has at least one CPU"
sed 's/^recorder-dump cores=0x1/recorder-dump cores=0n4097/' "$log" | refuses "too many CPUs" \
    "recorder-dump: column 21: cores= wants a number, 0 to 0x1000"
sed 's/^recorder-dump cores=0x1/recorder-dump cpus=1/' "$log" | refuses "a wrong field" \
    "recorder-dump: column 15: expected cores="
sed 's/tag=0x1000001 /tag=0x1000000 /' "$log" | refuses "a tag twice" "tag=0x1000000 twice"
sed 's/tag=0x1000001 /tag=0xffffff /' "$log" | refuses "a tag below the first" \
    "tag=0xffffff is below the first tag an event gets (0x1000000)"
sed 's/^\(recorder-event tag=0x1000001 enabled=0x1 text=\).*/\12100/' "$log" |
    refuses "a NUL in a text" "the text holds a NUL byte"
sed "s/^\(recorder-event tag=0x1000001 enabled=0x1 text=\).*/\1$(python3 -c 'print("61" * 4097)')/" \
    "$log" | refuses "a text above 4096 bytes" "recorder-event text: 4097 bytes, more than 4096"
sed 's/ enabled=0x1 / enabled=2 /' "$log" | refuses "enabled neither 0 nor 1" \
    "enabled= wants a number, 0 to 0x1"
{ echo 'recorder-dump cores=1'; echo 'recorder-end'; } | refuses "an end without a reply" \
    "recorder-end without a recorder-reply line"
{ echo 'recorder-reply 00'; } | refuses "a reply before the dump line" \
    "before the recorder-dump line"

# ---- what --from does not take -----------------------------------------------------------------
for opt in "-d /dev/null" --follow --stop; do
    "$hdevent" record --from "$log" $opt >/dev/null 2>"$work/usage.err"
    rc=$?
    check "--from with $opt: a usage error (exit $rc)" [ "$rc" -eq 2 ]
    check "--from with $opt: says so" has "$work/usage.err" "--from reads a dump, not the device"
done
"$hdevent" record --from "$work/no-such-file" >"$work/io.out"
check "a missing file: exit 1 ($?)" [ $? -eq 1 ]
check "a missing file: an io error" has "$work/io.out" '"error":"io"'

checks_done "record --from"
