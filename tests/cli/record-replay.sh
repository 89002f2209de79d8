#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The flight recorder on the host (docs/host-backend.md): `hdevent run --record FILE` of every
# tests/scenarios/*.scenario and examples/*.scenario writes one vmcall and one expect line per
# exit, and `hdevent run FILE` replays the recording with no difference and exit status 0.
# Then a recording with one changed expectation: the replay reports exactly that word (a
# "difference" record naming it, what was expected and what the exit gave) and exits 1.
#
#   record-replay.sh <hdevent> <source dir>
set -uo pipefail
hdevent=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d /tmp/hdevent-record-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/checks.sh"

total_exits=0
for scenario in "$src"/tests/scenarios/*.scenario "$src"/examples/*.scenario; do
    name=$(basename "$scenario" .scenario)
    dir=$(dirname "$scenario")
    # From the scenario's directory: paths in it (script {file:...}) are relative to it.
    (cd "$dir" && "$hdevent" run --record "$work/$name.rec" "$name.scenario") >"$work/$name.out"
    exits=$(grep -c '"type":"exit"' "$work/$name.out")
    abandoned=$(grep -c '"type":"exit".*"abandoned":true' "$work/$name.out")
    check "$name: a vmcall line per exit not stopped" \
        [ "$(grep -c '^vmcall ' "$work/$name.rec")" -eq $((exits - abandoned)) ]
    check "$name: an expect line per vmcall line" \
        [ "$(grep -c '^expect ' "$work/$name.rec")" -eq "$(grep -c '^vmcall ' "$work/$name.rec")" ]
    (cd "$dir" && "$hdevent" run "$work/$name.rec") >"$work/$name.replay"
    rc=$?
    check "$name: the replay exits 0 (got $rc)" [ "$rc" -eq 0 ]
    check "$name: the replay finds no difference" \
        bash -c "! grep -q '\"type\":\"difference\"' '$work/$name.replay'"
    # The replay's exits are the recorded ones, register for register.
    check "$name: the replay's exit records equal the run's" \
        diff <(grep '"type":"exit"' "$work/$name.out" | grep -v '"abandoned":true') \
             <(grep '"type":"exit"' "$work/$name.replay")
    total_exits=$((total_exits + exits))
done
check "the scenarios took exits ($total_exits)" [ "$total_exits" -gt 20 ]

# ---- a changed expectation is reported, and only it
rec=$work/demo.rec
line=$(grep -n '^expect ' "$rec" | sed -n 2p | cut -d: -f1)
sed "${line}s/ rbx=0x[0-9a-f]*/ rbx=0xbad/" "$rec" >"$work/changed.rec"
differ() { ! cmp -s "$1" "$2"; }
check "the changed recording differs from the recorded one" differ "$rec" "$work/changed.rec"
(cd "$src/examples" && "$hdevent" run "$work/changed.rec") >"$work/changed.out"
rc=$?
check "a changed expectation fails the replay (exit status $rc)" [ "$rc" -eq 1 ]
check "the difference names the line, the word, both values" \
    grep -qE "^\{\"type\":\"difference\",\"line\":$line,\"word\":\"rbx\",\"expected\":\"0xbad\",\"actual\":\"0x[0-9a-f]+\"\}$" \
    "$work/changed.out"
check "one difference" [ "$(grep -c '"type":"difference"' "$work/changed.out")" -eq 1 ]
check "one failed line" grep -q '"type":"summary".*"failed":1}' "$work/changed.out"
sed "${line}s/ fired=\[[0-9,]*\]/ fired=[7]/; ${line}s/short_circuit=\(true\|false\)/short_circuit=X&/; ${line}s/short_circuit=Xshort_circuit=true/short_circuit=false/; ${line}s/short_circuit=Xshort_circuit=false/short_circuit=true/" \
    "$rec" >"$work/changed2.rec"
(cd "$src/examples" && "$hdevent" run "$work/changed2.rec") >"$work/changed2.out"
check "fired and short_circuit differences are reported" \
    [ "$(grep -cE '"difference".*"word":"(fired|short_circuit)"' "$work/changed2.out")" -eq 2 ]

checks_done "record and replay"
