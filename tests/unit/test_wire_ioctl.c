/* SPDX-License-Identifier: MIT */
/*
 * hd_wire_ioctl() end to end, as a kernel backend's IOCTL handler uses it:
 *   - HyperDbg's doc condition and custom code registered through the wire run on a VMCALL
 *     exit of the host backend exactly as when registered through the C API;
 *   - a FILE from the encoder, sent one buffer per IOCTL, registers the same event;
 *   - modify: query, disable, enable, clear, by tag and all; unknown tags;
 *   - METHOD_BUFFERED: input and output the same memory;
 *   - flush discards queued messages and counts them;
 *   - an allocation failure at any point changes nothing and reports 0xC0000004;
 *   - a backend without executable memory reports 0xC000001F;
 *   - the core check uses the engine's core count; tags ascend as HyperDbg numbers them;
 *   - rejections are logged; every status maps to a listed code; every code has a sentence.
 */
#include "helpers.h"

#include <stdio.h>

#include <hdevent/wire.h>
#include <hdevent/wire_encode.h>

#define HDBG 0x47424448ull
#define HDB2 0x32424448ull

static uint32_t rd32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Send one request; assert a result was written; return its wire code. */
static uint32_t send(struct fx *f, uint32_t code, const void *in, size_t len)
{
    uint8_t out[32];
    size_t written = 0;
    assert_int_equal(hd_wire_ioctl(f->engine, code, in, len, out, sizeof(out), &written), HD_OK);
    if (code == HD_IOCTL_MODIFY_EVENTS) {
        assert_int_equal(written, 24);
        return rd32(out + 8);
    }
    assert_int_equal(written, 8);
    assert_int_equal(out[0], rd32(out + 4) == HD_WIRE_OK);
    return rd32(out + 4);
}

static uint32_t send_event(struct fx *f, const struct hd_event_desc *d, uint64_t tag)
{
    uint8_t *b;
    size_t n;
    uint32_t code;
    assert_int_equal(hd_wire_encode_event(d, tag, &b, &n), HD_OK);
    code = send(f, HD_IOCTL_REGISTER_EVENT, b, n);
    free(b);
    return code;
}

static uint32_t send_action(struct fx *f, const struct hd_action_desc *a, uint64_t tag)
{
    uint8_t *b;
    size_t n;
    uint32_t code;
    assert_int_equal(hd_wire_encode_action(a, tag, &b, &n), HD_OK);
    code = send(f, HD_IOCTL_ADD_ACTION, b, n);
    free(b);
    return code;
}

/* Modify; returns KernelStatus, and IsEnabled through @enabled (may be NULL). */
static uint64_t send_modify(struct fx *f, uint64_t tag, uint32_t type, uint8_t *enabled)
{
    uint8_t m[24], out[24];
    size_t written = 0;
    hd_wire_encode_modify(tag, type, m);
    assert_int_equal(hd_wire_ioctl(f->engine, HD_IOCTL_MODIFY_EVENTS, m, 24, out, 24, &written),
                     HD_OK);
    if (enabled)
        *enabled = out[20];
    return rd32(out + 8) | (uint64_t)rd32(out + 12) << 32;
}

static struct hd_event_desc doc_event(void)
{
    struct hd_event_desc d;
    hd_event_desc_init(&d);
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = doc_condition(&d.condition.code_size);
    return d;
}

static uint64_t r8_after_exit(struct fx *f, uint64_t rdx, uint64_t r8)
{
    struct hd_guest_regs regs = {.rdx = rdx, .r8 = r8, .rbx = 0xB0B};
    run_exit(f, 1, 0x490, 0, &regs);
    assert_int_equal(regs.rbx, 0xB0B);
    return regs.r8;
}

/* ---- end to end --------------------------------------------------------------------------- */

