#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The hdevent tool as a Unix tool (docs/cli.md, "Options, input and exit status"): --help and
# --version everywhere, getopt_long's forms, usage errors named on stderr with exit 2, input
# from an operand, stdin or -f FILE, -o -, diagnostics on stderr with --text, bytes from
# outside escaped before they reach a terminal, colour only on one and never with NO_COLOR.
#
#   usage.sh <hdevent> <source dir>
set -uo pipefail
[ $# -eq 2 ] || { echo "usage: $0 <hdevent> <source dir>" >&2; exit 2; }
hdevent=$(realpath "$1") src=$(realpath "$2")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
failed=0 checks=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# hd ARGS...: run hdevent; OUT, ERR and RC hold what it did.
hd() {
    "$hdevent" "$@" >"$dir/out" 2>"$dir/err" </dev/null
    RC=$?
    OUT=$(cat "$dir/out") ERR=$(cat "$dir/err")
}
# want RC [OUT-GLOB [ERR-GLOB]] -- description: the last hd's status and outputs ('' = empty).
want() {
    local rc=$1 out=${2-*} err=${3-*}
    checks=$((checks + 1))
    if [ "$RC" != "$rc" ]; then fail "$LAST: exit $RC, wanted $rc (stderr: ${ERR:0:200})"
    elif [ -z "$out" ] && [ -n "$OUT" ]; then fail "$LAST: stdout should be empty: ${OUT:0:200}"
    elif [ -n "$out" ] && [[ $OUT != $out ]]; then fail "$LAST: stdout [${OUT:0:300}] is not [$out]"
    elif [ -z "$err" ] && [ -n "$ERR" ]; then fail "$LAST: stderr should be empty: ${ERR:0:200}"
    elif [ -n "$err" ] && [[ $ERR != $err ]]; then fail "$LAST: stderr [${ERR:0:300}] is not [$err]"
    fi
}
t() { LAST="hdevent $*"; hd "$@"; }
# same RC OUT ERR: like want, but OUT and ERR are exact text, not patterns.
same() {
    checks=$((checks + 1))
    [ "$RC" = "$1" ] && [ "$OUT" = "$2" ] && [ "$ERR" = "$3" ] ||
        fail "$LAST: exit $RC [${OUT:0:200}] [${ERR:0:200}], wanted exit $1 [${2:0:200}] [${3:0:200}]"
}
# holds OUT|ERR TEXT: the last stdout or stderr holds TEXT, literally.
holds() {
    local v=$1 text=$2
    checks=$((checks + 1))
    [[ ${!v} == *"$text"* ]] || fail "$LAST: $v lacks [$text]: ${!v:0:300}"
}
# usage ARGS... -- MESSAGE-GLOB: a usage error: exit 2, nothing on stdout, the message named.
usage() {
    local args=() msg
    while [ "$1" != -- ]; do args+=("$1"); shift; done
    msg=$2
    t "${args[@]}"
    want 2 '' "hdevent ${args[0]}: $msg"$'\n'"Try 'hdevent ${args[0]} --help'."
}

# ---- --help, --version, unknown options: every subcommand ------------------------------------
version=$(sed -n 's/^project(hdevent VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
t --help; want 0 'usage: hdevent SUBCOMMAND*Subcommands:*' ''
subs=$(awk '/^Subcommands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' <<<"$OUT")
[ "$(wc -w <<<"$subs")" -ge 11 ] || fail "hdevent --help lists $(wc -w <<<"$subs") subcommands"
t -h; want 0 'usage: hdevent SUBCOMMAND*' ''
t help; want 0 'usage: hdevent SUBCOMMAND*' ''
t; want 2 '' 'usage: hdevent SUBCOMMAND*'
t --version; want 0 "hdevent $version"$'\n'"Zydis 4.*"$'\n'"build: *" ''
t -V; want 0 "hdevent $version"$'\n'"*" ''
t bogus; want 2 '' "hdevent: unknown subcommand 'bogus'*"
t --bogus; want 2 '' "hdevent: unknown option '--bogus'*"
t help bogus; want 2 '' "hdevent: help: no subcommand 'bogus'*"
for sub in $subs; do
    t "$sub" --help
    want 0 "usage: hdevent $sub *Options:*  -h, --help *Examples:*  hdevent $sub *" ''
    help=$OUT
    t "$sub" -h; same 0 "$help" ''
    t help "$sub"; same 0 "$help" ''
    t "$sub" --version; want 0 "hdevent $version"$'\n'"*" ''
    t "$sub" -V; want 0 "hdevent $version"$'\n'"*" ''
    usage "$sub" --bogus -- "unknown option '--bogus'"
    usage "$sub" --bogus=1 -- "unknown option '--bogus'"
    usage "$sub" -Q -- "unknown option '-Q'"
    usage "$sub" --help=1 -- "option '--help' takes no value"
done

# ---- getopt_long's forms ---------------------------------------------------------------------
printf '%s\n' 'vmcall core=1 pid=4' >two.scenario
t run --cores=2 two.scenario; want 0 '*"type":"summary","lines":1,"failed":0}' ''
t run --cores 1 two.scenario; want 1 '*"core=1: a core is a hex number below 1*' ''
t run -tc 2 two.scenario; want 0 '*0 line(s) failed' ''          # combined, value after
t run -tc2 two.scenario; want 0 '*0 line(s) failed' ''           # combined, value attached
t run two.scenario --text --cor=2; want 0 '*0 line(s) failed' '' # after the operand, a prefix
t parse -- 'events d 1'; want 0 '{"type":"command","kind":"events-disable"*' ''
t parse -- -; want 1 '{"type":"error",*"message":"column 1: empty command*' '' # stdin: empty
t asm --text -- 'nop'; want 0 '90' ''
usage run --cores -- "option '--cores' needs a value"
usage run -c -- "option '-c' needs a value"
usage parse --text=1 '!vmcall' -- "option '--text' takes no value"
usage run --t two.scenario -- "option '--t' is ambiguous (--text, --time-limit)"
usage parse --bogus -- "unknown option '--bogus'"

# ---- every usage error is exit 2, named on stderr, nothing on stdout ---------------------------
usage run --cores 5000 two.scenario -- "--cores 5000: the simulated cores are 1 to 0n4096*"
usage run --cores 0 two.scenario -- "--cores 0: *"
usage run --time-limit x two.scenario -- "--time-limit x: *"
usage run a b -- "takes one SCENARIO: 'b' is one too many"
# --nr-reg: a register's name in any case (RAX as rax); anything else is a usage error.
printf '%s\n' '!vmcall nr 0x42' 'vmcall core=0 pid=1 rax=42 rcx=7' >nr.scenario
t run --text --cores 2 --nr-reg RAX nr.scenario; want 0 '*fired \[0\],*' ''
t run --text --cores 2 --nr-reg r8 nr.scenario; want 0 '*fired \[\],*' ''
for bad in rip raxx ra eax ''; do
    usage run --nr-reg "$bad" nr.scenario -- "--nr-reg $bad: a register of the guest: rax, rcx,*"
done
usage encode --tag 0n5 -o x.bin '!vmcall' -- "--tag 0n5: a tag is 0x1000000 (ID 0) to 0xffffffff*"
usage encode --tag 100000000 -o x.bin '!vmcall' -- "--tag 100000000: *"
usage encode '!vmcall' -- "needs -o FILE (or -o - for stdout)"
usage encode 'events d 1' -o x.bin -- "only !vmcall commands make event buffers*"
[ ! -e x.bin ] || fail "a refused encode wrote x.bin"
usage decode -- "expects a FILE of IOCTL buffers (- for stdin)"
usage decode a b -- "takes one FILE"
usage decode --cores 0 a -- "--cores 0: *"
usage events sc on -- "events sc on|off changes the event a debugger is paused in*"
usage events d zz -- "'zz': *"
usage events e 1 2 -- "takes at most two words, e|d|c and ID|all: '2' is one too many"
long_id=$(printf '0%.0s' $(seq 200))1 # cut, it would name event 0: refused whole
usage events c "$long_id" -- "'0000000000000000000000000000000000000000...': too long for an events command*"
usage read x -- "takes no operand: 'x'"
usage read --timeout 5 -- "--timeout goes with --follow"
usage read --follow --timeout x -- "--timeout x: *"
usage selftest-vmcall cpl=4 core=0 -- "cpl=4: not a number up to 0x3*"
usage selftest-vmcall core=9999 -- "core=9999: not a number up to 0x3ff*" # CPU_SETSIZE cores
usage selftest-vmcall pid=1 -- "needs core=<hex>: the core the exit runs on"
usage selftest-vmcall core -- "'core': exit words are key=value*"
usage add 'events d 1' -- "takes a !vmcall command*"
usage parse a b -- "takes one command (quote it): 'b' is one too many"
usage parse -- "expects a command: as an operand, - for stdin, or -f FILE"
usage parse -f cmd.txt '!vmcall' -- "give a command as an operand or with -f FILE, not both"
usage disasm 90 90 -- "takes the hex as one operand (quote it): '90' is one too many"
usage asm -- "expects the assembly: *"
usage script -- "expects a script: *"

# ---- input: operand, stdin, -f FILE ------------------------------------------------------------
cmd='!vmcall pid 490 core 2 code {90 90 90}'
t parse "$cmd"; want 0 '{"type":"command"*' ''
from_operand=$OUT
printf '%s\n' "$cmd" >cmd.txt
LAST="parse - (stdin)"
"$hdevent" parse - <cmd.txt >out 2>err; RC=$? OUT=$(cat out) ERR=$(cat err)
same 0 "$from_operand" ''
t parse -f cmd.txt; same 0 "$from_operand" ''
t parse --file=cmd.txt; same 0 "$from_operand" ''
printf '!vmcall pid 490\n    core 2\n    code {90 90\n          90}\n' >lines.txt
t parse -f lines.txt; same 0 "$from_operand" '' # a command may span lines
LAST="add - (stdin read: an events command is a usage error)"
echo 'events d 1' | "$hdevent" add - >out 2>err; RC=$? OUT=$(cat out) ERR=$(cat err)
want 2 '' "hdevent add: takes a !vmcall command*"
for sub in disasm asm script; do
    case $sub in disasm) text='0f01c1' ;; asm) text='xor eax, eax; ret' ;; script) text='x = 1;' ;; esac
    t "$sub" "$text"; want 0 '{"type"*' ''
    from_operand=$OUT
    LAST="$sub - (stdin)"
    printf '%s' "$text" | "$hdevent" "$sub" - >out 2>err; RC=$? OUT=$(cat out) ERR=$(cat err)
    same 0 "$from_operand" ''
    printf '%s' "$text" >in.txt
    t "$sub" -f in.txt; same 0 "$from_operand" ''
