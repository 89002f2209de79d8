/* SPDX-License-Identifier: MIT */
/*
 * An event's `output {a, b}` (docs/output.md): the parser makes one tag per name
 * (hd_output_tag), the wire carries them in HasCustomOutput / OutputSourceTags, the engine
 * keeps them beside the command text (hd_event_outputs) and a device hands them to its
 * reader (HD_IOCTL_EVENT_OUTPUTS). Bad tags register nothing.
 */
#include "helpers.h"

#include <hdevent/command.h>
#include <hdevent/wire.h>
#include <hdevent/wire_device.h>
#include <hdevent/wire_encode.h>

static uint32_t rd32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t rd64(const uint8_t *b)
{
    return (uint64_t)rd32(b) | (uint64_t)rd32(b + 4) << 32;
}

static uint64_t tag_of(const char *name)
{
    return hd_output_tag(name, strlen(name));
}

/* The tags come from the names, in order; the rule for names is hd_output_name_check's. */
static void parser_gives_a_tag_per_name(void **state)
{
    struct hd_command cmd;
    struct hd_command_error err;

    (void)state;
    assert_int_equal(hd_command_parse("!vmcall output {log, Net.2, a-b_c}", &cmd, &err), HD_OK);
    assert_int_equal(cmd.event.output_count, 3);
    assert_true(cmd.event.outputs[0] == tag_of("log"));
    assert_true(cmd.event.outputs[1] == tag_of("Net.2"));
    assert_true(cmd.event.outputs[2] == tag_of("a-b_c"));
    hd_command_free(&cmd);
    assert_int_equal(hd_command_parse("!vmcall code {90}", &cmd, &err), HD_OK);
    assert_int_equal(cmd.event.output_count, 0);
    hd_command_free(&cmd);

    /* FNV-1a 64 of the bytes: known values, never 0 */
    assert_true(hd_output_tag("", 0) == 0xcbf29ce484222325ull);
    assert_true(hd_output_tag("a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(tag_of("log") != tag_of("Log"));
    assert_int_equal(hd_output_name_check("ok_name-1.x", 11), 11);
    assert_int_equal(hd_output_name_check("a:b", 3), 1);
    assert_int_equal(hd_output_name_check("", 0), 0);
    char longname[70];
    memset(longname, 'n', sizeof(longname));
    assert_int_equal(hd_output_name_check(longname, 63), 63);
    assert_int_equal(hd_output_name_check(longname, 64), 63);
}

/* The engine keeps what the descriptor said and hands it back; bad lists register nothing. */
static void engine_keeps_the_outputs(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    uint64_t got[HD_EVENT_MAX_OUTPUTS], tag;
    uint32_t n = 9;
    char text[64];

    hd_event_desc_init(&d);
    d.command = "!vmcall output {a, b}";
    d.output_count = 2;
    d.outputs[0] = 11;
    d.outputs[1] = 22;
    assert_int_equal(hd_event_register(f->engine, &d, &tag), HD_OK);
    assert_int_equal(hd_event_outputs(f->engine, tag, got, &n), HD_OK);
    assert_int_equal(n, 2);
    assert_true(got[0] == 11 && got[1] == 22);
    /* the command text beside them is intact */
    assert_int_equal(hd_event_command(f->engine, tag, text, sizeof(text), NULL), HD_OK);
    assert_string_equal(text, "!vmcall output {a, b}");

    d.command = NULL; /* no text: the tags still have their place */
    d.output_count = 5;
    for (uint32_t i = 0; i < 5; i++)
        d.outputs[i] = 100 + i;
    assert_int_equal(hd_event_register(f->engine, &d, &tag), HD_OK);
    assert_int_equal(hd_event_outputs(f->engine, tag, got, &n), HD_OK);
    assert_int_equal(n, 5);
    assert_true(got[4] == 104);

    unsigned before = event_count(f);
    d.output_count = 6;
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_INVALID_ARGUMENT);
    d.output_count = 2;
    d.outputs[1] = 100; /* twice */
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_INVALID_ARGUMENT);
    d.outputs[1] = 0; /* no tag */
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(event_count(f), before);

    d.output_count = 0;
    assert_int_equal(hd_event_register(f->engine, &d, &tag), HD_OK);
    assert_int_equal(hd_event_outputs(f->engine, tag, got, &n), HD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(hd_event_outputs(f->engine, tag + 1, got, &n), HD_ERR_NO_SUCH_EVENT);
    assert_int_equal(hd_event_outputs(f->engine, tag, NULL, &n), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_event_outputs(NULL, tag, got, &n), HD_ERR_INVALID_ARGUMENT);
}

/* A command's outputs travel the wire and come back from the device's EVENT_OUTPUTS. */
static void device_hands_the_outputs_to_its_reader(void **state)
{
    struct fx *f = *state;
    struct hd_command cmd;
    struct hd_command_error err;
    uint8_t *b, res[8], out[HD_WIRE_EVENT_OUTPUTS_SIZE + 8];
    uint64_t rq = HD_TAG_BASE;
    size_t n, written = 0;

    assert_int_equal(hd_command_parse("!vmcall output {net, disk}", &cmd, &err), HD_OK);
    assert_int_equal(hd_wire_encode_event(&cmd.event, HD_TAG_BASE, &b, &n), HD_OK);
    assert_int_equal(b[32], 1); /* HasCustomOutput */
    assert_true(rd64(b + 40) == tag_of("net") && rd64(b + 48) == tag_of("disk"));
    assert_true(rd64(b + 56) == 0);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_REGISTER_EVENT, b, n, res,
                                          sizeof(res), &written), HD_OK);
    assert_int_equal(rd32(res + 4), HD_WIRE_OK);
    free(b);
    hd_command_free(&cmd);

    memset(out, 0xAA, sizeof(out));
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_EVENT_OUTPUTS, &rq,
                                          sizeof(rq), out, sizeof(out), &written), HD_OK);
    assert_int_equal(written, HD_WIRE_EVENT_OUTPUTS_SIZE);
    assert_int_equal(rd32(out), HD_WIRE_SUCCESS);
    assert_int_equal(rd32(out + 4), 2);
    assert_true(rd64(out + 8) == tag_of("net") && rd64(out + 16) == tag_of("disk"));
    assert_true(rd64(out + 24) == 0 && rd64(out + 40) == 0);
    assert_int_equal(out[HD_WIRE_EVENT_OUTPUTS_SIZE], 0xAA); /* nothing past the reply */
    {
        /* What `hdevent events` and `read` take: the user-mode decoder, and its refusals. */
        struct hd_wire_event_outputs o;
        uint8_t bad[HD_WIRE_EVENT_OUTPUTS_SIZE];
        assert_int_equal(hd_wire_decode_event_outputs(out, written, &o), HD_WIRE_OK);
        assert_true(o.count == 2 && o.tags[0] == tag_of("net") && o.tags[1] == tag_of("disk"));
        assert_int_equal(hd_wire_decode_event_outputs(out, written - 1, &o),
                         HD_WIRE_ERR_TRUNCATED);
        memcpy(bad, out, sizeof(bad));
        bad[4] = 6; /* more tags than an event has */
        assert_int_equal(hd_wire_decode_event_outputs(bad, sizeof(bad), &o),
                         HD_WIRE_ERR_REPLY_MALFORMED);
        memcpy(bad, out, sizeof(bad));
        bad[4] = 3; /* a count past the tags: a zero tag inside it */
        assert_int_equal(hd_wire_decode_event_outputs(bad, sizeof(bad), &o),
                         HD_WIRE_ERR_REPLY_MALFORMED);
        memcpy(bad, out, sizeof(bad));
        bad[4] = 1; /* a tag after the count */
        assert_int_equal(hd_wire_decode_event_outputs(bad, sizeof(bad), &o),
                         HD_WIRE_ERR_REPLY_MALFORMED);
        memcpy(bad, out, sizeof(bad));
        bad[0] = 1; /* a failure that still names tags */
        assert_int_equal(hd_wire_decode_event_outputs(bad, sizeof(bad), &o),
                         HD_WIRE_ERR_REPLY_MALFORMED);
    }

    rq = HD_TAG_BASE + 1; /* no such event */
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_EVENT_OUTPUTS, &rq,
                                          sizeof(rq), out, sizeof(out), &written), HD_OK);
    assert_int_equal(rd32(out), HD_WIRE_ERR_TAG_NOT_EXISTS);
    assert_int_equal(rd32(out + 4), 0);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_EVENT_OUTPUTS, &rq, 7, out,
                                          sizeof(out), &written), HD_OK);
    assert_int_equal(rd32(out), HD_WIRE_ERR_TRUNCATED);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_EVENT_OUTPUTS, out, 9, out,
                                          sizeof(out), &written), HD_OK);
    assert_int_equal(rd32(out), HD_WIRE_ERR_TRAILING_BYTES);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_EVENT_OUTPUTS, &rq,
                                          sizeof(rq), out, HD_WIRE_EVENT_OUTPUTS_SIZE - 1,
                                          &written), HD_ERR_BUFFER_TOO_SMALL);
}

/* Bad OutputSourceTags are refused before anything is registered. */
static void bad_output_tags_register_nothing(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    uint8_t *b, res[8];
    size_t n, written;

    hd_event_desc_init(&d);
    assert_int_equal(hd_wire_encode_event(&d, HD_TAG_BASE, &b, &n), HD_OK);
    b[32] = 1; /* HasCustomOutput with no tag */
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_REGISTER_EVENT, b, n, res,
                                          sizeof(res), &written), HD_OK);
    assert_int_equal(rd32(res + 4), HD_WIRE_ERR_BAD_OUTPUT_TAGS);
    b[48] = 7; /* a tag after a zero */
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_REGISTER_EVENT, b, n, res,
                                          sizeof(res), &written), HD_OK);
    assert_int_equal(rd32(res + 4), HD_WIRE_ERR_BAD_OUTPUT_TAGS);
    assert_int_equal(event_count(f), 0);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parser_gives_a_tag_per_name),
        cmocka_unit_test_setup_teardown(engine_keeps_the_outputs, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(device_hands_the_outputs_to_its_reader, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(bad_output_tags_register_nothing, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
