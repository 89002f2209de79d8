/* SPDX-License-Identifier: MIT */
/*
 * S14: the hypervisor's own hypercall (HyperDbg's magic in r10/r11/r12, from CPL 0): hooks run
 *      and see the real registers, every register change they make is discarded, short-circuit
 *      is refused, and the exit is marked protected (HD_VERDICT_PROTECTED, HD_VCPU_PROTECTED).
 *      The host's default handling answers it with rax = 0.
 * S15: a VMCALL from CPL != 0 is dispatched like any other: the same magic from CPL 3 is NOT
 *      the hypervisor's own, so hooks' changes stick and sc works.
 * A backend's is_own_hypercall predicate replaces the default one. hd_vmcall_own() decides
 * the same without a dispatch, inline or not.
 */
#include "helpers.h"

/* mov qword [rdx+0x40], 0x1234 ; ret  — the guest's r8 = 0x1234 */
static const uint8_t RAW_SET_R8[] = {0x48, 0xC7, 0x42, 0x40, 0x34, 0x12, 0x00, 0x00, 0xC3};

#define GUEST_RAX 0x77ull
#define GUEST_RCX 0x21ull /* a HyperDbg call number */
#define GUEST_RDX 0x1111ull
#define GUEST_R8 0x8888ull

static void guest_regs(struct hd_guest_regs *r)
{
    memset(r, 0, sizeof(*r));
    r->rax = GUEST_RAX;
    r->rcx = GUEST_RCX;
    r->rdx = GUEST_RDX;
    r->r8 = GUEST_R8;
    set_hyperdbg_magic(r);
}

static struct hd_exit magic_exit(struct fx *f, struct hd_vcpu *vcpu,
                                      struct hd_guest_regs *regs, uint8_t cpl)
{
    guest_regs(regs);
    hd_host_vcpu_init(vcpu, regs, 1, 0x490);
    vcpu->cpl = cpl;
    return run_vcpu(f, vcpu);
}

/* What a hook saw, and then it scribbles over every register. */
struct seen {
    struct hd_guest_regs regs;
    uint8_t vcpu_flags;
    void *backend_data;
    unsigned calls;
};

static void *record_and_scribble(struct hd_hook *h)
{
    struct seen *s = h->user;
    s->regs = *h->regs;
    s->vcpu_flags = h->vcpu->flags;
    s->backend_data = h->vcpu->backend_data;
    s->calls++;
    for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++)
        *hd_guest_reg(h->regs, i) = 0xBAD0000 + i;
    h->short_circuit = true;
    return NULL;
}

static void assert_guest_unchanged_but_rax(const struct hd_guest_regs *r, uint64_t rax)
{
    struct hd_guest_regs expect;
    guest_regs(&expect);
    expect.rax = rax;
    assert_memory_equal(r, &expect, sizeof(expect));
}

static void s14_hooks_see_the_real_registers_of_own_hypercall(void **state)
{
    struct fx *f = *state;
    struct seen s = {0};
    struct hd_guest_regs regs, expect;
    struct hd_vcpu vcpu;
    struct hd_action_desc a = act_native(record_and_scribble, &s);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    magic_exit(f, &vcpu, &regs, 0);
    guest_regs(&expect);
    assert_int_equal(s.calls, 1);
    assert_memory_equal(&s.regs, &expect, sizeof(expect));
    assert_true(s.vcpu_flags & HD_VCPU_PROTECTED);
}

/* Each event of an own hypercall starts from the guest's registers, not an earlier hook's edits. */
static void s14_every_event_sees_the_real_registers_not_earlier_edits(void **state)
{
    struct fx *f = *state;
    struct seen first = {0}, second = {0};
    struct hd_guest_regs regs, expect;
    struct hd_vcpu vcpu;
    struct hd_action_desc a1 = act_native(record_and_scribble, &first);
    struct hd_action_desc a2 = act_native(record_and_scribble, &second);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a1, 1);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a2, 1);

    magic_exit(f, &vcpu, &regs, 0);
    guest_regs(&expect);
    assert_int_equal(first.calls, 1);
    assert_int_equal(second.calls, 1);
    assert_memory_equal(&second.regs, &expect, sizeof(expect));
}

