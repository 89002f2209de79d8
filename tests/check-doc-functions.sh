#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every function the documentation names is one the public headers declare: a name written
# `hd_something(` in README.md, docs/*.md or docs/backends/*.md must be declared (or defined
# as a function-like macro) outside the comments of include/hdevent/*.h or of the Linux
# module's exported header, backends/linux-kmod/hdevent_kmod.h. A doc that names a function
# that was renamed, removed or never existed fails here.
#
#   check-doc-functions.sh <cc> <source root>
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 <cc> <source root>" >&2; exit 2; }
cc=$1 root=$2

headers=("$root"/include/hdevent/*.h "$root"/backends/linux-kmod/hdevent_kmod.h)
docs=("$root"/README.md "$root"/docs/*.md "$root"/docs/backends/*.md)

# The preprocessor with -fpreprocessed drops comments and keeps everything else (-dD keeps the
# #defines): "hd_x(" in a header comment does not count as a declaration.
declared=$(for h in "${headers[@]}"; do
               "$cc" -fpreprocessed -dD -E -P -x c "$h" 2>/dev/null
           done | grep -oE '\bhd_[a-z0-9_]+[[:space:]]*\(' | tr -d '( \t' | sort -u)
[ -n "$declared" ] || { echo "FAIL: no declarations found in ${headers[*]}" >&2; exit 1; }

status=0 names=0
for md in "${docs[@]}"; do
    while IFS=: read -r line name; do
        names=$((names + 1))
        if ! grep -qx "$name" <<<"$declared"; then
            echo "FAIL ${md#"$root"/}:$line: $name() is not declared by any public header"
            status=1
        fi
    done < <(grep -noE '\bhd_[a-z0-9_]+\(' "$md" | sed 's/($//' | sort -t: -k2 -u)
done
[ $status -eq 0 ] && echo "OK: $names function names in ${#docs[@]} documents, each declared by a public header"
exit $status
