/* SPDX-License-Identifier: MIT */
/*
 * The host backend contains hooks (host.h, hd_host_vmcall): raw code that faults — SIGSEGV,
 * SIGBUS, SIGILL, SIGFPE, SIGTRAP — or runs past the time limit is stopped, the exit is
 * abandoned (no further hook, no default handling, no post pass, RIP not advanced), the core
 * lets go of its snapshot, hd_host_fault_get() says what happened and whose code it was, and
 * the next exits on that core run normally. Signals outside an exit keep their handling: a
 * handler installed before the host's still gets them, and a real bug still crashes.
 *
 * The code is registered through the C API, which does not validate it (hdevent's command
 * route does, and refuses most of these bytes): the containment is what is under test.
 */
#define _GNU_SOURCE
#include "helpers.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal/engine.h"

/* mov rax, [0]; ret */
static const uint8_t segv_code[] = {0x48, 0x8B, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, 0xC3};
/* ud2 */
static const uint8_t ud2_code[] = {0x0F, 0x0B};
/* xor ecx, ecx; div ecx; ret */
static const uint8_t div0_code[] = {0x31, 0xC9, 0xF7, 0xF1, 0xC3};
/* pushfq; or qword [rsp], 0x40000 (AC); popfq; mov rax, [rcx+1]; ret: a misaligned load */
static const uint8_t misaligned_code[] = {0x9C, 0x48, 0x81, 0x0C, 0x24, 0x00, 0x00, 0x04,
                                          0x00, 0x9D, 0x48, 0x8B, 0x41, 0x01, 0xC3};
/* int3; ret */
static const uint8_t int3_code[] = {0xCC, 0xC3};
/* jmp $ */
static const uint8_t loop_code[] = {0xEB, 0xFE};
/* xor rsp, rsp; push rax: no stack left at all */
static const uint8_t no_stack_code[] = {0x48, 0x31, 0xE4, 0x50, 0xC3};
/* push 0; ret: a wild jump to address 0, outside any code */
static const uint8_t wild_code[] = {0x6A, 0x00, 0xC3};
/* mov ecx, 0x8000000; loop $; ret: a long but finite run */
static const uint8_t slow_code[] = {0xB9, 0x00, 0x00, 0x00, 0x08, 0xE2, 0xFE, 0xC3};

static void fx_remake(struct fx *f, const struct hd_host_config *cfg);

/* Four cores, a 50 ms limit: the tests that loop end fast. */
static int setup_fast_limit(void **state)
{
    struct hd_host_config cfg = {.cores = 4, .time_limit_ms = 50};

    if (fx_setup(state) != 0)
        return -1;
    fx_remake(*state, &cfg);
    return 0;
}

/* An event on every core: a logging action, then raw code (@cond false) or a raw condition. */
static uint64_t reg_raw(struct fx *f, const uint8_t *code, uint32_t size, bool cond)
{
    struct hd_action_desc acts[2] = {act_log(1), act_code(code, size, 0)};
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_ALL, false, acts, cond ? 1 : 2);

    if (cond) {
        d.condition.kind = HD_CONDITION_RAW;
        d.condition.code = code;
        d.condition.code_size = size;
    }
    return reg_desc(f, &d);
}

/* The executable copy of the raw code of the event registered @index-th. */
static uintptr_t exec_of(struct fx *f, uint32_t index, bool cond)
{
    const struct hd_event *ev = hd__registry_event(&f->engine->registry, index);
    return (uintptr_t)(cond ? ev->condition_code.exec : hd__event_action(ev, 1)->code.exec);
}

/* One exit on @core that must be stopped with @want; returns the fault recorded. */
static struct hd_host_fault stopped_exit(struct fx *f, uint32_t core, enum hd_status want,
                                         struct hd_exit *x)
{
    struct hd_guest_regs regs = {.rbx = 0x5A5A};
    struct hd_vcpu vcpu;
    struct hd_host_fault fault;
    uint64_t faults = hd_host_fault_count(f->host);

