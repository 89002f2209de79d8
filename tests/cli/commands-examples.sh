#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every command docs/commands.md offers as an example that should work is accepted by
# `hdevent parse`: the example column of the `!vmcall` options table (`pid 490` is run as
# `!vmcall pid 490`), HyperDbg's documented forms, and each line of the hex-body block. The
# error tables and the code-validation table show refusals on purpose and are not read.
# The examples run in a scratch directory holding a small script at each `file:` path.
#
#   commands-examples.sh <hdevent> <docs/commands.md>
set -uo pipefail
[ $# -eq 2 ] || { echo "usage: $0 <hdevent> <commands.md>" >&2; exit 2; }
hdevent=$1 md=$2

examples=$(awk '
    # The options table: the fourth cell holds the examples, each in backticks.
    /^## `!vmcall` options/ { section = "options"; next }
    /^## / && !/^## `!vmcall` options/ && !/^## Hex bodies/ { section = "" }
    /^HyperDbg.s documented forms/ { section = "forms"; next }
    section == "options" && /^\| `[a-z]/ {
        n = split($0, cell, " \\| ")
        rest = cell[4]
        while (match(rest, /`[^`]+`/)) {
            ex = substr(rest, RSTART + 1, RLENGTH - 2)
            rest = substr(rest, RSTART + RLENGTH)
            print (ex ~ /^!/ ? ex : "!vmcall " ex)
        }
    }
    section == "forms" && /^\| `!vmcall/ {
        match($0, /`[^`]+`/); print substr($0, RSTART + 1, RLENGTH - 2)
    }
    section == "forms" && /^$/ && seen_forms { section = "" }
    section == "forms" && /^\|/ { seen_forms = 1 }
    # The hex-body block: "code {...}   bytes   (comment)", a body may go on to the next line.
    /^## Hex bodies/ { section = "hex"; next }
    section == "hex" && /^```/ { inblock = !inblock; if (!inblock) section = ""; next }
    section == "hex" && inblock {
        line = $0
        if (pending != "") { line = pending " " line; pending = "" }
        if (line !~ /}/) { pending = line; next }
        sub(/}.*/, "}", line); gsub(/[[:space:]]+/, " ", line)
        print "!vmcall " line
    }
' "$md")

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch" || exit 1
while IFS= read -r path; do
    mkdir -p "$(dirname "$path")" && printf 'printf("%%llx\\n", @rax);\n' >"$path"
done < <(grep -o 'file:[^}]*' <<<"$examples" | sed 's/^file://; s/[[:space:]]*$//')

total=0 failed=0
[ -z "${VERBOSE:-}" ] || printf "%s\n" "$examples"
while IFS= read -r cmd; do
    [ -n "$cmd" ] || continue
    total=$((total + 1))
    if ! out=$("$hdevent" parse --text "$cmd" 2>&1); then
        failed=$((failed + 1))
        echo "FAIL: hdevent parse '$cmd'"
        sed 's/^/    /' <<<"$out" | head -5
    fi
done <<<"$examples"
echo "$((total - failed))/$total examples of $(basename "$md") accepted by hdevent parse"
[ "$total" -ge 30 ] && [ "$failed" -eq 0 ]
