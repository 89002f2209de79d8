#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the bare-metal images, boot each under Bochs (kill timeout 40 s), and compare what it
# wrote to port 0xE9 with the expected lines, in order:
#   hdevent-bochs        every register / exit / break / message / case line  vs expected.txt
#   hdevent-bochs-fatal  the guest triple-faults: the VMX layer must report it (glue.fatal),
#                        never resume it                              vs expected-fatal.txt
#
#   check.sh BUILD_DIR EXPECTED_DIR
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR EXPECTED_DIR" >&2; exit 2; }
build=$1 expected_dir=$2
root=$(cd "$(dirname "$0")/../../.." && pwd)
dir=$build/backends/baremetal
pattern='^(register|log|guest|exit|break|message|case|mismatch|exits:|hdevent-bochs|EXCEPTION|FATAL)'

cmake --build "$build" --target hdevent-bochs-image

status=0
for image in hdevent-bochs hdevent-bochs-fatal; do
    expected=$expected_dir/expected${image#hdevent-bochs}.txt
    start=$(date +%s%N)
    set +e
    "$root/backends/baremetal/run-bochs.sh" "$dir" 40 "$image" > "$dir/$image.out"
    rc=$?
    set -e
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    echo "$image: Bochs exited with $rc after $ms ms (output $dir/$image.out, log $dir/$image.log)"
    # The faulting RIP depends on the build: compare everything but its value.
    grep -a -E "$pattern" "$dir/$image.out" | sed -E 's/ rip=0x[0-9a-f]+ / rip=RIP /' \
        > "$dir/$image.lines" || true
    if ! diff -u "$expected" "$dir/$image.lines"; then
        echo "FAIL: $image: the 0xE9 output differs from $expected (- expected, + got)" >&2
        status=1
    elif [ "$rc" -eq 139 ]; then
        # Bochs 2.7 was seen to segfault once in ~90 runs while quitting, after the image had
        # written every line above (compared in full): the emulator's teardown, not the run.
        echo "WARNING: $image: Bochs crashed (SIGSEGV) after the image finished; every" \
             "expected line was seen, so the run counts" >&2
    elif [ "$rc" -ne 0 ]; then
        echo "FAIL: $image: Bochs exit status $rc (137: killed by the timeout)" >&2
        status=1
    else
        echo "OK: $image: $(grep -c ': PASS$' "$dir/$image.lines" || true) cases passed," \
             "$(grep -c '^exit ' "$dir/$image.lines" || true) VMCALL exits," \
             "$(grep -c '^FATAL' "$dir/$image.lines" || true) fatal exit(s) reported"
    fi
done
exit "$status"
