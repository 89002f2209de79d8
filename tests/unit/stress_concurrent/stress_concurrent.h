/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/stress_concurrent/stress_concurrent.h — the machinery of test_stress_concurrent.c,
 * shared by the files of this directory (tests/CMakeLists.txt compiles them into
 * test_stress_concurrent):
 *
 *   - hooks.c: the hooks the events run, on the dispatcher threads: counts, and the liveness
 *     check against each event's user block;
 *   - dispatcher.c: one thread per simulated core, taking VMCALL exits without pause and
 *     checking each one;
 *   - writer.c: the writer thread, which churns events and keeps a model of what it registered;
 *   - writer_checks.c: what the writer checks while the cores run (messages, the registry
 *     against its model, counters that may only grow).
 *
 * Shared state lives in test_stress_concurrent.c, which starts and joins the threads and
 * checks the bookkeeping at the end.
 */
#ifndef HDEVENT_TESTS_UNIT_STRESS_CONCURRENT_H
#define HDEVENT_TESTS_UNIT_STRESS_CONCURRENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hdevent/host.h>

#define CORES 4u
#define MAX_EVENTS 64u              /* the permanent one included */
#define MAX_ACTIONS 6u
#define DEFAULT_OPS 100000u
#define MAGIC 0x5EC7AB1E0DDC0FFEull
#define R13_MARK 0xC0DEull          /* top 16 bits of r13: the raw code copies r13 to its buffer */

/* ---- shared state (defined in test_stress_concurrent.c and writer.c) --------------------- */

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

extern struct hd_host *g_host;
extern struct hd_engine *g_engine;
extern uint64_t g_perm_tag;
extern uint64_t g_op;             /* atomic: writer ops completed (release after each) */
extern int g_stop;                /* atomic */
extern struct core_ctx g_ctx[CORES];

/* Every block ever handed to the engine (writer.c); freed after the join. */
extern struct block **g_blocks;
extern size_t g_block_count, g_block_capacity;

static inline uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* ---- hooks (hooks.c; dispatch path: no cmocka asserts, they longjmp across threads) ------ */

/* Record an error of core @c (the first one's text is kept); reported after the join. */
void hook_error(struct core_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void *perm_action(struct hd_hook *h);       /* the permanent event's action */
uint64_t churn_condition(struct hd_hook *h); /* every churned event's condition */
void *churn_action(struct hd_hook *h);      /* every churned event's registered action */
void *added_action(struct hd_hook *h);      /* native actions added with hd_action_add */

/* Raw code of the churned events (sizes spelled out for sizeof; the definitions must agree). */
extern const uint8_t RAW_BUFFERED[11]; /* r13 into its buffer: a message (S18) */
extern const uint8_t RAW_NULL[2];      /* no RET (appended), returns NULL: no message */

/* ---- dispatchers (dispatcher.c) ---------------------------------------------------------- */

/* The pids the exits come from; the writer's pid filters pick among them. */
extern const uint32_t PIDS[4];

/* Thread body: VMCALL exits on core ((struct core_ctx *)arg)->core until g_stop. */
void *dispatcher(void *arg);

/* ---- writer (writer.c, writer_checks.c) -------------------------------------------------- */

/* The writer's model of one churned event. */
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

/* A writer step's check: on failure, say why in w->error and make the step return false. */
#define WCHECK(cond, ...)                                                                       \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            snprintf(w->error, sizeof(w->error), __VA_ARGS__);                                  \
            return false;                                                                       \
        }                                                                                       \
    } while (0)

/* Thread body: w->ops_target state-changing writer calls, then a last registry walk.
 * Returns NULL, or (void *)1 with w->error set. */
void *writer_thread(void *arg);

/* Read up to @max messages, counting those that are not what a churned event's code wrote. */
void read_messages(struct writer *w, unsigned max);
/* The registry as the engine reports it equals the writer's model. */
bool walk_registry(struct writer *w);
/* Counters and queue statistics read while the cores write them: only ever growing. */
bool read_counters(struct writer *w, uint32_t i);

#endif /* HDEVENT_TESTS_UNIT_STRESS_CONCURRENT_H */
