/* SPDX-License-Identifier: MIT */
/*
 * What test_alloc_failure.c compares before and after each failed writer call: the registry as
 * hd_event_next() reports it, and everything one simulated exit does (hooks run and their
 * order, verdicts, registers, breaks, messages). A failure names the writer call ("what") and
 * the allocation that was failed (n).
 */
#include <stdio.h>
#include <string.h>

#include "alloc_failure.h"

/* ---- what the registry holds, and what one exit does ---------------------------------- */

void record_registry(struct fx *f, struct registry_record *r)
{
    uint64_t after = 0;
    struct hd_event_info info;
    enum hd_status st;
    r->n = 0;
    while ((st = hd_event_next(f->engine, after, &info)) == HD_OK) {
        assert_true(r->n < REC_MAX);
        r->ev[r->n] = info;
        assert_int_equal(hd_event_command(f->engine, info.tag, r->command[r->n],
                                          sizeof(r->command[0]), NULL),
                         HD_OK);
        after = info.tag;
        r->n++;
    }
    assert_int_equal(st, HD_EMPTY);
}

void assert_same_registry(const struct registry_record *a, const struct registry_record *b,
                          const char *what, int64_t n)
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

void fire(struct fx *f, struct fire_record *r)
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

void assert_same_fire(const struct fire_record *a, const struct fire_record *b,
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
