/* SPDX-License-Identifier: MIT */
/*
 * The user-mode decoders of a device's replies (wire_encode.h): each accepts what the kernel
 * side writes (replies made here by hd_wire_device_ioctl over the host backend), and refuses a
 * reply cut short, one with bytes left over, and each field out of its range, filling nothing.
 */
#include "helpers.h"

#include <hdevent/wire.h>
#include <hdevent/wire_device.h>
#include <hdevent/wire_encode.h>

static const struct hd_wire_caller no_caller = {.pid = 1, .user = NULL, .run_here = NULL};

/* A reply from the device for @code and input @in; its length in *len. */
static void reply(struct fx *f, uint32_t code, const void *in, size_t in_len, uint8_t *out,
                  size_t out_len, size_t *len)
{
    assert_int_equal(hd_wire_device_ioctl(f->engine, &no_caller, code, in, in_len, out, out_len,
                                          len),
                     HD_OK);
}

static void result_decodes_and_checks_its_flag(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    struct hd_wire_result r = {.error = 77};
    uint8_t *b, out[16];
    size_t n, len;

    assert_int_equal(hd_wire_encode_event(&d, HD_TAG_BASE, &b, &n), HD_OK);
    reply(f, HD_IOCTL_REGISTER_EVENT, b, n, out, sizeof(out), &len);
    assert_int_equal(hd_wire_decode_result(out, len, &r), HD_WIRE_OK);
    assert_int_equal(r.is_successful, 1);
    assert_int_equal(r.error, HD_WIRE_OK);
    /* The same tag again: a well-formed rejection. */
    reply(f, HD_IOCTL_REGISTER_EVENT, b, n, out, sizeof(out), &len);
    free(b);
    assert_int_equal(hd_wire_decode_result(out, len, &r), HD_WIRE_OK);
    assert_int_equal(r.is_successful, 0);
    assert_int_equal(r.error, HD_WIRE_ERR_TAG_IN_USE);

    assert_int_equal(hd_wire_decode_result(out, 7, &r), HD_WIRE_ERR_TRUNCATED);
    assert_int_equal(hd_wire_decode_result(out, 9, &r), HD_WIRE_ERR_TRAILING_BYTES);
    assert_int_equal(hd_wire_decode_result(NULL, 8, &r), HD_WIRE_ERR_INVALID_ARGUMENT);
    out[0] = 1; /* successful, yet an error code */
    assert_int_equal(hd_wire_decode_result(out, 8, &r), HD_WIRE_ERR_REPLY_MALFORMED);
    out[0] = 2;
    assert_int_equal(hd_wire_decode_result(out, 8, &r), HD_WIRE_ERR_REPLY_MALFORMED);
    assert_int_equal(r.error, HD_WIRE_ERR_TAG_IN_USE); /* untouched by the refusals */
}

static void modify_reply_checks_what_a_success_means(void **state)
{
    struct fx *f = *state;
    uint64_t tag = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, NULL, 0);
    struct hd_wire_modify m;
    uint8_t rq[HD_WIRE_MODIFY_SIZE], out[HD_WIRE_MODIFY_SIZE];
    size_t len;

    hd_wire_encode_modify(tag, HD_WIRE_MODIFY_QUERY, rq);
    reply(f, HD_IOCTL_MODIFY_EVENTS, rq, sizeof(rq), out, sizeof(out), &len);
    assert_int_equal(hd_wire_decode_modify_reply(out, len, &m), HD_WIRE_OK);
    assert_int_equal(m.tag, tag);
    assert_int_equal(m.kernel_status, HD_WIRE_SUCCESS);
    assert_int_equal(m.is_enabled, 1);
    assert_int_equal(hd_wire_decode_modify_reply(out, len - 1, &m), HD_WIRE_ERR_TRUNCATED);
    out[20] = 2; /* a successful query says 0 or 1 */
    assert_int_equal(hd_wire_decode_modify_reply(out, len, &m), HD_WIRE_ERR_REPLY_MALFORMED);
    out[20] = 1;
    out[12] = 1; /* KernelStatus above 32 bits */
    assert_int_equal(hd_wire_decode_modify_reply(out, len, &m), HD_WIRE_ERR_REPLY_MALFORMED);

    /* A rejected request echoes whatever it was sent: its type is not judged. */
    hd_wire_encode_modify(tag, 9, rq);
    reply(f, HD_IOCTL_MODIFY_EVENTS, rq, sizeof(rq), out, sizeof(out), &len);
    assert_int_equal(hd_wire_decode_modify_reply(out, len, &m), HD_WIRE_OK);
    assert_int_equal(m.kernel_status, HD_WIRE_ERR_MODIFY_INVALID_TYPE);
}