    hd_host_vcpu_init(&vcpu, &regs, core, 0x10);
    assert_int_equal(hd_host_vmcall(f->host, f->engine, &vcpu, x), want);
    assert_int_equal(vcpu.rip, HD_HOST_VCPU_RIP); /* the VMCALL did not retire */
    assert_false(x->default_handled);
    assert_false(x->post_ran);
    assert_int_equal(regs.rax, 0); /* no default handling */
    assert_int_equal(hd_host_fault_count(f->host), faults + 1);
    assert_true(hd_host_fault_get(f->host, core, &fault));
    assert_int_equal(fault.status, want);
    assert_int_equal(fault.core, core);
    assert_int_equal(fault.pid, 0x10);
    assert_int_equal(f->engine->cores[core].seq & 1, 0); /* the hold was ended */
    return fault;
}

/* After a stopped hook the core works as before: a plain event runs, the seq moves by 2. */
static void core_still_works(struct fx *f, uint32_t core)
{
    uint64_t before;

    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    assert_int_equal(hd_engine_reclaim(f->engine), 0);
    reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 9);
    tlog_reset();
    before = f->engine->cores[core].seq;
    struct hd_exit x = run_exit(f, core, 0x10, 0, NULL);
    assert_true(x.default_handled);
    assert_int_equal(tlog_count(), 1);
    assert_int_equal(f->engine->cores[core].seq, before + 2);
}

static void segv_in_code_is_stopped_and_named(void **state)
{
    struct fx *f = *state;
    struct hd_exit x;
    uint64_t tag = reg_raw(f, segv_code, sizeof(segv_code), false);
    struct hd_host_fault fault = stopped_exit(f, 2, HD_ERR_HOOK_FAULTED, &x);

    assert_int_equal(fault.signal, SIGSEGV);
    assert_int_equal(fault.code, SEGV_MAPERR);
    assert_int_equal(fault.address, 0);
    assert_int_equal(fault.syscall, -1);
    assert_int_equal(fault.rip, exec_of(f, 0, false));
    assert_true(fault.in_code);
    assert_true(fault.named);
    assert_int_equal(fault.owner.tag, tag);
    assert_int_equal(fault.owner.action, 1);
    assert_int_equal(fault.owner.offset, 0);
    assert_int_equal(tlog_count(), 1); /* the action before it ran */
    assert_int_equal(x.pre.fired, 1);
    assert_false(hd_host_fault_get(f->host, 1, &fault)); /* kept per core */
    assert_false(hd_host_fault_get(f->host, 4, &fault));
    core_still_works(f, 2);
}

static void ud2_in_a_condition_is_sigill(void **state)
{
    struct fx *f = *state;
    struct hd_exit x;
    uint64_t tag = reg_raw(f, ud2_code, sizeof(ud2_code), true);
    struct hd_host_fault fault = stopped_exit(f, 0, HD_ERR_HOOK_FAULTED, &x);

    assert_int_equal(fault.signal, SIGILL);
    assert_int_equal(fault.code, ILL_ILLOPN);
    assert_int_equal(fault.rip, exec_of(f, 0, true));
    assert_int_equal(fault.address, fault.rip);
    assert_true(fault.named);
    assert_int_equal(fault.owner.tag, tag);
    assert_int_equal(fault.owner.action, -1);
    assert_int_equal(tlog_count(), 0); /* the condition never returned: no action ran */
    assert_int_equal(x.pre.fired, 0);
    core_still_works(f, 0);
}

static void divide_by_zero_is_sigfpe(void **state)
{
    struct fx *f = *state;
    struct hd_exit x;
    struct hd_host_fault fault;

    reg_raw(f, div0_code, sizeof(div0_code), false);
    fault = stopped_exit(f, 3, HD_ERR_HOOK_FAULTED, &x);
    assert_int_equal(fault.signal, SIGFPE);
    assert_int_equal(fault.code, FPE_INTDIV);
    assert_int_equal(fault.owner.offset, 2);
    core_still_works(f, 3);
}

static void misaligned_access_with_ac_is_sigbus(void **state)
{
    struct fx *f = *state;
    struct hd_exit x;
    struct hd_host_fault fault;

    reg_raw(f, misaligned_code, sizeof(misaligned_code), true);
    fault = stopped_exit(f, 1, HD_ERR_HOOK_FAULTED, &x);
    assert_int_equal(fault.signal, SIGBUS);
    assert_int_equal(fault.code, BUS_ADRALN);
    assert_int_equal(fault.owner.offset, 10);
    core_still_works(f, 1); /* AC was cleared: C code with unaligned loads still runs */
}

