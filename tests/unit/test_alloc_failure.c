/*
 * Allocation failure at every allocation of every writer call and of hd_engine_create.
 *
 * The contract (engine.h, registry.c): "a failed writer call changes nothing: no tag is used
 * up and nothing registered is lost" — and nothing leaked. For each operation the test fails
 * allocation n = 0, 1, 2, … (hd_host_fail_allocation) until the call succeeds without reaching
 * the injected failure. After every failed attempt it checks:
 *   - the status is HD_ERR_NO_MEMORY;
 *   - hd_host_live_allocations() is what it was before the call;
 *   - the registry (walked with hd_event_next) is identical: tags, enabled flags, action
 *     counts, filters, stage, condition kind, command text;
 *   - one simulated exit runs exactly the same hooks, in the same order, with the same
 *     messages, breaks and verdicts as before;
 * and after the successful call, that the number of failure points equals the number of
 * allocations the successful call made (every allocation, the snapshot last, was failed once)
 * and that the next registration gets the next tag in sequence (S19).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hdevent/host.h>

/* ---- hooks that log what ran ----------------------------------------------------------- */

#define LOG_MAX 128

struct log_entry {
    uint64_t tag;
    uintptr_t id;      /* the hook's user pointer, as an id */
    uint32_t stage;
    bool condition;    /* a condition (true) or an action (false) */
};

static struct log_entry g_log[LOG_MAX];
static unsigned g_log_n;

static void log_hook(const struct hd_hook *h, bool condition)
{
    if (g_log_n < LOG_MAX)
        g_log[g_log_n] = (struct log_entry){h->tag, (uintptr_t)h->user, h->stage, condition};
    g_log_n++;
}

static void *native_action(struct hd_hook *h)
{
    log_hook(h, false);
    return NULL;
}

/* Returns true unless rsi says otherwise: every exit the test takes makes it hold. */
static uint64_t native_condition(struct hd_hook *h)
{
    log_hook(h, true);
    return h->regs->rsi != 0xDEAD;
}

/* Raw condition without a final RET (one is appended, through a temporary allocation):
 * mov rax, [rcx+0x18] — true when the guest's rbx is not 0. */
static const uint8_t RAW_COND_RBX[] = {0x48, 0x8B, 0x41, 0x18};
/* Raw custom code without a final RET: mov rax, [rdx+0x68] (r13); mov [rcx], rax;
 * mov rax, rcx — stores r13 at the start of its buffer and returns the buffer (S18). */
static const uint8_t RAW_CODE_R13[] = {0x48, 0x8B, 0x42, 0x68, 0x48, 0x89, 0x01, 0x48, 0x89, 0xC8};
/* Raw custom code ending in RET: xor eax, eax; ret — no message. */
static const uint8_t RAW_CODE_NULL[] = {0x31, 0xC0, 0xC3};

/* ---- fixture --------------------------------------------------------------------------- */

struct fx {
    struct hd_host *host;
    struct hd_engine *engine;
    uint64_t next_tag; /* the tag the next successful registration must get */
    bool done;         /* the test body ran to its end */
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(hd_host_create(NULL, &f->host), HD_OK);
    assert_int_equal(hd_engine_create(hd_host_ops(f->host), NULL, &f->engine), HD_OK);
    f->next_tag = HD_TAG_BASE;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    /* A body that stopped half-way may have crashed inside a writer call, holding the writer
     * lock: cleaning up would hang. Leave the engine to the leak checker instead. */
    if (!f->done)
        return 0;
    hd_host_fail_allocation(f->host, -1);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    hd_engine_destroy(f->engine);
    assert_int_equal(hd_host_live_allocations(f->host), 0);
    hd_host_destroy(f->host);
    free(f);
    return 0;
}

/* Register @d and check it gets the next tag in sequence. */
static uint64_t reg_ok(struct fx *f, const struct hd_event_desc *d)
{
    uint64_t tag = 0;
    assert_int_equal(hd_event_register(f->engine, d, &tag), HD_OK);
    assert_int_equal(tag, f->next_tag);
    f->next_tag++;
    return tag;
}

