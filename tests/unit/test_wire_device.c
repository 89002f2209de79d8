/* SPDX-License-Identifier: MIT */
/*
 * hd_wire_device_ioctl(): hdevent's own IOCTLs as a kernel device serves them, through the
 * host backend (docs/wire.md, "hdevent's own IOCTLs"):
 *   - self-test VMCALL: HyperDbg's doc condition and custom code registered through the wire
 *     change the registers of a synthetic exit; the default handling; short-circuit; post pass;
 *     the caller's pid or a given one; rip advanced; the core it ran on;
 *   - every malformed self-test buffer gets its code, dispatches nothing, echoes the input;
 *   - message records: packing, padding, a truncated first record, too small, empty;
 *   - the event list: entries, next_tag above cleared tags, paging with `more`;
 *   - HyperDbg's codes still go through; unknown codes are refused.
 */
#include "helpers.h"

#include <hdevent/wire.h>
#include <hdevent/wire_device.h>
#include <hdevent/wire_encode.h>

#define HDBG 0x47424448ull
#define HDB2 0x32424448ull

static uint32_t rd32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t rd64(const uint8_t *b)
{
    return (uint64_t)rd32(b) | (uint64_t)rd32(b + 4) << 32;
}

/* ---- the caller: run_here runs on a chosen simulated core -------------------------------- */

static uint32_t here_core;
static unsigned here_calls;

static void run_here(void *user, void (*fn)(void *arg, uint32_t core), void *arg)
{
    (void)user;
    here_calls++;
    fn(arg, here_core);
}

static const struct hd_wire_caller caller = {.pid = 0x4242, .user = NULL, .run_here = run_here};

/* ---- helpers ------------------------------------------------------------------------------ */

static void send_ok(struct fx *f, uint32_t code, const void *in, size_t len)
{
    uint8_t out[32];
    size_t written = 0;
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, code, in, len, out, sizeof(out),
                                          &written), HD_OK);
    assert_int_equal(written, 8);
    assert_int_equal(rd32(out + 4), HD_WIRE_OK);
}

/* Register through the wire: event + its actions, with tag @tag. */
static void wire_register(struct fx *f, const struct hd_event_desc *d, uint64_t tag)
{
    uint8_t *b;
    size_t n;
    assert_int_equal(hd_wire_encode_event(d, tag, &b, &n), HD_OK);
    send_ok(f, HD_IOCTL_REGISTER_EVENT, b, n);
    free(b);
    for (uint32_t i = 0; i < d->action_count; i++) {
        assert_int_equal(hd_wire_encode_action(&d->actions[i], tag, &b, &n), HD_OK);
        send_ok(f, HD_IOCTL_ADD_ACTION, b, n);
        free(b);
    }
}

static struct hd_wire_selftest exit_in(uint32_t core)
{
    struct hd_wire_selftest in;
    memset(&in, 0, sizeof(in));
    in.rip = 0x401000;
    in.core = core;
    return in;
}

/* Send a self-test; assert a result came back; return it. */
static struct hd_wire_selftest_result selftest(struct fx *f, const void *in, size_t len)
{
    struct hd_wire_selftest_result r;
    size_t written = 0;
    memset(&r, 0xAA, sizeof(r));
    assert_int_equal(hd_wire_device_ioctl(f->engine, &caller, HD_IOCTL_SELFTEST_VMCALL, in, len,
                                          &r, sizeof(r), &written), HD_OK);
    assert_int_equal(written, HD_WIRE_SELFTEST_RESULT_SIZE);
    return r;
}

/* The doc condition (rdx == 0x1000) and the doc custom code (r8 HDBG -> HDB2), as one event. */
static void register_doc_event(struct fx *f, uint64_t tag)
{
    uint32_t cs, ks;
    const uint8_t *cond = doc_condition(&cs), *code = doc_code(&ks);
    struct hd_action_desc a = act_code(code, ks, 0);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = cond;
    d.condition.code_size = cs;
    wire_register(f, &d, tag);
}

