/* SPDX-License-Identifier: MIT */
/*
 * hdbg-sim: HyperDbg's dispatch as issue 6 describes it (see hdbg_sim.h). Clean-room: the
 * layout below is ours; only the sizes, the list discipline and the order of the checks
 * follow the description.
 */
#define _GNU_SOURCE
#include "hdbg_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hdbg_script.h"
#include "rng.h"
#include "timing.h"

struct hdbg_link {
    struct hdbg_link *next;
    struct hdbg_link *prev;
};

/* 184 bytes; the condition's bytes follow it in the same allocation. */
struct hdbg_event {
    struct hdbg_link link;        /*   0: the type's event list */
    uint64_t tag;                 /*  16 */
    uint32_t core;                /*  24: 0xFFFFFFFF = all */
    uint32_t pid;                 /*  28: 0xFFFFFFFF = all */
    uint8_t enabled;              /*  32 */
    uint8_t short_circuit;        /*  33 */
    uint8_t has_output;           /*  34 */
    uint8_t pad0_;
    uint32_t stage;               /*  36 */
    uint32_t type;                /*  40 */
    uint32_t action_count;        /*  44 */
    struct hdbg_link actions;     /*  48: sentinel of the action list */
    uint64_t options[6];          /*  64 */
    uint64_t output_tags[5];      /* 112 */
    uint64_t command;             /* 152: user-mode command string (unused here) */
    uint32_t condition_size;      /* 160 */
    uint32_t pad1_;
    void *condition;              /* 168: the bytes behind this node, or NULL */
    uint64_t reserved_[1];        /* 176 */
};
_Static_assert(sizeof(struct hdbg_event) == 184, "HyperDbg's event node is 184 bytes");

enum { HDBG_ACTION_BREAK = 0, HDBG_ACTION_SCRIPT = 1, HDBG_ACTION_CODE = 2 };

/* 96 bytes; the custom code's bytes follow it in the same allocation. */
struct hdbg_action {
    struct hdbg_link link;        /*   0: the event's action list */
    uint64_t tag;                 /*  16 */
    uint32_t type;                /*  24 */
    uint8_t immediate;            /*  28 */
    uint8_t pad0_[3];
    uint32_t buffer_size;         /*  32: pre-allocated buffer */
    uint32_t code_size;           /*  36 */
    void *buffer;                 /*  40 */
    void *code;                   /*  48: the bytes behind this node */
    uint64_t script[4];           /*  56: script symbols (behind this node), bytes, count */
    uint64_t reserved_;           /*  88 */
};
_Static_assert(sizeof(struct hdbg_action) == 96, "HyperDbg's action node is 96 bytes");

/* A pool allocation's header, as a kernel pool puts before each block. */
#define HDBG_POOL_HEADER 16u

struct hdbg_lists {
    struct hdbg_link by_type[HDBG_EVENT_TYPES];
};

/* The globals the entry and the trigger read. */
volatile uint8_t hdbg_vmcall_armed;
hdbg_trigger_fn volatile hdbg_trigger;
static struct hdbg_lists *volatile hdbg_lists_global; /* global 1: the list table */
static volatile uint8_t hdbg_debugger_on;             /* global 2: events switched on */
static const struct hdbg_set *hdbg_active;

uint64_t hdbg_call(const void *code, uint64_t a1, uint64_t a2, uint64_t a3);

/* Not static, not inlined: HyperDbg gets the core through an exported kernel routine. */
__attribute__((noinline, noipa)) static uint32_t hdbg_core_number(void)
{
    return bench_os_core();
}

__attribute__((noinline, noipa)) static uint32_t hdbg_current_pid(void)
{
    return bench_os_pid();
}

static void hdbg_trigger_events(uint32_t type, uint32_t stage, struct hd_guest_regs *regs,
                                void *context, bool *short_circuit)
{
    struct hdbg_link *head;
    uint32_t core;

    if (!hdbg_debugger_on)
        return;
    head = &hdbg_lists_global->by_type[type];
    core = hdbg_core_number();
    for (struct hdbg_link *l = head->next; l != head; l = l->next) {
        const struct hdbg_event *ev = (const struct hdbg_event *)l;
        if (!ev->enabled)
            continue;
        if (ev->core != BENCH_ALL && ev->core != core)
            continue;
        if (ev->pid != BENCH_ALL && ev->pid != hdbg_current_pid())
            continue;
        if (ev->stage != stage && ev->stage != HDBG_STAGE_ALL)
            continue;
        if (ev->condition_size &&
            !hdbg_call(ev->condition, (uintptr_t)regs, (uintptr_t)context, 0))
            continue;
        for (const struct hdbg_link *al = ev->actions.next; al != &ev->actions; al = al->next) {
            const struct hdbg_action *a = (const struct hdbg_action *)al;
            if (a->type == HDBG_ACTION_CODE) {
                hdbg_call(a->code, (uintptr_t)a->buffer, (uintptr_t)regs, (uintptr_t)context);
            } else if (a->type == HDBG_ACTION_SCRIPT) {
                struct hdbg_script_ctx ctx = {a->tag, context};
                hdbg_script_run((const struct hdbg_symbol *)(uintptr_t)a->script[0],
                                (uint32_t)a->script[2], regs, &ctx);
            }
            /* break actions never run in the benchmark's worlds */
        }
        if (ev->short_circuit || hdbg_script_short_circuit) {
            *short_circuit = true; /* HyperDbg: the last event to run decides */
            hdbg_script_short_circuit = false;
        }
    }
}

