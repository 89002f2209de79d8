#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Prove that an object (or an archive, or a .ko) holds kernel-ready code, from the object
# itself rather than from the build's command line:
#
#   1. relocations of the loaded sections (.text*, .data*, .rodata*, ...) are only the ones a
#      kernel image or module loader resolves without a GOT or PLT: R_X86_64_64, _PC32,
#      _PLT32 (what gas writes for a direct call; resolved as PC32), _32S (the kernel code
#      model's sign-extended absolute). Any GOT relocation means PIC/PIE code; R_X86_64_32
#      (zero-extended) means the small code model, wrong for addresses in the top 2 GiB;
#   2. no .eh_frame (no unwind tables to register);
#   3. no red zone in the code: no access below rsp (-N(%rsp)), and in a function that never
#      moves rsp down (no sub/add-negative of rsp), no rbp-relative access below the registers
#      it pushed after setting up its frame (the -O0 form of the red zone);
#   4. the DWARF producer of every C compilation unit (when there is debug information, or
#      always with --require-producer) names each flag given with --flag, and no -fpic/-fPIC/
#      -fpie/-fPIE after the last -fno-pic/-fno-pie.
#
#   check-kernel-object.sh [--require-producer] [--flag F]... [--expect-fail] FILE...
#
# --expect-fail inverts the verdict: the checker's own control (a red-zone leaf, a PIC access),
# so a check that can no longer fail is noticed.
set -uo pipefail

require_producer=0 expect_fail=0 flags=() files=()
while [ $# -gt 0 ]; do
    case "$1" in
        --require-producer) require_producer=1; shift ;;
        --flag) flags+=("$2"); shift 2 ;;
        --expect-fail) expect_fail=1; shift ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) files+=("$1"); shift ;;
    esac
done
[ ${#files[@]} -gt 0 ] || { echo "usage: $0 [--require-producer] [--flag F]... [--expect-fail] FILE..." >&2; exit 2; }

problems=()
problem() { problems+=("$1"); }

for f in "${files[@]}"; do
    [ -s "$f" ] || { problem "$f: missing or empty"; continue; }
    name=$(basename "$f")

    # 1. relocations of allocated sections
    bad=$(readelf -rW "$f" | awk '
        /^Relocation section/ { sec = $3; gsub(/\047/, "", sec); next }
        sec ~ /^\.rela\.debug/ || sec == "" { next }
        $3 ~ /^R_X86_64_/ {
            t = $3
            if (t != "R_X86_64_64" && t != "R_X86_64_PC32" && t != "R_X86_64_PLT32" &&
                t != "R_X86_64_32S")
                print sec ": " t " " $5
        }' | sort | uniq -c | sort -rn | head -5)
    [ -z "$bad" ] || problem "$name: relocations a kernel cannot take (PIC or small code model):
$bad"
    counts=$(readelf -rW "$f" | awk '/^Relocation section/ { sec = $3; next }
        sec !~ /debug/ && $3 ~ /^R_X86_64_/ { n[$3]++ } END { for (t in n) printf "%s%s %d", (k++ ? ", " : ""), t, n[t] }')

    # 2. unwind tables
    if readelf -SW "$f" | grep -qE '[[:space:]]\.eh_frame[[:space:]]'; then
        problem "$name: has .eh_frame (unwind tables): built without -fno-asynchronous-unwind-tables"
    fi

    # 3. red zone
    rz=$(objdump -d --no-show-raw-insn "$f" | awk '
        function hex(s,    i, v) {
            v = 0
            for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
            return v
        }
        function report(what) { if (!(fn in seen)) { seen[fn] = 1; print fn ": " what } }
        /^[0-9a-f]+ <.*>:$/ {
            fn = $2; sub(/:$/, "", fn); framed = 0; pushes = 0; lowered = 0; low_rbp = 0; next
        }
        /\tmov +%rsp,%rbp/ { framed = 1; pushes = 0; next }
        /\tpush / { if (framed) pushes++ }
        /\t(sub +\$0x[0-9a-f]+,%rsp|add +\$0xf[0-9a-f]+,%rsp|lea +-0x[0-9a-f]+\(%rsp\),%rsp|and +\$0xf[0-9a-f]+,%rsp)/ { lowered = 1 }
        /-0x[0-9a-f]+\(%rsp\)/ { report("access below rsp: " $0) }
        framed && !lowered && match($0, /-0x[0-9a-f]+\(%rbp\)/) {
            off = hex(substr($0, RSTART + 3, RLENGTH - 9))
            if (off > 8 * pushes) report("rbp frame never allocated, access at -" off "(%rbp): " $0)
        }' | head -5)
    [ -z "$rz" ] || problem "$name: red zone used (code built without -mno-red-zone):
$rz"

    # 4. DWARF producer
    producers=$(readelf --debug-dump=info "$f" 2>/dev/null | grep 'DW_AT_producer' |
                sed 's/.*DW_AT_producer *: *\(([^)]*): *\)\{0,1\}//' | grep -v '^GNU AS' | sort -u)
    if [ -z "$producers" ]; then
        [ $require_producer = 0 ] || problem "$name: no DWARF producer (built without -g?)"
        pnote="no debug information: flags not read"
    else
        while IFS= read -r p; do
            for want in "${flags[@]}"; do
                grep -qe " $want\( \|$\)" <<<"$p" || problem "$name: producer lacks $want: $p"
            done
            last_pic=$(tr ' ' '\n' <<<"$p" | grep -nE '^-f(no-)?(pic|PIC|pie|PIE)$' | tail -1)
            case "$last_pic" in
                *:-fpic|*:-fPIC|*:-fpie|*:-fPIE) problem "$name: producer ends in ${last_pic#*:}: $p" ;;
            esac
        done <<<"$producers"
        pnote="$(wc -l <<<"$producers") C producer(s), e.g. $(head -1 <<<"$producers" | cut -c1-160)"
    fi
    [ ${#files[@]} -gt 3 ] || echo "$name: relocations ${counts:-none}; $pnote"
done

if [ ${#problems[@]} -gt 0 ]; then
    printf '%s\n' "${problems[@]}" | sed 's/^/  /'
    if [ $expect_fail = 1 ]; then
        echo "OK: the control fails the check, as it must (${#problems[@]} finding(s))"
        exit 0
    fi
    echo "FAIL: not kernel-ready code"
    exit 1
fi
if [ $expect_fail = 1 ]; then
    echo "FAIL: the control passed: the check can no longer tell user-space code from kernel code"
    exit 1
fi
echo "OK: ${#files[@]} file(s) kernel-ready: no PIC or small-model relocation, no unwind tables, no red zone${flags:+, producer has ${flags[*]}}"