static void doc_condition_and_code_through_the_wire(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d = doc_event();
    uint32_t size;
    const uint8_t *code = doc_code(&size);
    struct hd_action_desc a = act_code(code, size, 0);
    struct hd_event_info info;

    d.action_count = 1; /* CountOfActions announces it */
    d.actions = &a;
    assert_int_equal(send_event(f, &d, 0x1000000), HD_WIRE_OK);
    assert_int_equal(send_action(f, &a, 0x1000000), HD_WIRE_OK);
    assert_int_equal(hd_event_query(f->engine, 0x1000000, &info), HD_OK);
    assert_int_equal(info.condition, HD_CONDITION_RAW);
    assert_int_equal(info.action_count, 1);
    assert_true(info.enabled);

    assert_int_equal(r8_after_exit(f, 0x1000, HDBG), HDB2);  /* condition true: code ran */
    assert_int_equal(r8_after_exit(f, 0x2000, HDBG), HDBG);  /* condition false */
    assert_int_equal(r8_after_exit(f, 0x1000, 5), 5);        /* code leaves other values */
}

/* The route `hdevent run` takes: encode a FILE, split it, one IOCTL per buffer. */
static void encoded_file_registers_buffer_by_buffer(void **state)
{
    struct fx *f = *state;
    static struct hd_wire_file split;
    struct hd_event_desc d = doc_event();
    uint32_t size;
    const uint8_t *code = doc_code(&size);
    struct hd_action_desc acts[2] = {act_code(code, size, 64), act_break()};
    uint8_t *file;
    size_t n;

    d.pid = 0x490;
    d.actions = acts;
    d.action_count = 2;
    assert_int_equal(hd_wire_encode_file(&d, 0x1000003, &file, &n), HD_OK);
    assert_int_equal(hd_wire_file_split(file, n, &split), HD_WIRE_OK);
    assert_int_equal(split.action_count, 2);
    assert_int_equal(send(f, HD_IOCTL_REGISTER_EVENT, split.event.data, split.event.size),
                     HD_WIRE_OK);
    for (uint32_t i = 0; i < split.action_count; i++)
        assert_int_equal(send(f, HD_IOCTL_ADD_ACTION, split.actions[i].data, split.actions[i].size),
                         HD_WIRE_OK);
    free(file);

    assert_int_equal(r8_after_exit(f, 0x1000, HDBG), HDB2);
    assert_int_equal(hd_host_break_count(f->host), 1);
    struct hd_guest_regs regs = {.rdx = 0x1000, .r8 = HDBG};
    run_exit(f, 0, 0x491, 0, &regs); /* another pid: nothing */
    assert_int_equal(regs.r8, HDBG);
    assert_int_equal(hd_host_break_count(f->host), 1);
}

