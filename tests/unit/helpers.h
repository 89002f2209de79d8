/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/helpers.h — shared fixture and helpers of the cmocka unit tests.
 *
 * Static inline functions only (no .c file, no file-scope objects), so every test program
 * includes it and uses what it needs without unused-symbol warnings. Include it after
 * <stdarg.h>, <stddef.h>, <stdint.h>, <setjmp.h> and <cmocka.h> — it does that itself.
 *
 *   - struct fx {host, engine}: fx_setup() (4 cores), fx_setup_cores(state, n), fx_teardown()
 *     (destroys the engine, then asserts the host has no live allocation: nothing leaked).
 *   - reg_event(): register a VMCALL event from a few fields, asserting success.
 *   - reg_marker_event(): an event whose raw code appends its id to the guest's rbx.
 *   - run_exit(): one simulated VMCALL exit (pre pass, default handling, post pass, rip += 3);
 *     exit_by_form(): one exit by the two-call or the one-call form, as the test says.
 *   - log_action / act_log(): a native action that appends {tag, id, stage, rax, core, pid}
 *     to a per-program log, so tests assert what ran and in which order.
 *   - doc_condition() / doc_code(): the two byte arrays from HyperDbg's docs.
 */
#ifndef HDEVENT_TESTS_UNIT_HELPERS_H
#define HDEVENT_TESTS_UNIT_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <hdevent/host.h>

/* ---- fixture ---------------------------------------------------------------------------- */

struct fx {
    struct hd_host *host;
    struct hd_engine *engine;
};

/* ---- hook log --------------------------------------------------------------------------- */

#define TLOG_MAX 512

/** One hook run, as the logging hooks record it. */
struct tlog_entry {
    uint64_t tag;      /* hook->tag */
    uintptr_t id;      /* hook->user, used as a small integer id */
    uint32_t stage;    /* hook->stage: HD_STAGE_PRE or HD_STAGE_POST */
    uint64_t rax;      /* hook->regs->rax when the hook ran */
    uint32_t core;     /* hook->vcpu->core */
    uint32_t pid;      /* hook->vcpu->pid */
    bool is_condition; /* logged by log_condition (true) or log_action (false) */
};

struct tlog {
    struct tlog_entry e[TLOG_MAX];
    unsigned n; /* hooks run (may exceed TLOG_MAX; only the first TLOG_MAX are kept) */
};

/** The log of this test program (a static inside a static inline function: one per program). */
static inline struct tlog *tlog(void)
{
    static struct tlog log;
    return &log;
}

static inline void tlog_reset(void)
{
    memset(tlog(), 0, sizeof(struct tlog));
}

static inline unsigned tlog_count(void)
{
    return tlog()->n;
}

/** Entry @p i of the log (asserts it exists). */
static inline const struct tlog_entry *tlog_at(unsigned i)
{
    assert_true(i < tlog()->n && i < TLOG_MAX);
    return &tlog()->e[i];
}

static inline void tlog_append(const struct hd_hook *h, bool is_condition)
{
    struct tlog *l = tlog();
    if (l->n < TLOG_MAX) {
        struct tlog_entry *x = &l->e[l->n];
        x->tag = h->tag;
        x->id = (uintptr_t)h->user;
        x->stage = (uint32_t)h->stage;
        x->rax = h->regs ? h->regs->rax : 0;
        x->core = h->vcpu ? h->vcpu->core : 0;
        x->pid = h->vcpu ? h->vcpu->pid : 0;
        x->is_condition = is_condition;
    }
    l->n++;
}

/** Native action: log the run, return no message. */
static inline void *log_action(struct hd_hook *h)
{
    tlog_append(h, false);
    return NULL;
}

/** Native condition: log the run, hold. */
static inline uint64_t log_condition_true(struct hd_hook *h)
{
    tlog_append(h, true);
    return 1;
}

