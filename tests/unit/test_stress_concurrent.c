/*
 * S5/S16 under load: dispatchers on every simulated core take VMCALL exits without pause
 * while one writer registers, enables, disables, adds actions to and clears events.
 *
 * What catches a bug here:
 *   - ASan: a snapshot, event, action, code page or buffer freed while a core still runs it;
 *   - TSan: a data race between the writer and the dispatch path;
 *   - exact counters: a permanent event (all cores, all pids), registered before the threads
 *     start and never touched by the writer, must be evaluated exactly once per exit and run
 *     its action exactly once per exit on every core — no exit may see a torn or empty set;
 *   - a liveness check in every churned hook: each event's `user` block (owned by the test,
 *     freed only after the threads are joined) records the last state change the writer
 *     completed. A hook that runs for an event whose disable or clear had returned before the
 *     exit began — with no enable since — is a bug (S4, S5);
 *   - exact bookkeeping at the end: break records and messages (pushed + dropped) against the
 *     action runs the hooks counted, hd_event_counters of the survivors against the hooks'
 *     own counts, message contents against the core that produced them (per-core buffers);
 *   - the registry as hd_event_next reports it, compared with the writer's model, and tags
 *     handed out strictly in sequence (S19) while the dispatchers run;
 *   - no allocation left once everything is cleared and the engine destroyed.
 *
 * HDEVENT_STRESS_OPS overrides the number of writer operations (default 100000);
 * HDEVENT_STRESS_SEED fixes the writer's random seed (printed at start) to replay a run.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <hdevent/host.h>

#define CORES 4u
#define MAX_EVENTS 64u              /* the permanent one included */
#define MAX_ACTIONS 6u
#define DEFAULT_OPS 100000u
#define MAGIC 0x5EC7AB1E0DDC0FFEull
#define R13_MARK 0xC0DEull          /* top 16 bits of r13: the raw code copies r13 to its buffer */

/* ---- shared state ---------------------------------------------------------------------- */

enum block_state { ST_ENABLED = 1, ST_DISABLED = 2, ST_CLEARED = 3 };

/* The user memory of one churned event (one registration): written by the test only. */
struct block {
    uint64_t magic;
    uint64_t tag;                 /* the tag the registration was predicted to get */
    uint64_t state;               /* atomic: op << 2 | enum block_state */
    bool buffered_code;           /* its raw code action has a buffer: each run is a message */
    bool has_break;
    uint32_t native_adds;         /* native actions added with hd_action_add */
    /* Per core, written only by that core's dispatcher, read after the join. */
    uint64_t cond_calls[CORES];
    uint64_t act_runs[CORES];     /* the registered native action */
    uint64_t added_runs[CORES];   /* native actions added later with hd_action_add */
};

/* One dispatcher thread = one simulated core. */
struct core_ctx {
    uint32_t core;
    uint64_t op_at_start;         /* writer op number seen when the current exit began */
    uint64_t exits;
    uint64_t perm_actions;        /* runs of the permanent event's action */
    uint64_t protected_exits;
    uint64_t errors;
    char first_error[192];
    uint64_t rng;
    _Alignas(64) char pad_[64];
};

static struct hd_host *g_host;
static struct hd_engine *g_engine;
static uint64_t g_perm_tag;
static uint64_t g_op;             /* atomic: writer ops completed (release after each) */
static int g_stop;                /* atomic */
static struct core_ctx g_ctx[CORES];

/* Every block ever handed to the engine; freed after the join. */
static struct block **g_blocks;
static size_t g_block_count, g_block_capacity;

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- hooks (dispatch path: no cmocka asserts, they longjmp across threads) ------------ */

static void hook_error(struct core_ctx *c, const char *fmt, ...)
{
    if (c->errors++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->first_error, sizeof(c->first_error), fmt, ap);
        va_end(ap);
    }
}