done
printf '!vmcall code {90}\0 pid 1' >nul.txt
t parse -f nul.txt; same 1 '{"type":"error","error":"io","message":"nul.txt holds a NUL byte at offset 17: a command is text"}' ''
t parse -f nothere.txt; same 1 '{"type":"error","error":"io","message":"cannot open nothere.txt: No such file or directory"}' ''
# A 64 KiB code body (65,535 bytes and the RET), about 192 KiB of text: past one argument's
# limit, through -f and through stdin, then its buffers through a pipe into decode.
{ printf '!vmcall code {'; for _ in $(seq 4095); do printf '90 %.0s' {1..16}; done
  printf '90 %.0s' {1..15}; printf '}\n'; } >big.txt
[ "$(stat -c %s big.txt)" -gt 131072 ] || fail "big.txt is only $(stat -c %s big.txt) bytes"
t parse -f big.txt; want 0 '*{"type":"insn","buffer":"code","action":0,"offset":65535,"bytes":"C3","valid":true,"text":"ret"}' ''
LAST="encode -f big.txt -o - | decode -"
"$hdevent" encode -f big.txt -o - 2>err | "$hdevent" decode - >out; RC=$? OUT=$(cat out) ERR=$(cat err)
want 0 '*{"type":"action","event":0,"tag":"0x1000000","index":0,"kind":"code","immediate":true,"buffer_size":0,"size":65536,"bytes":"90 90 *' \
    '{"type":"encoded","file":"-","size":65736,"tag":"0x1000000","actions":1}'