static void selftest_result_refuses_unknown_bits(void **state)
{
    struct fx *f = *state;
    struct hd_wire_selftest in = {.core = 0};
    struct hd_wire_selftest_result r;
    uint8_t out[HD_WIRE_SELFTEST_RESULT_SIZE];
    size_t len;

    in.regs.rax = 0x1234;
    reply(f, HD_IOCTL_SELFTEST_VMCALL, &in, sizeof(in), out, sizeof(out), &len);
    assert_int_equal(hd_wire_decode_selftest_result(out, len, &r), HD_WIRE_OK);
    /* No run_here: refused, the input echoed. */
    assert_int_equal(r.status, HD_WIRE_ERR_SELFTEST_UNAVAILABLE);
    assert_int_equal(r.regs.rax, 0x1234);
    assert_int_equal(hd_wire_decode_selftest_result(out, len - 8, &r), HD_WIRE_ERR_TRUNCATED);
    out[160] = 0x4; /* result_flags: an unknown bit */
    assert_int_equal(hd_wire_decode_selftest_result(out, len, &r), HD_WIRE_ERR_REPLY_MALFORMED);
    out[160] = 0;
    out[151] = 0x80; /* verdict: an unknown bit */
    assert_int_equal(hd_wire_decode_selftest_result(out, len, &r), HD_WIRE_ERR_REPLY_MALFORMED);
}

static void list_counts_entries_exactly(void **state)
{
    struct fx *f = *state;
    uint64_t t1 = reg_event(f, 1, 0x490, HD_STAGE_POST, false, NULL, 0);
    uint64_t t2 = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, true, NULL, 0);
    struct hd_wire_list_request rq = {.after_tag = 0};
    struct hd_wire_list_header h;
    struct hd_wire_list_entry e;
    uint8_t out[HD_WIRE_LIST_HEADER_SIZE + 4 * HD_WIRE_LIST_ENTRY_SIZE];
    size_t len;

    reply(f, HD_IOCTL_LIST_EVENTS, &rq, sizeof(rq), out, sizeof(out), &len);
    assert_int_equal(hd_wire_decode_list(out, len, &h), HD_WIRE_OK);
    assert_int_equal(h.kernel_status, HD_WIRE_SUCCESS);
    assert_int_equal(h.count, 2);
    assert_int_equal(h.more, 0);
    assert_int_equal(h.next_tag, t2 + 1);
    assert_int_equal(hd_wire_decode_list_entry(out, len, 0, &e), HD_WIRE_OK);
    assert_int_equal(e.tag, t1);
    assert_int_equal(e.core, 1);
    assert_int_equal(e.pid, 0x490);
    assert_int_equal(e.stage, HD_STAGE_POST);
    assert_int_equal(hd_wire_decode_list_entry(out, len, 1, &e), HD_WIRE_OK);
    assert_int_equal(e.tag, t2);
    assert_int_equal(e.short_circuit, 1);
    assert_int_equal(hd_wire_decode_list_entry(out, len, 2, &e), HD_WIRE_ERR_TRUNCATED);

    assert_int_equal(hd_wire_decode_list(out, len - 1, &h), HD_WIRE_ERR_TRUNCATED);
    assert_int_equal(hd_wire_decode_list(out, 31, &h), HD_WIRE_ERR_TRUNCATED);
    out[4] = 0xFF; /* a count far past the reply (the product is 64-bit) */
    out[5] = out[6] = out[7] = 0xFF;
    assert_int_equal(hd_wire_decode_list(out, len, &h), HD_WIRE_ERR_TRUNCATED);
    out[4] = 1; /* one entry, and 40 bytes left over */
    out[5] = out[6] = out[7] = 0;
    assert_int_equal(hd_wire_decode_list(out, len, &h), HD_WIRE_ERR_TRAILING_BYTES);
    out[4] = 2;
    out[24] = 2; /* more is 0 or 1 */
    assert_int_equal(hd_wire_decode_list(out, len, &h), HD_WIRE_ERR_REPLY_MALFORMED);
    out[24] = 0;
    out[32 + 16] = 4; /* first entry: stage 4 */
    assert_int_equal(hd_wire_decode_list_entry(out, len, 0, &e), HD_WIRE_ERR_REPLY_MALFORMED);
    out[32 + 16] = 2;
    out[32 + 22] = 3; /* an unknown condition kind */
    assert_int_equal(hd_wire_decode_list_entry(out, len, 0, &e), HD_WIRE_ERR_REPLY_MALFORMED);
    out[32 + 22] = 0;
    out[32 + 20] = 2; /* enabled is 0 or 1 */
    assert_int_equal(hd_wire_decode_list_entry(out, len, 0, &e), HD_WIRE_ERR_REPLY_MALFORMED);
}