static void link_head(struct hdbg_link *head, struct hdbg_link *n)
{
    n->next = head->next;
    n->prev = head;
    head->next->prev = n;
    head->next = n;
}

static void link_tail(struct hdbg_link *head, struct hdbg_link *n)
{
    link_head(head->prev, n);
}

static void list_init(struct hdbg_link *head)
{
    head->next = head->prev = head;
}

/* Bytes one pool block takes: header + node + code, 16-aligned as pool blocks are. */
static size_t block_bytes(size_t node, size_t code)
{
    return (HDBG_POOL_HEADER + node + code + 15u) & ~(size_t)15u;
}

static const uint8_t *cond_bytes(uint8_t cond, uint32_t *size)
{
    switch (cond) {
    case BENCH_COND_TRUE:
        *size = sizeof(bench_code_cond_true);
        return bench_code_cond_true;
    case BENCH_COND_FALSE:
        *size = sizeof(bench_code_cond_false);
        return bench_code_cond_false;
    }
    *size = 0;
    return NULL;
}

/* How hdbg_build lays out its arena: the list table, then 2 * events equal slots. */
struct arena_layout {
    size_t slot;     /* bytes per pool block, event or action alike */
    size_t table;    /* the list table, rounded up to a cache line */
    uint32_t blocks; /* an event and its action each */
    size_t size;     /* bytes to map: whole pages */
};

static struct arena_layout arena_layout(const struct world *w)
{
    /* Every block gets the same slot size so that a shuffled order is a permutation of slots. */
    struct arena_layout l;
    size_t aslot = block_bytes(sizeof(struct hdbg_action),
                               w->script && w->script->hdbg_bytes > sizeof(bench_code_ret)
                                   ? w->script->hdbg_bytes
                                   : sizeof(bench_code_ret));
    uint32_t events = w->count;
    size_t page = 4096;

    l.slot = block_bytes(sizeof(struct hdbg_event), 8);
    if (aslot > l.slot)
        l.slot = aslot;
    l.blocks = 2u * events;
    l.table = (sizeof(struct hdbg_lists) + 63u) & ~(size_t)63u;
    l.size = (l.table + (size_t)l.blocks * l.slot + page - 1) & ~(page - 1);
    return l;
}

