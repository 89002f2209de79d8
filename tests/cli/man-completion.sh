#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# hdevent's man page (docs/man/hdevent.1) and bash completion (tools/hdevent/completion.bash):
# both cover every subcommand and option the tool's --help shows, the page renders without a
# groff warning and names the tool's version, and `cmake --install --component tool` puts
# them where man and bash-completion look.
#
#   man-completion.sh <hdevent> <source dir> <build dir>
set -uo pipefail
[ $# -eq 3 ] || { echo "usage: $0 <hdevent> <source dir> <build dir>" >&2; exit 2; }
hdevent=$(realpath "$1") src=$(realpath "$2") build=$(realpath "$3")
page=$src/docs/man/hdevent.1 completion=$src/tools/hdevent/completion.bash
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failed=0 checks=0
check() { checks=$((checks + 1)); "$@"; }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

subs=$("$hdevent" --help | awk '/^Subcommands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
[ "$(wc -w <<<"$subs")" -ge 11 ] || fail "hdevent --help lists only: $subs"
# options SUB: every -x and --long of SUB's --help, one a line.
options() {
    "$hdevent" "$1" --help | awk '/^Options:/ { on = 1; next } on && /^$/ { exit } on' |
        grep -oE '(^|[ ,])--?[a-zA-Z][a-z-]*' | tr -d ' ,' | sort -u
}

# ---- the man page ----------------------------------------------------------------------------
command -v groff >/dev/null || { echo "FAIL: groff missing (Debian: groff-base)"; exit 1; }
warnings=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
check [ -z "$warnings" ] || fail "groff warns about hdevent.1: $warnings"
rendered=$(MANWIDTH=100 groff -man -Tutf8 -P-c -P-b -P-u "$page" 2>/dev/null)
version=$("$hdevent" --version | sed -n '1s/^hdevent //p')
check grep -q "^\.TH HDEVENT 1 [0-9-]* \"hdevent $version\"" "$page" ||
    fail "hdevent.1's .TH does not name hdevent $version: $(grep '^\.TH' "$page")"
for section in NAME SYNOPSIS DESCRIPTION OPTIONS SUBCOMMANDS OUTPUT "EXIT STATUS" ENVIRONMENT \
               EXAMPLES "SEE ALSO"; do
    check grep -q "^\.SH \"\?$section\"\?$" "$page" || fail "hdevent.1 has no $section section"
done
for status in 0 1 2 3; do
    check grep -A1 '^\.TP' "$page" | grep -qx "\.B $status" || fail "EXIT STATUS lacks $status"
done
for sub in $subs; do
    roff=${sub//-/\\-}
    check grep -qF ".SS \"hdevent $roff " "$page" || fail "hdevent.1 has no section for $sub"
    check grep -qxF ".B $roff" "$page" || fail "hdevent.1's SYNOPSIS lacks $sub"
    for opt in $(options "$sub"); do
        roff=${opt//-/\\-}
        check grep -qF -- "$roff" "$page" || fail "hdevent.1 does not mention $sub's $opt"
    done
done
check grep -q "NO_COLOR" <<<"$rendered" || fail "hdevent.1 does not say NO_COLOR"

# ---- the bash completion ---------------------------------------------------------------------
bin=$dir/bin
mkdir -p "$bin" "$dir/work"
ln -s "$hdevent" "$bin/hdevent"
touch "$dir/work/zz-one.bin" "$dir/work/zz-two.txt"
# complete WORD...: what completing the last word offers, sorted, one a line.
complete_words() {
    (cd "$dir/work" && PATH="$bin:$PATH" bash -c '
        source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        _hdevent
        printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$completion" "$@")
}
# offers WANT WORD...: completing WORD... gives exactly WANT (words, any order).
offers() {
    local want=$1 got
    shift
    checks=$((checks + 1))
    got=$(complete_words "$@" | xargs)
    want=$(tr ' ' '\n' <<<"$want" | sed '/^$/d' | sort | xargs)
    [ "$got" = "$want" ] || fail "completing [$*]: got [$got], wanted [$want]"
}
offers "$(xargs <<<"$subs") help --help --version" hdevent ''
offers "$(grep '^s' <<<"$subs" | xargs)" hdevent s
offers "$(xargs <<<"$subs")" hdevent help ''
for sub in $subs; do
    offers "$(options "$sub" | grep -- '^--' | xargs)" hdevent "$sub" --
    offers "$(options "$sub" | xargs)" hdevent "$sub" -
done
for sub in parse disasm asm encode script add; do
    offers "zz-one.bin zz-two.txt" hdevent "$sub" -f zz
    offers "zz-one.bin zz-two.txt" hdevent "$sub" --file zz
    offers "zz-one.bin zz-two.txt" hdevent "$sub" --file = zz
done
offers "zz-one.bin zz-two.txt" hdevent encode '!vmcall' -o zz
offers "zz-one.bin zz-two.txt" hdevent decode zz
offers "zz-one.bin zz-two.txt" hdevent run --text zz
offers "zz-one.bin zz-two.txt" hdevent events --device zz
offers "zz-one.bin zz-two.txt" hdevent record --from zz
offers "" hdevent run --cores ''
offers "" hdevent encode --tag ''
offers "" hdevent read --timeout ''
offers "" hdevent read --flush-ms ''
offers "" hdevent read --sink ''       # NAME=KIND:TARGET: nothing to guess
offers "" hdevent run --sink ''
offers "zz-one.bin zz-two.txt" hdevent run --sink log=file:/tmp/x zz # the scenario after it
offers "e d c" hdevent events ''
offers "e d c" hdevent events --text ''
offers "e d c" hdevent events --device = /dev/x '' # --device=/dev/x: its value is no operand
offers "zz-one.bin zz-two.txt" hdevent parse --file = # the cursor right after --file=
offers "all" hdevent events d '' # no module loaded here: no IDs to offer
offers "" hdevent events d all ''
offers "r10= r11= r12= r13= r14= r15=" hdevent selftest-vmcall core=0 r1

# ---- installed where man and bash-completion look --------------------------------------------
prefix=$dir/prefix
if cmake --install "$build" --prefix "$prefix" --component tool >"$dir/install.log" 2>&1; then
    for f in bin/hdevent share/man/man1/hdevent.1 share/bash-completion/completions/hdevent; do
        check [ -s "$prefix/$f" ] || fail "cmake --install --component tool: no $f"
    done
    check cmp -s "$prefix/share/man/man1/hdevent.1" "$page" || fail "installed page differs"
    if command -v man >/dev/null; then
        found=$(MANPATH=$prefix/share/man man -w hdevent 2>&1)
        check [ "$found" = "$prefix/share/man/man1/hdevent.1" ] || fail "man -w hdevent: $found"
    fi
else
    fail "cmake --install --component tool: $(tail -5 "$dir/install.log")"
fi

echo "man page and completion: $checks checks, $failed failed"
[ "$failed" -eq 0 ] && [ "$checks" -gt 100 ]