/* The post pass keeps the pre pass's verdict even when the backend rebuilds the vCPU record. */
static void s14_post_pass_stays_protected_when_the_backend_rebuilds_the_record(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_verdict pre, post;
    struct hd_action_desc a = act_code(RAW_SET_R8, sizeof(RAW_SET_R8), 0);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_POST, false, &a, 1);

    guest_regs(&regs);
    hd_host_vcpu_init(&vcpu, &regs, 1, 0x490);
    assert_int_equal(hd_dispatch_vmcall(f->engine, &vcpu, NULL, &pre), HD_OK);
    assert_true(pre.flags & HD_VERDICT_POST);
    vcpu.flags = 0; /* "backends pass 0 in" */
    assert_int_equal(hd_dispatch_vmcall_post(f->engine, &vcpu, NULL, &post), HD_OK);
    assert_int_equal(post.fired, 1);
    assert_true(post.flags & HD_VERDICT_PROTECTED);
    assert_int_equal(regs.r8, GUEST_R8);
}

static void s14_native_hook_register_writes_are_discarded(void **state)
{
    struct fx *f = *state;
    struct seen s = {0};
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_action_desc a = act_native(record_and_scribble, &s);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    struct hd_exit x = magic_exit(f, &vcpu, &regs, 0);
    assert_int_equal(s.calls, 1);
    assert_true(x.default_handled);
    assert_guest_unchanged_but_rax(&regs, 0); /* rax: the default handling's answer */
}

static void s14_raw_code_register_writes_are_discarded(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_action_desc acts[2] = {act_code(RAW_SET_R8, sizeof(RAW_SET_R8), 0), act_log(1)};
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_ALL, false, acts, 2);

    magic_exit(f, &vcpu, &regs, 0);
    assert_int_equal(regs.r8, GUEST_R8);
    assert_guest_unchanged_but_rax(&regs, 0);
    assert_int_equal(tlog_count(), 2); /* the code ran in both passes, followed by the log */
}

static void s14_raw_condition_register_writes_are_discarded(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    /* mov qword [rcx+0x40], 0x1234 ; mov eax, 1 ; ret  — condition writes r8, holds */
    static const uint8_t cond[] = {0x48, 0xC7, 0x41, 0x40, 0x34, 0x12, 0x00, 0x00,
                                   0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3};
    struct hd_action_desc a = act_log(1);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = cond;
    d.condition.code_size = sizeof(cond);
    reg_desc(f, &d);

    magic_exit(f, &vcpu, &regs, 0);
    assert_int_equal(tlog_count(), 1);
    assert_guest_unchanged_but_rax(&regs, 0);

    /* the same condition on a normal call does change r8 */
    guest_regs(&regs);
    regs.r12 = 0;
    hd_host_vcpu_init(&vcpu, &regs, 1, 0x490);
    run_vcpu(f, &vcpu);
    assert_int_equal(regs.r8, 0x1234);
}

static void s14_post_pass_writes_are_discarded_too(void **state)
{
    struct fx *f = *state;
    struct seen s = {0};
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_action_desc a = act_native(record_and_scribble, &s);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_POST, false, &a, 1);

    struct hd_exit x = magic_exit(f, &vcpu, &regs, 0);
    assert_true(x.post_ran);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.regs.rax, 0); /* the post hook saw the default handling's answer */
    assert_guest_unchanged_but_rax(&regs, 0);
    assert_true(x.post.flags & HD_VERDICT_PROTECTED);
}

static void s14_own_hypercall_gets_rax_0_from_default_handling(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_exit x = magic_exit(f, &vcpu, &regs, 0); /* no event at all */
    assert_true(x.default_handled);
    assert_int_equal(regs.rax, 0);
    assert_true(vcpu.flags & HD_VCPU_PROTECTED);
    assert_int_equal(x.pre.fired, 0);
    assert_int_equal(vcpu.rip, HD_HOST_VCPU_RIP + 3);
}

static void s14_short_circuit_is_refused(void **state)
{
    struct fx *f = *state;
    struct seen s = {0};
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_action_desc a = act_native(record_and_scribble, &s); /* sets hook->short_circuit */
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, NULL, 0);     /* sc on */
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    struct hd_exit x = magic_exit(f, &vcpu, &regs, 0);
    assert_int_equal(x.pre.fired, 2);
    assert_int_equal(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT, 0);
    assert_true(x.default_handled);
    assert_int_equal(regs.rax, 0);
}

