/* SPDX-License-Identifier: MIT */
/*
 * The core alone, as a hypervisor with its own backend links it: a minimal hd_backend_ops
 * (malloc, one core, no exec memory), a native hook, and one VMCALL exit through
 * hd_dispatch_vmcall_exit() with this program's own default handling.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdevent/hdevent.h>
#include <hdevent/version.h>

static void *my_alloc(void *user, size_t size)
{
    (void)user;
    return aligned_alloc(16, (size + 15) & ~(size_t)15);
}

static void my_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

static uint32_t my_cores(void *user)
{
    (void)user;
    return 1;
}

/* rcx 0x7001 gets rax 42 and skips the hypervisor's handling. */
static void *answer(struct hd_hook *hook)
{
    if (hook->regs->rcx == 0x7001) {
        hook->regs->rax = 42;
        hook->short_circuit = true;
    }
    return NULL;
}

static void my_vmcall(void *user, struct hd_vcpu *vcpu)
{
    ++*(int *)user;
    vcpu->regs->rax = 7;
}

static int fail(const char *what, enum hd_status st)
{
    fprintf(stderr, "FAIL %s: %s\n", what, hd_status_name(st));
    return 1;
}

int main(void)
{
    struct hd_backend_ops ops;
    struct hd_engine *engine;
    struct hd_event_desc ev;
    struct hd_action_desc act;
    struct hd_guest_regs regs;
    struct hd_vcpu v;
    struct hd_exit x;
    enum hd_status st;
    int handled = 0;

    hd_backend_ops_init(&ops);
    ops.alloc = my_alloc;
    ops.free = my_free;
    ops.core_count = my_cores;
    if ((st = hd_engine_create(&ops, NULL, &engine)) != HD_OK)
        return fail("hd_engine_create", st);
    hd_event_desc_init(&ev);
    hd_action_desc_init(&act, HD_ACTION_NATIVE);
    act.fn = answer;
    ev.actions = &act;
    ev.action_count = 1;
    if ((st = hd_event_register(engine, &ev, NULL)) != HD_OK)
        return fail("hd_event_register", st);

    for (uint64_t call = 0x7000; call <= 0x7001; call++) {
        memset(&regs, 0, sizeof(regs));
        regs.rcx = call;
        memset(&v, 0, sizeof(v));
        v.regs = &regs;
        v.insn_len = 3;
        if ((st = hd_dispatch_vmcall_exit(engine, &v, NULL, my_vmcall, &handled, &x)) != HD_OK)
            return fail("hd_dispatch_vmcall_exit", st);
        printf("rcx=%#llx: rax=%llu fired=%u short_circuit=%d default_handled=%d\n",
               (unsigned long long)call, (unsigned long long)regs.rax, x.pre.fired,
               !!(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT), x.default_handled);
    }
    hd_engine_destroy(engine);
    printf("hdevent %s (package %s), core only\n", HD_VERSION_STRING, EXPECT_VERSION);
    /* 0x7000: handled by my_vmcall (rax 7); 0x7001: short-circuited by the hook (rax 42). */
    return handled == 1 && regs.rax == 42 && strcmp(HD_VERSION_STRING, EXPECT_VERSION) == 0 ? 0
                                                                                           : 1;
}