LAST="encode - -o - <big.txt"
"$hdevent" encode - -o - <big.txt >big.bin 2>err; RC=$? OUT="" ERR=$(cat err)
want 0 '' '{"type":"encoded","file":"-","size":65736,"tag":"0x1000000","actions":1}'
cmp -s big.bin <("$hdevent" encode -f big.txt -o - 2>/dev/null) || fail "encode - -o - differs from encode -f"
t encode -f big.txt -o big2.bin; want 0 '{"type":"encoded","file":"big2.bin","size":65736,*' ''
cmp -s big.bin big2.bin || fail "encode -o - and -o FILE wrote different buffers"

# ---- input that would change the command around it, output that cannot be written ----------------
t disasm --strict '90} condition {FA'; want 1 '{"type":"error",*"column":3,*not hex: give the bytes of a code {...} body without the braces*' ''
t disasm ''; want 1 '{"type":"error","error":"HD_ERR_INVALID_ARGUMENT","message":"no hex bytes: *"}' ''
for args in "parse !vmcall" "--version" "parse --help" "disasm 90"; do
    LAST="hdevent $args >/dev/full"; checks=$((checks + 1))
    # shellcheck disable=SC2086 # the words are meant to split
    err=$("$hdevent" $args 2>&1 >/dev/full); rc=$?
    [ "$rc" = 1 ] && [[ $err == "hdevent: write error on standard output: No space left on device" ]] ||
        fail "$LAST: exit $rc, stderr [$err]"
