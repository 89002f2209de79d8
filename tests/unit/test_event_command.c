/* SPDX-License-Identifier: MIT */
/*
 * An event's command text on a kernel device: HyperDbg's register buffer carries none, so
 * `hdevent add` sends it next through HD_IOCTL_EVENT_COMMAND, the engine keeps it beside the
 * output tags (hd_event_set_command) and a reader gets it back (`hdevent events`, `hdevent
 * record`). Bad requests get a precise code and leave the text as it was.
 */
#include "helpers.h"

#include <hdevent/command.h>
#include <hdevent/wire.h>
#include <hdevent/wire_device.h>
#include <hdevent/wire_encode.h>

static void wr32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> 8 * i);
}

static uint32_t rd32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* A request: tag, op, length, then @text (its length unless @length_field says otherwise). */
static size_t request(uint8_t *b, uint64_t tag, uint32_t op, const char *text, uint32_t length)
{
    wr32(b, (uint32_t)tag);
    wr32(b + 4, (uint32_t)(tag >> 32));
    wr32(b + 8, op);
    wr32(b + 12, length);
    if (text)
        memcpy(b + 16, text, strlen(text));
    return 16 + (text ? strlen(text) : 0);
}

/* Send @in; @return the reply's kernel status, its bytes in @out, *written its size. */
static uint32_t send(struct fx *f, const uint8_t *in, size_t n, uint8_t *out, size_t out_len,
                     size_t *written)
{
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_EVENT_COMMAND, in, n, out,
                                          out_len, written), HD_OK);
    return rd32(out);
}

static char *text_of(struct fx *f, uint64_t tag, char *buf, size_t size)
{
    assert_int_equal(hd_event_command(f->engine, tag, buf, size, NULL), HD_OK);
    return buf;
}

/* The engine keeps what it is given, output tags intact; errors change nothing. */
static void engine_sets_the_text(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    uint64_t got[HD_EVENT_MAX_OUTPUTS], tag;
    uint32_t n = 0;
    char buf[64], big[HD_COMMAND_MAX_BYTES + 2];
    struct hd_event_info info;

    hd_event_desc_init(&d);
    d.output_count = 2;
    d.outputs[0] = 7;
    d.outputs[1] = 9;
    assert_int_equal(hd_event_register(f->engine, &d, &tag), HD_OK);
    assert_string_equal(text_of(f, tag, buf, sizeof(buf)), "");
    assert_int_equal(hd_event_set_command(f->engine, tag, "!vmcall output {a, b}", 21), HD_OK);
    assert_string_equal(text_of(f, tag, buf, sizeof(buf)), "!vmcall output {a, b}");
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_OK);
    assert_int_equal(info.command_length, 21);
    assert_int_equal(hd_event_outputs(f->engine, tag, got, &n), HD_OK);
    assert_int_equal(n, 2);
    assert_true(got[0] == 7 && got[1] == 9);

    memset(big, 'x', sizeof(big));
    assert_int_equal(hd_event_set_command(f->engine, tag, big, HD_COMMAND_MAX_BYTES + 1),
                     HD_ERR_TOO_LARGE);
    assert_int_equal(hd_event_set_command(f->engine, tag, "a\0b", 3), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_event_set_command(f->engine, tag, NULL, 2), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_event_set_command(f->engine, tag + 1, "x", 1), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_event_set_command(NULL, tag, "x", 1), HD_ERR_INVALID_ARGUMENT);
    assert_string_equal(text_of(f, tag, buf, sizeof(buf)), "!vmcall output {a, b}");

    /* the largest text, then none: the tags stay where hd__event_outputs finds them */
    assert_int_equal(hd_event_set_command(f->engine, tag, big, HD_COMMAND_MAX_BYTES), HD_OK);
    assert_int_equal(hd_event_command(f->engine, tag, NULL, 0, &(size_t){0}), HD_OK);
    assert_int_equal(hd_event_set_command(f->engine, tag, NULL, 0), HD_OK);
    assert_string_equal(text_of(f, tag, buf, sizeof(buf)), "");
    assert_int_equal(hd_event_outputs(f->engine, tag, got, &n), HD_OK);
    assert_true(n == 2 && got[1] == 9);
}

/* A command registered through the device gets its text there and reads it back. */
static void device_sets_and_gets_the_text(void **state)
{
    struct fx *f = *state;
    const char *text = "!vmcall pid 490 code {90 90}";
    struct hd_command cmd;
    struct hd_command_error err;
    struct hd_wire_event_command_reply r;
    uint8_t *b, res[8], in[64], out[HD_WIRE_EVENT_COMMAND_REPLY_SIZE + 64];
    const char *got = NULL;
    size_t n, written = 0;

    assert_int_equal(hd_command_parse(text, &cmd, &err), HD_OK);
    assert_int_equal(hd_wire_encode_event(&cmd.event, HD_TAG_BASE, &b, &n), HD_OK);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_REGISTER_EVENT, b, n, res,
                                          sizeof(res), &written), HD_OK);
    free(b);
    hd_command_free(&cmd);

    n = request(in, HD_TAG_BASE, HD_WIRE_COMMAND_SET, text, (uint32_t)strlen(text));
    assert_int_equal(send(f, in, n, out, sizeof(out), &written), HD_WIRE_SUCCESS);
    assert_int_equal(written, HD_WIRE_EVENT_COMMAND_REPLY_SIZE);
    assert_int_equal(hd_wire_decode_event_command_reply(out, written, &r, NULL), HD_WIRE_OK);
    assert_int_equal(r.length, strlen(text));

    n = request(in, HD_TAG_BASE, HD_WIRE_COMMAND_GET, NULL, 0);
    memset(out, 0xAA, sizeof(out));
    assert_int_equal(send(f, in, n, out, sizeof(out), &written), HD_WIRE_SUCCESS);
    assert_int_equal(written, 8 + strlen(text) + 1);
    assert_int_equal(out[written], 0xAA); /* nothing past the reply */
    assert_int_equal(hd_wire_decode_event_command_reply(out, written, &r, &got), HD_WIRE_OK);
    assert_string_equal(got, text);

    /* cut to what fits, NUL-terminated; the length says how much there is */
    assert_int_equal(send(f, in, n, out, 8 + 5, &written), HD_WIRE_SUCCESS);
    assert_int_equal(written, 13);
    assert_int_equal(hd_wire_decode_event_command_reply(out, written, &r, &got), HD_WIRE_OK);
    assert_string_equal(got, "!vmc");
    assert_int_equal(r.length, strlen(text));
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_EVENT_COMMAND, in, n, out,
                                          7, &written), HD_ERR_BUFFER_TOO_SMALL);
}