static void int3_is_sigtrap(void **state)
{
    struct fx *f = *state;
    struct hd_exit x;
    struct hd_host_fault fault;

    reg_raw(f, int3_code, sizeof(int3_code), false);
    fault = stopped_exit(f, 0, HD_ERR_HOOK_FAULTED, &x);
    assert_int_equal(fault.signal, SIGTRAP);
    assert_int_equal(fault.owner.offset, 1); /* after the int3 */
    core_still_works(f, 0);
}

static void code_without_a_stack_is_stopped(void **state)
{
    struct fx *f = *state;
    struct hd_exit x;
    struct hd_host_fault fault;

    reg_raw(f, no_stack_code, sizeof(no_stack_code), false);
    fault = stopped_exit(f, 0, HD_ERR_HOOK_FAULTED, &x); /* the alternate stack took it */
    assert_int_equal(fault.signal, SIGSEGV);
    assert_int_equal(fault.address, (uint64_t)-8);
    assert_int_equal(fault.owner.offset, 3);
    core_still_works(f, 0);
}

static void a_wild_jump_is_stopped_but_not_named(void **state)
{
    struct fx *f = *state;
    struct hd_exit x;
    struct hd_host_fault fault;

    reg_raw(f, wild_code, sizeof(wild_code), false);
    fault = stopped_exit(f, 2, HD_ERR_HOOK_FAULTED, &x);
    assert_int_equal(fault.signal, SIGSEGV);
    assert_int_equal(fault.rip, 0);
    assert_false(fault.in_code);
    assert_false(fault.named);
    core_still_works(f, 2);
}

static volatile uintptr_t g_unmapped = 0x10; /* not NULL: UBSan would stop at a NULL load */

static void *bad_load(struct hd_hook *h)
{
    (void)h;
    return (void *)(uintptr_t)*(volatile uint64_t *)g_unmapped;
}

static void a_native_hook_that_faults_is_stopped_too(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_native(bad_load, NULL);
    struct hd_exit x;
    struct hd_host_fault fault;

    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    fault = stopped_exit(f, 1, HD_ERR_HOOK_FAULTED, &x);
    assert_int_equal(fault.signal, SIGSEGV);
    assert_false(fault.in_code);
    core_still_works(f, 1);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void jmp_dollar_is_stopped_at_the_time_limit(void **state)
{
    struct fx *f = *state;
    struct hd_exit x;
    struct hd_host_fault fault;
    struct timespec t0;
    uint64_t tag = reg_raw(f, loop_code, sizeof(loop_code), true);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    fault = stopped_exit(f, 3, HD_ERR_HOOK_TIMEOUT, &x);
    assert_true(seconds_since(&t0) >= 0.045);
    assert_true(seconds_since(&t0) < 10.0);
    assert_int_equal(fault.signal, SIGRTMIN + 5);
    assert_int_equal(fault.code, SI_TIMER);
    assert_int_equal(fault.address, 0);
    assert_int_equal(fault.rip, exec_of(f, 0, true));
    assert_true(fault.named);
    assert_int_equal(fault.owner.tag, tag);
    assert_int_equal(fault.owner.action, -1);
    core_still_works(f, 3);
    x = run_exit(f, 3, 0x10, 0, NULL); /* no timer left behind: a later tick would not stop */
    assert_true(x.default_handled);
}

/* Replace the fixture's host and engine by ones made with @cfg. */
static void fx_remake(struct fx *f, const struct hd_host_config *cfg)
{
    hd_engine_destroy(f->engine);
    hd_host_destroy(f->host);
    assert_int_equal(hd_host_create(cfg, &f->host), HD_OK);
    assert_int_equal(hd_engine_create(hd_host_ops(f->host), NULL, &f->engine), HD_OK);
}

static void the_limit_stops_long_runs_and_can_be_lifted(void **state)
{
    struct fx *f = *state;
    struct hd_host_config tight = {.cores = 4, .time_limit_ms = 5};
    struct hd_host_config none = {.cores = 4, .time_limit_ms = HD_HOST_NO_TIME_LIMIT};
    struct hd_exit x;

    fx_remake(f, &tight);
    reg_raw(f, slow_code, sizeof(slow_code), false);
    stopped_exit(f, 0, HD_ERR_HOOK_TIMEOUT, &x); /* 128M loops take far longer than 5 ms */

    fx_remake(f, &none);
    reg_raw(f, slow_code, sizeof(slow_code), false);
    x = run_exit(f, 0, 0x10, 0, NULL); /* the same run, with no limit, completes */
    assert_true(x.default_handled);
    assert_int_equal(hd_host_fault_count(f->host), 0);
}

/* ---- outside an exit ---------------------------------------------------------------------- */

static sigjmp_buf g_mine;
static volatile int g_mine_got;

static void my_handler(int sig)
{
    g_mine_got = sig;
    siglongjmp(g_mine, 1);
}

static void a_handler_installed_before_still_gets_its_signals(void **state)
{
    struct fx *f = *state;
    struct sigaction mine, saved;
    struct hd_exit x;

    memset(&mine, 0, sizeof(mine));
    mine.sa_handler = my_handler;
    sigaction(SIGSEGV, &mine, &saved);
    reg_raw(f, segv_code, sizeof(segv_code), false);
    stopped_exit(f, 0, HD_ERR_HOOK_FAULTED, &x); /* inside: the host's */
    g_mine_got = 0;
    if (sigsetjmp(g_mine, 1) == 0)
        *(volatile int *)g_unmapped = 1; /* outside an exit: mine */
    assert_int_equal(g_mine_got, SIGSEGV);
    sigaction(SIGSEGV, &saved, NULL);
}

/* Run @body in a child; true when the child was killed by the fault (or ASan's report). */
static bool child_crashes(void (*body)(void))
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        body();
        _exit(0); /* survived */
    }
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        return WTERMSIG(status) == SIGSEGV;
    return WIFEXITED(status) && WEXITSTATUS(status) != 0; /* ASan reports, then exits 1 */
}

