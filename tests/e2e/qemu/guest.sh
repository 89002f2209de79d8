#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs inside the QEMU guest (busybox), as root, with /hdevent.ko, /bin/hdevent (the CLI,
# static) and /bin/ioctl_probe. The checks (ok, bad, expect, refuse, status) are
# tests/e2e/lib/checks.sh's; the host (run.sh) fails the test on any FAIL or a missing
# "HDEVENT-E2E-RESULT fails=0".
# The commands in docs/backends/linux.md are the ones below.

. /checks.sh
HDBG=47424448   # 'HDBG' in r8: the doc custom code turns it into 'HDB2' (32424448)

echo "guest: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs"

# ---- load: refusals first, then vmx=off ---------------------------------------------------
status "insmod vmx=on refused without VMX (ENODEV)" 19 insmod /hdevent.ko vmx=on
expect "dmesg says why vmx=on was refused" "hdevent: vmx=on refused: this CPU has no VMX" dmesg
status "insmod vmx=bogus refused (EINVAL)" 22 insmod /hdevent.ko vmx=bogus
expect "dmesg says why vmx=bogus was refused" "hdevent: vmx=bogus refused" dmesg
status "insmod (vmx=auto)" 0 insmod /hdevent.ko
expect "dmesg: auto falls back to off" "hdevent: vmx=auto: this CPU has no VMX: running with vmx=off" dmesg
status "rmmod after vmx=auto" 0 rmmod hdevent
status "insmod vmx=off" 0 insmod /hdevent.ko vmx=off
expect "dmesg: loaded vmx=off" "hdevent: loaded, vmx=off" dmesg
expect "/dev/hdevent exists" "hdevent" ls -l /dev/hdevent

# ---- events through the CLI ----------------------------------------------------------------
expect "no events yet" "no events" hdevent events --text
# HyperDbg's doc condition (rdx == 0x1000) and doc custom code (r8 'HDBG' -> 'HDB2').
expect "add doc condition + code" '"type":"added","id":0,"tag":"0x1000000","actions":1' \
    hdevent add '!vmcall code {48 8B 5A 40 48 81 FB 48 44 42 47 74 02 EB 08 48 C7 42 40 48 44 42 32 C3} condition {48 8B 59 10 48 81 FB 00 10 00 00 74 05 48 31 C0 EB 07 48 C7 C0 01 00 00 00 C3}'

for core in 0 1; do
    out=$(hdevent selftest-vmcall core=$core rdx=1000 r8=$HDBG)
    expect "core $core: fired" '"fired_pre":1,' echo "$out"
    expect "core $core: ran on core $core" "\"core\":\"0x$core\"," echo "$out"
    expect "core $core: custom code changed r8" '"r8":"0x32424448"' echo "$out"
    expect "core $core: default handling (rax = -1000)" '"rax":"0xfffffffffffffc18"' echo "$out"
    expect "core $core: rip advanced" '"rip":"0x3"' echo "$out"
done
out=$(hdevent selftest-vmcall core=1 rdx=2000 r8=$HDBG)
expect "condition false: nothing fired" '"fired_pre":0,' echo "$out"
expect "condition false: r8 unchanged" '"r8":"0x47424448"' echo "$out"

# Code that reads its own privilege level: mov eax, cs; mov [rdx+0x78], rax (r15 = CS).
expect "add CS probe" '"id":1' hdevent add '!vmcall core 0 code {8C C8 48 89 42 78}'
out=$(hdevent selftest-vmcall core=0 r15=ffff rdx=1000)
expect "custom code runs in ring 0 (r15 = kernel CS 0x10)" '"r15":"0x10"' echo "$out"
expect "both events fired on core 0" '"fired_pre":2,' echo "$out"
expect "core-1 filter: only one event on core 1" '"fired_pre":1,' hdevent selftest-vmcall core=1 rdx=1000

# pid filter, short-circuit, break action (no code: HyperDbg's default action is a break).
expect "add pid 490 sc on" '"id":2' hdevent add '!vmcall pid 490 core 1 sc on'
out=$(hdevent selftest-vmcall core=1 pid=490 rax=7)
expect "pid 490: short-circuited" '"short_circuit":true' echo "$out"
expect "pid 490: break action ran" '"break":true' echo "$out"
expect "pid 490: no default handling, rax kept" '"rax":"0x7"' echo "$out"
expect "pid 491: not short-circuited" '"short_circuit":false' hdevent selftest-vmcall core=1 pid=491 rax=7
expect "text output" "short-circuited" hdevent selftest-vmcall --text core=1 pid=490 rax=7