/* The order the pool hands out slots: one after another, or shuffled (a fragmented pool). */
static void slot_order(uint32_t *order, uint32_t blocks, bool shuffled, uint64_t seed)
{
    struct bench_rng rng = {seed};
    for (uint32_t i = 0; i < blocks; i++)
        order[i] = i;
    if (shuffled)
        for (uint32_t i = blocks; i > 1; i--) { /* Fisher-Yates */
            uint32_t j = (uint32_t)(bench_rng_next(&rng) % i);
            uint32_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
}

/* Event @i's node in @block, its condition's bytes right behind it; no action yet. */
static struct hdbg_event *place_event(uint8_t *block, const struct bench_event *be, uint32_t i,
                                      uint64_t exit_rcx)
{
    struct hdbg_event *ev = (struct hdbg_event *)block;
    uint32_t csize;
    /* `nr`: HyperDbg can look at the number only in a condition, run for every event; the
     * compare's outcome is taken here (its cost is not counted: in hdbg's favour). */
    uint8_t cond = !be->has_nr         ? be->cond
                   : be->nr != exit_rcx ? BENCH_COND_FALSE
                   : be->cond == BENCH_COND_NONE ? BENCH_COND_TRUE
                                                : be->cond;
    const uint8_t *cbytes = cond_bytes(cond, &csize);

    memset(ev, 0, sizeof(*ev));
    ev->tag = 0x1000000u + i;
    ev->core = be->core;
    ev->pid = be->pid;
    ev->enabled = 1;
    ev->stage = HDBG_STAGE_PRE;
    ev->type = HDBG_VMCALL;
    list_init(&ev->actions);
    if (csize) {
        memcpy(ev + 1, cbytes, csize); /* the condition lives right behind the node */
        ev->condition = ev + 1;
        ev->condition_size = csize;
    }
    return ev;
}

/* @ev's one action in @block — custom code or a script (its bytes behind the node) or a
 * break — linked into the event's action list. */
static void place_action(uint8_t *block, struct hdbg_event *ev, const struct bench_event *be,
                         const struct bench_script *script)
{
    struct hdbg_action *a = (struct hdbg_action *)block;

    memset(a, 0, sizeof(*a));
    a->tag = ev->tag;
    a->immediate = 1;
    if (be->action == BENCH_ACTION_CODE) {
        a->type = HDBG_ACTION_CODE;
        memcpy(a + 1, bench_code_ret, sizeof(bench_code_ret));
        a->code = a + 1;
        a->code_size = sizeof(bench_code_ret);
    } else if (be->action == BENCH_ACTION_SCRIPT && script) {
        a->type = HDBG_ACTION_SCRIPT;
        memcpy(a + 1, script->hdbg_code, script->hdbg_bytes); /* 16-aligned: symbols are u64 */
        a->script[0] = (uintptr_t)(a + 1);
        a->script[1] = script->hdbg_bytes;
        a->script[2] = script->hdbg_count;
    } else {
        a->type = HDBG_ACTION_BREAK;
    }
    link_tail(&ev->actions, &a->link);
    ev->action_count = 1;
}

/* W^X: nothing is written after this point, and the code behind the nodes may run. */
static bool seal_arena(uint8_t *arena, size_t size)
{
    if (mprotect(arena, size, PROT_READ | PROT_EXEC) != 0) {
        perror("hdevent-bench: mprotect hdbg-sim arena");
        munmap(arena, size);
        return false;
    }
    __builtin___clear_cache((char *)arena, (char *)arena + size);
    return true;
}

bool hdbg_build(const struct world *w, bool shuffled, uint64_t seed, struct hdbg_set *out)
{
    struct arena_layout l = arena_layout(w);
    uint32_t *order;
    struct hdbg_lists *lists;
    uint8_t *arena, *slots;
    uint32_t next = 0;

    arena = mmap(NULL, l.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    order = malloc(((size_t)l.blocks + 1) * sizeof(*order));
    if (arena == MAP_FAILED || !order) {
        fprintf(stderr, "hdevent-bench: cannot map %zu bytes for hdbg-sim\n", l.size);
        if (arena != MAP_FAILED)
            munmap(arena, l.size);
        free(order);
        return false;
    }
    slot_order(order, l.blocks, shuffled, seed);

    /* The list table is a global of the driver, at the start of the arena. */
    lists = (struct hdbg_lists *)arena;
    slots = arena + l.table;
    for (uint32_t t = 0; t < HDBG_EVENT_TYPES; t++)
        list_init(&lists->by_type[t]);

    for (uint32_t i = 0; i < w->count; i++) {
        struct hdbg_event *ev =
            place_event(slots + order[next++] * l.slot + HDBG_POOL_HEADER, &w->events[i], i,
                        w->exit_rcx);
        /* The add-action request comes after the event's: its block is the next one taken. */
        place_action(slots + order[next++] * l.slot + HDBG_POOL_HEADER, ev, &w->events[i],
                     w->script);
        link_head(&lists->by_type[HDBG_VMCALL], &ev->link); /* newest first */
    }
    free(order);

    if (!seal_arena(arena, l.size))
        return false;
    out->arena = arena;
    out->arena_size = l.size;
    out->arena_used = l.table + (size_t)l.blocks * l.slot;
    out->lists = lists;
    return true;
}

void hdbg_activate(const struct hdbg_set *s)
{
    const struct hdbg_link *head = &s->lists->by_type[HDBG_VMCALL];
    hdbg_active = s;
    hdbg_lists_global = s->lists;
    hdbg_debugger_on = 1;
    hdbg_trigger = hdbg_trigger_events;
    hdbg_vmcall_armed = head->next != head; /* armed while the VMCALL list is not empty */
}

void hdbg_destroy(struct hdbg_set *s)
{
    if (hdbg_active == s) {
        hdbg_vmcall_armed = 0;
        hdbg_lists_global = NULL;
        hdbg_active = NULL;
    }
    if (s->arena)
        munmap(s->arena, s->arena_size);
    s->arena = NULL;
}

void hdbg_flush(const struct hdbg_set *s)
{
    bench_flush(s->arena, s->arena_used);
    bench_flush((const void *)&hdbg_vmcall_armed, 1);
    bench_flush((const void *)&hdbg_trigger, sizeof(hdbg_trigger));
    bench_flush((const void *)&hdbg_lists_global, sizeof(hdbg_lists_global));
    bench_flush((const void *)&hdbg_debugger_on, 1);
    bench_flush_done();
}

/* Last in the file: the functions above keep their places (and alignment) in the text. */
__attribute__((noinline, noipa)) void hdbg_handle_vmcall(struct hd_guest_regs *regs)
{
    /* HyperDbg's VMCALL handler tells its own hypercalls by the magic in r10/r11/r12 (what
     * hd_vmcall_own() decides on the hd side); any other gets -KVM_ENOSYS, as
     * hd_vmcall_default() answers. */
    bool own = regs->r10 == 0x48564653ull && regs->r11 == 0x564D43414C4Cull &&
               regs->r12 == 0x4E4F485950455256ull;
    regs->rax = own ? 0 : (uint64_t)-1000;
}