static struct core_ctx *hook_ctx(const struct hd_hook *h)
{
    struct core_ctx *c = h->vcpu->backend_data;
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

static void *perm_action(struct hd_hook *h)
{
    struct core_ctx *c = hook_ctx(h);
    if (h->tag != g_perm_tag || h->stage != HD_STAGE_PRE || h->user != &g_perm_tag)
        hook_error(c, "permanent action: tag %#llx stage %d", (unsigned long long)h->tag,
                   (int)h->stage);
    c->perm_actions++;
    h->regs->r15 = c->perm_actions; /* discarded on protected calls (S14) */
    return NULL;
}

static uint64_t churn_condition(struct hd_hook *h)
{
    struct core_ctx *c = hook_ctx(h);
    struct block *b = check_block(c, h, "condition");
    if (!b)
        return 0;
    b->cond_calls[c->core]++;
    return (h->regs->rbx & 3) != 0; /* false one time in four */
}

static void *churn_action(struct hd_hook *h)
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

static void *added_action(struct hd_hook *h)
{
    struct core_ctx *c = hook_ctx(h);
    struct block *b = check_block(c, h, "added action");
    if (b)
        b->added_runs[c->core]++;
    return NULL;
}

/* mov rax, [rdx+0x68] (r13); mov [rcx], rax; mov rax, rcx; ret: r13 into the buffer, which
 * becomes a message (S18). Needs a buffer of at least 8 bytes. */
static const uint8_t RAW_BUFFERED[] = {0x48, 0x8B, 0x42, 0x68, 0x48, 0x89,
                                       0x01, 0x48, 0x89, 0xC8, 0xC3};
/* xor eax, eax — no RET: the engine appends one. Returns NULL: no message. */
static const uint8_t RAW_NULL[] = {0x31, 0xC0};

/* ---- dispatchers ----------------------------------------------------------------------- */

static const uint32_t PIDS[] = {0x10, 0x20, 0x490, 0x777};

static void *dispatcher(void *arg)
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

/* ---- writer ---------------------------------------------------------------------------- */

struct churned {
    uint64_t tag;
    struct block *block;
    bool enabled;
    uint32_t actions;
    enum hd_stage stage;
    uint32_t core, pid;
    bool sc;
};

struct writer {
    uint64_t rng;
    uint64_t ops_target;
    uint64_t ops;               /* state-changing writer calls made */
    uint64_t next_tag;
    struct churned ev[MAX_EVENTS];
    uint32_t count;             /* churned events registered now */
    uint64_t registers, enables, disables, clears, clear_alls, adds, enable_alls, rejects;
    uint64_t messages, bad_messages, walks, counter_reads;
    uint64_t perm_hits_seen[CORES]; /* last hits of the permanent event read per core */
    char error[256];
};

static struct block *new_block(struct writer *w, uint64_t tag)
{
    struct block *b = calloc(1, sizeof(*b));
    if (!b)
        abort();
    b->magic = MAGIC;
    b->tag = tag;
    if (g_block_count == g_block_capacity) {
        g_block_capacity = g_block_capacity ? g_block_capacity * 2 : 1024;
        g_blocks = realloc(g_blocks, g_block_capacity * sizeof(*g_blocks));
        if (!g_blocks)
            abort();
    }
    g_blocks[g_block_count++] = b;
    (void)w;
    return b;
}

static void set_state(struct block *b, uint64_t op, enum block_state st)
{
    __atomic_store_n(&b->state, op << 2 | st, __ATOMIC_RELEASE);
}

/* The op just made is complete: publish its number (after any state update it implies). */
static void op_done(struct writer *w)
{
    w->ops++;
    __atomic_store_n(&g_op, w->ops, __ATOMIC_RELEASE);
}

#define WCHECK(cond, ...)                                                                       \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            snprintf(w->error, sizeof(w->error), __VA_ARGS__);                                  \
            return false;                                                                       \
        }                                                                                       \
    } while (0)

