#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boot the bare-metal image under Bochs, headless, and print what the image writes to port
# 0xE9 (stdout). Bochs' own log is kept at error level only.
#
#   run-bochs.sh IMAGE_DIR [TIMEOUT_SECONDS [IMAGE]]
# IMAGE_DIR holds IMAGE.img (build-image.sh; IMAGE defaults to hdevent-bochs); Bochs' files go
# to IMAGE_DIR/IMAGE.{bochsrc,rc,log,stderr}. Exit status: Bochs' (0 after the image's magic
# breakpoint + `quit`), 137 when the kill timeout hit.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 IMAGE_DIR [TIMEOUT_SECONDS [IMAGE]]" >&2; exit 2; }
dir=$(cd "$1" && pwd) limit=${2:-50} image=${3:-hdevent-bochs}
[ -f "$dir/$image.img" ] || { echo "run-bochs.sh: no $dir/$image.img" >&2; exit 2; }
command -v bochs-bin >/dev/null || { echo "run-bochs.sh: bochs-bin missing (scripts/deps.d/e2e/bochs.list)" >&2; exit 2; }

cat > "$dir/$image.bochsrc" <<RC
# Written by run-bochs.sh. Debian's Bochs has no nogui: the term display on a dumb terminal.
megs: 64
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
cpu: model=corei7_skylake_x, count=1, reset_on_triple_fault=0
floppya: 1_44=$dir/$image.img, status=inserted
boot: floppy
display_library: term
port_e9_hack: enabled=1
magic_break: enabled=1
log: $dir/$image.log
logprefix: %t%e%d
debug: action=ignore
info: action=ignore
error: action=report
panic: action=fatal
RC
# bochs-bin is a debugger build: `c` runs the machine; the image's magic breakpoint returns
# to the debugger, which reads `quit`.
printf 'c\nquit\n' > "$dir/$image.rc"
: > "$dir/$image.log"
# Bochs ignores SIGTERM: KILL it. The term display draws on stdin/stdout's tty; give it none.
TERM=dumb timeout -s KILL "$limit" bochs-bin -q -f "$dir/$image.bochsrc" -rc "$dir/$image.rc" \
    < /dev/null 2> "$dir/$image.stderr" | tr -d '\r' | grep -a -v -E '^(<bochs:|Next at|\(0\)|\[0x|[[:space:]]*$)' || true
exit "${PIPESTATUS[0]}"
