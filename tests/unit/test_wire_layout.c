/* SPDX-License-Identifier: MIT */
/*
 * The wire layout is HyperDbg's: byte arrays written by hand at HyperDbg's offsets (never
 * through the structs of wire.h) decode to the expected descriptors; fields the kernel ignores
 * may hold anything; the encoder puts every field at HyperDbg's offset; the results of
 * hd_wire_ioctl() (8-byte result, 24-byte modify, 12-byte flush) have HyperDbg's layout.
 */
#include "helpers.h"

#include <hdevent/wire.h>
#include <hdevent/wire_encode.h>

/* ---- byte helpers: little-endian, by offset ------------------------------------------------ */

static void put(uint8_t *b, size_t off, unsigned width, uint64_t v)
{
    for (unsigned i = 0; i < width; i++)
        b[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *b, size_t off, unsigned width)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++)
        v |= (uint64_t)b[off + i] << (8 * i);
    return v;
}

/* `!vmcall pid 490 core 2 condition {doc condition}` as HyperDbg's user mode sends it. */
static size_t hyperdbg_event(uint8_t *b)
{
    uint32_t cond_size;
    const uint8_t *cond = doc_condition(&cond_size);
    memset(b, 0, 168);
    put(b, 16, 4, 2);            /* CoreId */
    put(b, 20, 4, 0x490);        /* ProcessId */
    b[24] = 1;                   /* IsEnabled */
    b[25] = 0;                   /* EnableShortCircuiting */
    put(b, 28, 4, 1);            /* EventStage: pre */
    b[32] = 0;                   /* HasCustomOutput */
    put(b, 80, 4, 1);            /* CountOfActions */
    put(b, 88, 8, 0x1000000);    /* Tag: event 0 */
    put(b, 96, 4, 21);           /* EventType: VMCALL_INSTRUCTION_EXECUTION */
    put(b, 160, 4, cond_size);   /* ConditionBufferSize */
    memcpy(b + 168, cond, cond_size);
    return 168 + cond_size;
}

static void hand_built_event_decodes(void **state)
{
    (void)state;
    uint8_t b[256];
    size_t n = hyperdbg_event(b);
    struct hd_event_desc d;
    uint32_t cond_size;
    const uint8_t *cond = doc_condition(&cond_size);

    assert_int_equal(hd_wire_decode_event(b, n, 4, &d), HD_WIRE_OK);
    assert_int_equal(d.core, 2);
    assert_int_equal(d.pid, 0x490);
    assert_true(d.enabled);
    assert_false(d.short_circuit);
    assert_int_equal(d.stage, HD_STAGE_PRE);
    assert_int_equal(d.tag, 0x1000000);
    assert_int_equal(d.condition.kind, HD_CONDITION_RAW);
    assert_ptr_equal(d.condition.code, b + 168); /* points into the buffer */
    assert_int_equal(d.condition.code_size, cond_size);
    assert_memory_equal(d.condition.code, cond, cond_size);
    assert_null(d.actions);
    assert_int_equal(d.action_count, 0); /* actions arrive by add-action */
    assert_null(d.command);
}

static void hand_built_event_every_stage_and_flag(void **state)
{
    (void)state;
    uint8_t b[256];
    struct hd_event_desc d;
    size_t n = hyperdbg_event(b);

    put(b, 28, 4, 2);
    b[24] = 0;
    put(b, 16, 4, 0xFFFFFFFF);
    put(b, 20, 4, 0xFFFFFFFF);
    assert_int_equal(hd_wire_decode_event(b, n, 4, &d), HD_WIRE_OK);
    assert_int_equal(d.stage, HD_STAGE_POST);
    assert_false(d.enabled);
    assert_int_equal(d.core, HD_ALL);
    assert_int_equal(d.pid, HD_ALL);

    put(b, 28, 4, 3);
    assert_int_equal(hd_wire_decode_event(b, n, 4, &d), HD_WIRE_OK);
    assert_int_equal(d.stage, HD_STAGE_ALL);

    put(b, 28, 4, 1);
    b[25] = 1;
    assert_int_equal(hd_wire_decode_event(b, n, 4, &d), HD_WIRE_OK);
    assert_true(d.short_circuit);

    /* No condition: ConditionBufferSize 0 and exactly 168 bytes. */
    put(b, 160, 4, 0);
    assert_int_equal(hd_wire_decode_event(b, 168, 4, &d), HD_WIRE_OK);
    assert_int_equal(d.condition.kind, HD_CONDITION_NONE);
}

