#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `hdevent run` on every tests/scenarios/<name>.scenario: stdout must equal <name>.expected
# byte for byte (JSON lines: events, actions, messages, exits with registers, errors), and the
# exit status must be 1 exactly when the expected output has a failed line.
# Usage: run-scenarios.sh <hdevent> <scenario dir> [WRAPPER ARGS...]
#   with a wrapper, each run is `WRAPPER ARGS... <hdevent> run ...` (cli.run_scenarios_own_pages:
#   tests/cli/deny_exec_memfd.c, a kernel that refuses the host's executable memfd)
set -uo pipefail
hdevent=$1
dir=$(cd "$2" && pwd)
shift 2
wrap=("$@")
failed=0
count=0
for scenario in "$dir"/*.scenario; do
    name=$(basename "$scenario" .scenario)
    expected="$dir/$name.expected"
    count=$((count + 1))
    # From the scenario's directory: paths in it (script {file:...}) are relative to it.
    actual=$(cd "$dir" && ${wrap[@]+"${wrap[@]}"} "$hdevent" run "$name.scenario")
    rc=$?
    want_rc=0
    grep -q '"type":"summary".*"failed":0}' "$expected" || want_rc=1
    if [ "$rc" -ne "$want_rc" ]; then
        echo "FAIL $name: exit status $rc, expected $want_rc"
        failed=$((failed + 1))
    elif ! diff -u "$expected" <(printf '%s\n' "$actual") >"/tmp/hdevent-scenario-$$.diff"; then
        echo "FAIL $name: output differs from $name.expected:"
        head -40 "/tmp/hdevent-scenario-$$.diff"
        failed=$((failed + 1))
    else
        echo "ok   $name"
    fi
    rm -f "/tmp/hdevent-scenario-$$.diff"
done
[ "$count" -gt 0 ] || { echo "FAIL: no scenarios in $dir"; exit 1; }
echo "$((count - failed))/$count scenarios match"
[ "$failed" -eq 0 ]