/* A plain event: native condition, one native action logging @id. */
static uint64_t reg_plain(struct fx *f, uint32_t core, uint32_t pid, enum hd_stage stage,
                          bool enabled, uintptr_t id)
{
    struct hd_event_desc d;
    struct hd_action_desc a;
    hd_event_desc_init(&d);
    hd_action_desc_init(&a, HD_ACTION_NATIVE);
    a.fn = native_action;
    a.user = (void *)id;
    d.core = core;
    d.pid = pid;
    d.stage = stage;
    d.enabled = enabled;
    d.condition.kind = HD_CONDITION_NATIVE;
    d.condition.fn = native_condition;
    d.condition.user = (void *)(id | 0x80000000u);
    d.actions = &a;
    d.action_count = 1;
    return reg_ok(f, &d);
}

/*
 * The richest registration: a raw condition (RET appended) + raw code with a buffer (RET
 * appended) + a native action + a break action, a command text, stage all.
 */
static void rich_desc(struct hd_event_desc *d, struct hd_action_desc a[3], bool enabled,
                      uintptr_t id)
{
    hd_event_desc_init(d);
    d->pid = 0x490;
    d->core = 1;
    d->stage = HD_STAGE_ALL;
    d->enabled = enabled;
    d->command = "!vmcall pid 490 core 1 stage all condition {488B4118} code {...}";
    d->condition.kind = HD_CONDITION_RAW;
    d->condition.code = RAW_COND_RBX;
    d->condition.code_size = sizeof(RAW_COND_RBX);
    hd_action_desc_init(&a[0], HD_ACTION_CODE);
    a[0].code = RAW_CODE_R13;
    a[0].code_size = sizeof(RAW_CODE_R13);
    a[0].buffer_size = 64;
    hd_action_desc_init(&a[1], HD_ACTION_NATIVE);
    a[1].fn = native_action;
    a[1].user = (void *)id;
    hd_action_desc_init(&a[2], HD_ACTION_BREAK);
    d->actions = a;
    d->action_count = 3;
}

/* A varied population: enabled and disabled, every filter kind, every stage. */
static void populate(struct fx *f)
{
    reg_plain(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, 1);
    reg_plain(f, 1, HD_ALL, HD_STAGE_POST, true, 2);
    reg_plain(f, HD_ALL, 0x490, HD_STAGE_ALL, true, 3);
    reg_plain(f, 1, 0x490, HD_STAGE_PRE, false, 4);
    reg_plain(f, 2, HD_ALL, HD_STAGE_PRE, true, 5); /* never matches the probe exit (core 1) */
    reg_plain(f, HD_ALL, 0x491, HD_STAGE_PRE, true, 6); /* nor this one (pid) */
    {
        struct hd_event_desc d;
        struct hd_action_desc a[3];
        rich_desc(&d, a, true, 7);
        reg_ok(f, &d);
    }
}

/* ---- what the registry holds, and what one exit does ---------------------------------- */

#define REC_MAX 64

struct registry_record {
    unsigned n;
    struct hd_event_info ev[REC_MAX];
    char command[REC_MAX][128];
};

static void record_registry(struct fx *f, struct registry_record *r)
{
    uint64_t after = 0;
    struct hd_event_info info;
    enum hd_status st;
    r->n = 0;
    while ((st = hd_event_next(f->engine, after, &info)) == HD_OK) {
        assert_true(r->n < REC_MAX);
        r->ev[r->n] = info;
        snprintf(r->command[r->n], sizeof(r->command[0]), "%s", info.command);
        r->ev[r->n].command = NULL;
        after = info.tag;
        r->n++;
    }
    assert_int_equal(st, HD_EMPTY);
}

static void assert_same_registry(const struct registry_record *a,
                                 const struct registry_record *b, const char *what, int64_t n)
{
    if (a->n != b->n)
        fail_msg("%s, failure at allocation %lld: %u events before, %u after", what,
                 (long long)n, a->n, b->n);
    for (unsigned i = 0; i < a->n; i++) {
        const struct hd_event_info *x = &a->ev[i], *y = &b->ev[i];
        if (x->tag != y->tag || x->enabled != y->enabled ||
            x->action_count != y->action_count || x->pid != y->pid || x->core != y->core ||
            x->stage != y->stage || x->short_circuit != y->short_circuit ||
            x->condition != y->condition || strcmp(a->command[i], b->command[i]) != 0)
            fail_msg("%s, failure at allocation %lld: event #%u changed: tag %#llx/%#llx "
                     "enabled %d/%d actions %u/%u",
                     what, (long long)n, i, (unsigned long long)x->tag,
                     (unsigned long long)y->tag, x->enabled, y->enabled, x->action_count,
                     y->action_count);
    }
}