static void s14_verdict_and_vcpu_are_marked_protected(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_ALL, 1);
    struct hd_exit x = magic_exit(f, &vcpu, &regs, 0);
    assert_true(x.pre.flags & HD_VERDICT_PROTECTED);
    assert_true(x.post.flags & HD_VERDICT_PROTECTED);
    assert_true(vcpu.flags & HD_VCPU_PROTECTED);
    assert_int_equal(tlog_count(), 2);
}

static void s14_break_on_own_hypercall_records_the_real_values(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_host_break b;
    struct hd_action_desc a = act_break();
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    magic_exit(f, &vcpu, &regs, 0);
    assert_int_equal(hd_host_break_count(f->host), 1);
    assert_true(hd_host_break_get(f->host, 0, &b));
    assert_int_equal(b.regs.r10, HD_HYPERDBG_MAGIC_R10);
    assert_int_equal(b.regs.rcx, GUEST_RCX);
}

/* Issue 13: through backend_data a hook could reach the backend's own state (the VMX layer's
 * real guest frame) and undo the protection; a protected pass hands hooks none. */
static void s14_protected_pass_hides_the_backends_data(void **state)
{
    struct fx *f = *state;
    struct seen s = {0};
    struct hd_action_desc a = act_native(record_and_scribble, &s);
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    int mine;

    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    guest_regs(&regs);
    hd_host_vcpu_init(&vcpu, &regs, 1, 0x490);
    vcpu.backend_data = &mine;
    run_vcpu(f, &vcpu);
    assert_int_equal(s.calls, 1);
    assert_true(s.vcpu_flags & HD_VCPU_PROTECTED);
    assert_null(s.backend_data);
    assert_ptr_equal(vcpu.backend_data, &mine); /* the backend's own record is untouched */
    /* An ordinary VMCALL: hooks get the backend's data. */
    regs.r10 = 0;
    run_vcpu(f, &vcpu);
    assert_int_equal(s.calls, 2);
    assert_ptr_equal(s.backend_data, &mine);
}

static void s15_magic_from_cpl3_is_not_protected(void **state)
{
    struct fx *f = *state;
    struct seen s = {0};
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_action_desc acts[2] = {act_code(RAW_SET_R8, sizeof(RAW_SET_R8), 0),
                                     act_native(record_and_scribble, &s)};
    /* Core 2: the raw code alone. Core 1: the scribbling native hook alone. */
    reg_event(f, 2, HD_ALL, HD_STAGE_PRE, false, acts, 1);
    reg_event(f, 1, HD_ALL, HD_STAGE_PRE, false, &acts[1], 1);

    struct hd_exit x = magic_exit(f, &vcpu, &regs, 3);
    assert_int_equal(x.pre.flags & HD_VERDICT_PROTECTED, 0);
    assert_int_equal(vcpu.flags & HD_VCPU_PROTECTED, 0);
    assert_int_equal(s.vcpu_flags & HD_VCPU_PROTECTED, 0);
    /* the hook's writes stuck and its short-circuit was honoured */
    assert_true(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT);
    assert_false(x.default_handled);
    for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++)
        assert_int_equal(*hd_guest_reg(&regs, i), 0xBAD0000 + i);

    /* raw code writes stick from CPL 3 */
    guest_regs(&regs);
    hd_host_vcpu_init(&vcpu, &regs, 2, 0x490);
    vcpu.cpl = 3;
    x = run_vcpu(f, &vcpu);
    assert_int_equal(regs.r8, 0x1234);
    assert_int_equal(regs.rax, HD_VMCALL_ENOSYS);
}

static void s15_sc_works_for_magic_from_cpl3(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, NULL, 0);
    struct hd_exit x = magic_exit(f, &vcpu, &regs, 3);
    assert_true(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT);
    assert_false(x.default_handled);
    assert_int_equal(regs.rax, GUEST_RAX);
    assert_int_equal(vcpu.rip, HD_HOST_VCPU_RIP + 3);
}

static void s15_magic_from_cpl1_and_cpl2_is_not_protected(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    for (uint8_t cpl = 1; cpl <= 2; cpl++) {
        struct hd_exit x = magic_exit(f, &vcpu, &regs, cpl);
        assert_int_equal(x.pre.flags & HD_VERDICT_PROTECTED, 0);
        assert_int_equal(regs.rax, HD_VMCALL_ENOSYS);
    }
}

