/* SPDX-License-Identifier: MIT */
/*
 * The world test_alloc_failure.c's writer calls run in: hooks that log what ran, the raw code
 * the events carry (with and without a final RET, with and without a buffer: each takes other
 * allocations), the fixture, and the events it registers.
 */
#include <stdlib.h>

#include "alloc_failure.h"

/* ---- hooks that log what ran ----------------------------------------------------------- */

struct log_entry g_log[LOG_MAX];
unsigned g_log_n;

static void log_hook(const struct hd_hook *h, bool condition)
{
    if (g_log_n < LOG_MAX)
        g_log[g_log_n] = (struct log_entry){h->tag, (uintptr_t)h->user, h->stage, condition};
    g_log_n++;
}

void *native_action(struct hd_hook *h)
{
    log_hook(h, false);
    return NULL;
}

/* Returns true unless rsi says otherwise: every exit the test takes makes it hold. */
uint64_t native_condition(struct hd_hook *h)
{
    log_hook(h, true);
    return h->regs->rsi != 0xDEAD;
}

/* Raw condition without a final RET (one is appended, through a temporary allocation):
 * mov rax, [rcx+0x18] — true when the guest's rbx is not 0. */
const uint8_t RAW_COND_RBX[] = {0x48, 0x8B, 0x41, 0x18};
/* Raw custom code without a final RET: mov rax, [rdx+0x68] (r13); mov [rcx], rax;
 * mov rax, rcx — stores r13 at the start of its buffer and returns the buffer (S18). */
const uint8_t RAW_CODE_R13[] = {0x48, 0x8B, 0x42, 0x68, 0x48, 0x89, 0x01, 0x48, 0x89, 0xC8};
/* Raw custom code ending in RET: xor eax, eax; ret — no message. */
const uint8_t RAW_CODE_NULL[] = {0x31, 0xC0, 0xC3};

/* ---- fixture --------------------------------------------------------------------------- */

int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(hd_host_create(NULL, &f->host), HD_OK);
    assert_int_equal(hd_engine_create(hd_host_ops(f->host), NULL, &f->engine), HD_OK);
    f->next_tag = HD_TAG_BASE;
    *state = f;
    return 0;
}

int fx_teardown(void **state)
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
uint64_t reg_ok(struct fx *f, const struct hd_event_desc *d)
{
    uint64_t tag = 0;
    assert_int_equal(hd_event_register(f->engine, d, &tag), HD_OK);
    assert_int_equal(tag, f->next_tag);
    f->next_tag++;
    return tag;
}

/* A plain event: native condition, one native action logging @id. */
uint64_t reg_plain(struct fx *f, uint32_t core, uint32_t pid, enum hd_stage stage,
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
void rich_desc(struct hd_event_desc *d, struct hd_action_desc a[3], bool enabled, uintptr_t id)
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
void populate(struct fx *f)
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
