#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs inside the Bochs guest (Debian's kernel, busybox, 2 CPUs with software VMX), as root,
# with /hdevent.ko, /hdevent_vmcall_probe.ko (a VMCALL from ring 0 on every CPU), /bin/hdevent
# (the CLI, static) and /bin/vmcall_user (a VMCALL from ring 3). hdevent.ko is loaded with
# vmx=on: every VMCALL below is a real exit 18 handled in VMX root by backends/vmx and the
# core, except the self-test's. The checks are tests/e2e/lib/checks.sh's.
#
# Under Bochs every process costs: results are read into shell variables once and matched
# with `has` (a case pattern), not piped through grep. Never sleep or wait on a timer: with
# 2 CPUs Bochs does not skip idle time (a `sleep 3` costs minutes); waiting on the other CPU
# (a FIFO, wait) is fine.
#
# Expected counts are kept as we go: n0/n1 = real VMCALL exits on CPU 0/1, e0 = hits of event
# 0 (the doc condition and code: all pids, all cores, so every exit while it is enabled
# evaluates it; hits count evaluations, docs/c-api.md). The kernel's numbers must match them
# exactly: no VMCALL comes from anywhere else in this guest.

. /checks.sh
HDBG=0x47424448 HDB2=0x32424448 ENOSYS=0xfffffffffffffc18
MAGIC="r10=48564653 r11=564D43414C4C r12=4E4F485950455256" # HyperDbg's hypercall magic
MAGIC_OUT='"r10":"0x48564653","r11":"0x564d43414c4c","r12":"0x4e4f485950455256"'
VMXOFF=4844564D584F4646                                     # HD_VMX_HYPERCALL_VMXOFF in rcx
STATS=/sys/kernel/debug/hdevent/vmx
DOC_CODE='48 8B 5A 40 48 81 FB 48 44 42 47 74 02 EB 08 48 C7 42 40 48 44 42 32 C3'
DOC_COND='48 8B 59 10 48 81 FB 00 10 00 00 74 05 48 31 C0 EB 07 48 C7 C0 01 00 00 00 C3'
# Every settable register gets a value of its own, so that "nothing else changed" is checked
# on all of them: rcx, rbx, rsi, rdi, r9..r15 (rbp is vmcall_user's, rsp the stack's).
FILL="rcx=c1 rbx=b1 rsi=51 rdi=d1 r9=91 r10=a1 r11=b11 r12=c12 r13=131 r14=141 r15=151"
e0=0 e0_on=0 n0=0 n1=0

