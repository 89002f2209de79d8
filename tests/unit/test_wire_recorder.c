/* SPDX-License-Identifier: MIT */
/*
 * HD_IOCTL_RECORDER (wire_device.h): switching the flight recorder through the device entry
 * point, records laid out as struct hd_exit_record in little-endian, as many as fit, each
 * taken once; bad requests rejected with a status and nothing changed.
 */
#include "helpers.h"

#include <hdevent/wire_encode.h>

#include <hdevent/recorder.h>
#include <hdevent/wire_device.h>

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* One recorder request with @op; @return the bytes written, reply in @out. */
static size_t recorder(struct fx *f, uint32_t op, uint32_t reserved, uint8_t *out,
                       size_t out_len, enum hd_status want)
{
    uint8_t in[8];
    size_t written = 99;
    memcpy(in, &op, 4);
    memcpy(in + 4, &reserved, 4);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_RECORDER, in, sizeof(in),
                                          out, out_len, &written),
                     want);
    return written;
}

static void switch_on_record_and_read_in_pieces(void **state)
{
    struct fx *f = *state;
    uint8_t out[HD_WIRE_RECORDER_HEADER_SIZE + 2 * HD_WIRE_RECORD_SIZE + 10];
    uint64_t tag = reg_logged(f, HD_ALL, HD_ALL, HD_STAGE_PRE, 1);

    assert_int_equal(recorder(f, HD_WIRE_RECORDER_ON, 0, out, sizeof(out), HD_OK),
                     HD_WIRE_RECORDER_HEADER_SIZE);
    assert_int_equal(rd32(out), HD_WIRE_SUCCESS);
    assert_int_equal(rd32(out + 4), 0);
    assert_int_equal(rd32(out + 8), 1);
    assert_true(hd_recorder_on(f->engine));
    for (uint64_t i = 0; i < 3; i++) {
        struct hd_guest_regs regs = {.rbx = 0x100 + i};
        run_exit(f, (uint32_t)i, 0x490, 3, &regs);
    }
    /* room for two: two records, the third stays queued */
    assert_int_equal(recorder(f, HD_WIRE_RECORDER_READ, 0, out, sizeof(out), HD_OK),
                     HD_WIRE_RECORDER_HEADER_SIZE + 2 * HD_WIRE_RECORD_SIZE);
    assert_int_equal(rd32(out + 4), 2);
    for (uint32_t k = 0; k < 2; k++) {
        const uint8_t *r = out + HD_WIRE_RECORDER_HEADER_SIZE + k * HD_WIRE_RECORD_SIZE;
        assert_int_equal(rd64(r + 3 * 8), 0x100 + k);        /* before.rbx */
        assert_int_equal(rd64(r + 128), HD_VMCALL_ENOSYS);   /* after.rax: default handling */
        assert_int_equal(rd64(r + 256), HD_HOST_VCPU_RIP);
        assert_int_equal(rd32(r + 268), k);                  /* core */
        assert_int_equal(rd32(r + 272), 0x490);              /* pid */
        assert_int_equal(rd32(r + 276), 3);                  /* insn_len */
        assert_int_equal(r[280], 3);                         /* cpl */
        assert_int_equal(r[281], HD_RECORD_DEFAULT_HANDLED);
        assert_int_equal(rd32(r + 284), 1);                  /* fired_count */
        assert_int_equal(rd64(r + 288), tag);
    }
    /* the user-mode decoders read the same reply back (hdevent record) */
    struct hd_wire_recorder_header h;
    struct hd_exit_record rec;
    size_t got = HD_WIRE_RECORDER_HEADER_SIZE + 2 * HD_WIRE_RECORD_SIZE;
    assert_int_equal(hd_wire_decode_recorder(out, got, &h), HD_WIRE_OK);
    assert_int_equal(h.count, 2);
    assert_int_equal(h.recording, 1);
    assert_int_equal(hd_wire_decode_record(out, got, 1, &rec), HD_WIRE_OK);
    assert_int_equal(rec.before.rbx, 0x101);
    assert_int_equal(rec.after.rax, HD_VMCALL_ENOSYS);
    assert_int_equal(rec.core, 1);
    assert_int_equal(rec.fired_count, 1);
    assert_true(rec.fired[0] == tag && rec.fired[1] == 0);
    assert_int_equal(hd_wire_decode_record(out, got, 2, &rec), HD_WIRE_ERR_TRUNCATED);
    assert_int_equal(hd_wire_decode_recorder(out, got - 1, &h), HD_WIRE_ERR_TRUNCATED);
    assert_int_equal(hd_wire_decode_recorder(out, got + 1, &h), HD_WIRE_ERR_TRAILING_BYTES);
    out[HD_WIRE_RECORDER_HEADER_SIZE + 280] = 4; /* CPL 4 */
    assert_int_equal(hd_wire_decode_record(out, got, 0, &rec), HD_WIRE_ERR_REPLY_MALFORMED);
    out[HD_WIRE_RECORDER_HEADER_SIZE + 280] = 3;
    /* every flag a record can carry decodes (deny ud, a two-call exit's after-unknown) */
    out[HD_WIRE_RECORDER_HEADER_SIZE + 281] = HD_RECORD_FLAGS_ALL;
    assert_int_equal(hd_wire_decode_record(out, got, 0, &rec), HD_WIRE_OK);
    assert_int_equal(rec.flags, HD_RECORD_FLAGS_ALL);
    assert_true(rec.flags & HD_RECORD_DENY_UD && rec.flags & HD_RECORD_AFTER_UNKNOWN);
    out[HD_WIRE_RECORDER_HEADER_SIZE + 281] = HD_RECORD_AFTER_UNKNOWN << 1; /* no such flag */
    assert_int_equal(hd_wire_decode_record(out, got, 0, &rec), HD_WIRE_ERR_REPLY_MALFORMED);
    out[HD_WIRE_RECORDER_HEADER_SIZE + 281] = HD_RECORD_DEFAULT_HANDLED;
    out[HD_WIRE_RECORDER_HEADER_SIZE + 296] = 1; /* a tag past fired_count */
    assert_int_equal(hd_wire_decode_record(out, got, 0, &rec), HD_WIRE_ERR_REPLY_MALFORMED);
    out[8] = 2; /* recording 2 */
    assert_int_equal(hd_wire_decode_recorder(out, got, &h), HD_WIRE_ERR_REPLY_MALFORMED);
    assert_int_equal(recorder(f, HD_WIRE_RECORDER_OFF, 0, out, sizeof(out), HD_OK),
                     HD_WIRE_RECORDER_HEADER_SIZE + HD_WIRE_RECORD_SIZE);
    assert_int_equal(rd32(out + 8), 0);
    assert_int_equal(rd32(out + HD_WIRE_RECORDER_HEADER_SIZE + 268), 2);
    assert_false(hd_recorder_on(f->engine));
    assert_int_equal(recorder(f, HD_WIRE_RECORDER_READ, 0, out, sizeof(out), HD_OK),
                     HD_WIRE_RECORDER_HEADER_SIZE);
    assert_int_equal(rd32(out + 4), 0);
}