/* ---- self-test --------------------------------------------------------------------------- */

static void selftest_runs_doc_condition_and_code(void **state)
{
    struct fx *f = *state;
    struct hd_wire_selftest in = exit_in(2);
    struct hd_wire_selftest_result r;

    register_doc_event(f, HD_TAG_BASE);
    here_core = 2;
    in.regs.rdx = 0x1000;
    in.regs.r8 = HDBG;
    in.regs.rax = 0x77;
    r = selftest(f, &in, sizeof(in));
    assert_int_equal(r.status, HD_WIRE_SUCCESS);
    assert_int_equal(r.core, 2);
    assert_int_equal(r.pid, 0x4242); /* the caller's */
    assert_int_equal(r.fired_pre, 1);
    assert_int_equal(r.fired_post, 0);
    assert_int_equal(r.regs.r8, HDB2);
    assert_int_equal(r.regs.rdx, 0x1000);
    assert_int_equal(r.regs.rax, HD_VMCALL_ENOSYS); /* default handling ran */
    assert_int_equal(r.result_flags, HD_WIRE_SELFTEST_DEFAULT_RAN);
    assert_int_equal(r.rip, 0x401003);
    assert_int_equal(r.verdict, 0);

    in.regs.rdx = 0x2000; /* condition false: the code does not run */
    r = selftest(f, &in, sizeof(in));
    assert_int_equal(r.status, HD_WIRE_SUCCESS);
    assert_int_equal(r.fired_pre, 0);
    assert_int_equal(r.regs.r8, HDBG);
}

static void selftest_short_circuit_skips_default(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_break();
    struct hd_event_desc d = ev_desc(HD_ALL, 0x99, HD_STAGE_PRE, true, &a, 1);
    struct hd_wire_selftest in = exit_in(HD_ALL);
    struct hd_wire_selftest_result r;

    wire_register(f, &d, HD_TAG_BASE);
    here_core = 1;
    in.regs.rax = 0x1234;
    r = selftest(f, &in, sizeof(in)); /* caller's pid 0x4242: the event does not match */
    assert_int_equal(r.fired_pre, 0);
    assert_int_equal(r.regs.rax, HD_VMCALL_ENOSYS);
    in.flags = HD_WIRE_SELFTEST_PID_GIVEN;
    in.pid = 0x99;
    r = selftest(f, &in, sizeof(in));
    assert_int_equal(r.status, HD_WIRE_SUCCESS);
    assert_int_equal(r.pid, 0x99);
    assert_int_equal(r.core, 1);
    assert_int_equal(r.fired_pre, 1);
    assert_true(r.verdict & HD_VERDICT_SHORT_CIRCUIT);
    assert_true(r.verdict & HD_VERDICT_BREAK);
    assert_int_equal(r.result_flags, 0);   /* no default handling, no post pass */
    assert_int_equal(r.regs.rax, 0x1234);  /* untouched */
    assert_int_equal(r.rip, 0x401003);     /* still retired */
}

static void selftest_post_pass(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_break();
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_ALL, false, &a, 1);
    struct hd_wire_selftest in = exit_in(0);
    struct hd_wire_selftest_result r;

    wire_register(f, &d, HD_TAG_BASE + 5);
    here_core = 0;
    in.insn_len = 4;
    in.cpl = 3;
    r = selftest(f, &in, sizeof(in));
    assert_int_equal(r.status, HD_WIRE_SUCCESS);
    assert_int_equal(r.fired_pre, 1);
    assert_int_equal(r.fired_post, 1);
    assert_int_equal(r.result_flags, HD_WIRE_SELFTEST_DEFAULT_RAN | HD_WIRE_SELFTEST_POST_RAN);
    assert_int_equal(r.rip, 0x401004);
}