# Messages: custom code writes "hi!" in its buffer (buffer 10: 0x10 bytes) and returns it.
expect "add message event" '"id":3' hdevent add '!vmcall pid 777 buffer 10 code {C7 01 68 69 21 00 48 89 C8}'
expect "pid 777 on core 0 (with the CS probe)" '"fired_pre":2,' hdevent selftest-vmcall core=0 pid=777
expect "pid 777 on core 1" '"fired_pre":1,' hdevent selftest-vmcall core=1 pid=777
out=$(hdevent read)
expect "message from core 0" '"type":"message","event":3,"tag":"0x1000003","core":"0x0","text":"hi!"' echo "$out"
expect "message from core 1" '"event":3,"tag":"0x1000003","core":"0x1","text":"hi!","size":16,"immediate":true' echo "$out"
expect "queue drained" "no messages" hdevent read --text
hdevent selftest-vmcall core=0 pid=777 >/dev/null
expect "read --follow --timeout" '"text":"hi!"' hdevent read --follow --timeout 0n300

# The list and events e|d|c.
out=$(hdevent events)
expect "list: event 0" '"type":"listed","id":0,"tag":"0x1000000","enabled":true,"command":"!vmcall code {48 8B 5A 40 .* 00 00 00 C3}","core":"0xffffffff","pid":"0xffffffff","stage":"pre","short_circuit":false,"condition":"raw","actions":1' echo "$out"
expect "list: event 2 filters" '"id":2,"tag":"0x1000002","enabled":true,"command":"!vmcall pid 490 core 1 sc on","core":"0x1","pid":"0x490","stage":"pre","short_circuit":true' echo "$out"
expect "events d 0" '"type":"modified","change":"disable","id":0' hdevent events d 0
expect "disabled: r8 unchanged" '"r8":"0x47424448"' hdevent selftest-vmcall core=0 rdx=1000 r8=$HDBG
expect "list shows disabled" '"id":0,"tag":"0x1000000","enabled":false' hdevent events
expect "events e 0" "enabled event 0" hdevent events --text e 0
expect "enabled again: r8 changed" '"r8":"0x32424448"' hdevent selftest-vmcall core=0 rdx=1000 r8=$HDBG
expect "events c 1" '"change":"clear","id":1' hdevent events c 1
refuse "cleared: CS probe gone" '"r15":"0x10"' hdevent selftest-vmcall core=0 r15=ffff
expect "clear again: HyperDbg's modify code" '"error":"HD_WIRE_ERR_MODIFY_INVALID_TAG","code":"0xc000000e"' hdevent events c 1
expect "bad id: a usage error" "hdevent events: 'zz': " hdevent events d zz
status "bad id: exit 2" 2 hdevent events d zz
expect "ids after a clear keep counting" '"id":4' hdevent add '!vmcall pid 1234'

# Malformed buffers straight to the device.
ioctl_probe
probe_rc=$?
[ "$probe_rc" = 0 ] && ok "ioctl probe" || bad "ioctl probe: $probe_rc failure(s)"

expect "events d all" '"change":"disable","all":true' hdevent events d all
expect "events c all" '"change":"clear","all":true' hdevent events c all
expect "nothing left" "no events" hdevent events --text

# ---- scripts: compiled by the CLI, verified and run by the module ----------------------------
expect "add doc script" '"type":"added"' \
    hdevent add '!vmcall pid 999 script { printf("VMCALL executed with context: %llx\n", $context); }'
expect "script event fired" '"fired_pre":1,' hdevent selftest-vmcall core=0 pid=999
expect "script printf read back" '"text":"VMCALL executed with context: 0\\n"' hdevent read
hdevent selftest-vmcall core=1 pid=999 >/dev/null
expect "script printf, --text" 'VMCALL executed with context: 0' hdevent read --text
expect "add faulting script" '"type":"added"' hdevent add '!vmcall pid 998 script { x = 1 / @rbx; }'
expect "faulting script: exit still handled" '"rax":"0xfffffffffffffc18"' \
    hdevent selftest-vmcall core=0 pid=998 rbx=0