# The registers vmcall_user prints after a VMCALL made with FILL: RAX RDX R8 given.
regs() {
    echo "\"regs\":{\"rax\":\"$1\",\"rcx\":\"0xc1\",\"rdx\":\"$2\",\"rbx\":\"0xb1\",\"rsp\":\"0x0\",\"rbp\":\"0x0\",\"rsi\":\"0x51\",\"rdi\":\"0xd1\",\"r8\":\"$3\",\"r9\":\"0x91\",\"r10\":\"0xa1\",\"r11\":\"0xb11\",\"r12\":\"0xc12\",\"r13\":\"0x131\",\"r14\":\"0x141\",\"r15\":\"0x151\"}"
}
counted() { # CPU: one more real VMCALL exit on CPU (or "selftest": a synthetic one)
    case $1 in 0) n0=$((n0 + 1)) ;; 1) n1=$((n1 + 1)) ;; esac
    [ "$e0_on" = 0 ] || e0=$((e0 + 1))
}
# vmcall CPU ARGS...: one VMCALL from ring 3 on CPU, counted; its line in $out, its pid and
# the VMCALL's address in $pid and $at. (Not in $(...): the counts would stay in the subshell.)
vmcall() {
    counted "$1"
    vmcall_user --cpu "$@" >/tmp/vmcall.out 2>&1
    read -r out </tmp/vmcall.out
    pid_at
}
pid_at() { # $pid and $at of the vmcall_user line in $out
    pid=${out#*\"pid\":}
    pid=${pid%%,*}
    at=${out#*\"at\":\"}
    at=${at%%\"*}
}
# stats: the debugfs file into variables, per CPU N: vmcalls_N cpl0_N cpl3_N own_N sc_N
# post_N break_N fired_N, and last_N (the last exit's record: pid, cpl, rip, flags, fired). Shell
# variables are global: the helpers use _-prefixed names, never a caller's $c or $out.
stats() {
    while read -r _line; do
        set -- $_line
        _cpu=${2%:}
        case $3 in
            vmcalls) eval "vmcalls_$_cpu=$4 cpl0_$_cpu=$6 cpl3_$_cpu=$8 own_$_cpu=${10} sc_$_cpu=${12} post_$_cpu=${14} break_$_cpu=${16} fired_$_cpu=${18}" ;;
            last) eval "last_$_cpu=\"$5 $6 $7 $8 $9 ${10} ${11} ${12} ${13} ${14}\"" ;;
        esac
    done <$STATS
}
# hits: `hdevent events --text` into hits_ID variables (the word after "hits", before the
# ": command text").
hits() {
    unset hits_0 hits_1 hits_2 hits_3 hits_4
    hdevent events --text >/tmp/events.txt
    while read -r _line; do
        set -f
        set -- $_line
        set +f
        _id=$1
        while [ $# -gt 1 ] && [ "$1" != hits ]; do shift; done
        eval "hits_$_id=\${2%:}"
    done </tmp/events.txt
}
counts_match() { # WHEN: the kernel's counts of VMCALL exits equal ours
    stats
    same "$1: CPU 0 took $n0 VMCALL exits" "$vmcalls_0" "$n0"
    same "$1: CPU 1 took $n1 VMCALL exits" "$vmcalls_1" "$n1"
}

cpuinfo=$(cat /proc/cpuinfo)
echo "guest: $(uname -r), ${cpuinfo#*model name*: }" | head -1
has "2 CPUs online, both with vmx" "*processor*: 0*flags*vmx*processor*: 1*flags*vmx*" "$cpuinfo"

# ---- load: every CPU virtualized -----------------------------------------------------------
status "insmod vmx=on" 0 insmod /hdevent.ko vmx=on
dm=$(dmesg)
has "dmesg: 2 CPUs virtualized, loaded with vmx=on" \
    "*hdevent: vmx=on: 2 CPUs virtualized*hdevent: loaded, vmx=on*" "$dm"
stats
same "debugfs: both CPUs virtualized, no VMCALL yet" "$vmcalls_0 $vmcalls_1" "0 0"

# ---- a real VMCALL with no event: the default handling only ----------------------------------
for c in 0 1; do
    vmcall $c $FILL rax=7 rdx=1000 r8=47424448
    has "ring 3, CPU $c, no event: ran there; rax -1000, every other register kept" \
        "*\"cpu\":$c,*$(regs $ENOSYS 0x1000 $HDBG)*" "$out"
    stats
    eval "last=\$last_$c"
    same "ring 3, CPU $c: exit record: pid, CPL 3, the VMCALL's RIP, nothing fired" "$last" \
        "pid $pid cpl 3 rip $at flags 0x0 fired 0"
done
# The same from a 32-bit code segment (compatibility mode, as a 32-bit process): the exit
# handler advances EIP as a 32-bit address (CS.L = 0) and resumes right after the VMCALL.
for c in 0 1; do
    vmcall $c --compat rax=7 rcx=c1 rdx=1000 rbx=b1 rsi=51 rdi=d1
    has "ring 3, 32-bit code, CPU $c: resumed after the VMCALL; eax -1000, the rest kept" \
        '*"eax":"0xfffffc18","ecx":"0xc1","edx":"0x1000","ebx":"0xb1","esi":"0x51","edi":"0xd1","resumed":true}' "$out"
    stats
    eval "last=\$last_$c"
    same "ring 3, 32-bit code, CPU $c: exit record: pid, CPL 3, the VMCALL's 32-bit RIP" \
        "$last" "pid $pid cpl 3 rip $at flags 0x0 fired 0"
done
counts_match "no event"

# ---- HyperDbg's doc condition and code, all pids, all cores ---------------------------------------
expect "add doc condition + code" '"type":"added","id":0,"tag":"0x1000000","actions":1' \
    hdevent add "!vmcall code {$DOC_CODE} condition {$DOC_COND}"
e0_on=1
# The flight recorder takes these four real exits; run.sh replays them on the host.
hdevent record -o /dev/null >/tmp/rec.out
read -r out </tmp/rec.out
has "hdevent record switches recording on" '*"exits":0,*"recording":true}' "$out"
for c in 0 1; do
    vmcall $c $FILL rdx=1000 r8=47424448
    has "ring 3, CPU $c: the doc code ran in VMX root (r8 HDBG -> HDB2, rax -1000)" \
        "*$(regs $ENOSYS 0x1000 $HDB2)*" "$out"
    stats
    eval "last=\$last_$c"
    same "ring 3, CPU $c: exit record: CPL 3, one event fired" "$last" \
        "pid $pid cpl 3 rip $at flags 0x0 fired 1"
    vmcall $c $FILL rdx=2000 r8=47424448
    has "ring 3, CPU $c: condition false (rdx 0x2000): r8 kept" \
        "*$(regs $ENOSYS 0x2000 $HDBG)*" "$out"
done
hdevent record --stop -o /tmp/rec.scenario >/tmp/rec.out
read -r out </tmp/rec.out
has "hdevent record --stop took the 4 real exits" '*"exits":4,"lost":0,"recording":false}' "$out"
echo "HDEVENT-RECORDING-BEGIN"
cat /tmp/rec.scenario
echo "HDEVENT-RECORDING-END"
hits
same "event 0 hits: 4 evaluations" "$hits_0" $e0
stats
same "CPU 0: 1 event fired, 3 VMCALLs from CPL 3" "$fired_0 $cpl3_0" "1 $n0"
counts_match "doc event"

# ---- ring 0: hdevent_vmcall_probe.ko, a VMCALL in an IPI on each CPU --------------------------
status "ring 0: probe loaded (VMCALL on both CPUs)" 0 \
    insmod /hdevent_vmcall_probe.ko rdx=0x1000 r8=$HDBG r13=0x1
counted 0
counted 1
rmmod hdevent_vmcall_probe
# The same VMCALL with HyperDbg's magic in r10-r12, from CPL 0: the hypervisor's own
# hypercall. Hooks see it (the event fires) but their changes are discarded, and the
# default handling answers it (rax 0).
status "ring 0 + magic: probe loaded" 0 insmod /hdevent_vmcall_probe.ko rdx=0x1000 r8=$HDBG \
    r10=0x48564653 r11=0x564D43414C4C r12=0x4E4F485950455256 r13=0x2
counted 0
counted 1
stats
rmmod hdevent_vmcall_probe
dm=$(dmesg)
for c in 0 1; do
    has "ring 0, CPU $c: doc code ran, default handling (rax -1000)" \
        "*hdevent_vmcall_probe: cpu $c: rax=$ENOSYS rcx=0x0 rdx=0x1000 rbx=0x0 rsi=0x0 rdi=0x0 r8=$HDB2 r9=0x0 r10=0x0 r11=0x0 r12=0x0 r13=0x1 *" "$dm"
    has "ring 0 + magic, CPU $c: own hypercall: rax 0, r8 kept (hook's change discarded)" \
        "*hdevent_vmcall_probe: cpu $c: rax=0x0 rcx=0x0 rdx=0x1000 rbx=0x0 rsi=0x0 rdi=0x0 r8=$HDBG r9=0x0 r10=0x48564653 r11=0x564d43414c4c r12=0x4e4f485950455256 r13=0x2 *" "$dm"
    eval "last=\$last_$c own=\$own_$c cpl0=\$cpl0_$c"
    has "ring 0 + magic, CPU $c: exit record: CPL 0, a kernel RIP, protected, fired" \
        "pid * cpl 0 rip 0xffffffff* flags 0x8 fired 1" "$last"
    same "CPU $c: 2 VMCALLs from CPL 0, 1 of them the hypervisor's own" "$cpl0 $own" "2 1"
done

# ---- the magic from ring 3 is not the hypervisor's (CPL check) --------------------------------
for c in 0 1; do
    vmcall $c rdx=1000 r8=47424448 $MAGIC
    has "ring 3 + magic, CPU $c: not protected: the hook's r8 kept, rax -1000" \
        "*\"rax\":\"$ENOSYS\",*\"r8\":\"$HDB2\",\"r9\":\"0x0\",$MAGIC_OUT*" "$out"
    # rcx = HD_VMX_HYPERCALL_VMXOFF with the magic: from ring 3 it must not end VMX operation.
    vmcall $c rcx=$VMXOFF rax=7 $MAGIC
    has "ring 3 VMXOFF hypercall, CPU $c: answered like any VMCALL (rax -1000)" \
        "*\"rax\":\"$ENOSYS\",\"rcx\":\"0x4844564d584f4646\"*" "$out"
    vmcall $c rax=7
    has "CPU $c still virtualized after it (VMCALL exits, no #UD)" "*\"rax\":\"$ENOSYS\"*" "$out"
done
stats
same "still one own hypercall per CPU" "$own_0 $own_1" "1 1"
refuse "dmesg: no CPU devirtualized by ring 3" "devirtualized" dmesg
counts_match "magic"

# ---- the self-test path still works under vmx=on ----------------------------------------------
for c in 0 1; do
    out=$(hdevent selftest-vmcall core=$c pid=490 rdx=1000 r8=47424448)
    counted selftest
    has "self-test, CPU $c: doc code ran" '*"fired_pre":1,*"r8":"0x32424448"*' "$out"
done

# ---- a pid-filtered break with sc on (no code: HyperDbg's default action is a break) ----------
# sh -c registers the event for its own pid, then execs vmcall_user under that pid.
out=$(sh -c "hdevent add \"!vmcall pid 0n\$\$ core 1 sc on\" >/tmp/add1 && exec vmcall_user --cpu 1 $FILL rax=7 rdx=1000 r8=47424448")
counted 1
pid_at
read -r add </tmp/add1
has "add pid-filtered sc on" '*"id":1,*' "$add"
has "sc on, its pid: rax untouched (7), RIP advanced, the doc code still ran" \
    "*$(regs 0x7 0x1000 $HDB2)*" "$out"
stats
same "sc on: exit record: short-circuit + break, both events fired" "$last_1" \
    "pid $pid cpl 3 rip $at flags 0x5 fired 2"
vmcall 1 rax=7
has "sc on, another pid: not short-circuited (rax -1000)" "*\"rax\":\"$ENOSYS\"*" "$out"
stats
same "CPU 1: one short-circuit, one break" "$sc_1 $break_1" "1 1"
hits
same "event 1 hits: its pid only" "$hits_1" 1

# ---- a post-stage event: it runs after the default handling (r9 = rax then) ------------------
out=$(sh -c "hdevent add \"!vmcall pid 0n\$\$ stage post code {48 8B 02 48 89 42 48}\" >/tmp/add2 && exec vmcall_user --cpu 0 $FILL rax=7")
counted 0
pid_at
read -r add </tmp/add2
has "add post-stage event" '*"id":2,*' "$add"
has "post stage: r9 = rax after the default handling (-1000)" \
    "*\"rax\":\"$ENOSYS\",*\"r9\":\"$ENOSYS\"*" "$out"
stats
same "post stage: exit record: post pass, one event" "$last_0" \
    "pid $pid cpl 3 rip $at flags 0x2 fired 1"

# ---- messages: custom code returns its buffer ("hi!") when rsi = 0x777 ------------------------
expect "add message event" '"id":3,' hdevent add \
    '!vmcall buffer 10 code {C7 01 68 69 21 00 48 89 C8} condition {48 31 C0 48 81 79 30 77 07 00 00 0F 94 C0}'
vmcall 0 rsi=777
vmcall 1 rsi=777
out=$(hdevent read)
for c in 0 1; do
    has "message from CPU $c read back" \
        "*\"event\":3,\"tag\":\"0x1000003\",\"core\":\"0x$c\",\"text\":\"hi!\",\"size\":16*" "$out"
done
expect "queue drained" "no messages" hdevent read --text
hits
same "hits of events 0 to 3" "$hits_0 $hits_1 $hits_2 $hits_3" "$e0 1 1 2"
# Events fired so far (the VMCALLs above that ran a hook): CPU 0: the doc code from ring 3,
# ring 0, ring 0 with the magic (hooks see own hypercalls) and ring 3 with the magic, the
# post-stage event, the message = 6; CPU 1: the same four, the sc on call (events 0 and 1),
# the message = 7.
stats
same "events fired on CPU 0 / CPU 1" "$fired_0 $fired_1" "6 7"
counts_match "events 0-3"

# ---- events d / e ------------------------------------------------------------------------------
expect "events d 0" '"change":"disable","id":0' hdevent events d 0
e0_on=0
vmcall 1 $FILL rdx=1000 r8=47424448
has "disabled: r8 kept" "*$(regs $ENOSYS 0x1000 $HDBG)*" "$out"
hits
same "disabled: hits unchanged" "$hits_0" $e0
expect "events e 0" "enabled event 0" hdevent events --text e 0
e0_on=1
vmcall 1 $FILL rdx=1000 r8=47424448
has "enabled again: r8 changed" "*$(regs $ENOSYS 0x1000 $HDB2)*" "$out"
hits
same "enabled: hits counted" "$hits_0" $e0

# ---- clear event 0 while CPU 1 loops on VMCALLs that run it ---------------------------------------
# The loop's own counter event (pid-filtered, code {90}) stays; vmcall_user signals through the
# FIFO after 300 VMCALLs, CPU 0 clears event 0, the loop stops after 1000 in a row came back
# unfired. Nothing may run event 0 after the clear returned ("late"), every VMCALL must come
# back with one of the two expected r8 values ("other"), and the counter's hits must equal the
# loop's VMCALLs.
mkfifo /tmp/started
sh -c "hdevent add \"!vmcall pid 0n\$\$ core 1 code {90}\" >/tmp/add4 && exec vmcall_user --cpu 1 --count 1000000 --signal-after 300 --stop-after-unfired 1000 rdx=1000 r8=47424448 3>/tmp/started" >/tmp/loop.out 2>&1 &
loop=$!
read -r line </tmp/started
out=$(taskset 1 hdevent events c 0)
wait $loop
e0_on=0
has "clear during the loop" '*"change":"clear","id":0*' "$out"
has "loop signalled" "started" "$line"
read -r add </tmp/add4
has "add loop counter" '*"id":4,*' "$add"
read -r loop_out </tmp/loop.out
echo "loop: $loop_out"
count=${loop_out#*\"count\":}
count=${count%%,*}
fired=${loop_out#*\"fired\":}
fired=${fired%%,*}
has "loop: nothing ran after the clear, no odd result" '*"late":0,"first_unfired":*,"other":0}' "$loop_out"
has "loop: stopped on 1000 unfired in a row, not at the bound" '*"unfired":1000,*' "$loop_out"
[ "${fired:-0}" -ge 300 ] 2>/dev/null && ok "loop: event 0 ran at least until the signal ($fired)" ||
    bad "loop: event 0 ran only ${fired:-?} times"
n1=$((n1 + ${count:-0}))
hits
same "loop counter hits = the loop's VMCALLs" "$hits_4" "$count"
same "event 0 is gone" "${hits_0+listed}" ""
counts_match "after the loop"
expect "events c all" '"change":"clear","all":true' hdevent events c all
expect "nothing left" "no events" hdevent events --text

# ---- a script in VMX root: compiled by the CLI, verified and run by the module ---------------
# On rsi = 0x5c it prints the CPU and rbx and short-circuits (rax kept); else it does nothing.
expect "add script" '"type":"added"' hdevent add \
    '!vmcall script { if (@rsi == 5c) { printf("cpu %llx rbx %llx\n", $core, @rbx); event_sc(1); } }'
vmcall 0 rsi=5c rbx=77 rax=7
has "script on CPU 0: short-circuited, rax kept" '*"rax":"0x7"*' "$out"
vmcall 1 rsi=5c rbx=78 rax=7
has "script on CPU 1: short-circuited, rax kept" '*"rax":"0x7"*' "$out"
vmcall 1 rsi=5d rax=7
has "script, rsi 0x5d: default handling" "*\"rax\":\"$ENOSYS\"*" "$out"
out=$(hdevent read)
has "script printf on CPU 0" '*"core":"0x0","text":"cpu 0 rbx 77\\n"*' "$out"
has "script printf on CPU 1" '*"core":"0x1","text":"cpu 1 rbx 78\\n"*' "$out"
expect "events c all (script)" '"change":"clear","all":true' hdevent events c all

# ---- raw code in VMX root is called on the ABI's stack alignment (rsp = 0 mod 16 at the call),
# whatever the exit stub's: {lea rax, [rsp+8]; and rax, 15; mov [rdx+0x78], rax} -> r15.
expect "add rsp probe" '"type":"added"' hdevent add '!vmcall code {48 8D 44 24 08 48 83 E0 0F 48 89 42 78}'
for c in 0 1; do
    vmcall $c r15=ffff
    has "CPU $c: raw code called with rsp & 15 = 0" '*"r15":"0x0"*' "$out"
done
expect "events c all (rsp probe)" '"change":"clear","all":true' hdevent events c all
echo "---- $STATS ----"
cat $STATS

# ---- unload: every CPU devirtualized, nothing leaked, VMCALL is #UD again ---------------------
status "rmmod" 0 rmmod hdevent
dm=$(dmesg)
# Each count ends its line: "0" then the newline before the next line.
has "dmesg: every CPU devirtualized, no VMX page left" \
    "*hdevent: vmx=on: every CPU devirtualized; VMX pages still allocated: 0
*" "$dm"
has "dmesg: unloaded, no raw code left" \
    "*hdevent: unloaded: every event cleared; executable arena: 0 bytes still in use*" "$dm"
status "debugfs entry removed" 1 test -e /sys/kernel/debug/hdevent
for c in 0 1; do
    expect "after rmmod, CPU $c: VMCALL raises #UD" '"type":"ud","cpu":'$c',"at_vmcall":true' \
        vmcall_user --cpu $c --expect-ud
    expect "after rmmod, CPU $c: ioperm + OUT works (TR limit restored)" '"out":true' \
        vmcall_user --cpu $c --ioperm
done

# ---- a second load / unload cycle ----------------------------------------------------------------
status "insmod vmx=on again" 0 insmod /hdevent.ko vmx=on
for c in 0 1; do
    expect "second load, CPU $c: VMCALL exits again" "\"rax\":\"$ENOSYS\"" vmcall_user --cpu $c
done
status "rmmod again" 0 rmmod hdevent
expect "after the second rmmod: #UD" '"at_vmcall":true' vmcall_user --cpu 1 --expect-ud

# ---- dmesg: no warning of any kind (our own e2e lines excluded) -------------------------------
dm=$(dmesg | grep -v ' e2e: ')
has "two devirtualizations, no VMX page left either time" \
    "*VMX pages still allocated: 0
*VMX pages still allocated: 0
*" "$dm"
refuse "the VMX layer logged nothing (no injected #GP, no failed VMX instruction)" \
    "hdevent: CPU [0-9]*: vmx:" echo "$dm"
refuse "dmesg: no WARNING, BUG, Oops, lockdep report" \
    "WARNING\|BUG\|Oops\|Call Trace\|general protection\|circular locking\|lock state\|lockdep" \
    echo "$dm"
echo "---- dmesg (hdevent lines) ----"
echo "$dm" | grep -i hdevent
checks_done
