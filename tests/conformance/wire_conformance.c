/* SPDX-License-Identifier: MIT */
/*
 * tests/conformance/wire_conformance.c — runs every row of wire_cases.c through
 * hd_wire_ioctl() as a kernel backend would, one cmocka test per row.
 *
 * Each row gets a fresh engine (4 cores) holding the fixture of wire_cases.h, and its input in
 * a heap block of exactly its length, so ASan reports any read past the end. Checked:
 *   - the status, and the wire code in the result (or mapped from the status);
 *   - the output bytes: result layout, modify echo, or untouched when nothing was written;
 *   - a rejection changes nothing: the same events with the same fields, the same live
 *     allocations, and not one allocation attempted;
 *   - a control row changes the engine (so a rejection row differs from it by its patch only);
 *   - the row as a FILE (`hdevent decode`'s input: an action row follows a valid event for
 *     its tag) gets the same code from hd_wire_file_decode(), where a FILE can tell.
 *
 * `wire_conformance --write-files DIR` writes those FILEs as DIR/<row>.bin and their codes in
 * DIR/expected.tsv (`<row>\t0x<code>`), for the CLI's tests of `hdevent decode`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include <hdevent/host.h>
#include <hdevent/wire.h>
#include <hdevent/wire_encode.h>

#include "wire_cases.h"

#define OUT_CAP 64
#define MAX_EVENTS 8

struct row {
    const struct wire_case *c;
    struct hd_host *host;
    struct hd_engine *engine;
};

/* Everything a rejection must leave as it was. */
struct state {
    struct hd_event_info events[MAX_EVENTS];
    unsigned count;
    uint64_t live;
    uint64_t calls;
};

static void take_state(struct row *r, struct state *s)
{
    uint64_t after = 0;
    memset(s, 0, sizeof(*s));
    while (s->count < MAX_EVENTS && hd_event_next(r->engine, after, &s->events[s->count]) == HD_OK)
        after = s->events[s->count++].tag;
    s->live = hd_host_live_allocations(r->host);
    s->calls = hd_host_allocation_calls(r->host);
}

static bool same_events(const struct state *a, const struct state *b)
{
    if (a->count != b->count)
        return false;
    for (unsigned i = 0; i < a->count; i++) {
        const struct hd_event_info *x = &a->events[i], *y = &b->events[i];
        if (x->tag != y->tag || x->pid != y->pid || x->core != y->core || x->stage != y->stage ||
            x->short_circuit != y->short_circuit || x->enabled != y->enabled ||
            x->condition != y->condition || x->action_count != y->action_count)
            return false;
    }
    return true;
}

static uint32_t rd32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t rd64(const uint8_t *b)
{
    return (uint64_t)rd32(b) | (uint64_t)rd32(b + 4) << 32;
}

/* ---- fixture ------------------------------------------------------------------------------ */

static void reg_tagged(struct row *r, uint64_t tag, uint32_t break_actions)
{
    static struct hd_action_desc acts[HD_EVENT_MAX_ACTIONS];
    struct hd_event_desc d;
    for (uint32_t i = 0; i < break_actions; i++)
        hd_action_desc_init(&acts[i], HD_ACTION_BREAK);
    hd_event_desc_init(&d);
    d.tag = tag;
    d.actions = break_actions ? acts : NULL;
    d.action_count = break_actions;
    assert_int_equal(hd_event_register(r->engine, &d, NULL), HD_OK);
}

static int row_setup(void **state)
{
    struct hd_host_config cfg = {.cores = 4, .log_to_stderr = false};
    struct row *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->c = *state;
    assert_int_equal(hd_host_create(&cfg, &r->host), HD_OK);
    assert_int_equal(hd_engine_create(hd_host_ops(r->host), NULL, &r->engine), HD_OK);
    reg_tagged(r, WC_TAG_CLEARED, 0);
    assert_int_equal(hd_event_clear(r->engine, WC_TAG_CLEARED), HD_OK);
    reg_tagged(r, WC_TAG_OLD, 1);
    reg_tagged(r, WC_TAG_FULL, HD_EVENT_MAX_ACTIONS);
    hd_engine_reclaim(r->engine);
    *state = r;
    return 0;
}

