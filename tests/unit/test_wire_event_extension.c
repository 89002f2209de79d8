/* SPDX-License-Identifier: MIT */
/*
 * hdevent's extension on the wire (docs/wire.md): `nr`, `deny` and `max_hits` travel in
 * Options[1..5] of HyperDbg's event buffer, from the command through the encoder and the
 * kernel's decoder into the engine, and come back from HD_IOCTL_EVENT_EXTENSION with the runs
 * taken; a buffer without them (HyperDbg's) registers an event without them; bad words are
 * refused before anything is registered.
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

static void wr32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> 8 * i);
}

static void wr64(uint8_t *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> 8 * i);
}

/* Register @text through the wire as a kernel would; @return the register reply's status. */
static uint32_t register_text(struct fx *f, const char *text, uint64_t tag, uint8_t **buf,
                              size_t *len)
{
    struct hd_command cmd;
    struct hd_command_error err;
    uint8_t res[8];
    size_t written;

    assert_int_equal(hd_command_parse(text, &cmd, &err), HD_OK);
    assert_int_equal(hd_wire_encode_event(&cmd.event, tag, buf, len), HD_OK);
    hd_command_free(&cmd);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_REGISTER_EVENT, *buf, *len,
                                          res, sizeof(res), &written), HD_OK);
    return rd32(res + 4);
}

static void extension_travels_and_comes_back(void **state)
{
    struct fx *f = *state;
    uint8_t *b, out[HD_WIRE_EVENT_EXTENSION_SIZE + 8];
    uint64_t rq = HD_TAG_BASE;
    size_t n, written = 0;
    struct hd_guest_regs regs;

    assert_int_equal(register_text(f, "!vmcall nr 10-1f deny rax=2a max_hits 2", HD_TAG_BASE,
                                   &b, &n), HD_WIRE_OK);
    assert_true(rd64(b + 112) == HD_WIRE_EXT_NR + HD_WIRE_EXT_DENY_RAX);
    assert_true(rd64(b + 120) == 0x10 && rd64(b + 128) == 0x1F && rd64(b + 136) == 0x2A);
    assert_true(rd64(b + 144) == 2);
    free(b);

    memset(&regs, 0, sizeof(regs));
    regs.rcx = 0x15;
    run_exit(f, 0, 1, 0, &regs);
    assert_int_equal(regs.rax, 0x2A);

    memset(out, 0xAA, sizeof(out));
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_EVENT_EXTENSION, &rq,
                                          sizeof(rq), out, sizeof(out), &written), HD_OK);
    assert_int_equal(written, HD_WIRE_EVENT_EXTENSION_SIZE);
    assert_int_equal(rd32(out), HD_WIRE_SUCCESS);
    assert_int_equal(rd32(out + 4), HD_WIRE_EVENT_EXT_NR | HD_WIRE_EVENT_EXT_DENY_RAX);
    assert_true(rd64(out + 8) == 0x10 && rd64(out + 16) == 0x1F && rd64(out + 24) == 0x2A);
    assert_true(rd64(out + 32) == 2 && rd64(out + 40) == 1);
    assert_int_equal(out[HD_WIRE_EVENT_EXTENSION_SIZE], 0xAA);

    regs.rcx = 0x10;
    run_exit(f, 1, 1, 0, &regs); /* the second run: spent now */
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_EVENT_EXTENSION, &rq,
                                          sizeof(rq), out, sizeof(out), &written), HD_OK);
    assert_int_equal(rd32(out + 4),
                     HD_WIRE_EVENT_EXT_NR | HD_WIRE_EVENT_EXT_DENY_RAX | HD_WIRE_EVENT_EXT_SPENT);
    assert_true(rd64(out + 40) == 2);
    {
        /* What `hdevent events` reads back: the user-mode decoder takes the kernel's reply. */
        struct hd_wire_event_extension x;
        assert_int_equal(hd_wire_decode_event_extension(out, written, &x), HD_WIRE_OK);
        assert_true(x.nr_first == 0x10 && x.nr_last == 0x1F && x.deny_rax == 0x2A);
        assert_true(x.max_hits == 2 && x.runs == 2 && (x.flags & HD_WIRE_EVENT_EXT_SPENT));
    }

    rq = HD_TAG_BASE + 9; /* no such event */
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_EVENT_EXTENSION, &rq,
                                          sizeof(rq), out, sizeof(out), &written), HD_OK);
    assert_int_equal(rd32(out), HD_WIRE_ERR_TAG_NOT_EXISTS);
    assert_int_equal(rd32(out + 4), 0);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_EVENT_EXTENSION, &rq, 7,
                                          out, sizeof(out), &written), HD_OK);
    assert_int_equal(rd32(out), HD_WIRE_ERR_TRUNCATED);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_EVENT_EXTENSION, &rq,
                                          sizeof(rq), out, HD_WIRE_EVENT_EXTENSION_SIZE - 1,
                                          &written), HD_ERR_BUFFER_TOO_SMALL);
}

static void hyperdbg_buffer_has_none(void **state)
{
    struct fx *f = *state;
    uint8_t *b, out[HD_WIRE_EVENT_EXTENSION_SIZE];
    uint64_t rq = HD_TAG_BASE;
    size_t n, written;
    struct hd_event_info info;

    assert_int_equal(register_text(f, "!vmcall pid 490 code {90}", HD_TAG_BASE, &b, &n),
                     HD_WIRE_OK);
    for (size_t i = 112; i < 152; i++)
        assert_int_equal(b[i], 0); /* Options[1..5]: zeros, as HyperDbg's user mode sends */
    free(b);
    assert_int_equal(hd_event_query(f->engine, HD_TAG_BASE, &info), HD_OK);
    assert_false(info.nr_filter);
    assert_int_equal(info.deny, HD_DENY_NONE);
    assert_int_equal(info.max_hits, 0);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_EVENT_EXTENSION, &rq,
                                          sizeof(rq), out, sizeof(out), &written), HD_OK);
    assert_int_equal(rd32(out + 4), 0);
}