#define MSG_MAX 32

struct fire_record {
    struct hd_exit exit;
    struct hd_guest_regs regs;
    unsigned log_n;
    struct log_entry log[LOG_MAX];
    uint32_t breaks;
    struct hd_host_break brk[8];
    unsigned msg_n;
    uint64_t msg_tag[MSG_MAX];
    uint64_t msg_word[MSG_MAX];
};

/* Take one VMCALL exit on core 1, pid 0x490, and record everything it did. */
static void fire(struct fx *f, struct fire_record *r)
{
    struct hd_guest_regs regs = {.rbx = 1, .r13 = 0x1313131313131313ull, .rsi = 7};
    struct hd_vcpu vcpu;
    struct hd_message_info info;
    uint8_t data[128];
    uint32_t breaks0 = hd_host_break_count(f->host);

    memset(r, 0, sizeof(*r));
    /* Nothing may be left over from an earlier exit. */
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_EMPTY);
    g_log_n = 0;
    hd_host_vcpu_init(&vcpu, &regs, 1, 0x490);
    assert_int_equal(hd_host_vmcall(f->host, f->engine, &vcpu, &r->exit), HD_OK);
    r->regs = regs;
    assert_true(g_log_n <= LOG_MAX);
    r->log_n = g_log_n;
    memcpy(r->log, g_log, sizeof(g_log));
    r->breaks = hd_host_break_count(f->host) - breaks0;
    for (uint32_t i = 0; i < r->breaks && i < 8; i++)
        assert_true(hd_host_break_get(f->host, breaks0 + i, &r->brk[i]));
    while (hd_message_read(f->engine, &info, data, sizeof(data)) == HD_OK) {
        assert_true(r->msg_n < MSG_MAX);
        r->msg_tag[r->msg_n] = info.tag;
        memcpy(&r->msg_word[r->msg_n], data, 8);
        r->msg_n++;
    }
    hd_host_break_reset(f->host);
}

static void assert_same_fire(const struct fire_record *a, const struct fire_record *b,
                             const char *what, int64_t n)
{
    if (a->log_n != b->log_n)
        fail_msg("%s, failure at allocation %lld: %u hooks ran before, %u after", what,
                 (long long)n, a->log_n, b->log_n);
    for (unsigned i = 0; i < a->log_n; i++)
        if (a->log[i].tag != b->log[i].tag || a->log[i].id != b->log[i].id ||
            a->log[i].stage != b->log[i].stage || a->log[i].condition != b->log[i].condition)
            fail_msg("%s, failure at allocation %lld: hook #%u differs (tag %#llx id %lu / "
                     "tag %#llx id %lu)",
                     what, (long long)n, i, (unsigned long long)a->log[i].tag,
                     (unsigned long)a->log[i].id, (unsigned long long)b->log[i].tag,
                     (unsigned long)b->log[i].id);
    assert_int_equal(a->exit.pre.flags, b->exit.pre.flags);
    assert_int_equal(a->exit.pre.fired, b->exit.pre.fired);
    assert_int_equal(a->exit.post.flags, b->exit.post.flags);
    assert_int_equal(a->exit.post.fired, b->exit.post.fired);
    assert_int_equal(a->exit.post_ran, b->exit.post_ran);
    assert_int_equal(a->exit.default_handled, b->exit.default_handled);
    assert_memory_equal(&a->regs, &b->regs, sizeof(a->regs));
    assert_int_equal(a->breaks, b->breaks);
    for (uint32_t i = 0; i < a->breaks && i < 8; i++) {
        assert_int_equal(a->brk[i].tag, b->brk[i].tag);
        assert_int_equal(a->brk[i].stage, b->brk[i].stage);
    }
    assert_int_equal(a->msg_n, b->msg_n);
    for (unsigned i = 0; i < a->msg_n; i++) {
        assert_int_equal(a->msg_tag[i], b->msg_tag[i]);
        assert_int_equal(a->msg_word[i], b->msg_word[i]);
    }
}

