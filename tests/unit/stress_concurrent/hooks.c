/* SPDX-License-Identifier: MIT */
/*
 * The hooks of test_stress_concurrent.c. They run on the dispatcher threads, inside exits,
 * while the writer changes the registry: each counts its runs in its event's user block and
 * checks that the event may run at all in this exit (S4, S5). Errors are recorded per core
 * (hook_error) and reported after the join: a cmocka assert here would longjmp across threads.
 */
#include <stdarg.h>
#include <stdio.h>

#include "stress_concurrent.h"

/* ---- hooks (dispatch path: no cmocka asserts, they longjmp across threads) ------------ */

void hook_error(struct core_ctx *c, const char *fmt, ...)
{
    if (c->errors++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->first_error, sizeof(c->first_error), fmt, ap);
        va_end(ap);
    }
}

/* The dispatcher's context: backend_data, except on the hypervisor's own hypercalls, whose
 * hooks see none (S14: nothing of the backend's reachable from a protected pass). */
static struct core_ctx *hook_ctx(const struct hd_hook *h)
{
    struct core_ctx *c = h->vcpu->backend_data;
    bool protected_call = h->vcpu->flags & HD_VCPU_PROTECTED;
    if (protected_call && c)
        hook_error(c, "a protected pass hands hooks the backend's data");
    if (!c)
        c = &g_ctx[h->vcpu->core];
    if (c->core != h->vcpu->core)
        hook_error(c, "hook sees core %u on the dispatcher of core %u", h->vcpu->core, c->core);
    return c;
}

/* The block is intact, belongs to this event, and the event may run in this exit. */
static struct block *check_block(struct core_ctx *c, const struct hd_hook *h, const char *who)
{
    struct block *b = h->user;
    uint64_t s;
    if (!b || b->magic != MAGIC) {
        hook_error(c, "%s of tag %#llx: user block %p has lost its magic", who,
                   (unsigned long long)h->tag, (void *)b);
        return NULL;
    }
    if (b->tag != h->tag)
        hook_error(c, "%s: hook->tag %#llx but the block belongs to %#llx", who,
                   (unsigned long long)h->tag, (unsigned long long)b->tag);
    s = __atomic_load_n(&b->state, __ATOMIC_ACQUIRE);
    if ((s & 3) != ST_ENABLED && (s >> 2) <= c->op_at_start)
        hook_error(c, "%s of tag %#llx ran although it was %s by op %llu and the exit began "
                      "after op %llu",
                   who, (unsigned long long)h->tag, (s & 3) == ST_CLEARED ? "cleared" : "disabled",
                   (unsigned long long)(s >> 2), (unsigned long long)c->op_at_start);
    return b;
}

void *perm_action(struct hd_hook *h)
{
    struct core_ctx *c = hook_ctx(h);
    if (h->tag != g_perm_tag || h->stage != HD_STAGE_PRE || h->user != &g_perm_tag)
        hook_error(c, "permanent action: tag %#llx stage %d", (unsigned long long)h->tag,
                   (int)h->stage);
    c->perm_actions++;
    h->regs->r15 = c->perm_actions; /* discarded on protected calls (S14) */
    return NULL;
}

uint64_t churn_condition(struct hd_hook *h)
{
    struct core_ctx *c = hook_ctx(h);
    struct block *b = check_block(c, h, "condition");
    if (!b)
        return 0;
    b->cond_calls[c->core]++;
    return (h->regs->rbx & 3) != 0; /* false one time in four */
}

void *churn_action(struct hd_hook *h)
{
    struct core_ctx *c = hook_ctx(h);
    struct block *b = check_block(c, h, "action");
    if (!b)
        return NULL;
    b->act_runs[c->core]++;
    h->regs->r14 = 0xBAD; /* discarded on protected calls (S14) */
    if (h->stage == HD_STAGE_PRE && (h->regs->rbx & 0x1F0) == 0x10)
        h->short_circuit = true;
    return NULL;
}

void *added_action(struct hd_hook *h)
{
    struct core_ctx *c = hook_ctx(h);
    struct block *b = check_block(c, h, "added action");
    if (b)
        b->added_runs[c->core]++;
    return NULL;
}

/* mov rax, [rdx+0x68] (r13); mov [rcx], rax; mov rax, rcx; ret: r13 into the buffer, which
 * becomes a message (S18). Needs a buffer of at least 8 bytes. */
const uint8_t RAW_BUFFERED[] = {0x48, 0x8B, 0x42, 0x68, 0x48, 0x89,
                                0x01, 0x48, 0x89, 0xC8, 0xC3};
/* xor eax, eax — no RET: the engine appends one. Returns NULL: no message. */
const uint8_t RAW_NULL[] = {0x31, 0xC0};
