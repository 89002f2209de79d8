#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The stack the dispatch path needs, measured from GCC's call graph (-fcallgraph-info=su, one
# .ci file per object of the kernel-flavoured core; each function's frame as -fstack-usage
# counts it, return address included): the deepest chain of the core's own frames from an
# entry (hd_dispatch_vmcall_exit, hd_dispatch_vmcall, hd_dispatch_vmcall_post,
# hd_dispatch_vmcall_end) down to a call out of the core — a native hook, a backend op or
# your VMCALL handler (indirect calls), raw code (hd__arch_call_raw, whose own frame of 112
# bytes is added: return address, 8 pushes, 32 bytes of shadow space and 8 of alignment), or
# memcpy/memset. Fails when a frame on the path is of unbounded size, when the path recurses,
# or when the depth passes the stated limit.
#
#   stack-depth.sh <limit bytes> <dir with the .ci files>
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 <limit> <dir>" >&2; exit 2; }
limit=$1 dir=$2
mapfile -t cis < <(find "$dir" -name '*.ci' | sort)
[ ${#cis[@]} -gt 0 ] || { echo "FAIL: no .ci files under $dir (built without -fcallgraph-info=su?)"; exit 1; }

awk -v limit="$limit" -v TRAMPOLINE=112 '
    function short(t) { sub(/.*:/, "", t); return t }
    /^node:/ {
        match($0, /title: "[^"]*"/); t = substr($0, RSTART + 8, RLENGTH - 9)
        if (match($0, /\\n[0-9]+ bytes \([^)]*\)/)) {
            s = substr($0, RSTART + 2, RLENGTH - 2)
            split(s, w, " "); frame[t] = w[1] + 0
            kind[t] = s; sub(/^[0-9]+ bytes \(/, "", kind[t]); sub(/\)$/, "", kind[t])
        }
        next
    }
    /^edge:/ {
        match($0, /sourcename: "[^"]*"/); a = substr($0, RSTART + 13, RLENGTH - 14)
        match($0, /targetname: "[^"]*"/); b = substr($0, RSTART + 13, RLENGTH - 14)
        if (!((a, b) in seen)) { seen[a, b] = 1; nout[a]++; out[a, nout[a]] = b }
        next
    }
    # Deepest stack, from the start of n, at a call out of category CAT ("hook": an indirect
    # call, "raw": raw code through the trampoline, "mem": memcpy/memset/memcmp); -1: none.
    function depth(n,    i, m, d, here, what) {
        if (n in best) return best[n]
        if (n in onpath) { printf "FAIL: recursion on the dispatch path through %s\n", short(n); bad = 1; return -1 }
        if (!(n in frame)) { printf "FAIL: no frame size for %s\n", n; bad = 1; return -1 }
        if (kind[n] == "dynamic") { printf "FAIL: %s has a frame of unbounded size\n", short(n); bad = 1 }
        onpath[n] = 1
        here = -1
        for (i = 1; i <= nout[n]; i++) {
            m = out[n, i]; what = ""
            if (m == "__indirect_call") { d = CAT == "hook" ? 0 : -1; what = "a hook, backend op or handler" }
            else if (m ~ /^mem(cpy|set|cmp)$/) { d = CAT == "mem" ? 0 : -1; what = m }
            else if (m == "hd__arch_call_raw") { d = CAT == "raw" ? TRAMPOLINE : -1; what = "raw code (+112: the trampoline)" }
            else d = depth(m)
            if (d > here) { here = d; next_of[n] = m; callout[n] = what }
        }
        delete onpath[n]
        best[n] = here < 0 ? -1 : frame[n] + here
        return best[n]
    }
    END {
        split("hd_dispatch_vmcall_exit hd_dispatch_vmcall hd_dispatch_vmcall_post hd_dispatch_vmcall_end", entries, " ")
        split("hook raw mem", cats, " ")
        worst = 0
        for (c = 1; c in cats; c++) {
            CAT = cats[c]
            delete best; delete next_of; delete callout
            for (k = 1; k in entries; k++) {
                e = entries[k]
                if (!(e in frame)) { if (c == 1) { printf "FAIL: entry %s not in the call graph\n", e; bad = 1 }; continue }
                d = depth(e)
                if (d < 0) continue
                path = short(e) " " frame[e]; n = e
                while (n in next_of && callout[n] == "") { n = next_of[n]; path = path " > " short(n) " " frame[n] }
                printf "%-4s %-24s %5d bytes at %s: %s\n", CAT, e, d, callout[n], path
                if (d > worst) worst = d
            }
        }
        printf "deepest: %d bytes of the core'"'"'s own stack at a call out (limit %d)\n", worst, limit
        if (worst > limit) { printf "FAIL: the dispatch path needs %d bytes, more than the stated %d\n", worst, limit; bad = 1 }
        if (worst < 64) { print "FAIL: implausibly small: the graph was not read"; bad = 1 }
        exit bad
    }
' "${cis[@]}"