static void fault_after_an_exit(void)
{
    struct fx *f;
    void *state = NULL;
    struct hd_action_desc a = act_log(1);

    signal(SIGSEGV, SIG_DFL);
    fx_setup(&state);
    f = state;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 0, 1, 0, NULL); /* the host's handlers are in place */
    *(volatile int *)g_unmapped = 1;
}

static void fault_uncontained(void)
{
    struct hd_host *host;
    struct hd_engine *engine;
    struct hd_host_config cfg = {.cores = 1, .no_containment = true};
    struct hd_action_desc a = act_code(segv_code, sizeof(segv_code), 0);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    struct hd_guest_regs regs = {0};
    struct hd_vcpu vcpu;

    signal(SIGSEGV, SIG_DFL);
    hd_host_create(&cfg, &host);
    hd_engine_create(hd_host_ops(host), NULL, &engine);
    hd_event_register(engine, &d, NULL);
    hd_host_vcpu_init(&vcpu, &regs, 0, 1);
    hd_host_vmcall(host, engine, &vcpu, NULL);
}

static void outside_an_exit_a_fault_still_crashes(void **state)
{
    (void)state;
    assert_true(child_crashes(fault_after_an_exit));
}

static void without_containment_a_fault_crashes(void **state)
{
    struct fx *f = *state;
    struct hd_host_config cfg = {.cores = 1, .no_containment = true};
    struct hd_host *off;

    assert_true(child_crashes(fault_uncontained));
    assert_int_equal(hd_host_contain_prepare(f->host), HD_OK);
    assert_int_equal(hd_host_create(&cfg, &off), HD_OK);
    assert_int_equal(hd_host_contain_prepare(off), HD_ERR_NOT_SUPPORTED);
    hd_host_destroy(off);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup_fast_limit, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(segv_in_code_is_stopped_and_named),
        T(ud2_in_a_condition_is_sigill),
        T(divide_by_zero_is_sigfpe),
        T(misaligned_access_with_ac_is_sigbus),
        T(int3_is_sigtrap),
        T(code_without_a_stack_is_stopped),
        T(a_wild_jump_is_stopped_but_not_named),
        T(a_native_hook_that_faults_is_stopped_too),
        T(jmp_dollar_is_stopped_at_the_time_limit),
        T(the_limit_stops_long_runs_and_can_be_lifted),
        T(a_handler_installed_before_still_gets_its_signals),
        T(outside_an_exit_a_fault_still_crashes),
        T(without_containment_a_fault_crashes),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
