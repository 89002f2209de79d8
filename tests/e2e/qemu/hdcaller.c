// SPDX-License-Identifier: MIT
/*
 * hdcaller.ko — somebody else's hypervisor module, as far as hdevent.ko can tell: it depends
 * on hdevent.ko's exports (backends/linux-kmod/hdevent_kmod.h) and takes synthetic VMCALL
 * exits through them the way an exit handler would: on every CPU, with interrupts off (an IPI
 * callback), the inline hd_vmcall_armed() test first.
 *
 * guest.sh loads it twice. `armed=0`: no event; every CPU must see armed false, and an exit
 * dispatched anyway must fire nothing and leave the registers alone. `armed=1`, with the two
 * events guest.sh added first:
 *   !vmcall core 1 pid 4241 sc on code {48 C7 42 78 2A 00 00 00}   r15 = 42, short-circuit
 *   !vmcall pid 4242 stage post code {48 C7 42 70 07 00 00 00}        r14 = 7, in the post pass
 * (HyperDbg's numbers are hex) an exit of pid 0x4241 must fire, short-circuit and get
 * r15 = 42 on CPU 1 only, and an exit of pid 0x4242 must ask for the post pass on every CPU,
 * whose event writes r14.
 *
 * Each check prints "hdcaller: ok - ..." or "hdcaller: FAIL - ..."; init fails (-EINVAL) when
 * one failed, so insmod's status says it; the last line is "hdcaller: armed=N: K checks
 * passed".
 */
#include <linux/cpumask.h>
#include <linux/module.h>
#include <linux/smp.h>

#include "hdevent_kmod.h"

static int armed;
module_param(armed, int, 0444);
MODULE_PARM_DESC(armed, "1 when guest.sh added its two events first");

#define HDCALLER_MAX_CPUS 8
#define HDCALLER_UNTOUCHED 0x5A5A5A5Aull

/* What one CPU saw; written by that CPU's callback, read by init after on_each_cpu. */
struct cpu_result {
    bool ran;
    bool armed_seen;
    enum hd_status pre_status, post_status, plain_status, end_status;
    struct hd_verdict pre, post, plain;
    uint64_t r15, r14, plain_r15;
};

static struct cpu_result results[HDCALLER_MAX_CPUS];
static struct hd_engine *hd;

static void one_exit(uint32_t pid, struct hd_guest_regs *regs, struct hd_verdict *verdict,
                     enum hd_status *status)
{
    struct hd_vcpu v = {.regs = regs,
                        .rip = 0x401000,
                        .insn_len = 3,
                        .core = smp_processor_id(),
                        .pid = pid,
                        .cpl = 0};

    memset(regs, 0, sizeof(*regs));
    regs->r15 = HDCALLER_UNTOUCHED;
    regs->r14 = HDCALLER_UNTOUCHED;
    *status = hd_kmod_vmcall(&v, verdict);
}

/* An IPI callback: interrupts off, on the CPU it names, as an exit handler runs. */
static void exits_on_this_cpu(void *unused)
{
    unsigned int cpu = smp_processor_id();
    struct cpu_result *r;
    struct hd_guest_regs regs;
    struct hd_vcpu post = {.regs = &regs, .rip = 0x401000, .insn_len = 3, .pid = 0x4242};
    struct hd_vcpu end = {.regs = &regs, .rip = 0x401000, .insn_len = 3, .pid = 0x4241};

    if (cpu >= HDCALLER_MAX_CPUS)
        return;
    r = &results[cpu];
    r->ran = true;
    r->armed_seen = hd_vmcall_armed(hd);

    one_exit(0x4241, &regs, &r->plain, &r->plain_status);
    r->plain_r15 = regs.r15;
    /* no post pass asked: end the exit, as linux.md's pattern does (a recorded exit gets its
     * registers after from here) */
    end.core = cpu;
    r->end_status = hd_kmod_vmcall_end(&end);

    one_exit(0x4242, &regs, &r->pre, &r->pre_status);
    r->post_status = HD_OK;
    if (r->pre_status == HD_OK && (r->pre.flags & HD_VERDICT_POST)) {
        post.core = cpu;
        r->post_status = hd_kmod_vmcall_post(&post, &r->post);
    }
    r->r15 = regs.r15;
    r->r14 = regs.r14;
}

static int passed, failed;

static void check(bool ok, unsigned int cpu, const char *what)
{
    if (ok)
        passed++;
    else
        failed++;
    pr_info("hdcaller: %s - cpu %u: %s\n", ok ? "ok" : "FAIL", cpu, what);
}

static int __init hdcaller_init(void)
{
    unsigned int cpu;

    hd = hd_kmod_engine_get();
    if (!hd) {
        pr_info("hdcaller: FAIL - hd_kmod_engine_get() returned NULL\n");
        return -EINVAL;
    }
    on_each_cpu(exits_on_this_cpu, NULL, 1);

    for_each_online_cpu(cpu) {
        const struct cpu_result *r = &results[cpu];
        bool one = cpu == 1;

        if (cpu >= HDCALLER_MAX_CPUS)
            break;
        check(r->ran, cpu, "the IPI callback ran");
        check(r->armed_seen == !!armed, cpu, armed ? "hd_vmcall_armed() true" :
                                                     "hd_vmcall_armed() false");
        check(r->plain_status == HD_OK && r->pre_status == HD_OK && r->post_status == HD_OK &&
                  r->end_status == HD_OK, cpu, "every entry returned HD_OK");
        if (!armed) {
            check(r->plain.fired == 0 && r->plain.flags == 0 && r->pre.fired == 0 &&
                      r->pre.flags == 0, cpu, "nothing fired, no verdict flag");
            check(r->plain_r15 == HDCALLER_UNTOUCHED && r->r15 == HDCALLER_UNTOUCHED &&
                      r->r14 == HDCALLER_UNTOUCHED, cpu, "registers untouched");
            continue;
        }
        check(r->plain.fired == (one ? 1 : 0), cpu,
              one ? "pid 0x4241: the core 1 event fired" : "pid 0x4241: nothing fired");
        check(!!(r->plain.flags & HD_VERDICT_SHORT_CIRCUIT) == one, cpu,
              one ? "pid 0x4241: short-circuited" : "pid 0x4241: not short-circuited");
        check(r->plain_r15 == (one ? 42 : HDCALLER_UNTOUCHED), cpu,
              one ? "pid 0x4241: raw code set r15 = 42" : "pid 0x4241: r15 untouched");
        check(!!(r->pre.flags & HD_VERDICT_POST), cpu, "pid 0x4242: the pre pass asks for post");
        check(r->post.fired == 1 && r->r14 == 7, cpu,
              "pid 0x4242: the post pass ran its event (r14 = 7)");
    }
    pr_info("hdcaller: armed=%d: %d checks passed, %d failed\n", armed, passed, failed);
    return failed || passed == 0 ? -EINVAL : 0;
}

static void __exit hdcaller_exit(void)
{
}

module_init(hdcaller_init);
module_exit(hdcaller_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hdevent e2e: a module calling hdevent.ko's exported exit entries");