static bool do_register(struct writer *w)
{
    uint64_t r = xorshift(&w->rng), tag = 0;
    uint64_t op = w->ops + 1;
    struct churned *c = &w->ev[w->count];
    struct hd_event_desc d;
    struct hd_action_desc a[3];
    uint32_t n = 0;
    enum hd_status st;

    hd_event_desc_init(&d);
    d.core = (r & 7) < 4 ? (uint32_t)(r & 3) : HD_ALL;
    d.pid = (r >> 3 & 7) < 4 ? PIDS[r >> 6 & 3] : HD_ALL;
    d.stage = (enum hd_stage)(1 + (r >> 8) % 3);
    d.short_circuit = d.stage == HD_STAGE_PRE && (r >> 10 & 7) == 0;
    d.enabled = (r >> 13 & 7) != 0;
    d.command = (r >> 16 & 1) ? "!vmcall stress" : NULL;
    d.condition.kind = HD_CONDITION_NATIVE;
    d.condition.fn = churn_condition;

    c->block = new_block(w, w->next_tag);
    d.condition.user = c->block;
    hd_action_desc_init(&a[n], HD_ACTION_NATIVE);
    a[n].fn = churn_action;
    a[n].user = c->block;
    n++;
    hd_action_desc_init(&a[n], HD_ACTION_CODE);
    if (r >> 17 & 1) {
        a[n].code = RAW_BUFFERED;
        a[n].code_size = sizeof(RAW_BUFFERED);
        a[n].buffer_size = 8u << (r >> 18 & 3);
        c->block->buffered_code = true;
    } else {
        a[n].code = RAW_NULL;
        a[n].code_size = sizeof(RAW_NULL);
    }
    n++;
    if ((r >> 20 & 15) == 0) {
        hd_action_desc_init(&a[n], HD_ACTION_BREAK);
        c->block->has_break = true;
        n++;
    }
    d.actions = a;
    d.action_count = n;

    /* Enabled: say so before the event can run; disabled: it must never run until enabled. */
    set_state(c->block, op, d.enabled ? ST_ENABLED : ST_DISABLED);
    st = hd_event_register(g_engine, &d, &tag);
    WCHECK(st == HD_OK, "register: %s", hd_status_name(st));
    WCHECK(tag == w->next_tag, "register: tag %#llx, expected %#llx (S19)",
           (unsigned long long)tag, (unsigned long long)w->next_tag);
    w->next_tag++;
    c->tag = tag;
    c->enabled = d.enabled;
    c->actions = n;
    c->stage = d.stage;
    c->core = d.core;
    c->pid = d.pid;
    c->sc = d.short_circuit;
    w->count++;
    w->registers++;
    op_done(w);
    return true;
}

/* A registration that must be refused: no tag used, nothing changed. */
static bool do_reject(struct writer *w)
{
    struct hd_event_desc d;
    uint64_t tag = 0;
    enum hd_status st;
    hd_event_desc_init(&d);
    d.stage = HD_STAGE_POST;
    d.short_circuit = true; /* S13 */
    st = hd_event_register(g_engine, &d, &tag);
    WCHECK(st == HD_ERR_SC_WITH_POST, "sc with post: %s", hd_status_name(st));
    w->rejects++;
    op_done(w);
    return true;
}

static bool do_set(struct writer *w, uint32_t i, bool enable)
{
    struct churned *c = &w->ev[i];
    uint64_t op = w->ops + 1;
    enum hd_status st;
    if (enable) {
        set_state(c->block, op, ST_ENABLED);
        st = hd_event_enable(g_engine, c->tag);
        w->enables++;
    } else {
        st = hd_event_disable(g_engine, c->tag);
        if (st == HD_OK)
            set_state(c->block, op, ST_DISABLED);
        w->disables++;
    }
    WCHECK(st == HD_OK, "%s %#llx: %s", enable ? "enable" : "disable",
           (unsigned long long)c->tag, hd_status_name(st));
    c->enabled = enable;
    op_done(w);
    return true;
}