static void selftest_protected_default_rax_zero(void **state)
{
    struct fx *f = *state;
    struct hd_wire_selftest in = exit_in(0);
    struct hd_wire_selftest_result r;

    here_core = 0;
    in.regs.r10 = HD_HYPERDBG_MAGIC_R10;
    in.regs.r11 = HD_HYPERDBG_MAGIC_R11;
    in.regs.r12 = HD_HYPERDBG_MAGIC_R12;
    in.regs.rax = 5;
    r = selftest(f, &in, sizeof(in));
    assert_int_equal(r.status, HD_WIRE_SUCCESS);
    assert_int_equal(r.regs.rax, 0);
    assert_true(r.verdict & HD_VERDICT_PROTECTED);
}

/* One malformed buffer: its code, nothing dispatched, the input echoed. */
static void expect_rejected(struct fx *f, const void *in, size_t len, uint32_t code)
{
    struct hd_wire_selftest_result r;
    struct hd_event_counters c;

    r = selftest(f, in, len);
    assert_int_equal(r.status, code);
    assert_int_equal(r.fired_pre, 0);
    assert_int_equal(r.result_flags, 0);
    if (len >= HD_WIRE_SELFTEST_SIZE)
        assert_memory_equal(&r, in, 136); /* regs and rip as given */
    assert_int_equal(hd_event_counters(f->engine, HD_TAG_BASE, HD_ALL, &c), HD_OK);
    assert_int_equal(c.hits, 0);
}

static void selftest_rejects_malformed(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_break();
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    uint8_t big[HD_WIRE_SELFTEST_SIZE + 1] = {0};
    struct hd_wire_selftest in;
    struct hd_wire_selftest_result r;
    size_t written = 99;

    wire_register(f, &d, HD_TAG_BASE);
    here_core = 1;
    in = exit_in(1);
    in.regs.rbx = 0x55;
    expect_rejected(f, &in, sizeof(in) - 1, HD_WIRE_ERR_TRUNCATED);
    expect_rejected(f, NULL, 0, HD_WIRE_ERR_TRUNCATED);
    memcpy(big, &in, sizeof(in));
    expect_rejected(f, big, sizeof(big), HD_WIRE_ERR_TRAILING_BYTES);
    in.cpl = 4;
    expect_rejected(f, &in, sizeof(in), HD_WIRE_ERR_SELFTEST_BAD_CPL);
    in = exit_in(1);
    in.insn_len = 16;
    expect_rejected(f, &in, sizeof(in), HD_WIRE_ERR_SELFTEST_BAD_INSN_LEN);
    in = exit_in(1);
    in.flags = 0x2;
    expect_rejected(f, &in, sizeof(in), HD_WIRE_ERR_SELFTEST_BAD_FLAGS);
    in = exit_in(1);
    in.reserved0[1] = 1;
    expect_rejected(f, &in, sizeof(in), HD_WIRE_ERR_SELFTEST_BAD_FLAGS);
    in = exit_in(1);
    in.reserved1 = 1;
    expect_rejected(f, &in, sizeof(in), HD_WIRE_ERR_SELFTEST_BAD_FLAGS);
    in = exit_in(4); /* the fixture has 4 cores */
    expect_rejected(f, &in, sizeof(in), HD_WIRE_ERR_INVALID_CORE_ID);
    in = exit_in(3); /* run_here lands on core 1 */
    here_calls = 0;
    expect_rejected(f, &in, sizeof(in), HD_WIRE_ERR_SELFTEST_WRONG_CORE);
    assert_int_equal(here_calls, 1);

    /* No run_here: refused, nothing ran. */
    in = exit_in(1);
    memset(&r, 0, sizeof(r));
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_SELFTEST_VMCALL, &in,
                                          sizeof(in), &r, sizeof(r), &written), HD_OK);
    assert_int_equal(r.status, HD_WIRE_ERR_SELFTEST_UNAVAILABLE);
    /* Output too small: nothing done, nothing written. */
    assert_int_equal(hd_wire_device_ioctl(f->engine, &caller, HD_IOCTL_SELFTEST_VMCALL, &in,
                                          sizeof(in), &r, sizeof(r) - 1, &written),
                     HD_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(written, 0);
    /* Every new code has its sentence and name. */
    assert_string_equal(hd_wire_error_name(HD_WIRE_ERR_SELFTEST_WRONG_CORE),
                        "HD_WIRE_ERR_SELFTEST_WRONG_CORE");
    assert_string_equal(hd_wire_error_name(0xC000101Cu), "HD_WIRE_ERR_MESSAGE_BUFFER_TOO_SMALL");
}

