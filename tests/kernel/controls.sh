#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The kernel-object check must be able to fail: tests/kernel/control.c compiled the way user
# space is compiled — with a red zone at -O2 and at -O0, and position-independent — is refused
# by check-kernel-object.sh for each reason, and the same file compiled with the kernel flags
# passes.
#
#   controls.sh <cc> <source root>
set -euo pipefail
cc=$1 root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check=$root/tests/kernel/check-kernel-object.sh
src=$root/tests/kernel/control.c
kernel=(-mno-red-zone -mcmodel=kernel -fno-pic -fno-pie -fno-asynchronous-unwind-tables)

expect_fail() { # expect_fail <what> <grep for the reason> <cc flags...>
    local what=$1 reason=$2 out; shift 2
    "$cc" -c "$src" -o "$tmp/c.o" "$@"
    out=$(bash "$check" --expect-fail "$tmp/c.o") || { echo "$out"; exit 1; }
    grep -q -- "$reason" <<<"$out" || { echo "$out"; echo "FAIL: $what: not refused for '$reason'"; exit 1; }
    echo "refused, as it must be: $what ($reason)"
}
expect_fail "red zone at -O2" "access below rsp" -O2 -mcmodel=kernel -fno-pic -fno-asynchronous-unwind-tables
expect_fail "red zone at -O0" "rbp frame never allocated" -O0 -mcmodel=kernel -fno-pic -fno-asynchronous-unwind-tables
expect_fail "position-independent" "GOTPCREL" -O2 -fPIC -mno-red-zone -fno-asynchronous-unwind-tables
expect_fail "small code model" "R_X86_64_32 " -O2 -fno-pic -fno-pie -mno-red-zone -fno-asynchronous-unwind-tables -mcmodel=small
expect_fail "unwind tables" ".eh_frame" -O2 -mno-red-zone -mcmodel=kernel -fno-pic -fasynchronous-unwind-tables
"$cc" -g -O2 -c "$src" -o "$tmp/c.o" -mcmodel=kernel -fno-pic -fno-pie -fno-asynchronous-unwind-tables
bash "$check" --expect-fail --require-producer --flag -mno-red-zone "$tmp/c.o" | tail -1
"$cc" -g -c "$src" -o "$tmp/k.o" -O2 "${kernel[@]}"
bash "$check" --require-producer --flag -mno-red-zone --flag -mcmodel=kernel "$tmp/k.o"
echo "OK: every control refused; the kernel-flag build passes"