static bool do_clear(struct writer *w, uint32_t i)
{
    struct churned *c = &w->ev[i];
    struct hd_event_info info;
    enum hd_status st = hd_event_clear(g_engine, c->tag);
    WCHECK(st == HD_OK, "clear %#llx: %s", (unsigned long long)c->tag, hd_status_name(st));
    set_state(c->block, w->ops + 1, ST_CLEARED);
    st = hd_event_query(g_engine, c->tag, &info);
    WCHECK(st == HD_ERR_NO_SUCH_EVENT, "query after clear: %s", hd_status_name(st));
    w->ev[i] = w->ev[--w->count]; /* order in the model does not matter */
    w->clears++;
    op_done(w);
    return true;
}

static bool do_add(struct writer *w, uint32_t i)
{
    struct churned *c = &w->ev[i];
    struct hd_action_desc a;
    enum hd_status st;
    if (xorshift(&w->rng) & 1) {
        hd_action_desc_init(&a, HD_ACTION_NATIVE);
        a.fn = added_action;
        a.user = c->block;
        c->block->native_adds++;
    } else {
        hd_action_desc_init(&a, HD_ACTION_CODE);
        a.code = RAW_NULL;
        a.code_size = sizeof(RAW_NULL);
    }
    st = hd_action_add(g_engine, c->tag, &a);
    WCHECK(st == HD_OK, "add action to %#llx: %s", (unsigned long long)c->tag,
           hd_status_name(st));
    c->actions++;
    w->adds++;
    op_done(w);
    return true;
}

static bool do_enable_all(struct writer *w)
{
    uint64_t op = w->ops + 1;
    enum hd_status st;
    for (uint32_t i = 0; i < w->count; i++)
        set_state(w->ev[i].block, op, ST_ENABLED);
    st = hd_event_enable(g_engine, HD_TAG_ALL);
    WCHECK(st == HD_OK, "enable all: %s", hd_status_name(st));
    for (uint32_t i = 0; i < w->count; i++)
        w->ev[i].enabled = true;
    w->enable_alls++;
    op_done(w);
    return true;
}

/* Read a few messages: each is a raw code buffer holding the producing core's r13. */
static void read_messages(struct writer *w, unsigned max)
{
    struct hd_message_info info;
    uint8_t data[128];
    while (max-- && hd_message_read(g_engine, &info, data, sizeof(data)) == HD_OK) {
        uint64_t word;
        bool zero = true;
        memcpy(&word, data, 8);
        for (uint32_t k = 8; k < info.size && k < sizeof(data); k++)
            zero &= data[k] == 0;
        if (info.truncated || info.size < 8 || info.size > 64 || !zero ||
            word >> 48 != R13_MARK || (word >> 32 & 0xFFFF) != info.core ||
            info.tag < HD_TAG_BASE + 1 || info.tag >= w->next_tag)
            w->bad_messages++;
        w->messages++;
    }
}

/* The registry as the engine reports it equals the writer's model. */
static bool walk_registry(struct writer *w)
{
    struct hd_event_info info;
    uint64_t after = 0;
    uint32_t seen = 0;
    enum hd_status st;
    bool perm_seen = false;

    while ((st = hd_event_next(g_engine, after, &info)) == HD_OK) {
        WCHECK(info.tag > after, "hd_event_next not in tag order");
        after = info.tag;
        if (info.tag == g_perm_tag) {
            WCHECK(info.enabled && info.action_count == 1, "permanent event changed");
            perm_seen = true;
            continue;
        }
        uint32_t i;
        for (i = 0; i < w->count && w->ev[i].tag != info.tag; i++)
            ;
        WCHECK(i < w->count, "registry holds %#llx, which was cleared",
               (unsigned long long)info.tag);
        WCHECK(info.enabled == w->ev[i].enabled && info.action_count == w->ev[i].actions &&
                   info.stage == w->ev[i].stage && info.core == w->ev[i].core &&
                   info.pid == w->ev[i].pid && info.short_circuit == w->ev[i].sc &&
                   info.condition == HD_CONDITION_NATIVE,
               "event %#llx differs from the model", (unsigned long long)info.tag);
        seen++;
    }
    WCHECK(st == HD_EMPTY, "hd_event_next: %s", hd_status_name(st));
    WCHECK(perm_seen, "the permanent event is gone");
    WCHECK(seen == w->count, "registry holds %u churned events, model %u", seen, w->count);
    w->walks++;
    return true;
}

