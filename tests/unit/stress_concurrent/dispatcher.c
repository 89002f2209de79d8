/* SPDX-License-Identifier: MIT */
/*
 * The dispatchers of test_stress_concurrent.c: one thread per simulated core, taking VMCALL
 * exits without pause — one in 64 the hypervisor's own hypercall (S14) — and checking what
 * each exit did: RIP advanced, the permanent event's action run exactly once, verdicts and
 * register write-back as the rules say.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <string.h>

#include "stress_concurrent.h"

const uint32_t PIDS[] = {0x10, 0x20, 0x490, 0x777};

void *dispatcher(void *arg)
{
    struct core_ctx *c = arg;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_exit exit;

    while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
        uint64_t r = xorshift(&c->rng);
        uint64_t perm_before = c->perm_actions;
        bool own = (r >> 40 & 63) == 0; /* one exit in 64 is the hypervisor's own hypercall */
        uint64_t rip;

        memset(&regs, 0, sizeof(regs));
        regs.rbx = r & 0xFFFF;
        regs.r13 = R13_MARK << 48 | (uint64_t)c->core << 32 | (c->exits & 0xFFFFFFFF);
        regs.r14 = 0x1414;
        regs.r15 = 0x1515;
        if (own) {
            regs.r10 = HD_HYPERDBG_MAGIC_R10;
            regs.r11 = HD_HYPERDBG_MAGIC_R11;
            regs.r12 = HD_HYPERDBG_MAGIC_R12;
        }
        hd_host_vcpu_init(&vcpu, &regs, c->core, PIDS[(r >> 20) & 3]);
        vcpu.backend_data = c;
        rip = vcpu.rip;

        /* Everything the writer finished before this load must be visible to this exit. */
        c->op_at_start = __atomic_load_n(&g_op, __ATOMIC_ACQUIRE);
        enum hd_status st = hd_host_vmcall(g_host, g_engine, &vcpu, &exit);
        c->exits++;

        if (st != HD_OK)
            hook_error(c, "hd_host_vmcall: %s", hd_status_name(st));
        if (vcpu.rip != rip + 3)
            hook_error(c, "rip not advanced");
        if (c->perm_actions != perm_before + 1)
            hook_error(c, "exit %llu ran the permanent action %llu times",
                       (unsigned long long)c->exits,
                       (unsigned long long)(c->perm_actions - perm_before));
        if (own) {
            c->protected_exits++;
            if (!(exit.pre.flags & HD_VERDICT_PROTECTED) ||
                (exit.pre.flags & HD_VERDICT_SHORT_CIRCUIT) || !exit.default_handled)
                hook_error(c, "own hypercall: verdict %#x", exit.pre.flags);
            if (regs.r14 != 0x1414 || regs.r15 != 0x1515 || regs.rax != 0)
                hook_error(c, "own hypercall: hooks' register changes were kept");
        } else {
            if (exit.pre.flags & HD_VERDICT_PROTECTED)
                hook_error(c, "ordinary VMCALL marked protected");
            if (regs.r15 != c->perm_actions)
                hook_error(c, "the permanent action's r15 write was lost");
        }
        if (exit.post_ran && (exit.pre.flags & HD_VERDICT_SHORT_CIRCUIT))
            hook_error(c, "post pass after a short-circuit");
        if ((c->exits & 255) == 0)
            sched_yield(); /* the writer shares two real cores with four dispatchers */
    }
    return NULL;
}
