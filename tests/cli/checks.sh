# SPDX-License-Identifier: MIT
# Sourced by the tests/cli scripts that count checks: `check WHAT COMMAND...` runs COMMAND and
# counts it, saying FAIL: WHAT when it fails; `checks_done LABEL` prints the count and
# returns non-zero when any failed (the script's last command, so its exit status).
checks=0 failed=0
check() { # check WHAT COMMAND...
    local what=$1
    shift
    checks=$((checks + 1))
    if ! "$@"; then
        echo "FAIL: $what"
        failed=$((failed + 1))
    fi
}
checks_done() { # checks_done LABEL
    echo "$1: $((checks - failed))/$checks checks passed"
    [ "$failed" -eq 0 ]
}
