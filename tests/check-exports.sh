#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The libraries export exactly their API: every global symbol an archive defines is a function
# that include/hdevent/ declares with HD_API, and every HD_API function is defined by one of
# them (or is an inline in its header). Internals are hd__* and were made local (CMakeLists.txt,
# hdevent_prelink); a new file that forgets `static` or HD_API shows up here.
#
#   check-exports.sh <nm> <include dir> <archive>...
set -euo pipefail
nm=$1 include=$2
shift 2

# vmx.h is the VMX layer's: its sources are compiled into kernel images, never into these
# libraries (docs/backends/vmx.md).
declared=$(ls "$include"/hdevent/*.h | grep -v '/vmx\.h$' | xargs cat | tr '\n' ' ' |
           grep -o 'HD_API [^;(]*(' |
           grep -o 'hd_[a-z0-9_]*($' | tr -d '(' | sort -u)
defined=$(for a in "$@"; do "$nm" -g --defined-only "$a"; done |
          awk 'NF == 3 {print $3}' | sort -u)

status=0
extra=$(comm -13 <(echo "$declared") <(echo "$defined"))
missing=$(comm -23 <(echo "$declared") <(echo "$defined"))
if [ -n "$extra" ]; then
    echo "exported but not declared with HD_API in include/hdevent/ (make them static, hd__*"
    echo "and hidden, or document them):"
    sed 's/^/  /' <<<"$extra"
    status=1
fi
if [ -n "$missing" ]; then
    echo "declared with HD_API but defined by no library:"
    sed 's/^/  /' <<<"$missing"
    status=1
fi
[ $status -eq 0 ] && echo "exports: $(wc -l <<<"$defined") symbols, each an HD_API function of include/hdevent/"
exit $status