static int row_teardown(void **state)
{
    struct row *r = *state;
    uint64_t live;
    hd_engine_destroy(r->engine);
    live = hd_host_live_allocations(r->host);
    hd_host_destroy(r->host);
    free(r);
    assert_int_equal(live, 0); /* nothing leaked, whatever the row did */
    return 0;
}

/* ---- one row ------------------------------------------------------------------------------ */

static uint8_t scratch[70000 * 2];

static void check_as_file(const struct wire_case *c, const uint8_t *in, size_t len);

static void check_output(const struct wire_case *c, uint32_t code, const uint8_t *in, size_t len,
                         const uint8_t *out, size_t written)
{
    if (code == HD_IOCTL_REGISTER_EVENT || code == HD_IOCTL_ADD_ACTION) {
        assert_int_equal(written, 8);
        assert_int_equal(out[0], c->expect == HD_WIRE_OK ? 1 : 0); /* IsSuccessful */
        assert_int_equal(out[1] | out[2] | out[3], 0);
        assert_int_equal(rd32(out + 4), c->expect); /* Error */
    } else if (code == HD_IOCTL_MODIFY_EVENTS) {
        assert_int_equal(written, 24);
        assert_int_equal(rd64(out + 8), c->expect); /* KernelStatus */
        if (len >= 24) {                             /* Tag and TypeOfAction echoed */
            assert_memory_equal(out, in, 8);
            assert_memory_equal(out + 16, in + 16, 4);
        }
    } else {
        assert_int_equal(written, 12);
        assert_int_equal(rd32(out), c->expect); /* KernelStatus */
        assert_int_equal(rd32(out + 8), 0);
    }
    for (size_t i = written; i < OUT_CAP; i++)
        assert_int_equal(out[i], 0xAA); /* nothing past the result */
}

static void run_row(void **state)
{
    struct row *r = *state;
    const struct wire_case *c = r->c;
    size_t len = wc_build(c, scratch, sizeof(scratch));
    uint8_t *in = malloc(len ? len : 1); /* exactly len bytes: ASan sees any over-read */
    uint8_t out[OUT_CAP];
    size_t out_len = c->out_len == 0 ? OUT_CAP : c->out_len < 0 ? 0 : (size_t)c->out_len;
    size_t written = 12345;
    uint32_t code = wc_ioctl(c);
    struct state before, after;
    enum hd_status st;

    assert_non_null(in);
    memcpy(in, scratch, len);
    memset(out, 0xAA, sizeof(out));
    assert_string_not_equal(hd_wire_error_name(c->expect), "HD_WIRE_UNKNOWN");

    take_state(r, &before);
    st = hd_wire_ioctl(r->engine, code, c->null_input ? NULL : in, len, out, out_len, &written);
    take_state(r, &after);

    assert_int_equal(st, c->status);
    if (st != HD_OK) {
        assert_int_equal(written, 0);
        assert_int_equal(hd_wire_error_from_status(st), c->expect);
        for (size_t i = 0; i < OUT_CAP; i++)
            assert_int_equal(out[i], 0xAA);
    } else {
        check_output(c, code, in, len, out, written);
    }

    if (c->effect == WC_CHANGES) {
        assert_false(same_events(&before, &after) && before.live == after.live);
    } else {
        assert_true(same_events(&before, &after));
        assert_int_equal(after.live, before.live);
        assert_int_equal(after.calls, before.calls); /* refused before allocating anything */
    }
    memcpy(in, scratch, len); /* the output never aliases here, but be exact */
    check_as_file(c, in, len);
    free(in);
}

/* ---- the same rows as FILEs ---------------------------------------------------------------- */

static bool is_event_row(const struct wire_case *c)
{
    return c->base == WC_EVENT || c->base == WC_EVENT_COND || c->base == WC_EVENT_NOPS;
}