expect "script error read back" 'HD_ERR_SCRIPT_DIVIDE_BY_ZERO' hdevent read
expect "compile error: refused in user mode" 'HD_ERR_SCRIPT_COMPILE' \
    hdevent add '!vmcall script { y = nosuch(1); }'

# ---- output {…}: the module keeps the event's output tags; read --follow --sink routes its
# messages to the sink, the others stay on stdout (docs/output.md)
expect "add event with output" '"type":"added"' \
    hdevent add '!vmcall pid 997 script { printf("to the log %llx\n", $core); } output {guestlog}'
expect "events: the output tag (FNV-1a 64 of guestlog) and the text" \
    '"command":"!vmcall pid 997 script { printf(\\"to the log %llx\\\\n\\", $core); } output {guestlog}","output_tags":\["0x83d434b385403973"\]' \
    hdevent events
hdevent selftest-vmcall core=0 pid=997 >/dev/null
hdevent selftest-vmcall core=1 pid=997 >/dev/null
hdevent selftest-vmcall core=0 pid=999 >/dev/null
out=$(hdevent read --follow --timeout 0n300 --sink guestlog=file:/tmp/sink-check.log)
expect "sink: core 0's message in the file" '"core":"0x0","text":"to the log 0\\n"' cat /tmp/sink-check.log
expect "sink: core 1's message in the file" '"core":"0x1","text":"to the log 1\\n"' cat /tmp/sink-check.log
refuse "sink: not on stdout" 'to the log' echo "$out"
expect "sink: the event without output on stdout" 'VMCALL executed with context' echo "$out"
expect "sink: counts" '"type":"sink","name":"guestlog","sink":"file:/tmp/sink-check.log","written":2,"dropped":0,"failures":0' echo "$out"
# SIGHUP reopens the file (log rotation): what came before stays in the moved file, what
# follows goes to a new one at the path.
hdevent read --follow --timeout 0n4000 --sink guestlog=file:/tmp/rot.log >/tmp/rot.out 2>&1 &
reader=$!
sleep 1
hdevent selftest-vmcall core=0 pid=997 >/dev/null
sleep 1
mv /tmp/rot.log /tmp/rot.log.1
kill -HUP "$reader"
sleep 1
hdevent selftest-vmcall core=1 pid=997 >/dev/null
wait "$reader"
expect "SIGHUP: the moved file holds core 0's message" '"core":"0x0","text":"to the log 0' cat /tmp/rot.log.1
refuse "SIGHUP: and not core 1's" '"core":"0x1"' cat /tmp/rot.log.1
expect "SIGHUP: the new file holds core 1's message" '"core":"0x1","text":"to the log 1' cat /tmp/rot.log
expect "SIGHUP: both counted" '"written":2,"dropped":0,"failures":0' cat /tmp/rot.out
expect "events c all (scripts)" '"change":"clear","all":true' hdevent events c all

# ---- the flight recorder: exits recorded here, replayed on the host by run.sh ----------------
# The device's IDs start past the events cleared above; the recording renumbers them from 0 as
# the replay registers them. Between the two markers, the scenario `hdevent run` replays.
DOCCODE='48 8B 5A 40 48 81 FB 48 44 42 47 74 02 EB 08 48 C7 42 40 48 44 42 32 C3'
DOCCOND='48 8B 59 10 48 81 FB 00 10 00 00 74 05 48 31 C0 EB 07 48 C7 C0 01 00 00 00 C3'
expect "rec: add doc condition + code" '"type":"added"' hdevent add "!vmcall code {$DOCCODE} condition {$DOCCOND}"
expect "rec: add pid 490 sc on" '"type":"added"' hdevent add '!vmcall pid 490 core 1 sc on'
expect "rec: add a script that writes registers" '"type":"added"' \
    hdevent add '!vmcall pid 999 script { @rbx = @rax + $core; printf("rec %llx\n", @rbx); }'
