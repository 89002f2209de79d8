#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every source, build and script file git tracks names its licence in an SPDX line within its
# first three lines (LICENSE: MIT). Prose, data, test inputs and expected outputs do not.
#
#   check-spdx.sh SRCDIR          list the files without one; exit 1 if any
#   check-spdx.sh --add SRCDIR    add the line to each of them, in that file's comment syntax
# (ctest docs.spdx runs the first form; exit 77, skipped, outside a git checkout)
set -euo pipefail
add=0
if [ "${1:-}" = --add ]; then add=1; shift; fi
[ $# -eq 1 ] || { echo "usage: $0 [--add] SRCDIR" >&2; exit 2; }
cd "$1"
# The list is git's: a tree without git (a source tarball) has nothing to check here.
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "SKIP: $1 is not a git checkout"; exit 77; }

line='SPDX-License-Identifier: MIT'

# The comment form of FILE's syntax: "c" (/* */), "hash" (#), "semi" (;), or nothing when the
# file is not one that carries a licence line.
syntax() {
    case "$1" in
        *.c | *.h | *.S | *.cpp | *.ld | *.h.in) echo c ;;
        *.asm) echo semi ;;
        *.sh | *.cmake | *.cmake.in | *.pc.in | *.mk | */CMakeLists.txt | CMakeLists.txt | \
            */Makefile | Makefile | */Kbuild | Kbuild | .ci/run | */dkms.conf | debian/rules | *.py) echo hash ;;
        *) ;;
    esac
}

missing=()
while IFS= read -r f; do
    [ -f "$f" ] || continue
    s=$(syntax "$f")
    [ -n "$s" ] || continue
    head -n 3 "$f" | grep -q "$line" || missing+=("$f:$s")
done < <(git ls-files)

if [ "$add" -eq 0 ]; then
    for m in "${missing[@]}"; do echo "no SPDX line: ${m%:*}"; done
    echo "${#missing[@]} file(s) without '$line'"
    [ "${#missing[@]}" -eq 0 ]
    exit
fi

for m in "${missing[@]}"; do
    f=${m%:*} s=${m##*:}
    case "$s" in
        c) text="/* $line */" ;;
        semi) text="; $line" ;;
        hash) text="# $line" ;;
    esac
    if head -n 1 "$f" | grep -q '^#!'; then
        # After the interpreter line, which must stay first.
        { head -n 1 "$f"; echo "$text"; tail -n +2 "$f"; } >"$f.spdx"
    else
        { echo "$text"; cat "$f"; } >"$f.spdx"
    fi
    chmod --reference="$f" "$f.spdx"
    mv "$f.spdx" "$f"
    echo "added: $f"
done