done

# ---- --text: diagnostics on stderr -------------------------------------------------------------
t parse --text '!vmcall pid 1x'; want 1 '' "error: column 13: '1x': a pid is *"
t disasm --text 'f4'; want 0 '+0x0000  F4 *' 'warning: code +0x0: hlt at 0x0 stops the core*'
printf '%s\n' '!vmcall core 9' 'vmcall core=1 pid=4' >bad.scenario
t run --text --cores 2 bad.scenario
want 1 'exit core 1 pid 0x4 cpl 0: fired \[\], default handling ran*1 line(s) failed' \
    'line 1: error: register event rejected *'
LAST="run --text 2>&1: the two streams in order"
OUT=$("$hdevent" run --text --cores 2 bad.scenario 2>&1); RC=$? ERR=""
want 1 'line 1: error: *'$'\n''exit core 1 *'
t asm --text 'mov rax, bl'; want 1 '' "error: line 1, column 1: 'mov rax, bl': *"
t decode --text nothere.bin; want 1 '' 'error: cannot open nothere.bin: No such file or directory'

# ---- bytes from outside never reach a terminal raw ---------------------------------------------
esc=$'\x1b'
# Custom code writes ESC [ 2 J (clear the screen) into its buffer and hands it back as a message.
printf '%s\n' '!vmcall buffer 10 code {C7 01 1B 5B 32 4A 48 89 C8}' 'vmcall core=0 pid=4' \
    "## narrated ${esc}[2J" "!vmcall pid 1 ${esc}[2J" >esc.scenario
