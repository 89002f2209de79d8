#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run every ```console example in the given Markdown files and compare its output.
#
# In a ```console block, a line starting with "$ " is a shell command; the lines up to the next
# "$ " line or the end of the block are its expected stdout, exactly. `hdevent` is the binary
# under test. Each file's blocks run in order in one fresh directory holding a copy of
# examples/, so a later example may use a file an earlier one wrote. Blocks fenced ```sh or
# ```text are not run (device examples that need a loaded kernel module, for instance).
#
# Usage: doc-examples.sh <hdevent> <source dir> FILE.md...
set -uo pipefail
hdevent=$(realpath "$1")
src=$(realpath "$2")
shift 2
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
ln -s "$hdevent" "$bin/hdevent"
export PATH="$bin:$PATH"

failed=0
total=0
for md in "$@"; do
    work=$(mktemp -d)
    cp -r "$src/examples" "$work/examples"
    # One record per command: "<line>\t<command>" then its expected lines, then a lone \x1e.
    records=$(awk '
        /^```console[[:space:]]*$/ { inblock = 1; cmd = ""; next }
        inblock && /^```[[:space:]]*$/ { if (cmd != "") printf "\x1e\n"; inblock = 0; cmd = ""; next }
        inblock && /^\$ / { if (cmd != "") printf "\x1e\n"; cmd = substr($0, 3); printf "%d\t%s\n", NR, cmd; next }
        inblock && cmd != "" { print }
    ' "$md")
    while IFS= read -r -d $'\x1e' record; do
        record=${record#$'\n'}
        [ -n "$record" ] || continue
        header=${record%%$'\n'*}
        line=${header%%$'\t'*}
        cmd=${header#*$'\t'}
        expected=""
        [ "$header" != "$record" ] && expected=${record#*$'\n'}
        expected=${expected%$'\n'}
        total=$((total + 1))
        actual=$(cd "$work" && bash -c "$cmd" 2>/dev/null)
        if [ "$actual" != "$expected" ]; then
            failed=$((failed + 1))
            echo "FAIL $(basename "$md"):$line: \$ $cmd"
            diff -u <(printf '%s\n' "$expected") <(printf '%s\n' "$actual") | sed -n '3,40p'
        fi
    done < <(printf '%s\n\x1e' "$records")
    rm -rf "$work"
done
echo "$((total - failed))/$total documented examples give the documented output"
[ "$total" -gt 0 ] && [ "$failed" -eq 0 ]