static void selftest_in_out_same_buffer(void **state)
{
    struct fx *f = *state;
    uint8_t buf[HD_WIRE_SELFTEST_RESULT_SIZE] = {0};
    struct hd_wire_selftest in = exit_in(0);
    size_t written = 0;

    register_doc_event(f, HD_TAG_BASE);
    here_core = 0;
    in.regs.rdx = 0x1000;
    in.regs.r8 = HDBG;
    memcpy(buf, &in, sizeof(in));
    assert_int_equal(hd_wire_device_ioctl(f->engine, &caller, HD_IOCTL_SELFTEST_VMCALL, buf,
                                          HD_WIRE_SELFTEST_SIZE, buf, sizeof(buf), &written),
                     HD_OK);
    assert_int_equal(rd32(buf + 136), HD_WIRE_SUCCESS);
    assert_int_equal(rd64(buf + 0x40), HDB2);
}

/* ---- messages ---------------------------------------------------------------------------- */

/* mov dword [rcx], 0x00216968 ("hi!"); mov rax, rcx; ret: the whole buffer is the message. */
static const uint8_t msg_code[] = {0xC7, 0x01, 0x68, 0x69, 0x21, 0x00, 0x48, 0x89, 0xC8, 0xC3};

static void fire(struct fx *f, uint32_t core, unsigned times)
{
    struct hd_wire_selftest in = exit_in(core);
    here_core = core;
    for (unsigned i = 0; i < times; i++)
        assert_int_equal(selftest(f, &in, sizeof(in)).status, HD_WIRE_SUCCESS);
}

static void messages_are_packed_records(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_code(msg_code, sizeof(msg_code), 12);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    uint8_t out[4096];
    size_t written = 0;

    memset(out, 0xEE, sizeof(out));
    assert_int_equal(hd_wire_read_messages(f->engine, out, sizeof(out), &written), HD_EMPTY);
    assert_int_equal(written, 0);
    a.immediate = false;
    wire_register(f, &d, HD_TAG_BASE + 2);
    fire(f, 0, 2);
    fire(f, 3, 1);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_READ_MESSAGES, NULL, 0, out,
                                          sizeof(out), &written), HD_OK);
    assert_int_equal(written, 3 * (24 + 16)); /* 12 bytes of text padded to 16 */
    for (unsigned i = 0; i < 3; i++) {
        const uint8_t *p = out + i * 40;
        assert_int_equal(rd64(p), HD_TAG_BASE + 2);
        assert_int_equal(rd32(p + 12), 12);
        assert_int_equal(rd32(p + 16), 12);
        assert_int_equal(rd32(p + 20), 0); /* imm no, not truncated */
        assert_memory_equal(p + 24, "hi!\0\0\0\0\0\0\0\0\0\0\0\0\0", 16); /* padding zeroed */
    }
    /* Cores visited in turn: 0, then 3, then 0 again. */
    assert_int_equal(rd32(out + 8), 0);
    assert_int_equal(rd32(out + 40 + 8), 3);
    assert_int_equal(rd32(out + 80 + 8), 0);
    assert_int_equal(hd_wire_read_messages(f->engine, out, sizeof(out), &written), HD_EMPTY);
}