/*
 * The code hd_wire_file_decode() must give for row @p c, or false when a FILE cannot say:
 * requests that are not event or action buffers, answers that depend on the engine's state,
 * and sizes a FILE reads differently (bytes after a buffer are the next buffer, not trailing).
 */
static bool file_expect(const struct wire_case *c, const uint8_t *bytes, size_t len,
                        uint32_t *expect)
{
    bool event = is_event_row(c);
    if (c->status != HD_OK || c->null_input || c->base == WC_MODIFY || c->base == WC_FLUSH)
        return false;
    if (c->expect == HD_WIRE_ERR_TRAILING_BYTES || (!event && len == 0))
        return false;
    if (c->expect == HD_WIRE_ERR_TOO_MANY_ACTIONS && !event)
        return false; /* the 257th action: only the engine knows the event is full */
    if (event && len >= 84 && c->expect != HD_WIRE_ERR_TOO_MANY_ACTIONS &&
        (bytes[80] | bytes[81] | bytes[82] | bytes[83]))
        *expect = HD_WIRE_ERR_ACTION_COUNT_MISMATCH; /* announced actions are not in the FILE */
    else if (c->effect != WC_NOTHING || c->expect == HD_WIRE_ERR_TAG_IN_USE ||
             !strcmp(c->name, "event_tag_skips_too_far"))
        *expect = HD_WIRE_OK; /* valid as a FILE; reuse and skips need the engine's history */
    else
        *expect = c->expect;
    return true;
}

/* The row as a FILE into @p out (capacity @p cap); returns its length. */
static size_t file_build(const struct wire_case *c, const uint8_t *in, size_t len, uint8_t *out,
                         size_t cap)
{
    size_t n = 0;
    assert_true(len + 168 <= cap);
    if (!is_event_row(c)) { /* a valid event for WC_TAG_OLD announcing this one action */
        memset(out, 0, 168);
        out[16] = out[17] = out[18] = out[19] = 0xFF;
        out[20] = out[21] = out[22] = out[23] = 0xFF;
        out[24] = 1;
        out[28] = 1;
        out[80] = 1;
        for (unsigned i = 0; i < 8; i++)
            out[88 + i] = (uint8_t)(WC_TAG_OLD >> (8 * i));
        out[96] = 21;
        n = 168;
    }
    memcpy(out + n, in, len);
    return n + len;
}

static uint8_t file_bytes[sizeof(scratch) + 168];
static struct hd_wire_file_decoded decoded;

static void check_as_file(const struct wire_case *c, const uint8_t *in, size_t len)
{
    uint32_t expect;
    if (!file_expect(c, in, len, &expect))
        return;
    size_t n = file_build(c, in, len, file_bytes, sizeof(file_bytes));
    uint8_t *exact = malloc(n ? n : 1);
    assert_non_null(exact);
    memcpy(exact, file_bytes, n);
    assert_int_equal(hd_wire_file_decode(exact, n, 4, &decoded), expect);
    free(exact);
}

static int write_files(const char *dir)
{
    char path[4096];
    unsigned written = 0;
    FILE *tsv;

    snprintf(path, sizeof(path), "%s/expected.tsv", dir);
    tsv = fopen(path, "w");
    if (!tsv) {
        perror(path);
        return 1;
    }
    for (unsigned i = 0; i < wire_case_count; i++) {
        const struct wire_case *c = &wire_cases[i];
        size_t len = wc_build(c, scratch, sizeof(scratch)), n;
        uint32_t expect;
        FILE *f;
        if (!file_expect(c, scratch, len, &expect))
            continue;
        n = file_build(c, scratch, len, file_bytes, sizeof(file_bytes));
        snprintf(path, sizeof(path), "%s/%s.bin", dir, c->name);
        f = fopen(path, "wb");
        if (!f || fwrite(file_bytes, 1, n, f) != n || fclose(f) != 0) {
            perror(path);
            return 1;
        }
        fprintf(tsv, "%s\t0x%08X\n", c->name, expect);
        written++;
    }
    if (fclose(tsv) != 0)
        return 1;
    printf("wrote %u FILEs and expected.tsv to %s\n", written, dir);
    return 0;
}