static void modify_through_the_wire(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d = doc_event();
    uint32_t size;
    const uint8_t *code = doc_code(&size);
    struct hd_action_desc a = act_code(code, size, 0);
    uint8_t enabled = 9;

    assert_int_equal(send_event(f, &d, 0x1000000), HD_WIRE_OK);
    assert_int_equal(send_action(f, &a, 0x1000000), HD_WIRE_OK);
    hd_event_desc_init(&d);
    assert_int_equal(send_event(f, &d, 0x1000001), HD_WIRE_OK);

    assert_int_equal(send_modify(f, 0x1000000, HD_WIRE_MODIFY_QUERY, &enabled), HD_WIRE_SUCCESS);
    assert_int_equal(enabled, 1);
    assert_int_equal(send_modify(f, 0x1000000, HD_WIRE_MODIFY_DISABLE, NULL), HD_WIRE_SUCCESS);
    assert_int_equal(send_modify(f, 0x1000000, HD_WIRE_MODIFY_QUERY, &enabled), HD_WIRE_SUCCESS);
    assert_int_equal(enabled, 0);
    assert_int_equal(r8_after_exit(f, 0x1000, HDBG), HDBG); /* disabled: nothing runs */
    assert_int_equal(send_modify(f, 0x1000000, HD_WIRE_MODIFY_ENABLE, NULL), HD_WIRE_SUCCESS);
    assert_int_equal(r8_after_exit(f, 0x1000, HDBG), HDB2);

    assert_int_equal(send_modify(f, HD_TAG_ALL, HD_WIRE_MODIFY_DISABLE, NULL), HD_WIRE_SUCCESS);
    assert_int_equal(send_modify(f, 0x1000001, HD_WIRE_MODIFY_QUERY, &enabled), HD_WIRE_SUCCESS);
    assert_int_equal(enabled, 0);
    assert_int_equal(send_modify(f, HD_TAG_ALL, HD_WIRE_MODIFY_ENABLE, NULL), HD_WIRE_SUCCESS);
    assert_int_equal(send_modify(f, 0x1000001, HD_WIRE_MODIFY_QUERY, &enabled), HD_WIRE_SUCCESS);
    assert_int_equal(enabled, 1);

    assert_int_equal(send_modify(f, 0x1000000, HD_WIRE_MODIFY_CLEAR, NULL), HD_WIRE_SUCCESS);
    assert_int_equal(send_modify(f, 0x1000000, HD_WIRE_MODIFY_QUERY, NULL),
                     HD_WIRE_ERR_MODIFY_INVALID_TAG);
    assert_int_equal(send_action(f, &a, 0x1000000), HD_WIRE_ERR_TAG_NOT_EXISTS);
    assert_int_equal(r8_after_exit(f, 0x1000, HDBG), HDBG);
    assert_int_equal(event_count(f), 1);
    assert_int_equal(send_modify(f, HD_TAG_ALL, HD_WIRE_MODIFY_CLEAR, NULL), HD_WIRE_SUCCESS);
    assert_int_equal(event_count(f), 0);
    assert_int_equal(send_modify(f, HD_TAG_ALL, HD_WIRE_MODIFY_CLEAR, NULL), HD_WIRE_SUCCESS);
    /* The cleared tag is never given again, over the wire either. */
    assert_int_equal(send_event(f, &d, 0x1000001), HD_WIRE_ERR_TAG_IN_USE);
    assert_int_equal(send_event(f, &d, 0x1000002), HD_WIRE_OK);
}

/* METHOD_BUFFERED: the I/O manager hands one SystemBuffer for input and output. */
static void method_buffered_in_and_out_alias(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d = doc_event();
    uint8_t *b, m[24];
    size_t n, written = 0;

    assert_int_equal(hd_wire_encode_event(&d, 0x1000000, &b, &n), HD_OK);
    assert_int_equal(hd_wire_ioctl(f->engine, HD_IOCTL_REGISTER_EVENT, b, n, b, n, &written),
                     HD_OK);
    assert_int_equal(written, 8);
    assert_int_equal(b[0], 1);
    assert_int_equal(rd32(b + 4), 0);
    assert_int_equal(b[168], 0x48); /* the condition bytes after the result are untouched */
    free(b);

    hd_wire_encode_modify(0x1000000, HD_WIRE_MODIFY_QUERY, m);
    assert_int_equal(hd_wire_ioctl(f->engine, HD_IOCTL_MODIFY_EVENTS, m, 24, m, 24, &written),
                     HD_OK);
    assert_int_equal(rd32(m + 8), HD_WIRE_SUCCESS);
    assert_int_equal(m[20], 1);
    assert_int_equal(rd32(m), 0x1000000);

    /* A rejected register through one buffer: the result, and the event still there. */
    struct hd_event_info info;
    assert_int_equal(hd_wire_encode_event(&d, 0x1000000, &b, &n), HD_OK);
    assert_int_equal(hd_wire_ioctl(f->engine, HD_IOCTL_REGISTER_EVENT, b, n, b, n, NULL), HD_OK);
    assert_int_equal(b[0], 0);
    assert_int_equal(rd32(b + 4), HD_WIRE_ERR_TAG_IN_USE);
    assert_int_equal(hd_event_query(f->engine, 0x1000000, &info), HD_OK);
    free(b);
}