/* ---- the failure loop ------------------------------------------------------------------ */

typedef enum hd_status (*op_fn)(struct fx *f, void *arg);

/*
 * Fail allocation n = 0, 1, … of @op until it succeeds without reaching the failure; check
 * that nothing changed after each failure. Returns the number of allocations the successful
 * call made (= the number of failure points exercised).
 */
static uint64_t fail_every_allocation(struct fx *f, op_fn op, void *arg, const char *what)
{
    /* Static, not malloc'd: a failing assertion longjmps out of here. */
    static struct registry_record before_, after_;
    static struct fire_record fire_before_, fire_after_;
    struct registry_record *before = &before_, *after = &after_;
    struct fire_record *fire_before = &fire_before_, *fire_after = &fire_after_;
    uint64_t live0, made = 0;
    int64_t n;

    record_registry(f, before);
    fire(f, fire_before);
    live0 = hd_host_live_allocations(f->host);

    for (n = 0;; n++) {
        uint64_t calls0 = hd_host_allocation_calls(f->host);
        enum hd_status st;
        uint64_t calls;

        hd_host_fail_allocation(f->host, n);
        st = op(f, arg);
        calls = hd_host_allocation_calls(f->host) - calls0;
        hd_host_fail_allocation(f->host, -1);
        if (calls <= (uint64_t)n) {
            /* The injected failure was not reached: the call must have succeeded. */
            if (st != HD_OK)
                fail_msg("%s: %s without a failed allocation (%llu calls)", what,
                         hd_status_name(st), (unsigned long long)calls);
            made = calls;
            break;
        }
        if (st != HD_ERR_NO_MEMORY)
            fail_msg("%s: allocation %lld of %llu failed, status %s (want HD_ERR_NO_MEMORY)",
                     what, (long long)n, (unsigned long long)calls, hd_status_name(st));
        if (hd_host_live_allocations(f->host) != live0)
            fail_msg("%s: allocation %lld failed: live allocations %llu, before the call %llu",
                     what, (long long)n,
                     (unsigned long long)hd_host_live_allocations(f->host),
                     (unsigned long long)live0);
        record_registry(f, after);
        assert_same_registry(before, after, what, n);
        fire(f, fire_after);
        assert_same_fire(fire_before, fire_after, what, n);
    }
    /* Every allocation the successful call makes was failed once, the last one included. */
    assert_int_equal((uint64_t)n, made);
    printf("[ alloc    ] %-44s %2llu allocations, each failed once\n", what,
           (unsigned long long)made);
    return made;
}

/* The end of every case: no tag was used up by the failures. */
static void assert_next_tag(struct fx *f)
{
    uint64_t tag = reg_plain(f, 3, HD_ALL, HD_STAGE_PRE, false, 99);
    assert_int_equal(hd_event_clear(f->engine, tag), HD_OK);
    f->done = true; /* every test body ends here */
}

/* ---- operations ------------------------------------------------------------------------ */

struct reg_arg {
    const struct hd_event_desc *desc;
    uint64_t tag;
};

static enum hd_status op_register(struct fx *f, void *arg)
{
    struct reg_arg *r = arg;
    r->tag = 0;
    return hd_event_register(f->engine, r->desc, &r->tag);
}

struct add_arg {
    uint64_t tag;
    const struct hd_action_desc *action;
};

static enum hd_status op_add(struct fx *f, void *arg)
{
    struct add_arg *a = arg;
    return hd_action_add(f->engine, a->tag, a->action);
}

static enum hd_status op_clear(struct fx *f, void *arg)
{
    return hd_event_clear(f->engine, *(uint64_t *)arg);
}

static enum hd_status op_enable(struct fx *f, void *arg)
{
    return hd_event_enable(f->engine, *(uint64_t *)arg);
}

static enum hd_status op_disable(struct fx *f, void *arg)
{
    return hd_event_disable(f->engine, *(uint64_t *)arg);
}