/* ---- the table covers what it promises ---------------------------------------------------- */

static bool table_has(uint32_t code, bool rejection)
{
    for (unsigned i = 0; i < wire_case_count; i++)
        if (wire_cases[i].expect == code && (wire_cases[i].effect == WC_NOTHING) == rejection)
            return true;
    return false;
}

/* Every code a single request can get is pinned by a row; the rest are pinned elsewhere. */
static void table_covers_every_request_code(void **state)
{
    (void)state;
    static const uint32_t elsewhere[] = {
        HD_WIRE_OK, HD_WIRE_SUCCESS,          /* controls, checked below */
        HD_WIRE_ERR_UNABLE_TO_CREATE_EVENT,  /* allocation failure: test_wire_ioctl */
        HD_WIRE_ERR_EVENT_NOT_APPLIED,       /* backend without exec_alloc: test_wire_ioctl */
        HD_WIRE_ERR_INVALID_PROCESS_ID,      /* HyperDbg's; hdevent never returns it */
        HD_WIRE_ERR_ACTION_COUNT_MISMATCH,   /* FILE format: test_wire_roundtrip */
        HD_WIRE_ERR_INTERNAL,                /* no buffer can cause it */
        /* hdevent's own IOCTLs (self-test, messages): test_wire_device */
        HD_WIRE_ERR_SELFTEST_BAD_CPL, HD_WIRE_ERR_SELFTEST_BAD_INSN_LEN,
        HD_WIRE_ERR_SELFTEST_BAD_FLAGS, HD_WIRE_ERR_SELFTEST_WRONG_CORE,
        HD_WIRE_ERR_SELFTEST_UNAVAILABLE, HD_WIRE_ERR_MESSAGE_BUFFER_TOO_SMALL,
        HD_WIRE_ERR_REPLY_MALFORMED,         /* user-mode reply decoders: test_wire_replies */
        HD_WIRE_ERR_BUDGET_EXCEEDED,         /* the engine's budget: test_budget */
        HD_WIRE_ERR_SCRIPT_UNSUPPORTED,      /* no longer returned: scripts are supported */
        HD_WIRE_ERR_CUSTOM_OUTPUT_UNSUPPORTED, /* no longer returned: outputs are kept */
        HD_WIRE_ERR_COMMAND_OP, HD_WIRE_ERR_COMMAND_TEXT, /* event command: test_event_command */
    };
#define CHECK_(name, value, text)                                                            \
    {                                                                                        \
        bool skip = false;                                                                   \
        for (unsigned k = 0; k < sizeof(elsewhere) / sizeof(elsewhere[0]); k++)              \
            skip = skip || elsewhere[k] == (value);                                          \
        if (!skip && !table_has((value), true))                                             \
            fail_msg("no rejection row expects %s", #name);                                  \
    }
    HD_WIRE_ERROR_LIST(CHECK_)
#undef CHECK_
    assert_true(table_has(HD_WIRE_OK, false));
    assert_true(table_has(HD_WIRE_SUCCESS, false));
}

int main(int argc, char **argv)
{
    struct CMUnitTest *tests;
    int failed;

    if (argc == 3 && strcmp(argv[1], "--write-files") == 0)
        return write_files(argv[2]);
    if (argc != 1) {
        fprintf(stderr, "usage: %s [--write-files DIR]\n", argv[0]);
        return 2;
    }
    tests = calloc(wire_case_count + 1, sizeof(*tests));
    if (!tests)
        return 1;
    for (unsigned i = 0; i < wire_case_count; i++) {
        tests[i].name = wire_cases[i].name;
        tests[i].test_func = run_row;
        tests[i].setup_func = row_setup;
        tests[i].teardown_func = row_teardown;
        tests[i].initial_state = (void *)&wire_cases[i];
    }
    tests[wire_case_count].name = "table_covers_every_request_code";
    tests[wire_case_count].test_func = table_covers_every_request_code;
    failed = _cmocka_run_group_tests("wire_conformance", tests, wire_case_count + 1, NULL, NULL);
    free(tests);
    return failed;
}