/* HyperDbg's kernel ignores these fields; so does hdevent, whatever they hold. */
static void ignored_event_fields_may_hold_anything(void **state)
{
    (void)state;
    uint8_t b[256], c[256];
    struct hd_event_desc d1, d2;
    size_t n = hyperdbg_event(b);

    memcpy(c, b, n);
    memset(c + 0, 0xA5, 16);           /* CommandsEventList */
    memset(c + 26, 0xEE, 2);           /* padding */
    memset(c + 33, 0xEE, 7);           /* padding */
    memset(c + 40, 0x77, 40);          /* OutputSourceTags, HasCustomOutput = 0 */
    memset(c + 84, 0xEE, 4);           /* padding */
    memset(c + 100, 0xEE, 4);          /* padding */
    put(c, 152, 8, 0x7FFE00001234ull); /* CommandStringBuffer: a user pointer */
    memset(c + 164, 0xEE, 4);          /* padding */
    assert_int_equal(hd_wire_decode_event(b, n, 4, &d1), HD_WIRE_OK);
    assert_int_equal(hd_wire_decode_event(c, n, 4, &d2), HD_WIRE_OK);
    assert_int_equal(d1.core, d2.core);
    assert_int_equal(d1.pid, d2.pid);
    assert_int_equal(d1.stage, d2.stage);
    assert_int_equal(d1.enabled, d2.enabled);
    assert_int_equal(d1.short_circuit, d2.short_circuit);
    assert_int_equal(d1.tag, d2.tag);
    assert_int_equal(d1.condition.code_size, d2.condition.code_size);
    assert_memory_equal(d1.condition.code, d2.condition.code, d1.condition.code_size);
}

/* Options[0] (OptionalParam1, unused by HyperDbg's VMCALL event) is hdevent's script step
 * budget: 0 the default, at most HD_SCRIPT_STEPS_MAX. */
static void options_0_is_the_script_step_budget(void **state)
{
    (void)state;
    uint8_t b[256];
    struct hd_event_desc d;
    size_t n = hyperdbg_event(b);

    assert_int_equal(hd_wire_decode_event(b, n, 4, &d), HD_WIRE_OK);
    assert_int_equal(d.script_steps, 0);
    put(b, 104, 8, HD_SCRIPT_STEPS_MAX);
    assert_int_equal(hd_wire_decode_event(b, n, 4, &d), HD_WIRE_OK);
    assert_int_equal(d.script_steps, HD_SCRIPT_STEPS_MAX);
    put(b, 104, 8, HD_SCRIPT_STEPS_MAX + 1);
    assert_int_equal(hd_wire_decode_event(b, n, 4, &d), HD_WIRE_ERR_SCRIPT_BUDGET);
    put(b, 104, 8, 0x100000000ull); /* all 64 bits count: no truncation to 0 */
    assert_int_equal(hd_wire_decode_event(b, n, 4, &d), HD_WIRE_ERR_SCRIPT_BUDGET);
}

static void core_count_zero_skips_the_core_check(void **state)
{
    (void)state;
    uint8_t b[256];
    struct hd_event_desc d;
    size_t n = hyperdbg_event(b);
    put(b, 16, 4, 100);
    assert_int_equal(hd_wire_decode_event(b, n, 4, &d), HD_WIRE_ERR_INVALID_CORE_ID);
    assert_int_equal(hd_wire_decode_event(b, n, 101, &d), HD_WIRE_OK);
    assert_int_equal(hd_wire_decode_event(b, n, 0, &d), HD_WIRE_OK);
    assert_int_equal(d.core, 100);
}

/* The code action of `!vmcall pid 490 code {doc code} buffer 100 imm no`. */
static void hand_built_code_action_decodes(void **state)
{
    (void)state;
    uint8_t b[128];
    uint32_t code_size;
    const uint8_t *code = doc_code(&code_size);
    struct hd_action_desc a;
    uint64_t tag = 0;

    memset(b, 0, sizeof(b));
    put(b, 0, 8, 0x1000007);   /* EventTag */
    put(b, 8, 4, 2);           /* ActionType: custom code */
    b[12] = 0;                 /* ImmediateMessagePassing: no */
    put(b, 16, 4, 0x100);      /* PreAllocatedBuffer */
    put(b, 20, 4, code_size);  /* CustomCodeBufferSize */
    put(b, 24, 4, 0);          /* ScriptBufferSize */
    put(b, 28, 4, 0xDEAD);     /* ScriptBufferPointer: ignored for code */
    memset(b + 13, 0xEE, 3);   /* padding: ignored */
    memcpy(b + 32, code, code_size);

    assert_int_equal(hd_wire_decode_action(b, 32 + code_size, &tag, &a), HD_WIRE_OK);
    assert_int_equal(tag, 0x1000007);
    assert_int_equal(a.type, HD_ACTION_CODE);
    assert_false(a.immediate);
    assert_int_equal(a.buffer_size, 0x100);
    assert_ptr_equal(a.code, b + 32);
    assert_int_equal(a.code_size, code_size);
    assert_null(a.fn);
    assert_null(a.script);
}

