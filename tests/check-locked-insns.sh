#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The dispatch path executes no locked instruction but those asked for (docs/design-decisions.md):
# every lock-prefixed instruction, implicit-lock xchg with memory, or mfence in the core's archive
# must sit in a function of the allowlist below, and each allowed place must still hold one (so
# the check sees the instructions at all).
#
#   check-locked-insns.sh <objdump> <libhdevent_core*.a>
#   check-locked-insns.sh --control <objdump> <cc> <ar>
#       the check's control: an archive whose locked add sits in a function outside the list
#       (and the allowed ones, so only that one is wrong) must be refused.
#
#   hd__dispatch_gate   `max_hits`: the one locked add of an event that asks for a run limit
#   hd__script_run      a script's own interlocked_* (docs/script.md)
#   seal                writer side: a retire batch's full fence (snapshot_retire.c)
set -euo pipefail
if [ "${1:-}" = "--control" ] && [ $# -eq 4 ]; then
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    cat >"$dir/control.c" <<'C'
unsigned long word;
void hd__dispatch_gate(void) { __atomic_fetch_add(&word, 1, __ATOMIC_RELAXED); }
void hd__script_run(void) { __atomic_fetch_add(&word, 1, __ATOMIC_RELAXED); }
void hd__dispatch_event_sneaky(void) { __atomic_fetch_add(&word, 1, __ATOMIC_RELAXED); }
C
    "$3" -O2 -c "$dir/control.c" -o "$dir/control.o"
    "$4" rcs "$dir/libcontrol.a" "$dir/control.o"
    if out=$(bash "$0" "$2" "$dir/libcontrol.a" 2>&1); then
        echo "FAIL: the check took a locked add in hd__dispatch_event_sneaky: $out" >&2
        exit 1
    fi
    grep -q "hd__dispatch_event_sneaky" <<<"$out" || { echo "FAIL: refused, not for it: $out" >&2; exit 1; }
    echo "OK: control refused: $out"
    exit 0
fi
[ $# -eq 2 ] || { echo "usage: $0 <objdump> <archive> | --control <objdump> <cc> <ar>" >&2; exit 2; }
objdump=$1 lib=$2
[ -f "$lib" ] || { echo "FAIL: no archive $lib" >&2; exit 1; }

found=$("$objdump" -d --no-show-raw-insn "$lib" | awk '
    /^[0-9a-f]+ <.*>:$/ { fn = substr($2, 2, length($2) - 3) }
    /\tlock / || /\txchg +%[a-z0-9]+,.*\(/ || /\txchg +[^%].*\(/ { print fn ": " $0 }')
allowed="hd__dispatch_gate hd__script_run seal"
bad=0
while IFS= read -r line; do
    [ -n "$line" ] || continue
    fn=${line%%:*}
    case " $allowed " in
        *" $fn "*) ;;
        *) echo "FAIL: locked instruction outside the allowlist: $line" >&2; bad=1 ;;
    esac
done <<<"$found"
for fn in hd__dispatch_gate hd__script_run; do
    grep -q "^$fn: " <<<"$found" || { echo "FAIL: no locked instruction in $fn (check blind?)" >&2; bad=1; }
done
[ $bad -eq 0 ] || exit 1
echo "OK: locked instructions only in: $allowed"
printf '%s\n' "$found"