static void flush_discards_queued_messages(void **state)
{
    struct fx *f = *state;
    static const uint8_t give_buffer[] = {0x48, 0x89, 0xC8, 0xC3}; /* mov rax, rcx; ret */
    struct hd_action_desc a = act_code(give_buffer, sizeof(give_buffer), 16);
    struct hd_event_desc d;
    struct hd_message_stats stats;
    struct hd_message_info info;
    uint8_t out[12], data[16];
    size_t written = 0;

    hd_event_desc_init(&d);
    assert_int_equal(send_event(f, &d, 0x1000000), HD_WIRE_OK);
    assert_int_equal(send_action(f, &a, 0x1000000), HD_WIRE_OK);
    run_exit(f, 0, 1, 0, NULL);
    run_exit(f, 1, 1, 0, NULL);
    run_exit(f, 1, 1, 0, NULL);
    assert_int_equal(hd_message_stats(f->engine, 1, &stats), HD_OK);
    assert_int_equal(stats.queued, 2);

    assert_int_equal(hd_wire_ioctl(f->engine, HD_IOCTL_FLUSH_BUFFERS, NULL, 0, out, sizeof(out),
                                   &written),
                     HD_OK);
    assert_int_equal(written, 12);
    assert_int_equal(rd32(out), HD_WIRE_SUCCESS);
    assert_int_equal(rd32(out + 4), 3);
    assert_int_equal(rd32(out + 8), 0);
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_EMPTY);

    /* Input is ignored; a second flush finds nothing. */
    assert_int_equal(hd_wire_ioctl(f->engine, HD_IOCTL_FLUSH_BUFFERS, out, sizeof(out), out,
                                   sizeof(out), &written),
                     HD_OK);
    assert_int_equal(rd32(out + 4), 0);
    run_exit(f, 2, 1, 0, NULL);
    /* The queues still work after a flush. */
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
}

/* ---- failures ---------------------------------------------------------------------------- */

struct snapshot {
    unsigned events;
    uint32_t actions;
    uint64_t live;
};

static struct snapshot snap(struct fx *f)
{
    struct snapshot s = {event_count(f), 0, hd_host_live_allocations(f->host)};
    struct hd_event_info info;
    if (hd_event_query(f->engine, 0x1000001, &info) == HD_OK)
        s.actions = info.action_count;
    return s;
}

static void allocation_failure_changes_nothing(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d = doc_event();
    uint32_t size;
    const uint8_t *code = doc_code(&size);
    struct hd_action_desc a = act_code(code, size, 32);
    uint8_t *eb, *ab;
    size_t en, an;
    unsigned failures = 0;

    hd_event_desc_init(&d);
    assert_int_equal(send_event(f, &d, 0x1000001), HD_WIRE_OK); /* the event actions go to */
    d = doc_event();
    assert_int_equal(hd_wire_encode_event(&d, 0x1000002, &eb, &en), HD_OK);
    assert_int_equal(hd_wire_encode_action(&a, 0x1000001, &ab, &an), HD_OK);

    for (int64_t n = 0;; n++) {
        struct snapshot before = snap(f);
        hd_host_fail_allocation(f->host, n);
        uint32_t code = send(f, HD_IOCTL_REGISTER_EVENT, eb, en);
        hd_host_fail_allocation(f->host, -1);
        if (code == HD_WIRE_OK)
            break;
        assert_int_equal(code, HD_WIRE_ERR_UNABLE_TO_CREATE_EVENT);
        struct snapshot after = snap(f);
        assert_int_equal(after.events, before.events);
        assert_int_equal(after.live, before.live);
        failures++;
    }
    for (int64_t n = 0;; n++) {
        struct snapshot before = snap(f);
        hd_host_fail_allocation(f->host, n);
        uint32_t code = send(f, HD_IOCTL_ADD_ACTION, ab, an);
        hd_host_fail_allocation(f->host, -1);
        if (code == HD_WIRE_OK)
            break;
        assert_int_equal(code, HD_WIRE_ERR_UNABLE_TO_CREATE_EVENT);
        struct snapshot after = snap(f);
        assert_int_equal(after.actions, before.actions);
        assert_int_equal(after.live, before.live);
        failures++;
    }
    assert_true(failures >= 4);
    assert_int_equal(snap(f).actions, 1);
    free(eb);
    free(ab);
}