static uint64_t tag_of(uintptr_t index)
{
    return HD_TAG_BASE + index;
}

static void assert_enabled(struct fx *f, uint64_t tag, bool enabled)
{
    struct hd_event_info info;
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_OK);
    assert_int_equal(info.enabled, enabled);
}

/* ---- tests ------------------------------------------------------------------------------ */

/* The richest register, enabled: its snapshot is the last allocation. */
static void register_rich_enabled(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    struct hd_action_desc a[3];
    struct reg_arg r = {.desc = &d};
    static struct fire_record fr_;
    struct fire_record *fr = &fr_;
    uint64_t made;

    populate(f);
    rich_desc(&d, a, true, 42);
    made = fail_every_allocation(f, op_register, &r, "register rich (enabled)");
    /* At least: event, counters, command, condition (tmp + exec), action array, code action
     * (action, buffers, tmp, exec), native action, break action, snapshot. The exact number
     * is the engine's business; what matters is that each one was failed once. */
    assert_true(made >= 13);
    assert_int_equal(r.tag, f->next_tag);
    f->next_tag++;

    /* It fires, in both passes: raw condition, raw code message, native action, break. */
    fire(f, fr);
    {
        unsigned native42 = 0;
        for (unsigned i = 0; i < fr->log_n; i++)
            native42 += fr->log[i].tag == r.tag && fr->log[i].id == 42;
        assert_int_equal(native42, 2);
        unsigned msgs = 0;
        for (unsigned i = 0; i < fr->msg_n; i++)
            if (fr->msg_tag[i] == r.tag) {
                assert_int_equal(fr->msg_word[i], 0x1313131313131313ull);
                msgs++;
            }
        assert_int_equal(msgs, 2);
        unsigned brk = 0;
        for (uint32_t i = 0; i < fr->breaks && i < 8; i++)
            brk += fr->brk[i].tag == r.tag;
        assert_int_equal(brk, 2);
    }
    assert_next_tag(f);
}

/* The richest register, disabled: no snapshot is built. */
static void register_rich_disabled(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    struct hd_action_desc a[3];
    struct reg_arg r = {.desc = &d};

    populate(f);
    rich_desc(&d, a, false, 43);
    assert_true(fail_every_allocation(f, op_register, &r, "register rich (disabled)") >= 12);
    assert_int_equal(r.tag, f->next_tag);
    f->next_tag++;
    assert_enabled(f, r.tag, false);
    assert_next_tag(f);
}

/* The registry's tag array is full (16 events): the register grows it first. */
static void register_grows_registry(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    struct hd_action_desc a[3];
    struct reg_arg r = {.desc = &d};

    populate(f); /* 7 */
    for (unsigned i = 0; i < 9; i++)
        reg_plain(f, HD_ALL, 0x1000 + i, HD_STAGE_PRE, (i & 1) != 0, 10 + i);
    rich_desc(&d, a, true, 44);
    /* The grown tag array is the first allocation, so failure 0 hits it. */
    assert_true(fail_every_allocation(f, op_register, &r, "register rich (registry grows)") >=
                13);
    assert_int_equal(r.tag, f->next_tag);
    f->next_tag++;
    assert_next_tag(f);
}

/*
 * The first registration in a fresh engine: the registry's tag array does not exist yet and
 * is the first allocation. A later failure must not leave it behind either.
 */
static void register_first_in_engine(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    struct hd_action_desc a[3];
    struct reg_arg r = {.desc = &d};

    rich_desc(&d, a, true, 45);
    assert_true(fail_every_allocation(f, op_register, &r, "register rich (first event)") >= 13);
    assert_int_equal(r.tag, f->next_tag);
    f->next_tag++;
    assert_next_tag(f);
}

static void action_add_code_with_buffer(struct fx *f, bool enabled, uint64_t at_least)
{
    struct hd_action_desc act;
    struct add_arg arg;
    struct hd_event_info info;
    uint64_t tag;

    populate(f);
    tag = reg_plain(f, 1, 0x490, HD_STAGE_PRE, enabled, 50);
    hd_action_desc_init(&act, HD_ACTION_CODE);
    act.code = RAW_CODE_R13;
    act.code_size = sizeof(RAW_CODE_R13);
    act.buffer_size = 32;
    arg.tag = tag;
    arg.action = &act;
    assert_true(fail_every_allocation(f, op_add, &arg,
                                      enabled ? "add code action (enabled event)"
                                              : "add code action (disabled event)") >= at_least);
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_OK);
    assert_int_equal(info.action_count, 2);
    assert_int_equal(info.enabled, enabled);
    assert_next_tag(f);
}