static void hand_built_break_action_decodes(void **state)
{
    (void)state;
    uint8_t b[32] = {0};
    struct hd_action_desc a;
    uint64_t tag = 0;
    put(b, 0, 8, 0x1000001);
    b[12] = 1;
    assert_int_equal(hd_wire_decode_action(b, 32, &tag, &a), HD_WIRE_OK);
    assert_int_equal(tag, 0x1000001);
    assert_int_equal(a.type, HD_ACTION_BREAK);
    assert_true(a.immediate);
    assert_null(a.code);
    assert_int_equal(a.code_size, 0);
}

static void hand_built_modify_decodes(void **state)
{
    (void)state;
    uint8_t b[24] = {0};
    uint64_t tag = 0;
    uint32_t type = 99;
    put(b, 0, 8, 0x1000003);
    put(b, 8, 8, 0x1234);  /* KernelStatus: output, ignored */
    put(b, 16, 4, 3);      /* clear */
    b[20] = 7;             /* IsEnabled: output, ignored */
    assert_int_equal(hd_wire_decode_modify(b, 24, &tag, &type), HD_WIRE_OK);
    assert_int_equal(tag, 0x1000003);
    assert_int_equal(type, HD_WIRE_MODIFY_CLEAR);

    put(b, 0, 8, HD_TAG_ALL);
    put(b, 16, 4, 2);
    assert_int_equal(hd_wire_decode_modify(b, 24, &tag, &type), HD_WIRE_OK);
    assert_int_equal(tag, HD_TAG_ALL);
    assert_int_equal(type, HD_WIRE_MODIFY_DISABLE);
}

/* ---- the encoder writes HyperDbg's offsets ------------------------------------------------ */

static void encoder_writes_hyperdbg_offsets(void **state)
{
    (void)state;
    uint32_t cond_size, code_size;
    const uint8_t *code = doc_code(&code_size);
    struct hd_event_desc d;
    struct hd_action_desc a[2];
    uint8_t *b;
    size_t n;
    uint8_t expect[256];

    hd_event_desc_init(&d);
    d.core = 2;
    d.pid = 0x490;
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = doc_condition(&cond_size);
    d.condition.code_size = cond_size;
    a[0] = act_break();
    a[1] = act_code(code, code_size, 0);
    d.actions = a;
    d.action_count = 1;
    assert_int_equal(hd_wire_encode_event(&d, 0x1000000, &b, &n), HD_OK);
    assert_int_equal(n, hyperdbg_event(expect));
    assert_memory_equal(b, expect, n); /* byte for byte the hand-built buffer */
    free(b);

    a[1].buffer_size = 0x40;
    a[1].immediate = false;
    assert_int_equal(hd_wire_encode_action(&a[1], 0x1000009, &b, &n), HD_OK);
    assert_int_equal(n, 32 + a[1].code_size);
    assert_int_equal(get(b, 0, 8), 0x1000009);
    assert_int_equal(get(b, 8, 4), 2);
    assert_int_equal(b[12], 0);
    assert_int_equal(get(b, 16, 4), 0x40);
    assert_int_equal(get(b, 20, 4), a[1].code_size);
    assert_int_equal(get(b, 24, 4), 0);
    assert_int_equal(get(b, 28, 4), 0);
    assert_memory_equal(b + 32, a[1].code, a[1].code_size);
    free(b);

    uint8_t m[24];
    hd_wire_encode_modify(HD_TAG_ALL, HD_WIRE_MODIFY_CLEAR, m);
    assert_int_equal(get(m, 0, 8), HD_TAG_ALL);
    assert_int_equal(get(m, 8, 8), 0);
    assert_int_equal(get(m, 16, 4), 3);
    assert_int_equal(get(m, 20, 4), 0);
}

/* ---- what the kernel writes back ---------------------------------------------------------- */