static void backend_without_exec_memory(void **state)
{
    struct fx *f = *state;
    struct hd_backend_ops ops = *hd_host_ops(f->host);
    struct hd_event_desc d = doc_event();
    ops.exec_alloc = NULL;
    ops.exec_free = NULL;
    fx_recreate(f, &ops, NULL);
    assert_int_equal(send_event(f, &d, 0x1000000), HD_WIRE_ERR_EVENT_NOT_APPLIED);
    hd_event_desc_init(&d);
    assert_int_equal(send_event(f, &d, 0x1000000), HD_WIRE_OK); /* the tag was not used up */
}

static void core_check_uses_the_engine_core_count(void **state)
{
    struct fx *f = *state; /* 2 cores */
    struct hd_event_desc d;
    hd_event_desc_init(&d);
    d.core = 2;
    assert_int_equal(send_event(f, &d, 0x1000000), HD_WIRE_ERR_INVALID_CORE_ID);
    d.core = 1;
    assert_int_equal(send_event(f, &d, 0x1000000), HD_WIRE_OK);
}

static void tags_ascend_as_hyperdbg_numbers_them(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    hd_event_desc_init(&d);
    assert_int_equal(send_event(f, &d, 0x1000000), HD_WIRE_OK);
    assert_int_equal(send_event(f, &d, 0x1000001), HD_WIRE_OK);
    assert_int_equal(send_event(f, &d, 0x1000010), HD_WIRE_OK); /* gaps are fine */
    assert_int_equal(send_event(f, &d, 0x1000005), HD_WIRE_ERR_TAG_IN_USE);
    assert_int_equal(send_event(f, &d, 0x1000001), HD_WIRE_ERR_TAG_IN_USE);
    assert_int_equal(event_count(f), 3);
    /* Engine-given tags continue after the wire's. */
    uint64_t tag = 0;
    assert_int_equal(hd_event_register(f->engine, &d, &tag), HD_OK);
    assert_int_equal(tag, 0x1000011);
}

/* ---- logging ----------------------------------------------------------------------------- */

static char logged[512];

static void capture_log(void *user, enum hd_log_level level, const char *message)
{
    (void)user;
    (void)level;
    snprintf(logged, sizeof(logged), "%s", message);
}

static void rejections_are_logged(void **state)
{
    struct fx *f = *state;
    struct hd_backend_ops ops = *hd_host_ops(f->host);
    struct hd_event_desc d;
    uint8_t *b;
    size_t n;
    ops.log = capture_log;
    fx_recreate(f, &ops, NULL);

    hd_event_desc_init(&d);
    assert_int_equal(hd_wire_encode_event(&d, 0x1000000, &b, &n), HD_OK);
    b[28] = 7; /* EventStage */
    logged[0] = '\0';
    assert_int_equal(send(f, HD_IOCTL_REGISTER_EVENT, b, n), HD_WIRE_ERR_BAD_STAGE);
    assert_non_null(strstr(logged, "wire: register event rejected: 0xC0001009 EventStage"));
    free(b);
}

/* ---- codes and their mapping --------------------------------------------------------------- */