/* Counters and queue statistics read while the cores write them: only ever growing. */
static bool read_counters(struct writer *w, uint32_t i)
{
    struct hd_event_counters k, all;
    struct hd_message_stats ms;
    uint64_t sum = 0;
    for (uint32_t c = 0; c < CORES; c++) {
        WCHECK(hd_event_counters(g_engine, g_perm_tag, c, &k) == HD_OK, "counters");
        WCHECK(k.hits >= w->perm_hits_seen[c] && k.condition_false == 0,
               "core %u: permanent hits went from %llu to %llu", c,
               (unsigned long long)w->perm_hits_seen[c], (unsigned long long)k.hits);
        w->perm_hits_seen[c] = k.hits;
        sum += k.hits;
        WCHECK(hd_message_stats(g_engine, c, &ms) == HD_OK && ms.queued <= 64, "stats");
    }
    WCHECK(hd_event_counters(g_engine, g_perm_tag, HD_ALL, &all) == HD_OK && all.hits >= sum,
           "summed counters went back");
    if (w->count) {
        WCHECK(hd_event_counters(g_engine, w->ev[i % w->count].tag, HD_ALL, &k) == HD_OK &&
                   k.condition_false <= k.hits,
               "counters of %#llx", (unsigned long long)w->ev[i % w->count].tag);
    }
    w->counter_reads++;
    return true;
}

static bool writer_step(struct writer *w)
{
    uint64_t r = xorshift(&w->rng);
    uint32_t pick = (uint32_t)(r >> 32);
    uint32_t kind = (uint32_t)(r % 1000);

    /* Keep the registry bounded and never empty for long. */
    if (w->count < 4 || (kind < 300 && w->count < MAX_EVENTS - 1))
        return do_register(w);
    if (w->count >= MAX_EVENTS - 1 && kind < 300)
        kind = 300 + kind % 400; /* full: clear instead */
    if (kind < 540)
        return do_clear(w, pick % w->count);
    if (kind < 680)
        return do_set(w, pick % w->count, true);
    if (kind < 840)
        return do_set(w, pick % w->count, false);
    if (kind < 920) {
        uint32_t i = pick % w->count;
        return w->ev[i].actions < MAX_ACTIONS ? do_add(w, i) : do_clear(w, i);
    }
    if (kind < 935)
        return do_enable_all(w);
    if (kind < 940) {
        /* "Clear all" of the churned events. HD_TAG_ALL would also clear (and disable-all
         * would also disable) the permanent event, which the counters need intact. */
        w->clear_alls++;
        while (w->count)
            if (!do_clear(w, w->count - 1))
                return false;
        return true;
    }
    if (kind < 950)
        return do_reject(w);
    if (kind < 970) {
        read_messages(w, 64);
        return true;
    }
    if (kind < 980)
        return read_counters(w, pick);
    if (kind < 990) {
        hd_engine_reclaim(g_engine);
        return true;
    }
    return walk_registry(w);
}

static void *writer_thread(void *arg)
{
    struct writer *w = arg;
    while (w->ops < w->ops_target)
        if (!writer_step(w))
            return (void *)1;
    return walk_registry(w) ? NULL : (void *)1;
}

/* ---- the test -------------------------------------------------------------------------- */

static uint64_t ops_from_env(void)
{
    const char *s = getenv("HDEVENT_STRESS_OPS");
    if (s && *s) {
        char *end;
        unsigned long long v = strtoull(s, &end, 0);
        if (*end == '\0' && v > 0)
            return v;
    }
    return DEFAULT_OPS;
}

