/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/alloc_failure/alloc_failure.h — the machinery of test_alloc_failure.c, shared by
 * the files of this directory (tests/CMakeLists.txt compiles them into test_alloc_failure):
 *
 *   - fixture.c: hooks that log what ran, the raw code the events carry, the fixture (its own
 *     struct fx: it counts tags, and its teardown copes with a body that stopped half-way) and
 *     the events it registers (reg_plain, rich_desc, populate);
 *   - records.c: what the registry holds and what one exit does, recorded and compared;
 *   - failure_loop.c: fail_every_allocation() — fail allocation n = 0, 1, … of one writer call
 *     and check that each failure changed nothing — plus the writer calls it drives.
 */
#ifndef HDEVENT_TESTS_UNIT_ALLOC_FAILURE_H
#define HDEVENT_TESTS_UNIT_ALLOC_FAILURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <hdevent/host.h>

/* ---- hooks that log what ran (fixture.c) ------------------------------------------------- */

#define LOG_MAX 128

struct log_entry {
    uint64_t tag;
    uintptr_t id;      /* the hook's user pointer, as an id */
    uint32_t stage;
    bool condition;    /* a condition (true) or an action (false) */
};

/* The hooks append here; fire() (records.c) resets and copies the log around one exit. */
extern struct log_entry g_log[LOG_MAX];
extern unsigned g_log_n;

/* Native action: log the run, no message. */
void *native_action(struct hd_hook *h);
/* Native condition: log the run; holds unless rsi is 0xDEAD (every exit the test takes). */
uint64_t native_condition(struct hd_hook *h);

/*
 * Raw code the events carry (fixture.c says what each does). Sizes are spelled out so that
 * sizeof works in every file; the definitions must agree or the build fails.
 */
extern const uint8_t RAW_COND_RBX[4];  /* condition without RET: true when rbx != 0 */
extern const uint8_t RAW_CODE_R13[10]; /* code without RET: r13 into its buffer, a message */
extern const uint8_t RAW_CODE_NULL[3]; /* code ending in RET: no message */

/* ---- fixture (fixture.c) ----------------------------------------------------------------- */

struct fx {
    struct hd_host *host;
    struct hd_engine *engine;
    uint64_t next_tag; /* the tag the next successful registration must get */
    bool done;         /* the test body ran to its end */
};

int fx_setup(void **state);
int fx_teardown(void **state);

/* Register @d and check it gets the next tag in sequence. */
uint64_t reg_ok(struct fx *f, const struct hd_event_desc *d);
/* A plain event: native condition, one native action logging @id. */
uint64_t reg_plain(struct fx *f, uint32_t core, uint32_t pid, enum hd_stage stage,
                   bool enabled, uintptr_t id);
/* The richest registration (raw condition, raw code with a buffer, native, break, command). */
void rich_desc(struct hd_event_desc *d, struct hd_action_desc a[3], bool enabled, uintptr_t id);
/* A varied population of 7 events (tags HD_TAG_BASE + 0..6): see fixture.c. */
void populate(struct fx *f);

/* ---- what the registry holds, and what one exit does (records.c) ------------------------- */

#define REC_MAX 64

struct registry_record {
    unsigned n;
    struct hd_event_info ev[REC_MAX];
    char command[REC_MAX][128];
};

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

void record_registry(struct fx *f, struct registry_record *r);
void assert_same_registry(const struct registry_record *a, const struct registry_record *b,
                          const char *what, int64_t n);
/* Take one VMCALL exit on core 1, pid 0x490, and record everything it did. */
void fire(struct fx *f, struct fire_record *r);
void assert_same_fire(const struct fire_record *a, const struct fire_record *b,
                      const char *what, int64_t n);

/* ---- the failure loop and the writer calls it drives (failure_loop.c) -------------------- */

typedef enum hd_status (*op_fn)(struct fx *f, void *arg);

/* Fail each allocation of @op once, checking each failure changed nothing; returns the number
 * of allocations the successful call made. */
uint64_t fail_every_allocation(struct fx *f, op_fn op, void *arg, const char *what);

/* The end of every case: no tag was used up by the failures. */
void assert_next_tag(struct fx *f);

struct reg_arg {
    const struct hd_event_desc *desc;
    uint64_t tag;
};

struct add_arg {
    uint64_t tag;
    const struct hd_action_desc *action;
};

enum hd_status op_register(struct fx *f, void *arg); /* arg: struct reg_arg */
enum hd_status op_add(struct fx *f, void *arg);      /* arg: struct add_arg */
enum hd_status op_clear(struct fx *f, void *arg);    /* arg: uint64_t tag */
enum hd_status op_enable(struct fx *f, void *arg);   /* arg: uint64_t tag */
enum hd_status op_disable(struct fx *f, void *arg);  /* arg: uint64_t tag */

/* The tag of the @index-th event registered (populate() registers 0..6). */
uint64_t tag_of(uintptr_t index);
void assert_enabled(struct fx *f, uint64_t tag, bool enabled);

#endif /* HDEVENT_TESTS_UNIT_ALLOC_FAILURE_H */