static void every_status_maps_to_a_listed_code(void **state)
{
    (void)state;
#define MAP_(name, value, wire, text)                                                        \
    {                                                                                        \
        uint32_t c = hd_wire_error_from_status(name);                                        \
        assert_string_not_equal(hd_wire_error_name(c), "HD_WIRE_UNKNOWN");                   \
        if (HD_FAILED(name))                                                                 \
            assert_int_not_equal(c, HD_WIRE_OK);                                             \
        else                                                                                 \
            assert_int_equal(c, HD_WIRE_OK);                                                 \
    }
    HD_STATUS_LIST(MAP_)
#undef MAP_
    assert_int_equal(hd_wire_error_from_status(HD_ERR_NO_SUCH_EVENT), 0xC0000000u);
    assert_int_equal(hd_wire_error_from_status(HD_ERR_INVALID_ACTION_TYPE), 0xC0000001u);
    assert_int_equal(hd_wire_error_from_status(HD_ERR_EMPTY_CODE), 0xC0000002u);
    assert_int_equal(hd_wire_error_from_status(HD_ERR_NO_MEMORY), 0xC0000004u);
    assert_int_equal(hd_wire_error_from_status(HD_ERR_INVALID_CORE), 0xC0000006u);
    assert_int_equal(hd_wire_error_from_status(HD_ERR_SC_WITH_POST), 0xC000003Au);
    assert_int_equal(hd_wire_error_from_status(HD_ERR_TAG_IN_USE), HD_WIRE_ERR_TAG_IN_USE);
    assert_int_equal(hd_wire_error_from_status(HD_ERR_INVALID_TAG), HD_WIRE_ERR_TAG_INVALID);
    assert_int_equal(hd_wire_error_from_status(HD_ERR_BUFFER_TOO_SMALL),
                     HD_WIRE_ERR_OUTPUT_TOO_SMALL);
    assert_int_equal(hd_wire_error_from_status(HD_ERR_UNKNOWN_IOCTL), HD_WIRE_ERR_UNKNOWN_IOCTL);
    assert_int_equal(hd_wire_error_from_status((enum hd_status)-1000), HD_WIRE_ERR_INTERNAL);
}

struct code_row {
    uint32_t value;
    const char *name;
};

static const struct code_row CODES[] = {
#define ROW_(name, value, text) {value, #name},
    HD_WIRE_ERROR_LIST(ROW_)
#undef ROW_
};

static void every_code_has_a_distinct_sentence_and_name(void **state)
{
    (void)state;
    const unsigned n = sizeof(CODES) / sizeof(CODES[0]);
    for (unsigned i = 0; i < n; i++) {
        uint32_t v = CODES[i].value;
        assert_string_equal(hd_wire_error_name(v), CODES[i].name);
        assert_true(strlen(hd_wire_error_str(v)) > 10);
        /* HyperDbg's codes keep HyperDbg's values; ours live in our own range. */
        if (v != HD_WIRE_OK && v != HD_WIRE_SUCCESS)
            assert_true(v >= 0xC0000000u && (v < 0xC0000040u ||
                        (v >= HD_WIRE_OWN_FIRST && v <= HD_WIRE_OWN_LAST)));
        for (unsigned j = i + 1; j < n; j++) {
            assert_int_not_equal(v, CODES[j].value);
            assert_string_not_equal(hd_wire_error_str(v), hd_wire_error_str(CODES[j].value));
        }
    }
    assert_string_equal(hd_wire_error_str(0xC0000005u), "unknown wire error code");
    assert_string_equal(hd_wire_error_name(0x12345678u), "HD_WIRE_UNKNOWN");
}

static void null_engine_and_null_written(void **state)
{
    struct fx *f = *state;
    uint8_t out[12];
    size_t written = 7;
    assert_int_equal(hd_wire_ioctl(NULL, HD_IOCTL_FLUSH_BUFFERS, NULL, 0, out, 12, &written),
                     HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(written, 0);
    assert_int_equal(hd_wire_ioctl(f->engine, HD_IOCTL_FLUSH_BUFFERS, NULL, 0, out, 12, NULL),
                     HD_OK);
    assert_int_equal(hd_wire_ioctl(f->engine, HD_IOCTL_FLUSH_BUFFERS, NULL, 0, NULL, 12, &written),
                     HD_ERR_BUFFER_TOO_SMALL);
}

static int setup_2_cores(void **state)
{
    return fx_setup_cores(state, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(doc_condition_and_code_through_the_wire, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(encoded_file_registers_buffer_by_buffer, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(modify_through_the_wire, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(method_buffered_in_and_out_alias, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(flush_discards_queued_messages, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(allocation_failure_changes_nothing, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(backend_without_exec_memory, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(core_check_uses_the_engine_core_count, setup_2_cores,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(tags_ascend_as_hyperdbg_numbers_them, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(rejections_are_logged, fx_setup, fx_teardown),
        cmocka_unit_test(every_status_maps_to_a_listed_code),
        cmocka_unit_test(every_code_has_a_distinct_sentence_and_name),
        cmocka_unit_test_setup_teardown(null_engine_and_null_written, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