t run --text esc.scenario; want 1
holds OUT 'message from event 0 on core 0: "\x1B[2J"'   # the guest's buffer
holds OUT '## narrated \x1B[2J'                         # the scenario's narration
holds ERR '!vmcall pid 1 \x1B[2J'                      # the command, echoed in its error
[[ $OUT$ERR != *"$esc"* ]] || fail "run --text let an ESC byte through"
t run esc.scenario; want 1
holds OUT '{"type":"message","event":0,"tag":"0x1000000","core":"0x0","text":"\u001b[2J","hex":"1B 5B 32 4A","size":16,"truncated":false}'
[[ $OUT != *"$esc"* ]] || fail "run (JSON) let an ESC byte through"
printf '!vmcall pid 1 %s[31m' "$esc" >esc.txt
t parse --text -f esc.txt; want 1 '' "error: *"
holds ERR '\x1B[31m'
[[ $ERR != *"$esc"* ]] || fail "parse --text let an ESC byte through"
# The caret stands under the token once the bytes before it are escaped (\x1B is 4 columns).
t parse --text "!vmcall script {printf(\"${esc}${esc}\");} pid zz"; want 1 ''
same 1 '' "error: column 36: 'zz': a pid is a hex number (prefix 0n for decimal) or 'all'
!vmcall script {printf(\"\x1B\x1B\");} pid zz
                                         ^^"
printf 'printf("a%sb");' "$esc" >esc.ds # a string constant holding an ESC byte
clean() { checks=$((checks + 1)); [[ $OUT$ERR != *"$esc"* ]] || fail "$LAST let an ESC through"; }
t script --text -f esc.ds; want 0; clean
holds OUT '0000  printf    "a\x1Bb"'
t parse --text "!vmcall script {printf(\"a${esc}b\");}"; want 0; clean
holds OUT 'action 0: script, {printf("a\x1Bb");}'
holds OUT '    0000  printf    "a\x1Bb"'
printf 'nop\n%s[2J\n' "$esc" >esc.asm
t asm --text -f esc.asm; want 1 ''; clean
holds ERR '\x1B[2J'

# ---- colour: a terminal only, never with NO_COLOR or TERM=dumb; -o - never on a terminal -------
# script(1) gives the command a terminal; its output comes back on ours, with CR LF.
if command -v script >/dev/null; then
    tty_run() { TERM=${2:-xterm} script -qec "$1" /dev/null </dev/null 2>&1 | tr -d '\r'; }
    LAST="colour on a terminal"; checks=$((checks + 1))
    out=$(tty_run "'$hdevent' parse --text '!vmcall pid 1x'")
    [[ $out == *"${esc}[1;31merror:${esc}[0m column 13"* ]] || fail "$LAST: $out"
    LAST="NO_COLOR"; checks=$((checks + 1))
    out=$(NO_COLOR=1 tty_run "'$hdevent' parse --text '!vmcall pid 1x'")
    [[ $out == "error: column 13"* ]] || fail "$LAST: $out"
    LAST="TERM=dumb"; checks=$((checks + 1))
    out=$(tty_run "'$hdevent' parse --text '!vmcall pid 1x'" dumb)
    [[ $out == "error: column 13"* ]] || fail "$LAST: $out"
    LAST="encode -o - on a terminal"; checks=$((checks + 1))
    out=$(tty_run "'$hdevent' encode '!vmcall' -o -; echo \"exit \$?\"")
    [[ $out == "hdevent encode: -o -: stdout is a terminal"*"exit 2" ]] || fail "$LAST: $out"
else
    echo "note: script(1) missing (util-linux): the terminal checks are skipped"
fi
t parse --text '!vmcall pid 1x'; want 1 '' 'error: column 13*' # not a terminal: no colour

# ---- run: raw code registered under the seccomp filter ------------------------------------
# 9,000 events with custom code fill three chunks of the host's code memfd: the second and
# third are added after the filter is in place (ftruncate and a read+execute mmap of that
# descriptor, which the filter allows, as it allows pwritev on it: docs/cli.md). The last exit
# runs every event's code.
for i in $(seq 0 8999); do printf '!vmcall pid 490 code {48 C7 42 18 %02X 00 00 00 C3}\n' $((i % 256)); done >many.scenario
echo 'vmcall core=0 pid=490' >>many.scenario
t run many.scenario; want 0 '*"type":"summary","lines":9001,"failed":0}' ''
holds OUT '"rbx":"0x27"' # event 9000's code (rbx = 0n8999 % 0n256 = 0x27) ran last

echo "hdevent as a Unix tool: $checks checks, $failed failed"
[ "$failed" -eq 0 ] && [ "$checks" -gt 100 ]