/* at least: action, buffers, tmp, exec, snapshot */
static void action_add_enabled(void **state)
{
    action_add_code_with_buffer(*state, true, 5);
}

/* at least: action, buffers, tmp, exec (a disabled event needs no new snapshot) */
static void action_add_disabled(void **state)
{
    action_add_code_with_buffer(*state, false, 4);
}

/* Native and break actions on an enabled event; the fourth fills the array, the fifth grows it. */
static void action_add_native_and_grow(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc act;
    struct add_arg arg = {.action = &act};
    uint64_t tag;

    populate(f);
    tag = reg_plain(f, HD_ALL, HD_ALL, HD_STAGE_ALL, true, 60); /* capacity 4, 1 used */
    arg.tag = tag;
    hd_action_desc_init(&act, HD_ACTION_BREAK);
    assert_true(fail_every_allocation(f, op_add, &arg, "add break action") >= 2);
    hd_action_desc_init(&act, HD_ACTION_NATIVE);
    act.fn = native_action;
    act.user = (void *)61;
    assert_true(fail_every_allocation(f, op_add, &arg, "add native action") >= 2);
    act.user = (void *)62;
    assert_true(fail_every_allocation(f, op_add, &arg, "add native action (fills array)") >= 2);
    act.user = (void *)63;
    assert_true(fail_every_allocation(f, op_add, &arg, "add native action (grows array)") >= 2);
    hd_action_desc_init(&act, HD_ACTION_CODE);
    act.code = RAW_CODE_NULL; /* ends in RET: no temporary copy */
    act.code_size = sizeof(RAW_CODE_NULL);
    assert_true(fail_every_allocation(f, op_add, &arg, "add code action (no buffer, RET)") >= 3);
    assert_next_tag(f);
}

/*
 * An event registered with no action has no action array: hd_action_add allocates the first
 * one. A later failure (the action itself, its snapshot) must not leave that array behind.
 */
static void action_add_first_action(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    struct hd_action_desc act;
    struct add_arg arg = {.action = &act};

    populate(f);
    hd_event_desc_init(&d);
    d.core = 1;
    arg.tag = reg_ok(f, &d);
    hd_action_desc_init(&act, HD_ACTION_NATIVE);
    act.fn = native_action;
    act.user = (void *)70;
    assert_true(fail_every_allocation(f, op_add, &arg, "add first action to an event") >= 2);
    assert_next_tag(f);
}

/* Clearing an enabled event allocates the new path to its lists and a retire batch: each of
 * those failing changes nothing. */
static void clear_enabled(void **state)
{
    struct fx *f = *state;
    struct hd_event_info info;
    uint64_t tag;

    populate(f);
    tag = tag_of(2); /* enabled, fires on the probe exit */
    assert_enabled(f, tag, true);
    assert_true(fail_every_allocation(f, op_clear, &tag, "clear enabled event (snapshot)") >= 2);
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_ERR_NO_SUCH_EVENT);
    tag = tag_of(6); /* the rich event */
    assert_true(fail_every_allocation(f, op_clear, &tag, "clear enabled rich event") >= 2);
    assert_next_tag(f);
}

/* Clearing a disabled event allocates nothing: it cannot fail for lack of memory. */
static void clear_disabled(void **state)
{
    struct fx *f = *state;
    struct hd_event_info info;
    uint64_t tag;

    populate(f);
    tag = tag_of(3);
    assert_enabled(f, tag, false);
    assert_int_equal(fail_every_allocation(f, op_clear, &tag, "clear disabled event"), 0);
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_ERR_NO_SUCH_EVENT);
    assert_next_tag(f);
}