static void results_have_hyperdbg_layout(void **state)
{
    struct fx *f = *state;
    uint8_t ev[256], out[32], m[24];
    size_t n = hyperdbg_event(ev), written = 0;

    memset(out, 0xCC, sizeof(out));
    assert_int_equal(hd_wire_ioctl(f->engine, 0x222814, ev, n, out, sizeof(out), &written), HD_OK);
    assert_int_equal(written, 8);
    assert_int_equal(out[0], 1);                      /* IsSuccessful */
    assert_int_equal(get(out, 1, 3), 0);              /* padding written as 0 */
    assert_int_equal(get(out, 4, 4), 0);              /* Error: 0 on success, as HyperDbg */
    assert_int_equal(out[8], 0xCC);

    memset(out, 0xCC, sizeof(out));
    assert_int_equal(hd_wire_ioctl(f->engine, 0x222814, ev, n, out, sizeof(out), &written), HD_OK);
    assert_int_equal(out[0], 0);
    assert_int_equal(get(out, 4, 4), 0xC000100C);     /* the same tag again */

    memset(m, 0, sizeof(m));
    put(m, 0, 8, 0x1000000);
    put(m, 16, 4, 0); /* query */
    memset(out, 0xCC, sizeof(out));
    assert_int_equal(hd_wire_ioctl(f->engine, 0x22282C, m, 24, out, sizeof(out), &written), HD_OK);
    assert_int_equal(written, 24);
    assert_int_equal(get(out, 0, 8), 0x1000000);
    assert_int_equal(get(out, 8, 8), 0xFFFFFFFF);     /* KernelStatus: success */
    assert_int_equal(get(out, 16, 4), 0);
    assert_int_equal(out[20], 1);                     /* IsEnabled */
    assert_int_equal(out[24], 0xCC);

    memset(out, 0xCC, sizeof(out));
    assert_int_equal(hd_wire_ioctl(f->engine, 0x222830, NULL, 0, out, sizeof(out), &written),
                     HD_OK);
    assert_int_equal(written, 12);
    assert_int_equal(get(out, 0, 4), 0xFFFFFFFF);
    assert_int_equal(get(out, 4, 4), 0);
    assert_int_equal(get(out, 8, 4), 0);
    assert_int_equal(out[12], 0xCC);
}

static void ioctl_codes_and_values_are_hyperdbgs(void **state)
{
    (void)state;
    assert_int_equal(HD_IOCTL_REGISTER_EVENT, 0x222814);
    assert_int_equal(HD_IOCTL_ADD_ACTION, 0x222818);
    assert_int_equal(HD_IOCTL_MODIFY_EVENTS, 0x22282C);
    assert_int_equal(HD_IOCTL_FLUSH_BUFFERS, 0x222830);
    /* CTL_CODE(0x22, function, METHOD_BUFFERED = 0, FILE_ANY_ACCESS = 0) */
    static const uint32_t codes[] = {HD_IOCTL_REGISTER_EVENT, HD_IOCTL_ADD_ACTION,
                                     HD_IOCTL_MODIFY_EVENTS, HD_IOCTL_FLUSH_BUFFERS};
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(codes[i] >> 16, 0x22);     /* device type */
        assert_int_equal((codes[i] >> 14) & 3, 0);  /* access */
        assert_int_equal(codes[i] & 3, 0);          /* method */
    }
    assert_int_equal(HD_WIRE_EVENT_VMCALL, 21);
    assert_int_equal(HD_WIRE_EVENT_TYPE_LAST, 27);
    assert_int_equal(HD_WIRE_ACTION_CODE, HD_ACTION_CODE);
    assert_int_equal(HD_WIRE_ACTION_SCRIPT, HD_ACTION_SCRIPT);
    assert_int_equal(HD_WIRE_ACTION_BREAK, HD_ACTION_BREAK);
    assert_int_equal(HD_WIRE_ERR_TAG_NOT_EXISTS, 0xC0000000u);
    assert_int_equal(HD_WIRE_ERR_SC_WITH_POST, 0xC000003Au);
    assert_int_equal(HD_WIRE_SUCCESS, 0xFFFFFFFFu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_built_event_decodes),
        cmocka_unit_test(hand_built_event_every_stage_and_flag),
        cmocka_unit_test(ignored_event_fields_may_hold_anything),
        cmocka_unit_test(options_0_is_the_script_step_budget),
        cmocka_unit_test(core_count_zero_skips_the_core_check),
        cmocka_unit_test(hand_built_code_action_decodes),
        cmocka_unit_test(hand_built_break_action_decodes),
        cmocka_unit_test(hand_built_modify_decodes),
        cmocka_unit_test(encoder_writes_hyperdbg_offsets),
        cmocka_unit_test_setup_teardown(results_have_hyperdbg_layout, fx_setup, fx_teardown),
        cmocka_unit_test(ioctl_codes_and_values_are_hyperdbgs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