static void messages_small_buffers(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_code(msg_code, sizeof(msg_code), 100);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    uint8_t out[600];
    size_t written = 9;

    wire_register(f, &d, HD_TAG_BASE);
    fire(f, 1, 3);
    /* Below 32 bytes: refused, nothing taken. */
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_READ_MESSAGES, NULL, 0, out,
                                          31, &written), HD_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(written, 0);
    assert_int_equal(hd_wire_read_messages(f->engine, out, 31, &written), HD_ERR_BUFFER_TOO_SMALL);
    /* 40 bytes: the first message cut to 16 bytes and flagged. */
    assert_int_equal(hd_wire_read_messages(f->engine, out, 40, &written), HD_OK);
    assert_int_equal(written, 40);
    assert_int_equal(rd32(out + 12), 100);
    assert_int_equal(rd32(out + 16), 16);
    assert_int_equal(rd32(out + 20), HD_WIRE_MESSAGE_IMMEDIATE | HD_WIRE_MESSAGE_TRUNCATED);
    /* 600 bytes hold one whole record of the engine's 512-byte maximum: one message per call. */
    assert_int_equal(hd_wire_read_messages(f->engine, out, sizeof(out), &written), HD_OK);
    assert_int_equal(written, 24 + 104);
    assert_int_equal(rd32(out + 16), 100);
    assert_int_equal(rd32(out + 20), HD_WIRE_MESSAGE_IMMEDIATE);
    assert_int_equal(hd_wire_read_messages(f->engine, out, sizeof(out), &written), HD_OK);
    assert_int_equal(hd_wire_read_messages(f->engine, out, sizeof(out), &written), HD_EMPTY);
}

/* ---- event list -------------------------------------------------------------------------- */

static size_t list(struct fx *f, uint64_t after, uint8_t *out, size_t out_len)
{
    struct hd_wire_list_request rq = {.after_tag = after};
    size_t written = 0;
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_LIST_EVENTS, &rq, sizeof(rq),
                                          out, out_len, &written), HD_OK);
    assert_int_equal(rd32(out), HD_WIRE_SUCCESS);
    assert_int_equal(written, 32 + 40 * (size_t)rd32(out + 4));
    return written;
}

/* A reader that accepts @limit records, recording where each went. */
struct sink {
    unsigned limit, taken;
    size_t offsets[8];
};

static bool sink_deliver(void *user, const void *record, size_t size, size_t offset)
{
    struct sink *k = user;
    (void)record;
    (void)size;
    if (k->taken == k->limit)
        return false; /* e.g. copy_to_user faulted */
    k->offsets[k->taken++] = offset;
    return true;
}

/* Issue 13: a message is taken off its queue only once its record was passed on. */
static void messages_refused_by_the_reader_stay_queued(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_code(msg_code, sizeof(msg_code), 12);
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    struct sink k = {.limit = 1};
    uint8_t scratch[4096];
    size_t written = 0;

    wire_register(f, &d, HD_TAG_BASE + 2);
    fire(f, 0, 3);
    assert_int_equal(hd_wire_read_messages_to(f->engine, scratch, sizeof(scratch), sink_deliver,
                                              &k, &written),
                     HD_OK);
    assert_int_equal(written, 40); /* one record delivered, the second refused */
    assert_int_equal(k.offsets[0], 0);
    k.limit = 0;
    k.taken = 0;
    assert_int_equal(hd_wire_read_messages_to(f->engine, scratch, sizeof(scratch), sink_deliver,
                                              &k, &written),
                     HD_ERR_INVALID_ARGUMENT); /* nothing could be delivered */
    assert_int_equal(written, 0);
    /* Both messages the reader could not take are still there, in order. */
    assert_int_equal(hd_wire_read_messages(f->engine, scratch, sizeof(scratch), &written), HD_OK);
    assert_int_equal(written, 2 * 40);
    assert_int_equal(hd_wire_read_messages(f->engine, scratch, sizeof(scratch), &written),
                     HD_EMPTY);
}