/* Each malformed request gets its own code; the text stays as it was. */
static void bad_requests_change_nothing(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    uint8_t in[HD_WIRE_EVENT_COMMAND_SIZE + 32], out[64];
    char buf[32];
    uint64_t tag;
    size_t n, written;

    hd_event_desc_init(&d);
    d.command = "!vmcall";
    assert_int_equal(hd_event_register(f->engine, &d, &tag), HD_OK);

    n = request(in, tag, HD_WIRE_COMMAND_SET, "abc", 3);
    assert_int_equal(send(f, in, n - 1, out, sizeof(out), &written), HD_WIRE_ERR_TRUNCATED);
    assert_int_equal(send(f, in, 15, out, sizeof(out), &written), HD_WIRE_ERR_TRUNCATED);
    n = request(in, tag, HD_WIRE_COMMAND_SET, "abcd", 3);
    assert_int_equal(send(f, in, n, out, sizeof(out), &written), HD_WIRE_ERR_TRAILING_BYTES);
    n = request(in, tag, 2, NULL, 0);
    assert_int_equal(send(f, in, n, out, sizeof(out), &written), HD_WIRE_ERR_COMMAND_OP);
    n = request(in, tag, HD_WIRE_COMMAND_GET, "ab", 2);
    assert_int_equal(send(f, in, n, out, sizeof(out), &written), HD_WIRE_ERR_COMMAND_OP);
    n = request(in, tag, HD_WIRE_COMMAND_SET, NULL, HD_COMMAND_MAX_BYTES + 1);
    assert_int_equal(send(f, in, n, out, sizeof(out), &written), HD_WIRE_ERR_COMMAND_TEXT);
    n = request(in, tag, HD_WIRE_COMMAND_SET, "a?b", 3);
    in[17] = 0; /* a NUL inside */
    assert_int_equal(send(f, in, n, out, sizeof(out), &written), HD_WIRE_ERR_COMMAND_TEXT);
    n = request(in, tag + 5, HD_WIRE_COMMAND_SET, "x", 1);
    assert_int_equal(send(f, in, n, out, sizeof(out), &written), HD_WIRE_ERR_TAG_NOT_EXISTS);
    assert_int_equal(rd32(out + 4), 0);
    assert_int_equal(written, HD_WIRE_EVENT_COMMAND_REPLY_SIZE);
    assert_string_equal(text_of(f, tag, buf, sizeof(buf)), "!vmcall");
}

/* The decoder refuses replies a kernel must not write. */
static void decoder_refuses_bad_replies(void **state)
{
    struct hd_wire_event_command_reply r;
    uint8_t b[16] = {0};
    const char *t;

    (void)state;
    wr32(b, HD_WIRE_SUCCESS);
    wr32(b + 4, 3);
    memcpy(b + 8, "abc", 4);
    assert_int_equal(hd_wire_decode_event_command_reply(b, 12, &r, &t), HD_WIRE_OK);
    assert_int_equal(hd_wire_decode_event_command_reply(b, 7, &r, &t), HD_WIRE_ERR_TRUNCATED);
    assert_int_equal(hd_wire_decode_event_command_reply(b, 8, &r, &t), HD_WIRE_ERR_TRUNCATED);
    b[11] = 'x'; /* no NUL at the end */
    assert_int_equal(hd_wire_decode_event_command_reply(b, 12, &r, &t),
                     HD_WIRE_ERR_REPLY_MALFORMED);
    b[11] = 0;
    b[9] = 0; /* a NUL inside */
    assert_int_equal(hd_wire_decode_event_command_reply(b, 12, &r, &t),
                     HD_WIRE_ERR_REPLY_MALFORMED);
    wr32(b + 4, 1); /* more text than the length */
    assert_int_equal(hd_wire_decode_event_command_reply(b, 12, &r, &t),
                     HD_WIRE_ERR_REPLY_MALFORMED);
    wr32(b, HD_WIRE_ERR_TAG_NOT_EXISTS); /* a failure with a length */
    assert_int_equal(hd_wire_decode_event_command_reply(b, 8, &r, &t),
                     HD_WIRE_ERR_REPLY_MALFORMED);
    assert_int_equal(hd_wire_decode_event_command_reply(b, 12, &r, &t),
                     HD_WIRE_ERR_TRAILING_BYTES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(engine_sets_the_text, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(device_sets_and_gets_the_text, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(bad_requests_change_nothing, fx_setup, fx_teardown),
        cmocka_unit_test(decoder_refuses_bad_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
