# SPDX-License-Identifier: MIT
# tests/e2e/lib/checks.sh — the checks guest scripts use (busybox sh), sourced as /checks.sh.
# Every check prints "ok - NAME" or "FAIL - NAME: ..." and counts failures in $fails; the host
# (lg_verdict in linux-guest.sh) fails the test on any FAIL or a missing
# "HDEVENT-E2E-RESULT fails=0", which the guest script prints last (checks_done).

fails=0

ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fails=$((fails + 1)); }

# The helpers keep their state in _c_* variables: a caller's $out or $name survives them.

# expect NAME PATTERN COMMAND...: the command's output (stdout+stderr) contains PATTERN
expect() {
    _c_name=$1 _c_pattern=$2
    shift 2
    _c_out=$("$@" 2>&1)
    if printf '%s\n' "$_c_out" | grep -q -- "$_c_pattern"; then ok "$_c_name"; else
        bad "$_c_name: wanted [$_c_pattern] in: $_c_out"; fi
}
# refuse NAME PATTERN COMMAND...: the output does NOT contain PATTERN
refuse() {
    _c_name=$1 _c_pattern=$2
    shift 2
    _c_out=$("$@" 2>&1)
    if printf '%s\n' "$_c_out" | grep -q -- "$_c_pattern"; then
        bad "$_c_name: unwanted [$_c_pattern] in: $_c_out"
    else ok "$_c_name"; fi
}
# status NAME WANT COMMAND...: the command's exit status is WANT
status() {
    _c_name=$1 _c_want=$2
    shift 2
    _c_out=$("$@" 2>&1)
    _c_rc=$?
    if [ "$_c_rc" = "$_c_want" ]; then ok "$_c_name"; else
        bad "$_c_name: exit $_c_rc, wanted $_c_want: $_c_out"; fi
}
# has NAME GLOB TEXT: TEXT matches the shell pattern GLOB (no process started: where every
# fork is emulated, as under Bochs, prefer it to expect ... echo)
has() {
    case "$3" in
        $2) ok "$1" ;;
        *) bad "$1: wanted [$2] in: $3" ;;
    esac
}
# same NAME GOT WANT: two values are equal
same() {
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got [$2], wanted [$3]"; fi
}

checks_done() { echo "HDEVENT-E2E-RESULT fails=$fails"; }