/** Native condition: log the run, do not hold. */
static inline uint64_t log_condition_false(struct hd_hook *h)
{
    tlog_append(h, true);
    return 0;
}

/** A native action descriptor whose runs are logged with @p id. */
static inline struct hd_action_desc act_log(uintptr_t id)
{
    struct hd_action_desc a;
    hd_action_desc_init(&a, HD_ACTION_NATIVE);
    a.fn = log_action;
    a.user = (void *)id;
    return a;
}

/** A native action descriptor calling @p fn with user pointer @p user. */
static inline struct hd_action_desc act_native(hd_action_fn fn, void *user)
{
    struct hd_action_desc a;
    hd_action_desc_init(&a, HD_ACTION_NATIVE);
    a.fn = fn;
    a.user = user;
    return a;
}

/** A raw custom-code action descriptor (bytes are copied at registration). */
static inline struct hd_action_desc act_code(const uint8_t *code, uint32_t size,
                                             uint32_t buffer_size)
{
    struct hd_action_desc a;
    hd_action_desc_init(&a, HD_ACTION_CODE);
    a.code = code;
    a.code_size = size;
    a.buffer_size = buffer_size;
    return a;
}

/** A break action descriptor. */
static inline struct hd_action_desc act_break(void)
{
    struct hd_action_desc a;
    hd_action_desc_init(&a, HD_ACTION_BREAK);
    return a;
}

/* ---- setup / teardown ------------------------------------------------------------------ */