static void s14_partial_magic_is_not_protected(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    struct hd_action_desc a = act_code(RAW_SET_R8, sizeof(RAW_SET_R8), 0);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    for (unsigned which = 0; which < 3; which++) {
        guest_regs(&regs);
        if (which == 0)
            regs.r10 = 0;
        else if (which == 1)
            regs.r11 ^= 1;
        else
            regs.r12 = HD_HYPERDBG_MAGIC_R10; /* a magic value in the wrong register */
        hd_host_vcpu_init(&vcpu, &regs, 0, 1);
        struct hd_exit x = run_vcpu(f, &vcpu);
        assert_int_equal(x.pre.flags & HD_VERDICT_PROTECTED, 0);
        assert_int_equal(vcpu.flags & HD_VCPU_PROTECTED, 0);
        assert_int_equal(regs.r8, 0x1234); /* the write stuck */
        assert_int_equal(regs.rax, HD_VMCALL_ENOSYS);
    }
}

static void s14_stale_protected_flag_from_the_backend_is_cleared(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rax = 1};
    struct hd_vcpu vcpu;
    struct hd_action_desc a = act_code(RAW_SET_R8, sizeof(RAW_SET_R8), 0);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    hd_host_vcpu_init(&vcpu, &regs, 0, 1);
    vcpu.flags = HD_VCPU_PROTECTED; /* wrong: backends pass 0 in */
    struct hd_exit x = run_vcpu(f, &vcpu);
    assert_int_equal(vcpu.flags & HD_VCPU_PROTECTED, 0);
    assert_int_equal(x.pre.flags & HD_VERDICT_PROTECTED, 0);
    assert_int_equal(regs.r8, 0x1234);
    assert_int_equal(regs.rax, HD_VMCALL_ENOSYS);
}

/* ---- a backend's own predicate --------------------------------------------------------- */

struct pred_state {
    void *user_seen;
    unsigned calls;
};
static struct pred_state g_pred;

/* Own hypercall = rcx is 0xC0FFEE, whatever the CPL. */
static bool own_if_coffee(void *user, const struct hd_vcpu *vcpu)
{
    g_pred.user_seen = user;
    g_pred.calls++;
    return vcpu->regs->rcx == 0xC0FFEE;
}

static void use_predicate(struct fx *f)
{
    struct hd_backend_ops ops = *hd_host_ops(f->host);
    ops.is_own_hypercall = own_if_coffee;
    memset(&g_pred, 0, sizeof(g_pred));
    fx_recreate(f, &ops, NULL);
}

static void s14_custom_is_own_hypercall_is_honoured(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = {.rax = GUEST_RAX, .rcx = 0xC0FFEE, .r8 = GUEST_R8};
    struct hd_vcpu vcpu;
    use_predicate(f);
    struct hd_action_desc a = act_code(RAW_SET_R8, sizeof(RAW_SET_R8), 0);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, &a, 1);

    hd_host_vcpu_init(&vcpu, &regs, 3, 7);
    vcpu.cpl = 3; /* the predicate decides, not the default CPL rule */
    struct hd_exit x = run_vcpu(f, &vcpu);
    assert_true(g_pred.calls >= 1);
    assert_ptr_equal(g_pred.user_seen, hd_host_ops(f->host)->user);
    assert_true(x.pre.flags & HD_VERDICT_PROTECTED);
    assert_true(vcpu.flags & HD_VCPU_PROTECTED);
    assert_int_equal(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT, 0); /* sc refused */
    assert_true(x.default_handled);
    assert_int_equal(regs.r8, GUEST_R8); /* write discarded */
    assert_int_equal(regs.rax, 0);
}

static void s14_custom_predicate_replaces_the_hyperdbg_magic_rule(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    use_predicate(f);
    struct hd_action_desc a = act_code(RAW_SET_R8, sizeof(RAW_SET_R8), 0);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    struct hd_exit x = magic_exit(f, &vcpu, &regs, 0); /* rcx is not 0xC0FFEE */
    assert_true(g_pred.calls >= 1);
    assert_int_equal(x.pre.flags & HD_VERDICT_PROTECTED, 0);
    assert_int_equal(regs.r8, 0x1234);
    assert_int_equal(regs.rax, HD_VMCALL_ENOSYS);
}

static void s14_default_predicate_is_hd_hypercall_is_hyperdbg(void **state)
{
    (void)state;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;
    guest_regs(&regs);
    hd_host_vcpu_init(&vcpu, &regs, 0, 1);
    assert_true(hd_hypercall_is_hyperdbg(&vcpu));
    vcpu.cpl = 3;
    assert_false(hd_hypercall_is_hyperdbg(&vcpu));
    vcpu.cpl = 0;
    regs.r11 = 0;
    assert_false(hd_hypercall_is_hyperdbg(&vcpu));
}