static void stress_register_clear_while_dispatching(void **state)
{
    struct hd_host_config config = {.cores = CORES};
    struct hd_event_desc d;
    struct hd_action_desc a;
    static struct writer writer_state; /* static: a failing assertion longjmps out */
    struct writer *w = &writer_state;
    pthread_t threads[CORES], writer;
    void *writer_result;
    double t0, elapsed;
    uint64_t total_exits = 0, expect_breaks = 0, expect_messages = 0;
    (void)state;

    memset(w, 0, sizeof(*w));
    assert_int_equal(hd_host_create(&config, &g_host), HD_OK);
    assert_int_equal(hd_engine_create(hd_host_ops(g_host), NULL, &g_engine), HD_OK);
    assert_int_equal(hd_engine_core_count(g_engine), CORES);

    /* The permanent event: every core, every pid, pre; one native action. */
    hd_event_desc_init(&d);
    hd_action_desc_init(&a, HD_ACTION_NATIVE);
    a.fn = perm_action;
    a.user = &g_perm_tag;
    d.actions = &a;
    d.action_count = 1;
    assert_int_equal(hd_event_register(g_engine, &d, &g_perm_tag), HD_OK);
    assert_int_equal(g_perm_tag, HD_TAG_BASE);

    w->rng = getenv("HDEVENT_STRESS_SEED") ? strtoull(getenv("HDEVENT_STRESS_SEED"), NULL, 0)
                                           : 0x9E3779B97F4A7C15ull ^ (uint64_t)time(NULL);
    if (w->rng == 0)
        w->rng = 1;
    w->ops_target = ops_from_env();
    w->next_tag = g_perm_tag + 1;
    printf("[ stress   ] seed %#llx, %llu writer ops, %u dispatcher threads\n",
           (unsigned long long)w->rng, (unsigned long long)w->ops_target, CORES);

    t0 = now_seconds();
    for (uint32_t c = 0; c < CORES; c++) {
        g_ctx[c].core = c;
        g_ctx[c].rng = 0x2545F4914F6CDD1Dull * (c + 1);
        assert_int_equal(pthread_create(&threads[c], NULL, dispatcher, &g_ctx[c]), 0);
    }
    assert_int_equal(pthread_create(&writer, NULL, writer_thread, w), 0);
    assert_int_equal(pthread_join(writer, &writer_result), 0);
    __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
    for (uint32_t c = 0; c < CORES; c++)
        assert_int_equal(pthread_join(threads[c], NULL), 0);
    elapsed = now_seconds() - t0;

    /* Everything below runs with no dispatcher left. */
    for (uint32_t c = 0; c < CORES; c++) {
        printf("[ stress   ] core %u: %llu exits (%llu own hypercalls)\n", c,
               (unsigned long long)g_ctx[c].exits, (unsigned long long)g_ctx[c].protected_exits);
        total_exits += g_ctx[c].exits;
    }
    printf("[ stress   ] writer: %llu ops (%llu register, %llu enable, %llu disable, %llu clear "
           "in %llu clear-alls too, %llu add-action, %llu enable-all, %llu rejected), "
           "%llu registry walks, %llu counter reads, %llu messages read\n",
           (unsigned long long)w->ops, (unsigned long long)w->registers,
           (unsigned long long)w->enables, (unsigned long long)w->disables,
           (unsigned long long)w->clears, (unsigned long long)w->clear_alls,
           (unsigned long long)w->adds, (unsigned long long)w->enable_alls,
           (unsigned long long)w->rejects, (unsigned long long)w->walks,
           (unsigned long long)w->counter_reads, (unsigned long long)w->messages);
    printf("[ stress   ] %llu exits, %.2f s\n", (unsigned long long)total_exits, elapsed);

    if (writer_result != NULL)
        fail_msg("writer: %s", w->error);
    for (uint32_t c = 0; c < CORES; c++)
        if (g_ctx[c].errors)
            fail_msg("core %u: %llu errors, first: %s", c, (unsigned long long)g_ctx[c].errors,
                     g_ctx[c].first_error);
    assert_true(w->ops >= w->ops_target);
    assert_int_equal(w->bad_messages, 0);

    /* The permanent event: exactly one evaluation and one action per exit, per core. */
    for (uint32_t c = 0; c < CORES; c++) {
        struct hd_event_counters k;
        assert_true(g_ctx[c].exits > 0);
        assert_int_equal(hd_event_counters(g_engine, g_perm_tag, c, &k), HD_OK);
        if (k.hits != g_ctx[c].exits || g_ctx[c].perm_actions != g_ctx[c].exits)
            fail_msg("core %u: %llu exits, permanent event hits %llu, action runs %llu", c,
                     (unsigned long long)g_ctx[c].exits, (unsigned long long)k.hits,
                     (unsigned long long)g_ctx[c].perm_actions);
        assert_int_equal(k.condition_false, 0);
    }

    /* Survivors: the engine's counters agree with what their hooks saw, per core. */
    for (uint32_t i = 0; i < w->count; i++) {
        const struct block *b = w->ev[i].block;
        for (uint32_t c = 0; c < CORES; c++) {
            struct hd_event_counters k;
            assert_int_equal(hd_event_counters(g_engine, w->ev[i].tag, c, &k), HD_OK);
            if (k.hits != b->cond_calls[c] || k.hits - k.condition_false != b->act_runs[c])
                fail_msg("event %#llx core %u: hits %llu condition_false %llu, hooks saw %llu "
                         "conditions and %llu actions",
                         (unsigned long long)w->ev[i].tag, c, (unsigned long long)k.hits,
                         (unsigned long long)k.condition_false,
                         (unsigned long long)b->cond_calls[c],
                         (unsigned long long)b->act_runs[c]);
            assert_true(b->added_runs[c] <= (uint64_t)b->native_adds * b->act_runs[c]);
        }
    }

    /* Every event ever registered: breaks and messages match the action runs exactly. Actions
     * run in order and all of them run when the condition holds, so each run of the native
     * action is followed by one run of the raw code (a message: queued, read or dropped)
     * and, where there is one, of the break action. */
    for (size_t i = 0; i < g_block_count; i++) {
        const struct block *b = g_blocks[i];
        for (uint32_t c = 0; c < CORES; c++) {
            if (b->has_break)
                expect_breaks += b->act_runs[c];
            if (b->buffered_code)
                expect_messages += b->act_runs[c];
        }
    }
    {
        uint64_t dropped = 0;
        read_messages(w, UINT32_MAX);
        assert_int_equal(w->bad_messages, 0);
        for (uint32_t c = 0; c < CORES; c++) {
            struct hd_message_stats ms;
            assert_int_equal(hd_message_stats(g_engine, c, &ms), HD_OK);
            assert_int_equal(ms.queued, 0);
            dropped += ms.dropped;
        }
        printf("[ stress   ] %llu breaks, %llu messages read + %llu dropped\n",
               (unsigned long long)hd_host_break_count(g_host), (unsigned long long)w->messages,
               (unsigned long long)dropped);
        assert_int_equal(hd_host_break_count(g_host), expect_breaks);
        assert_int_equal(w->messages + dropped, expect_messages);
    }

    /* Tear down: nothing may be left allocated. */
    assert_int_equal(hd_event_clear(g_engine, HD_TAG_ALL), HD_OK);
    {
        struct hd_event_info info;
        assert_int_equal(hd_event_next(g_engine, 0, &info), HD_EMPTY);
    }
    hd_engine_destroy(g_engine);
    g_engine = NULL;
    assert_int_equal(hd_host_live_allocations(g_host), 0);
    hd_host_destroy(g_host);
    g_host = NULL;

    /* Only now may the user blocks go: the engine can no longer run a hook. */
    for (size_t i = 0; i < g_block_count; i++) {
        assert_int_equal(g_blocks[i]->magic, MAGIC);
        free(g_blocks[i]);
    }
    free(g_blocks);
    g_blocks = NULL;
    g_block_count = g_block_capacity = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stress_register_clear_while_dispatching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