/* mov dword [rcx], 0x00216968 ("hi!"); mov rax, rcx; ret: the whole buffer is the message. */
static const uint8_t msg_code[] = {0xC7, 0x01, 0x68, 0x69, 0x21, 0x00, 0x48, 0x89, 0xC8, 0xC3};

static void messages_walk_record_by_record(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_code(msg_code, sizeof(msg_code), 12);
    struct hd_wire_message m;
    const uint8_t *text;
    static uint8_t out[2 * (HD_WIRE_MESSAGE_HEADER_SIZE + HD_MESSAGE_BYTES_MAX)];
    size_t len, size;

    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 0, 4, 0, NULL);
    run_exit(f, 2, 4, 0, NULL);
    reply(f, HD_IOCTL_READ_MESSAGES, NULL, 0, out, sizeof(out), &len);
    assert_int_equal(len, 2 * (24 + 16));
    assert_int_equal(hd_wire_decode_message(out, len, &m, &text, &size), HD_WIRE_OK);
    assert_int_equal(size, 40);
    assert_int_equal(m.length, 12);
    assert_int_equal(m.core, 0);
    assert_memory_equal(text, "hi!", 4);
    assert_ptr_equal(text, out + 24);
    assert_int_equal(hd_wire_decode_message(out + size, len - size, &m, &text, &size),
                     HD_WIRE_OK);
    assert_int_equal(m.core, 2);

    assert_int_equal(hd_wire_decode_message(out, 23, &m, &text, &size), HD_WIRE_ERR_TRUNCATED);
    assert_int_equal(hd_wire_decode_message(out, 39, &m, &text, &size), HD_WIRE_ERR_TRUNCATED);
    out[16] = 13; /* length above size */
    assert_int_equal(hd_wire_decode_message(out, len, &m, &text, &size),
                     HD_WIRE_ERR_REPLY_MALFORMED);
    out[16] = 8; /* shorter than size without the truncated flag */
    assert_int_equal(hd_wire_decode_message(out, len, &m, &text, &size),
                     HD_WIRE_ERR_REPLY_MALFORMED);
    out[20] = HD_WIRE_MESSAGE_TRUNCATED | HD_WIRE_MESSAGE_IMMEDIATE;
    assert_int_equal(hd_wire_decode_message(out, len, &m, &text, &size), HD_WIRE_OK);
    assert_int_equal(size, 32);
    out[20] = 0x4; /* an unknown flag */
    assert_int_equal(hd_wire_decode_message(out, len, &m, &text, &size),
                     HD_WIRE_ERR_REPLY_MALFORMED);
    out[16] = 0xFF; /* a length that runs past the read */
    out[17] = out[18] = out[19] = 0xFF;
    assert_int_equal(hd_wire_decode_message(out, len, &m, &text, &size), HD_WIRE_ERR_TRUNCATED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(result_decodes_and_checks_its_flag, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(modify_reply_checks_what_a_success_means, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(selftest_result_refuses_unknown_bits, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(list_counts_entries_exactly, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(messages_walk_record_by_record, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
