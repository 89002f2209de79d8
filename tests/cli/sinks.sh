#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `hdevent run --sink` end to end (docs/output.md): events with `output {…}` send their
# messages to a file, a FIFO, a Unix socket, a loopback TCP socket and a module (a shared
# object built here), under the seccomp filter. Each sink must receive exactly the message
# records a run without sinks prints on stdout for its events, byte for byte and in the same
# order (so in order per core); the other events' messages stay on stdout; the counts
# records say so. Then bad --sink values: usage errors (exit 2) that say what is wrong.
#
#   sinks.sh <hdevent> <cc>
set -uo pipefail
hdevent=$1
cc=${2:-cc}
examples=$(cd "$(dirname "$0")/../../examples/sinks" && pwd)
work=$(mktemp -d /tmp/hdevent-sinks-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
. "$(dirname "$0")/checks.sh"

# ---- the scenario: one event per sink, two whose messages stay on stdout, exits on 4 cores
{
    for s in f p u t m; do
        echo "!vmcall pid 490 script { printf(\"$s core %llx seq %llx\\n\", \$core, @rcx); } output {$s}"
    done
    # custom code: "AB", ESC, then a NUL (the C string ends there): binary, to f and t both
    echo '!vmcall pid 490 buffer 10 code {48 89 C8 C7 01 41 42 1B 00 C3} output {f, t}'
    echo '!vmcall pid 490 script { printf("named but no sink %llx\n", @rcx); } output {nosink}'
    echo '!vmcall pid 490 script { printf("no output %llx\n", @rcx); }'
    for i in $(seq 1 200); do
        printf 'vmcall core=%x pid=490 rcx=%x\n' $((i % 4)) "$i"
    done
} >"$work/s.scenario"

"$hdevent" run "$work/s.scenario" >"$work/baseline.out"
check "the scenario runs without sinks" grep -q '"type":"summary","lines":208,"failed":0' \
    "$work/baseline.out"
# The message records of the events matching $1 ("0|5") in the run without sinks.
want() { grep -E "\"type\":\"message\",\"event\":($1)," "$work/baseline.out"; }

# ---- the readers
mkfifo "$work/fifo"
cat "$work/fifo" >"$work/fifo.out" &
pids+=($!)
python3 "$examples/listen.py" unix "$work/sock" "$work/unix.out" "$work/unix.ready" &
pids+=($!)
python3 "$examples/listen.py" tcp 127.0.0.1 "$work/tcp.out" "$work/tcp.ready" &
pids+=($!)
cat >"$work/fwd.c" <<'EOF'
#include <string.h>
#include <unistd.h>
/* HyperDbg's event forwarding callback. Under hdevent run's seccomp filter it may write to
 * stdout, stderr and the sinks' descriptors only: it writes each line to stderr, tagged. */
void hyperdbg_event_forwarding(const char *text, unsigned len)
{
    if (write(2, "module: ", 8) < 0 || write(2, text, len) < 0 || write(2, "\n", 1) < 0)
        return;
    if (strlen(text) != len) /* the line comes NUL-terminated too */
        (void)!write(2, "module: length differs from strlen\n", 35);
}
EOF
check "the module builds" "$cc" -shared -fPIC -o "$work/fwd.so" "$work/fwd.c"
for _ in $(seq 1 100); do
    [ -e "$work/unix.ready" ] && [ -e "$work/tcp.ready" ] && break
    sleep 0.1
done
port=$(cat "$work/tcp.ready")

"$hdevent" run --sink "f=file:$work/file.out" --sink "p=fifo:$work/fifo" \
    --sink "u=unix:$work/sock" --sink "t=tcp:127.0.0.1:$port" \
    --sink "m=module:$work/fwd.so" "$work/s.scenario" >"$work/run.out" 2>"$work/run.err"
rc=$?
check "run with sinks: exit 0 (got $rc; stderr: $(grep -v '^module: ' "$work/run.err" | head -3))" \
    test "$rc" -eq 0
wait "${pids[@]}" 2>/dev/null # the readers end when hdevent closes its end
pids=()

same() { # same WHAT FILE EXPECTED-TEXT
    if [ "$(cat "$2")" != "$3" ]; then
        echo "  $1: $(wc -l <"$2") lines, expected $(printf '%s\n' "$3" | wc -l); first diff:"
        diff <(printf '%s\n' "$3") "$2" | head -4
        return 1
    fi
}
check "file sink: events 0 and 5, every byte in order" \
    same file "$work/file.out" "$(want '0|5')"
check "fifo sink: event 1" same fifo "$work/fifo.out" "$(want 1)"
check "unix sink: event 2" same unix "$work/unix.out" "$(want 2)"
check "tcp sink: events 3 and 5" same tcp "$work/tcp.out" \
    "$(want '3|5')"
check "module sink: event 4, one call per line" same module \
    <(grep '^module: ' "$work/run.err" | sed 's/^module: //') "$(want 4)"
check "binary bytes carry hex" grep -q '"text":"AB\\u001b","hex":"41 42 1B"' "$work/file.out"
check "200 messages per script event" test "$(want 2 | wc -l)" -eq 200
check "stdout keeps events 6 (no sink of its name) and 7 (no output)" \
    same stdout <(grep '"type":"message"' "$work/run.out") "$(want '6|7')"
for s in f:400 p:200 u:200 t:400 m:200; do
    check "counts of ${s%%:*}" grep -q \
        "{\"type\":\"sink\",\"name\":\"${s%%:*}\",.*\"written\":${s#*:},\"dropped\":0,\"failures\":0}" \
        "$work/run.out"
done

# ---- --flush-ms: the same bytes, written together
"$hdevent" run --flush-ms 0n60000 --sink "f=file:$work/flush.out" "$work/s.scenario" \
    >"$work/flush.run" 2>&1
check "--flush-ms: everything is written by the end" \
    same flush "$work/flush.out" "$(want '0|5')"

# ---- a sink that cannot be opened: reported once, counted, the run goes on
"$hdevent" run --sink "t=tcp:127.0.0.1:1" "$work/s.scenario" >"$work/fail.out" 2>"$work/fail.err"
check "a failing sink does not fail the run" test $? -eq 0
check "reported once" test "$(grep -c 'sink t (tcp:127.0.0.1:1): cannot open' "$work/fail.err")" -eq 1
check "its messages counted as dropped" grep -q \
    '"name":"t",.*"written":0,"dropped":400,"failures":1}' "$work/fail.out"

# ---- a name server that never answers: the attempt fails after SINK_STALL_MS (2 s) instead of
# the resolver's own timeout (30 s here), reported like a refused connect. In a network and
# mount namespace of its own (root, as CI): its resolv.conf names 127.0.0.1, where a UDP
# socket takes every question and answers none.
if unshare -mn true 2>/dev/null; then
    printf 'nameserver 127.0.0.1\noptions timeout:30 attempts:1\n' >"$work/resolv.conf"
    unshare -mn bash -c '
        ip link set lo up || exit 9
        mount --bind "$1/resolv.conf" /etc/resolv.conf || exit 9
        python3 -c "import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((\"127.0.0.1\", 53))
open(sys.argv[1], \"w\").close()
time.sleep(120)" "$1/dns.ready" &
        for _ in $(seq 1 100); do [ -e "$1/dns.ready" ] && break; sleep 0.1; done
        "$2" run --sink "t=tcp:sink.example:9000" "$1/s.scenario" >"$1/dns.out" 2>"$1/dns.err"
        rc=$?
        kill %1
        exit $rc' _ "$work" "$hdevent"
    rc=$?
    check "a silent name server does not fail the run (exit $rc: $(head -c 300 "$work/dns.err"))" \
        test "$rc" -eq 0
    check "reported: no answer within 2000 ms" grep -q \
        'sink t (tcp:sink.example:9000): cannot open: resolving sink.example: no answer within 2000 ms' \
        "$work/dns.err"
    check "its messages counted as dropped" grep -q \
        '"name":"t",.*"written":0,"dropped":400,"failures":1}' "$work/dns.out"
else
    echo "SKIP: the name-server case needs unshare -mn (root)"
fi

# ---- a module whose callback makes a system call run's filter refuses: that sink fails
# (reported once, its messages dropped), the call gets EPERM, and it is not hdevent's bug
cat >"$work/opens.c" <<'EOF'
#include <fcntl.h>
#include <unistd.h>
void hyperdbg_event_forwarding(const char *text, unsigned len)
{
    int fd = open("/etc/hostname", O_RDONLY);
    (void)text, (void)len;
    if (fd >= 0)
        close(fd);
}
EOF
check "the opening module builds" "$cc" -shared -fPIC -o "$work/opens.so" "$work/opens.c"
"$hdevent" run --sink "m=module:$work/opens.so" "$work/s.scenario" >"$work/opens.out" \
    2>"$work/opens.err"
rc=$?
check "a refused call in a module's callback: exit 0 (got $rc)" test "$rc" -eq 0
check "reported once, naming the call" test "$(grep -c \
    "sink m (module:.*): cannot write: its callback made system call [0-9]*, which hdevent run's filter refuses" \
    "$work/opens.err")" -eq 1
check "not reported as hdevent's own call" bash -c "! grep -q 'made by hdevent itself' '$work/opens.err'"
check "its messages counted as dropped" grep -q \
    '"name":"m",.*"written":0,"dropped":200,"failures":1}' "$work/opens.out"

# ---- a reader that stops reading: the write waits at most SINK_STALL_MS, then the sink fails
mkfifo "$work/stuck"
sleep 60 <"$work/stuck" & # holds the FIFO open for reading, never reads
stuck_reader=$!
{
    echo '!vmcall script {printf("%llx\n", @rax);} output {p}'
    for i in $(seq 1 3000); do echo "vmcall core=0 pid=4 rax=$i"; done
} >"$work/stuck.scenario"
timeout 60 "$hdevent" run --sink "p=fifo:$work/stuck" "$work/stuck.scenario" \
    >"$work/stuck.out" 2>"$work/stuck.err"
rc=$?
kill "$stuck_reader" 2>/dev/null
check "a stuck reader does not stop the run (exit $rc)" test "$rc" -eq 0
check "the stuck sink is reported once" \
    test "$(grep -c 'sink p (fifo:.*the reader took nothing for 2000 ms' "$work/stuck.err")" -eq 1
check "its messages are counted as dropped" grep -q \
    '"type":"sink","name":"p",.*"dropped":[1-9][0-9]*,"failures":1}' "$work/stuck.out"

# ---- bad --sink values: usage errors
usage() { # usage VALUE EXPECTED-MESSAGE
    local err
    err=$("$hdevent" run --sink "$1" /dev/null 2>&1 >/dev/null)
    local rc=$?
    if [ "$rc" -ne 2 ] || [[ $err != *"$2"* ]]; then
        echo "  --sink '$1': exit $rc, stderr: $err"
        return 1
    fi
}
check "no =" usage "log" "hdevent run: --sink 'log': no '=': give NAME=KIND:TARGET"
check "bad name" usage "a b=file:/x" "column 2: this character is not allowed in an output name"
check "unknown kind" usage "a=pipe:/x" "--sink 'a=pipe:/x': column 3: 'pipe' is not a sink: file:PATH, fifo:PATH"
check "no port" usage "a=tcp:localhost" "'localhost' is not HOST:PORT"
check "empty path" usage "a=file:" "column 8: nothing after 'file:': give a path"
err=$("$hdevent" run --sink a=file:/tmp/x --sink a=file:/tmp/y /dev/null 2>&1)
check "one sink per name (exit 2)" test $? -eq 2
check "one sink per name (message)" grep -q "output name 'a' has a sink already" <<<"$err"
err=$("$hdevent" read --flush-ms soon 2>&1)
check "read: bad --flush-ms (exit 2)" test $? -eq 2
check "read: bad --flush-ms (message)" grep -q -- "--flush-ms soon: milliseconds" <<<"$err"

checks_done "output sinks"