/*
 * hd_vmcall_own(), for an exit handler that skipped dispatch: the header's inline decision
 * with the default predicate, the exported function's (reached by its parenthesised name or
 * its address) otherwise; both decide as dispatch would and set or clear HD_VCPU_PROTECTED.
 */
static void expect_own(struct fx *f, struct hd_vcpu *vcpu, bool own)
{
    bool (*by_address)(const struct hd_engine *, struct hd_vcpu *) = hd_vmcall_own;

    vcpu->flags = own ? 0 : HD_VCPU_PROTECTED; /* stale: each form must set or clear it */
    assert_int_equal(hd_vmcall_own(f->engine, vcpu), own);
    assert_int_equal((vcpu->flags & HD_VCPU_PROTECTED) != 0, own);
    vcpu->flags = own ? 0 : HD_VCPU_PROTECTED;
    assert_int_equal((hd_vmcall_own)(f->engine, vcpu), own);
    assert_int_equal((vcpu->flags & HD_VCPU_PROTECTED) != 0, own);
    vcpu->flags = own ? 0 : HD_VCPU_PROTECTED;
    assert_int_equal(by_address(f->engine, vcpu), own);
    assert_int_equal((vcpu->flags & HD_VCPU_PROTECTED) != 0, own);
}

static void s14_vmcall_own_decides_without_dispatch(void **state)
{
    struct fx *f = *state;
    const struct hd_engine_head *head = (const void *)f->engine;
    struct hd_guest_regs regs;
    struct hd_vcpu vcpu;

    assert_false(hd_vmcall_armed(f->engine));
    assert_int_equal(head->hooked, 0); /* the default predicate: decided inline */
    guest_regs(&regs);
    hd_host_vcpu_init(&vcpu, &regs, 0, 1);
    expect_own(f, &vcpu, true);
    vcpu.cpl = 3; /* S15 */
    expect_own(f, &vcpu, false);
    vcpu.cpl = 0;
    regs.r12 = 0; /* S14: all three registers */
    expect_own(f, &vcpu, false);

    use_predicate(f); /* a backend's predicate: the library asks it */
    head = (const void *)f->engine; /* a new engine */
    assert_int_not_equal(head->hooked, 0);
    guest_regs(&regs); /* the magic, but rcx is not 0xC0FFEE */
    expect_own(f, &vcpu, false);
    assert_int_equal(g_pred.calls, 3);
    regs.rcx = 0xC0FFEE;
    vcpu.cpl = 3;
    expect_own(f, &vcpu, true);
    assert_int_equal(g_pred.calls, 6);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(s14_hooks_see_the_real_registers_of_own_hypercall),
        T(s14_every_event_sees_the_real_registers_not_earlier_edits),
        T(s14_post_pass_stays_protected_when_the_backend_rebuilds_the_record),
        T(s14_native_hook_register_writes_are_discarded),
        T(s14_raw_code_register_writes_are_discarded),
        T(s14_raw_condition_register_writes_are_discarded),
        T(s14_post_pass_writes_are_discarded_too),
        T(s14_own_hypercall_gets_rax_0_from_default_handling),
        T(s14_short_circuit_is_refused),
        T(s14_verdict_and_vcpu_are_marked_protected),
        T(s14_break_on_own_hypercall_records_the_real_values),
        T(s14_protected_pass_hides_the_backends_data),
        T(s15_magic_from_cpl3_is_not_protected),
        T(s15_sc_works_for_magic_from_cpl3),
        T(s15_magic_from_cpl1_and_cpl2_is_not_protected),
        T(s14_partial_magic_is_not_protected),
        T(s14_stale_protected_flag_from_the_backend_is_cleared),
        T(s14_custom_is_own_hypercall_is_honoured),
        T(s14_custom_predicate_replaces_the_hyperdbg_magic_rule),
        T(s14_vmcall_own_decides_without_dispatch),
        cmocka_unit_test(s14_default_predicate_is_hd_hypercall_is_hyperdbg),
    };
#undef T
    return cmocka_run_group_tests_name("S14/S15 the hypervisor's own hypercalls and CPL", tests,
                                       NULL, NULL);
}