static void bad_words_register_nothing(void **state)
{
    struct fx *f = *state;
    uint8_t *b, res[8];
    size_t n, written;
    static const struct {
        unsigned offset;
        uint8_t value;
    } bad[] = {
        {112, 8},    /* an unknown flag */
        {112, 6},    /* deny ud and deny rax */
        {128, 0x01}, /* nr last (0x01) below first (0x10) */
        {136, 1},    /* a rax value without deny rax */
    };

    assert_int_equal(register_text(f, "!vmcall nr 10 deny ud", HD_TAG_BASE, &b, &n),
                     HD_WIRE_OK);
    assert_int_equal(hd_event_clear(f->engine, HD_TAG_ALL), HD_OK);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t saved = b[bad[i].offset];
        b[bad[i].offset] = bad[i].value;
        b[88] = (uint8_t)(1 + i); /* a fresh tag each time */
        assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_REGISTER_EVENT, b, n,
                                              res, sizeof(res), &written), HD_OK);
        assert_int_equal(rd32(res + 4), HD_WIRE_ERR_BAD_EXTENSION);
        b[bad[i].offset] = saved;
    }
    b[28] = 2; /* stage post with deny ud */
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_REGISTER_EVENT, b, n, res,
                                          sizeof(res), &written), HD_OK);
    assert_int_equal(rd32(res + 4), HD_WIRE_ERR_BAD_EXTENSION);
    assert_int_equal(event_count(f), 0);
    free(b);
}

/* The decoder refuses every reply a sound kernel cannot write, and only those. */
static void reply_decoder_refuses_malformed(void **state)
{
    uint8_t r[HD_WIRE_EVENT_EXTENSION_SIZE + 1];
    struct hd_wire_event_extension x;
    (void)state;

#define SOUND()                                                                                \
    do {                                                                                       \
        memset(r, 0, sizeof(r));                                                               \
        wr32(r + 4, HD_WIRE_EVENT_EXT_NR | HD_WIRE_EVENT_EXT_DENY_UD);                        \
        wr64(r + 8, 5);                                                                        \
        wr64(r + 16, 9);                                                                       \
        wr64(r + 32, 3);                                                                       \
        wr64(r + 40, 1);                                                                       \
    } while (0)
    SOUND();
    assert_int_equal(hd_wire_decode_event_extension(r, HD_WIRE_EVENT_EXTENSION_SIZE, &x),
                     HD_WIRE_OK);
    assert_true(x.nr_first == 5 && x.nr_last == 9 && x.max_hits == 3 && x.runs == 1);
    assert_int_equal(hd_wire_decode_event_extension(r, HD_WIRE_EVENT_EXTENSION_SIZE - 1, &x),
                     HD_WIRE_ERR_TRUNCATED);
    assert_int_equal(hd_wire_decode_event_extension(r, HD_WIRE_EVENT_EXTENSION_SIZE + 1, &x),
                     HD_WIRE_ERR_TRAILING_BYTES);
    assert_int_equal(hd_wire_decode_event_extension(NULL, 0, &x), HD_WIRE_ERR_INVALID_ARGUMENT);
    wr32(r + 4, 0x10); /* an unknown flag */
    assert_int_equal(hd_wire_decode_event_extension(r, HD_WIRE_EVENT_EXTENSION_SIZE, &x),
                     HD_WIRE_ERR_REPLY_MALFORMED);
    SOUND();
    wr32(r + 4, HD_WIRE_EVENT_EXT_DENY_UD | HD_WIRE_EVENT_EXT_DENY_RAX); /* both denies */
    assert_int_equal(hd_wire_decode_event_extension(r, HD_WIRE_EVENT_EXTENSION_SIZE, &x),
                     HD_WIRE_ERR_REPLY_MALFORMED);
    SOUND();
    wr64(r + 8, 10); /* a range ending below its start */
    assert_int_equal(hd_wire_decode_event_extension(r, HD_WIRE_EVENT_EXTENSION_SIZE, &x),
                     HD_WIRE_ERR_REPLY_MALFORMED);
    SOUND();
    wr64(r + 40, 4); /* more runs than the limit */
    assert_int_equal(hd_wire_decode_event_extension(r, HD_WIRE_EVENT_EXTENSION_SIZE, &x),
                     HD_WIRE_ERR_REPLY_MALFORMED);
    SOUND();
    wr64(r + 32, 0); /* runs without a limit */
    assert_int_equal(hd_wire_decode_event_extension(r, HD_WIRE_EVENT_EXTENSION_SIZE, &x),
                     HD_WIRE_ERR_REPLY_MALFORMED);
    SOUND();
    wr64(r + 32, 0);
    wr64(r + 40, 0);
    wr32(r + 4, HD_WIRE_EVENT_EXT_SPENT); /* spent without a limit */
    assert_int_equal(hd_wire_decode_event_extension(r, HD_WIRE_EVENT_EXTENSION_SIZE, &x),
                     HD_WIRE_ERR_REPLY_MALFORMED);
#undef SOUND
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(extension_travels_and_comes_back),
        T(hyperdbg_buffer_has_none),
        T(bad_words_register_nothing),
        cmocka_unit_test(reply_decoder_refuses_malformed),
    };
#undef T
    return cmocka_run_group_tests_name("wire: hdevent's extension of the event", tests, NULL,
                                       NULL);
}