static void list_events_and_next_tag(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_break();
    struct hd_event_desc d = ev_desc(2, 0x490, HD_STAGE_PRE, true, &a, 1);
    uint8_t out[32 + 40 * 3], m[24];
    struct hd_wire_selftest in = exit_in(2);
    size_t written;

    list(f, HD_TAG_ALL, out, sizeof(out));
    assert_int_equal(rd32(out + 4), 0);
    assert_int_equal(rd64(out + 8), HD_TAG_BASE);
    wire_register(f, &d, HD_TAG_BASE);
    d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_ALL, false, &a, 1);
    wire_register(f, &d, HD_TAG_BASE + 1);
    wire_register(f, &d, HD_TAG_BASE + 2);
    here_core = 2;
    in.flags = HD_WIRE_SELFTEST_PID_GIVEN;
    in.pid = 0x490;
    assert_int_equal(selftest(f, &in, sizeof(in)).fired_pre, 3);
    hd_wire_encode_modify(HD_TAG_BASE + 1, HD_WIRE_MODIFY_DISABLE, m);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_MODIFY_EVENTS, m, 24, m, 24,
                                          &written), HD_OK);
    hd_wire_encode_modify(HD_TAG_BASE + 2, HD_WIRE_MODIFY_CLEAR, m);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_MODIFY_EVENTS, m, 24, m, 24,
                                          &written), HD_OK);

    list(f, 0, out, sizeof(out));
    assert_int_equal(rd32(out + 4), 2);
    assert_int_equal(rd64(out + 8), HD_TAG_BASE + 3); /* above the cleared tag */
    assert_int_equal(rd64(out + 16), HD_TAG_BASE + 1);
    assert_int_equal(rd32(out + 24), 0);
    assert_int_equal(rd64(out + 32), HD_TAG_BASE);
    assert_int_equal(rd32(out + 32 + 8), 2);
    assert_int_equal(rd32(out + 32 + 12), 0x490);
    assert_int_equal(rd32(out + 32 + 16), HD_STAGE_PRE);
    assert_int_equal(out[32 + 20], 1);
    assert_int_equal(out[32 + 21], 1);
    assert_int_equal(out[32 + 22], HD_CONDITION_NONE);
    assert_int_equal(rd32(out + 32 + 24), 1);
    assert_int_equal(rd64(out + 32 + 32), 1); /* fired once on core 2 */
    assert_int_equal(rd64(out + 72), HD_TAG_BASE + 1);
    assert_int_equal(out[72 + 20], 0); /* disabled */
    assert_int_equal(rd32(out + 72 + 16), HD_STAGE_ALL);

    /* Room for one entry: paged with `more` and last_tag. */
    list(f, 0, out, 32 + 40 + 39);
    assert_int_equal(rd32(out + 4), 1);
    assert_int_equal(rd32(out + 24), 1);
    assert_int_equal(rd64(out + 16), HD_TAG_BASE);
    list(f, HD_TAG_BASE, out, 32 + 40);
    assert_int_equal(rd64(out + 32), HD_TAG_BASE + 1);
    assert_int_equal(rd32(out + 24), 0);
}

static void list_rejects_bad_request(void **state)
{
    struct fx *f = *state;
    uint8_t in[9] = {0}, out[64];
    size_t written = 0;

    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_LIST_EVENTS, in, 7, out,
                                          sizeof(out), &written), HD_OK);
    assert_int_equal(rd32(out), HD_WIRE_ERR_TRUNCATED);
    assert_int_equal(written, 32);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_LIST_EVENTS, in, 9, out,
                                          sizeof(out), &written), HD_OK);
    assert_int_equal(rd32(out), HD_WIRE_ERR_TRAILING_BYTES);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_LIST_EVENTS, in, 8, out, 31,
                                          &written), HD_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, 0x222FFC, in, 8, out, sizeof(out),
                                          &written), HD_ERR_UNKNOWN_IOCTL);
    assert_int_equal(hd_wire_device_ioctl(NULL, NULL, HD_IOCTL_LIST_EVENTS, in, 8, out,
                                          sizeof(out), &written), HD_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(selftest_runs_doc_condition_and_code, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(selftest_short_circuit_skips_default, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(selftest_post_pass, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(selftest_protected_default_rax_zero, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(selftest_rejects_malformed, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(selftest_in_out_same_buffer, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(messages_are_packed_records, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(messages_small_buffers, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(messages_refused_by_the_reader_stay_queued, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(list_events_and_next_tag, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(list_rejects_bad_request, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