static void clear_all(void **state)
{
    struct fx *f = *state;
    struct hd_event_info info;
    uint64_t tag = HD_TAG_ALL;

    populate(f);
    assert_int_equal(fail_every_allocation(f, op_clear, &tag, "clear all"), 1);
    assert_int_equal(hd_event_next(f->engine, 0, &info), HD_EMPTY);
    /* Clearing all of nothing allocates nothing. */
    assert_int_equal(fail_every_allocation(f, op_clear, &tag, "clear all (no event)"), 0);
    assert_next_tag(f);
}

static void enable_disable_all(void **state)
{
    struct fx *f = *state;
    uint64_t tag = HD_TAG_ALL;

    populate(f);
    assert_true(fail_every_allocation(f, op_enable, &tag, "enable all") >= 2);
    for (uintptr_t i = 0; i < 7; i++)
        assert_enabled(f, tag_of(i), true);
    /* An empty snapshot needs no memory: only the retire batch can fail. */
    assert_int_equal(fail_every_allocation(f, op_disable, &tag, "disable all"), 1);
    for (uintptr_t i = 0; i < 7; i++)
        assert_enabled(f, tag_of(i), false);
    assert_true(fail_every_allocation(f, op_enable, &tag, "enable all (from none)") >= 2);
    for (uintptr_t i = 0; i < 7; i++)
        assert_enabled(f, tag_of(i), true);
    assert_next_tag(f);
}

static void enable_disable_single(void **state)
{
    struct fx *f = *state;
    uint64_t tag;

    populate(f);
    tag = tag_of(3); /* disabled, matches the probe exit */
    assert_true(fail_every_allocation(f, op_enable, &tag, "enable single") >= 2);
    assert_enabled(f, tag, true);
    /* Enabling an enabled event changes nothing and allocates nothing. */
    assert_int_equal(fail_every_allocation(f, op_enable, &tag, "enable single (already)"), 0);
    tag = tag_of(6); /* the rich event */
    assert_true(fail_every_allocation(f, op_disable, &tag, "disable single") >= 2);
    assert_enabled(f, tag, false);
    assert_int_equal(fail_every_allocation(f, op_disable, &tag, "disable single (already)"), 0);
    assert_next_tag(f);
}

/* hd_engine_create: every allocation fails once, no leak, *out stays NULL. */
static void engine_create(void **state)
{
    struct hd_host *host;
    const struct hd_engine_config configs[2] = {{0}, {.message_slots = 5, .message_max_bytes = 9}};
    (void)state;

    assert_int_equal(hd_host_create(NULL, &host), HD_OK);
    for (unsigned c = 0; c < 2; c++) {
        int64_t n;
        for (n = 0;; n++) {
            struct hd_engine *engine = (struct hd_engine *)(uintptr_t)1;
            uint64_t calls0 = hd_host_allocation_calls(host), calls;
            enum hd_status st;
            hd_host_fail_allocation(host, n);
            st = hd_engine_create(hd_host_ops(host), c ? &configs[1] : NULL, &engine);
            calls = hd_host_allocation_calls(host) - calls0;
            hd_host_fail_allocation(host, -1);
            if (calls <= (uint64_t)n) {
                assert_int_equal(st, HD_OK);
                assert_non_null(engine);
                assert_int_equal(hd_engine_core_count(engine), 4);
                hd_engine_destroy(engine);
                assert_int_equal(hd_host_live_allocations(host), 0);
                assert_int_equal((uint64_t)n, calls);
                break;
            }
            assert_int_equal(st, HD_ERR_NO_MEMORY);
            assert_null(engine);
            assert_int_equal(hd_host_live_allocations(host), 0);
        }
        /* at least: engine, cores, rings (the empty snapshot is static: no allocation) */
        assert_true(n >= 3);
        printf("[ alloc    ] %-44s %2lld allocations, each failed once\n",
               c ? "engine create (config)" : "engine create", (long long)n);
    }
    hd_host_destroy(host);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(register_rich_enabled, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(register_rich_disabled, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(register_grows_registry, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(register_first_in_engine, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(action_add_enabled, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(action_add_disabled, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(action_add_native_and_grow, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(action_add_first_action, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(clear_enabled, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(clear_disabled, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(clear_all, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(enable_disable_all, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(enable_disable_single, fx_setup, fx_teardown),
        cmocka_unit_test(engine_create),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