static void bad_requests_change_nothing(void **state)
{
    struct fx *f = *state;
    uint8_t out[HD_WIRE_RECORDER_HEADER_SIZE + HD_WIRE_RECORD_SIZE];
    uint8_t in[9] = {0};
    size_t written;

    assert_int_equal(recorder(f, 3, 0, out, sizeof(out), HD_OK), HD_WIRE_RECORDER_HEADER_SIZE);
    assert_int_equal(rd32(out), HD_WIRE_ERR_INVALID_ARGUMENT);
    recorder(f, HD_WIRE_RECORDER_ON, 1, out, sizeof(out), HD_OK);
    assert_int_equal(rd32(out), HD_WIRE_ERR_INVALID_ARGUMENT);
    assert_false(hd_recorder_on(f->engine));
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_RECORDER, in, 9, out,
                                          sizeof(out), &written), HD_OK);
    assert_int_equal(rd32(out), HD_WIRE_ERR_TRAILING_BYTES);
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_RECORDER, in, 4, out,
                                          sizeof(out), &written), HD_OK);
    assert_int_equal(rd32(out), HD_WIRE_ERR_TRUNCATED);
    recorder(f, HD_WIRE_RECORDER_ON, 0, out, HD_WIRE_RECORDER_HEADER_SIZE - 1,
             HD_ERR_BUFFER_TOO_SMALL);
    assert_false(hd_recorder_on(f->engine)); /* checked first: nothing was done */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(switch_on_record_and_read_in_pieces, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(bad_requests_change_nothing, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
