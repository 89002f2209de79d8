#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make demo`, bare-metal part: build the image, boot it under Bochs and show, for each guest
# VMCALL, what fired (the exit lines of the VMX layer's glue) and what the guest checked.
#
#   backends/baremetal/run-demo.sh BUILD_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
build=$1
cmake --build "$build" --target hdevent-bochs-image > /dev/null
echo "Bochs (software VMX, corei7_skylake_x): the hdevent core in a real VM-exit handler."
echo "Events from backends/baremetal/events.list, encoded by 'hdevent encode', registered"
echo "in VMX root through hd_wire_ioctl(). One 'exit' line per guest VMCALL (exit reason 18):"
echo
"$here/run-bochs.sh" "$build/backends/baremetal" 40 |
    grep -a -E '^(register|log|guest|exit|  action|break|case|mismatch|exits:|hdevent-bochs|vmx|EXCEPTION|FATAL)'