out=$(hdevent add '!vmcall pid 996 code {48 89 4A 40}')
expect "rec: add an event to disable" '"type":"added"' echo "$out"
id=$(echo "$out" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
expect "rec: disable it" '"change":"disable"' hdevent events d "0n$id"
expect "rec: the list shows the command text" '"command":"!vmcall pid 490 core 1 sc on"' hdevent events
expect "rec: --text too" 'hits 0: !vmcall pid 999 script { @rbx' hdevent events --text
expect "rec: record switches recording on" '"exits":0,"lost":0,"recording":true' \
    hdevent record -o /tmp/rec-start.scenario
for core in 0 1; do
    hdevent selftest-vmcall core=$core pid=5 rdx=1000 r8=$HDBG >/dev/null
    hdevent selftest-vmcall core=$core pid=5 rdx=2000 r8=$HDBG >/dev/null
    hdevent selftest-vmcall core=$core pid=490 rax=7 >/dev/null
    hdevent selftest-vmcall core=$core pid=999 rax=20 rdx=1000 r8=$HDBG >/dev/null
    hdevent selftest-vmcall core=$core pid=996 rcx=55 >/dev/null
done
expect "rec: record --stop takes the 10 exits" '"exits":10,"lost":0,"recording":false' \
    hdevent record --stop -o /tmp/rec.scenario
expect "rec: the scenario has the disabled event's command and events d" 'events d 0n3' cat /tmp/rec.scenario
expect "rec: the script's exit" 'short_circuit=false rax=0xfffffffffffffc18 rcx=0x0 rdx=0x1000 rbx=0x20 ' cat /tmp/rec.scenario
refuse "rec: nothing recorded once stopped" '^vmcall' sh -c \
    "hdevent selftest-vmcall core=0 pid=5 >/dev/null; hdevent record --stop"
# --follow takes exits until SIGTERM (once its first batch is in the file, its handler is set);
# recording stays on; --timeout ends it, --stop switches recording off.
expect "rec: on again" '"recording":true' hdevent record -o /dev/null
hdevent record --follow -o /tmp/follow.scenario >/tmp/follow.out 2>&1 &
follower=$!
while [ ! -s /tmp/follow.scenario ]; do :; done
hdevent selftest-vmcall core=0 pid=5 rdx=1000 r8=$HDBG >/dev/null
hdevent selftest-vmcall core=1 pid=5 rdx=1000 r8=$HDBG >/dev/null
# an event added while --follow runs: its command is written before the first exit it fired
expect "rec: add during --follow" '"type":"added"' hdevent add '!vmcall pid 4244 code {90}'
hdevent selftest-vmcall core=1 pid=4244 >/dev/null
while ! grep -q '^expect fired=\[4\] ' /tmp/follow.scenario; do :; done
kill -TERM "$follower"
wait "$follower"
expect "rec: --follow took the three exits, until SIGTERM" '"exits":3,"lost":0,"recording":true' cat /tmp/follow.out
same "rec: --follow wrote them" "$(grep -c '^expect fired=\[0\] ' /tmp/follow.scenario)" 2
same "rec: the added event's command, then its exit as event 4" \
    "$(grep -A2 '^!vmcall pid 4244 code {90}$' /tmp/follow.scenario | sed -n '3s/ short_circuit.*//p')" \
    'expect fired=[4]'
refuse "rec: no exit names an event without its command" 'without command text' cat /tmp/follow.scenario
expect "rec: --follow --timeout --stop ends by itself, recording off" '"exits":0,"lost":0,"recording":false' \
    hdevent record --follow --timeout 0n100 --stop -o /dev/null
expect "rec: --timeout without --follow: usage" "hdevent record: --timeout goes with --follow" hdevent record --timeout 5
status "rec: bad option: exit 2" 2 hdevent record --bogus
echo "HDEVENT-RECORDING-BEGIN"
cat /tmp/rec.scenario
echo "HDEVENT-RECORDING-END"
hdevent read >/dev/null
expect "events c all (recorder)" '"change":"clear","all":true' hdevent events c all

# ---- docs/host-backend.md's workflow: the plugin's script twin on the machine, recorded; run.sh
# checks the recording is examples/plugin_replay/recorded.scenario, which the plugin's cmocka
# test (ctest example.plugin_replay) replays against the C plugin.
expect "plugin: add its script twin" '"type":"added"' \
    hdevent add '!vmcall pid 490 script { if (@rcx == 7001) { @rax = 0n42; event_sc(1); } }'
expect "plugin: recording on" '"recording":true' hdevent record -o /dev/null
hdevent selftest-vmcall core=1 pid=490 rcx=7001 >/dev/null
hdevent selftest-vmcall core=0 pid=490 rcx=10 rdx=3 >/dev/null
hdevent selftest-vmcall core=0 pid=491 rcx=7001 >/dev/null
hdevent selftest-vmcall core=0 pid=490 rcx=7001 rax=5 r9=99 >/dev/null
expect "plugin: 4 exits recorded" '"exits":4,' hdevent record --stop -o /tmp/plugin.scenario
echo "HDEVENT-PLUGIN-RECORDING-BEGIN"
cat /tmp/plugin.scenario
echo "HDEVENT-PLUGIN-RECORDING-END"
expect "events c all (plugin)" '"change":"clear","all":true' hdevent events c all

# ---- raw code is called on the ABI's stack alignment (rsp = 0 mod 16 at the call), whatever
# alignment the kernel's ioctl path had: code {lea rax, [rsp+8]; and rax, 15;
# mov [rdx+0x78], rax} puts the caller's rsp & 15 in r15.
expect "add rsp probe" '"type":"added"' hdevent add '!vmcall pid 555 code {48 8D 44 24 08 48 83 E0 0F 48 89 42 78}'
for core in 0 1; do
    expect "core $core: raw code called with rsp & 15 = 0" '"r15":"0x0"' \
        hdevent selftest-vmcall core=$core pid=555 r15=ffff
done
expect "events c all (rsp probe)" '"change":"clear","all":true' hdevent events c all

# ---- the device build of the tool as a Unix tool: --version, stdin and -f, usage errors ------
expect "--version: the device build" "Zydis: not built in" hdevent --version
status "events --bogus: exit 2" 2 hdevent events --bogus
expect "events --bogus: named" "hdevent events: unknown option '--bogus'" hdevent events --bogus
expect "add --help: stdout, its usage" "usage: hdevent add " hdevent add --help
status "read --timeout without --follow: exit 2" 2 hdevent read --timeout 5
echo '!vmcall pid 556' >/tmp/cmd.txt
expect "add -f FILE" '"type":"added"' hdevent add -f /tmp/cmd.txt
expect "add - (stdin)" '"type":"added"' sh -c 'echo "!vmcall pid 557" | hdevent add -'
expect "both listed" '"pid":"0x557"' hdevent events
expect "events c all (stdin)" '"change":"clear","all":true' hdevent events c all

# ---- somebody else's hypervisor module: hdevent.ko's exported exit entries (hdcaller.c) -----
status "hdcaller: nothing armed" 0 insmod /hdcaller.ko armed=0
expect "hdcaller: its checks, nothing armed" "hdcaller: armed=0: 10 checks passed, 0 failed" dmesg
status "rmmod hdevent refused while hdcaller uses it" 1 rmmod hdevent
status "rmmod hdcaller" 0 rmmod hdcaller
expect "hdcaller: add core 1 pid 4241 sc on" '"type":"added"' \
    hdevent add '!vmcall core 1 pid 4241 sc on code {48 C7 42 78 2A 00 00 00}'
expect "hdcaller: add pid 4242 stage post" '"type":"added"' \
    hdevent add '!vmcall pid 4242 stage post code {48 C7 42 70 07 00 00 00}'
expect "hdcaller: recording on" '"recording":true' hdevent record -o /dev/null
status "hdcaller: two events armed" 0 insmod /hdcaller.ko armed=1
expect "hdcaller: its checks, two events" "hdcaller: armed=1: 16 checks passed, 0 failed" dmesg
status "rmmod hdcaller (armed)" 0 rmmod hdcaller
# its exits are of the two-call form: each record closed by the post pass or by
# hd_kmod_vmcall_end(), so none lacks its registers after (c-api.md, "Flight recorder")
expect "hdcaller: two exits a CPU recorded" '"exits":4,"lost":0,"recording":false' \
    hdevent record --stop -o /tmp/hdcaller.scenario
refuse "hdcaller: every record has its registers after" 'after=unknown' cat /tmp/hdcaller.scenario
expect "hdcaller: core 1's short-circuit, r15 = 42 after (closed by _end)" \
    'expect fired=\[0\] short_circuit=true rax=0x0 .* r15=0x2a$' cat /tmp/hdcaller.scenario
expect "hdcaller: the post pass's r14 = 7 after (closed by the post pass)" \
    'expect fired=\[1\] short_circuit=false rax=0x0 .* r14=0x7 r15=0x5a5a5a5a$' \
    cat /tmp/hdcaller.scenario
expect "events c all (hdcaller)" '"change":"clear","all":true' hdevent events c all

# ---- unload ----------------------------------------------------------------------------------
status "rmmod" 0 rmmod hdevent

# ---- the engine's budget as module parameters -------------------------------------------------
status "insmod max_events=2" 0 insmod /hdevent.ko vmx=off max_events=2
expect "max_events parameter readable" "^2$" cat /sys/module/hdevent/parameters/max_events
expect "budget: first event" '"type":"added"' hdevent add '!vmcall pid 1'
expect "budget: second event" '"type":"added"' hdevent add '!vmcall pid 2'
expect "budget: third refused" '"error":"HD_WIRE_ERR_BUDGET_EXCEEDED","code":"0xc000101e"' \
    hdevent add '!vmcall pid 3'
out=$(hdevent events)
same "budget: the refusal changed nothing" "$(echo "$out" | grep -c '"type":"listed"')" 2
status "rmmod (budget)" 0 rmmod hdevent
status "insmod message_slots past its limit refused (EINVAL)" 22 \
    insmod /hdevent.ko vmx=off message_slots=100000
expect "dmesg: a parameter past its limit" "a module parameter is past its limit (max_events at most 16777216, message_slots 65536" dmesg

# ---- nr_reg: where `!vmcall nr` events read the hypercall number (rcx unless told) ---------------
status "insmod nr_reg=rip refused (EINVAL)" 22 insmod /hdevent.ko vmx=off nr_reg=rip
expect "dmesg: nr_reg=rip refused" "hdevent: nr_reg=rip refused: give a register" dmesg
status "insmod nr_reg=RAX refused: lower case only (EINVAL)" 22 \
    insmod /hdevent.ko vmx=off nr_reg=RAX
expect "dmesg: nr_reg=RAX refused" "hdevent: nr_reg=RAX refused: give a register" dmesg
status "insmod nr_reg=rax" 0 insmod /hdevent.ko vmx=off nr_reg=rax
expect "nr_reg parameter readable" "^rax$" cat /sys/module/hdevent/parameters/nr_reg
expect "nr_reg=rax: add nr 42" '"type":"added"' \
    hdevent add '!vmcall nr 42 code {48 C7 42 78 07 00 00 00}'
expect "nr_reg=rax: rax = 0x42 fires it (r15 = 7)" '"fired_pre":1,.*"r15":"0x7"' \
    hdevent selftest-vmcall core=0 rax=42 rcx=1
expect "nr_reg=rax: rcx = 0x42 does not" '"fired_pre":0,' \
    hdevent selftest-vmcall core=0 rax=1 rcx=42
expect "nr_reg=rax: a recording's replay line names the register" \
    '^# recorded by hdevent record: replay with hdevent run --cores 0n2 --nr-reg rax FILE$' \
    hdevent record --stop
status "rmmod (nr_reg)" 0 rmmod hdevent

# ---- docs/backends/linux.md: every "$ hdevent" example, in order, on a fresh module ------------
# run.sh turned the page's sh blocks into /doc-examples.txt: "CMD <command>", "OUT <line>".
doc_check() {
    [ -n "$cmd" ] || return 0
    got=$(sh -c "$cmd" 2>&1)
    if [ "$got" = "$expected" ]; then ok "doc: $cmd"; else
        bad "doc: $cmd
--- expected
$expected
--- got
$got"; fi
}
status "insmod vmx=off for the doc examples" 0 insmod /hdevent.ko vmx=off
cmd="" expected="" ndoc=0
while IFS= read -r line; do
    case "$line" in
        "CMD "*) doc_check; cmd=${line#CMD }; expected=""; ndoc=$((ndoc + 1)) ;;
        "OUT "*) if [ -z "$expected" ]; then expected=${line#OUT }; else
                     expected="$expected
${line#OUT }"; fi ;;
    esac
done </doc-examples.txt
doc_check
[ "$ndoc" -ge 10 ] && ok "doc examples: $ndoc run" || bad "doc examples: only $ndoc found"
status "rmmod after the doc examples" 0 rmmod hdevent
expect "dmesg: unloaded, no raw code left" "hdevent: unloaded: every event cleared; executable arena: 0 bytes still in use" dmesg
refuse "no WARNING/BUG/Oops in dmesg" "WARNING\|BUG\|Oops\|Call Trace\|general protection" dmesg
echo "---- dmesg (hdevent lines) ----"
dmesg | grep -i hdevent
checks_done