static inline int fx_setup_cores(void **state, uint32_t cores)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct hd_host_config cfg = {.cores = cores, .log_to_stderr = false};
    if (!f)
        return -1;
    tlog_reset();
    if (hd_host_create(&cfg, &f->host) != HD_OK) {
        free(f);
        return -1;
    }
    if (hd_engine_create(hd_host_ops(f->host), NULL, &f->engine) != HD_OK) {
        hd_host_destroy(f->host);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

/** Four simulated cores (the host backend's default). */
static inline int fx_setup(void **state)
{
    return fx_setup_cores(state, 4);
}

/** fx_setup() with the flight recorder on (recorder.h). */
static inline int fx_setup_recording(void **state)
{
    int rc = fx_setup(state);
    if (rc == 0)
        assert_int_equal(hd_recorder_set(((struct fx *)*state)->engine, true), HD_OK);
    return rc;
}

/** Destroy the engine and check the host holds no allocation any more, then free the host. */
static inline int fx_teardown(void **state)
{
    struct fx *f = *state;
    uint64_t live;
    if (!f)
        return 0;
    hd_engine_destroy(f->engine);
    f->engine = NULL;
    live = hd_host_live_allocations(f->host);
    hd_host_destroy(f->host);
    free(f);
    *state = NULL;
    assert_int_equal(live, 0); /* hd_engine_destroy freed everything: nothing leaked */
    return 0;
}

/** Replace the fixture's engine by one made from @p ops and @p config (asserts success). */
static inline void fx_recreate(struct fx *f, const struct hd_backend_ops *ops,
                               const struct hd_engine_config *config)
{
    hd_engine_destroy(f->engine);
    f->engine = NULL;
    assert_int_equal(hd_engine_create(ops, config, &f->engine), HD_OK);
    assert_non_null(f->engine);
}

/* ---- registration ---------------------------------------------------------------------- */

/** A descriptor with HyperDbg's defaults and the given filters, stage and actions. */
static inline struct hd_event_desc ev_desc(uint32_t core, uint32_t pid, enum hd_stage stage,
                                           bool sc, const struct hd_action_desc *actions,
                                           uint32_t action_count)
{
    struct hd_event_desc d;
    hd_event_desc_init(&d);
    d.core = core;
    d.pid = pid;
    d.stage = stage;
    d.short_circuit = sc;
    d.actions = actions;
    d.action_count = action_count;
    return d;
}

/** Register @p d, assert HD_OK, return the tag. */
static inline uint64_t reg_desc(struct fx *f, const struct hd_event_desc *d)
{
    uint64_t tag = 0;
    assert_int_equal(hd_event_register(f->engine, d, &tag), HD_OK);
    assert_true(tag >= HD_TAG_BASE);
    return tag;
}

/** Register an event from a few fields (asserting success) and return its tag. */
static inline uint64_t reg_event(struct fx *f, uint32_t core, uint32_t pid, enum hd_stage stage,
                                 bool sc, const struct hd_action_desc *actions,
                                 uint32_t action_count)
{
    struct hd_event_desc d = ev_desc(core, pid, stage, sc, actions, action_count);
    return reg_desc(f, &d);
}

/**
 * Register an event on (core, pid) in @p stage, short-circuiting when @p sc, on the hypercall
 * number @p nr unless 0, whose one action is raw custom code that appends @p id to the guest's
 * rbx as a decimal digit (rbx = rbx * 10 + id, no message): the ids in rbx after an exit say
 * which events ran and in what order. Returns the tag.
 */
static inline uint64_t reg_marker_event(struct fx *f, uint32_t core, uint32_t pid,
                                        enum hd_stage stage, bool sc, uint8_t id, uint64_t nr)
{
    uint8_t code[] = {
        0x48, 0x8B, 0x42, 0x18, /* mov rax, [rdx+0x18]: rdx = the registers, rbx at 0x18 */
        0x48, 0x6B, 0xC0, 0x0A, /* imul rax, rax, 10 */
        0x48, 0x83, 0xC0, id,   /* add rax, id */
        0x48, 0x89, 0x42, 0x18, /* mov [rdx+0x18], rax */
        0x31, 0xC0,             /* xor eax, eax: no message */
        0xC3,
    };
    struct hd_action_desc a = act_code(code, sizeof(code), 0);
    struct hd_event_desc d = ev_desc(core, pid, stage, sc, &a, 1);

    if (nr) {
        d.nr_filter = true;
        d.nr_first = d.nr_last = nr;
    }
    return reg_desc(f, &d);
}

/** Register an event on (core, pid), stage @p stage, with one logging action @p id. */
static inline uint64_t reg_logged(struct fx *f, uint32_t core, uint32_t pid,
                                  enum hd_stage stage, uintptr_t id)
{
    struct hd_action_desc a = act_log(id);
    return reg_event(f, core, pid, stage, false, &a, 1);
}

/** Registered events, walked with hd_event_next. */
static inline unsigned event_count(struct fx *f)
{
    struct hd_event_info info;
    uint64_t after = 0;
    unsigned n = 0;
    while (hd_event_next(f->engine, after, &info) == HD_OK) {
        after = info.tag;
        n++;
    }
    return n;
}

/* ---- exits ----------------------------------------------------------------------------- */

/** Take one VMCALL exit with @p vcpu (already filled), asserting HD_OK. */
static inline struct hd_exit run_vcpu(struct fx *f, struct hd_vcpu *vcpu)
{
    struct hd_exit x;
    memset(&x, 0, sizeof(x));
    assert_int_equal(hd_host_vmcall(f->host, f->engine, vcpu, &x), HD_OK);
    return x;
}

/**
 * Take one VMCALL exit on (core, pid, cpl) with @p regs (NULL: zeroed registers that are
 * thrown away), asserting HD_OK, and return what the exit did.
 */
static inline struct hd_exit run_exit(struct fx *f, uint32_t core, uint32_t pid, uint8_t cpl,
                                      struct hd_guest_regs *regs)
{
    struct hd_guest_regs scratch;
    struct hd_vcpu vcpu;
    if (!regs) {
        memset(&scratch, 0, sizeof(scratch));
        regs = &scratch;
    }
    hd_host_vcpu_init(&vcpu, regs, core, pid);
    vcpu.cpl = cpl;
    return run_vcpu(f, &vcpu);
}

/** The two entry forms a backend may take an exit by (dispatch.h). */
enum exit_form {
    FORM_PRE,  /* hd_dispatch_vmcall, then _post when asked, else _end (no handling) */
    FORM_EXIT, /* hd_dispatch_vmcall_exit with the default handling */
};

/** What exit_by_form() saw: the pre pass's verdict, and whether the handling ran. */
struct form_result {
    uint32_t pre_flags;
    uint32_t fired; /* events that fired in the pre pass */
    bool handled;
};

/** Take one exit of @p v (already filled) by @p form, asserting HD_OK at every call. */
static inline struct form_result exit_by_form(struct fx *f, enum exit_form form,
                                              struct hd_vcpu *v)
{
    struct form_result r = {0, 0, false};

    if (form == FORM_PRE) {
        struct hd_verdict verdict;
        assert_int_equal(hd_dispatch_vmcall(f->engine, v, NULL, &verdict), HD_OK);
        r.pre_flags = verdict.flags;
        r.fired = verdict.fired;
        if (verdict.flags & HD_VERDICT_POST)
            assert_int_equal(hd_dispatch_vmcall_post(f->engine, v, NULL, &verdict), HD_OK);
        else
            assert_int_equal(hd_dispatch_vmcall_end(f->engine, v), HD_OK);
    } else {
        struct hd_exit x;
        assert_int_equal(hd_dispatch_vmcall_exit(f->engine, v, NULL, NULL, NULL, &x), HD_OK);
        r.pre_flags = x.pre.flags;
        r.fired = x.pre.fired;
        r.handled = x.default_handled;
    }
    return r;
}

/** Set @p regs to HyperDbg's own-hypercall magic (r10, r11, r12). */
static inline void set_hyperdbg_magic(struct hd_guest_regs *regs)
{
    regs->r10 = HD_HYPERDBG_MAGIC_R10;
    regs->r11 = HD_HYPERDBG_MAGIC_R11;
    regs->r12 = HD_HYPERDBG_MAGIC_R12;
}

/* ---- HyperDbg's documentation examples (hyperdbg-facts.md, "Calling conventions") ----- */

/*
 * Condition: true when the guest's rdx == 0x1000 (clobbers rbx).
 *   mov rbx, [rcx+0x10]   ; rbx = regs->rdx
 *   cmp rbx, 0x1000
 *   je  true
 *   xor rax, rax
 *   jmp out
 * true: mov rax, 1
 * out:  ret
 */
static inline const uint8_t *doc_condition(uint32_t *size)
{
    static const uint8_t code[] = {0x48, 0x8B, 0x59, 0x10, 0x48, 0x81, 0xFB, 0x00, 0x10,
                                   0x00, 0x00, 0x74, 0x05, 0x48, 0x31, 0xC0, 0xEB, 0x07,
                                   0x48, 0xC7, 0xC0, 0x01, 0x00, 0x00, 0x00, 0xC3};
    *size = (uint32_t)sizeof(code);
    return code;
}

/*
 * Custom code: if the guest's r8 == 0x47424448 ('HDBG'), set it to 0x32424448 ('HDB2').
 *   mov rbx, [rdx+0x40]   ; rbx = regs->r8
 *   cmp rbx, 0x47424448
 *   je  change
 *   jmp out
 * change: mov qword [rdx+0x40], 0x32424448
 * out:    ret
 */
static inline const uint8_t *doc_code(uint32_t *size)
{
    static const uint8_t code[] = {0x48, 0x8B, 0x5A, 0x40, 0x48, 0x81, 0xFB, 0x48,
                                   0x44, 0x42, 0x47, 0x74, 0x02, 0xEB, 0x08, 0x48,
                                   0xC7, 0x42, 0x40, 0x48, 0x44, 0x42, 0x32, 0xC3};
    *size = (uint32_t)sizeof(code);
    return code;
}

#endif /* HDEVENT_TESTS_UNIT_HELPERS_H */
