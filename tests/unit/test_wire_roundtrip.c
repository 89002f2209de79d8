/* SPDX-License-Identifier: MIT */
/*
 * Encode, then decode: descriptors survive the wire unchanged. Covers every stage, the pid and
 * core filters, the flags, raw conditions, break / code / script actions with buffers and imm;
 * FILE format (encode_file, split, file_decode) and its errors; modify requests of every type;
 * and what the encoder refuses (native hooks, bad tags, missing bytes).
 */
#include "helpers.h"

#include <hdevent/script.h>
#include <hdevent/wire.h>
#include <hdevent/wire_encode.h>

static void put32(uint8_t *b, size_t off, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        b[off + i] = (uint8_t)(v >> (8 * i));
}

static void assert_event_equal(const struct hd_event_desc *a, const struct hd_event_desc *b)
{
    assert_int_equal(a->pid, b->pid);
    assert_int_equal(a->core, b->core);
    assert_int_equal(a->stage, b->stage);
    assert_int_equal(a->short_circuit, b->short_circuit);
    assert_int_equal(a->enabled, b->enabled);
    assert_int_equal(a->script_steps, b->script_steps);
    assert_int_equal(a->condition.kind, b->condition.kind);
    assert_int_equal(a->condition.code_size, b->condition.code_size);
    if (a->condition.code_size)
        assert_memory_equal(a->condition.code, b->condition.code, a->condition.code_size);
}

static void assert_action_equal(const struct hd_action_desc *a, const struct hd_action_desc *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->immediate, b->immediate);
    assert_int_equal(a->buffer_size, b->buffer_size);
    assert_int_equal(a->code_size, b->code_size);
    if (a->code_size)
        assert_memory_equal(a->code, b->code, a->code_size);
}

/* A varied descriptor: @v picks pid, core, stage, flags, condition and actions. */
static void make_desc(unsigned v, struct hd_event_desc *d, struct hd_action_desc *acts)
{
    static const uint8_t nops[] = {0x90, 0x90, 0x90};
    uint32_t size;
    hd_event_desc_init(d);
    d->pid = v & 1 ? 0x490 + v : HD_ALL;
    d->core = v & 2 ? v % 4 : HD_ALL;
    d->stage = (enum hd_stage)(1 + v % 3);
    d->short_circuit = d->stage == HD_STAGE_PRE && (v & 4);
    d->enabled = (v & 8) == 0;
    d->script_steps = v * 1000; /* Options[0] */
    if (v % 3 == 1) {
        d->condition.kind = HD_CONDITION_RAW;
        d->condition.code = doc_condition(&size);
        d->condition.code_size = size;
    } else if (v % 3 == 2) {
        d->condition.kind = HD_CONDITION_RAW;
        d->condition.code = nops;
        d->condition.code_size = sizeof(nops);
    }
    acts[0] = act_break();
    acts[1] = act_code(doc_code(&size), 24, v * 8);
    acts[1].immediate = v % 2;
    acts[2] = act_code(nops, sizeof(nops), 0);
    acts[3] = act_break();
    acts[3].immediate = false;
    d->actions = acts + (v % 2);
    d->action_count = v % 4;
}

static void events_and_actions_round_trip(void **state)
{
    (void)state;
    for (unsigned v = 0; v < 24; v++) {
        struct hd_event_desc d, back;
        struct hd_action_desc acts[4], a;
        uint64_t tag = HD_TAG_BASE + 7 * v, got = 0;
        uint8_t *b;
        size_t n;

        make_desc(v, &d, acts);
        assert_int_equal(hd_wire_encode_event(&d, tag, &b, &n), HD_OK);
        assert_int_equal(n, 168 + d.condition.code_size);
        assert_int_equal(hd_wire_decode_event(b, n, 4, &back), HD_WIRE_OK);
        assert_event_equal(&d, &back);
        assert_int_equal(back.tag, tag);
        free(b);

        for (uint32_t i = 0; i < d.action_count; i++) {
            assert_int_equal(hd_wire_encode_action(&d.actions[i], tag, &b, &n), HD_OK);
            assert_int_equal(hd_wire_decode_action(b, n, &got, &a), HD_WIRE_OK);
            assert_int_equal(got, tag);
            assert_action_equal(&d.actions[i], &a);
            free(b);
        }
    }
}

static void tag_comes_from_the_descriptor_when_zero(void **state)
{
    (void)state;
    struct hd_event_desc d, back;
    uint8_t *b;
    size_t n;
    hd_event_desc_init(&d);
    d.tag = 0x1000042;
    assert_int_equal(hd_wire_encode_event(&d, 0, &b, &n), HD_OK);
    assert_int_equal(hd_wire_decode_event(b, n, 4, &back), HD_WIRE_OK);
    assert_int_equal(back.tag, 0x1000042);
    free(b);
}

/* RUN_SCRIPT: ScriptBufferSize = bytes, ScriptBufferPointer = instructions, the bytecode at
 * offset 32; the decoder verifies it and points into the buffer. */
static void script_action_round_trips_and_bad_bytecode_is_refused(void **state)
{
    (void)state;
    static const uint8_t junk[] = {1, 2, 3, 4, 5};
    struct hd_script_program p;
    struct hd_action_desc a, back;
    uint8_t *b;
    size_t n;
    uint64_t tag;

    assert_int_equal(hd_script_compile("printf(\"%llx\\n\", @rax);", &p, NULL), HD_OK);
    hd_action_desc_init(&a, HD_ACTION_SCRIPT);
    a.script = p.code;
    a.script_size = p.size;
    a.buffer_size = 0x40;
    assert_int_equal(hd_wire_encode_action(&a, HD_TAG_BASE, &b, &n), HD_OK);
    assert_int_equal(n, 32 + p.size);
    assert_int_equal(b[8], 1);
    assert_int_equal(b[24] | b[25] << 8, p.size); /* ScriptBufferSize */
    assert_int_equal(b[28], p.insn_count);        /* ScriptBufferPointer */
    assert_int_equal(b[20], 0);                   /* CustomCodeBufferSize */
    assert_memory_equal(b + 32, p.code, p.size);
    assert_int_equal(hd_wire_decode_action(b, n, &tag, &back), HD_WIRE_OK);
    assert_int_equal(back.type, HD_ACTION_SCRIPT);
    assert_ptr_equal(back.script, b + 32);
    assert_int_equal(back.script_size, p.size);
    assert_int_equal(back.buffer_size, 0x40);
    b[28]++; /* an instruction count that is not the bytecode's */
    assert_int_equal(hd_wire_decode_action(b, n, &tag, &back), HD_WIRE_ERR_SCRIPT_INSN_COUNT);
    free(b);
    hd_script_program_free(&p);

    a.script = junk;
    a.script_size = sizeof(junk);
    assert_int_equal(hd_wire_encode_action(&a, HD_TAG_BASE, &b, &n), HD_OK);
    assert_int_equal(hd_wire_decode_action(b, n, &tag, &back), HD_WIRE_ERR_SCRIPT_HEADER);
    free(b);
}

static void modify_requests_round_trip(void **state)
{
    (void)state;
    static const uint64_t tags[] = {HD_TAG_BASE, HD_TAG_BASE + 5, HD_TAG_ALL};
    for (unsigned t = 0; t < 3; t++) {
        for (uint32_t type = 0; type <= 3; type++) {
            uint8_t m[HD_WIRE_MODIFY_SIZE];
            uint64_t tag = 0;
            uint32_t got = 99;
            hd_wire_encode_modify(tags[t], type, m);
            if (type == HD_WIRE_MODIFY_QUERY && tags[t] == HD_TAG_ALL) {
                assert_int_equal(hd_wire_decode_modify(m, sizeof(m), &tag, &got),
                                 HD_WIRE_ERR_MODIFY_INVALID_TAG);
                continue;
            }
            assert_int_equal(hd_wire_decode_modify(m, sizeof(m), &tag, &got), HD_WIRE_OK);
            assert_int_equal(tag, tags[t]);
            assert_int_equal(got, type);
        }
    }
}

/* ---- FILE format -------------------------------------------------------------------------- */

static struct hd_wire_file_decoded decoded; /* 22 KiB: off the stack */

static void files_round_trip(void **state)
{
    (void)state;
    for (unsigned v = 0; v < 24; v++) {
        struct hd_event_desc d;
        struct hd_action_desc acts[4];
        uint64_t tag = HD_TAG_BASE + v;
        size_t n, expect;
        uint8_t *b;

        make_desc(v, &d, acts);
        assert_int_equal(hd_wire_encode_file(&d, tag, &b, &n), HD_OK);
        expect = 168 + d.condition.code_size;
        for (uint32_t i = 0; i < d.action_count; i++)
            expect += 32 + d.actions[i].code_size;
        assert_int_equal(n, expect);

        assert_int_equal(hd_wire_file_decode(b, n, 4, &decoded), HD_WIRE_OK);
        assert_event_equal(&d, &decoded.event);
        assert_int_equal(decoded.event.tag, tag);
        assert_int_equal(decoded.event.action_count, d.action_count);
        assert_int_equal(decoded.file.action_count, d.action_count);
        assert_int_equal(decoded.file.count_of_actions, d.action_count);
        for (uint32_t i = 0; i < d.action_count; i++)
            assert_action_equal(&d.actions[i], &decoded.event.actions[i]);
        if (d.action_count)
            assert_int_equal(decoded.file.actions[0].offset, 168 + d.condition.code_size);
        free(b);
    }
}

/* The decoded FILE registers as the same event the descriptor makes. */
static void decoded_file_registers(void **state)
{
    struct fx *f = *state;
    struct hd_event_desc d;
    struct hd_action_desc acts[4];
    struct hd_event_info info;
    uint8_t *b;
    size_t n;

    make_desc(5, &d, acts); /* pid 0x495, stage all, nops condition, doc code with a buffer */
    assert_int_equal(hd_wire_encode_file(&d, 0x1000100, &b, &n), HD_OK);
    assert_int_equal(hd_wire_file_decode(b, n, hd_engine_core_count(f->engine), &decoded),
                     HD_WIRE_OK);
    assert_int_equal(hd_event_register(f->engine, &decoded.event, NULL), HD_OK);
    assert_int_equal(hd_event_query(f->engine, 0x1000100, &info), HD_OK);
    assert_int_equal(info.pid, d.pid);
    assert_int_equal(info.stage, d.stage);
    assert_int_equal(info.action_count, d.action_count);
    free(b);
}

static void file_errors_name_the_buffer(void **state)
{
    (void)state;
    struct hd_event_desc d;
    struct hd_action_desc acts[4];
    struct hd_wire_file split;
    uint8_t *b, *big;
    size_t n;

    make_desc(7, &d, acts); /* 3 actions: code (doc), code (nops), break */
    assert_int_equal(hd_wire_encode_file(&d, HD_TAG_BASE, &b, &n), HD_OK);
    size_t a2 = 168 + d.condition.code_size + 32 + 24; /* offset of the second action */

    /* Cut inside the second action's payload. */
    assert_int_equal(hd_wire_file_split(b, a2 + 33, &split), HD_WIRE_ERR_PAYLOAD_PAST_END);
    assert_int_equal(split.error_index, 2);
    assert_int_equal(split.error_offset, a2);
    /* Cut inside the second action's header. */
    assert_int_equal(hd_wire_file_split(b, a2 + 31, &split), HD_WIRE_ERR_TRUNCATED);
    assert_int_equal(split.error_index, 2);
    /* Cut inside the condition. */
    assert_int_equal(hd_wire_file_split(b, 170, &split), HD_WIRE_ERR_CONDITION_PAST_END);
    assert_int_equal(split.error_index, 0);
    assert_int_equal(hd_wire_file_split(b, 100, &split), HD_WIRE_ERR_TRUNCATED);
    /* Only the event, but CountOfActions says 3. */
    assert_int_equal(hd_wire_file_split(b, 168 + d.condition.code_size, &split),
                     HD_WIRE_ERR_ACTION_COUNT_MISMATCH);
    assert_int_equal(split.action_count, 0);
    assert_int_equal(split.count_of_actions, 3);
    assert_int_equal(hd_wire_file_decode(b, 168 + d.condition.code_size, 4, &decoded),
                     HD_WIRE_ERR_ACTION_COUNT_MISMATCH);

    /* An action for another event: the kernel would not find its tag. */
    b[a2] ^= 1;
    assert_int_equal(hd_wire_file_decode(b, n, 4, &decoded), HD_WIRE_ERR_TAG_NOT_EXISTS);
    assert_int_equal(decoded.error_index, 2);
    assert_int_equal(decoded.error_offset, a2);
    b[a2] ^= 1;
    /* A bad field in the third action is reported there. */
    b[a2 + 32 + 3 + 12] = 9; /* ImmediateMessagePassing of the break action */
    assert_int_equal(hd_wire_file_decode(b, n, 4, &decoded), HD_WIRE_ERR_BAD_IMMEDIATE);
    assert_int_equal(decoded.error_index, 3);
    /* A bad event field: index 0. */
    b[a2 + 32 + 3 + 12] = 1;
    put32(b, 96, 11);
    assert_int_equal(hd_wire_file_decode(b, n, 4, &decoded), HD_WIRE_ERR_EVENT_TYPE_INVALID);
    assert_int_equal(decoded.error_index, 0);
    free(b);

    /* 257 action buffers. */
    big = calloc(1, 168 + 257 * 32);
    assert_non_null(big);
    put32(big, 96, 21);
    put32(big, 80, 256);
    /* A 257th buffer after the 256 the event announces: bytes left over, not an action. */
    assert_int_equal(hd_wire_file_split(big, 168 + 257 * 32, &split), HD_WIRE_ERR_TRAILING_BYTES);
    assert_int_equal(split.error_index, 257);
    assert_int_equal(split.error_offset, 168 + 256 * 32);
    assert_int_equal(hd_wire_file_split(big, 168 + 256 * 32, &split), HD_WIRE_OK);
    assert_int_equal(split.action_count, 256);
    /* CountOfActions above the most an event may hold: the event's field, index 0. */
    put32(big, 80, 257);
    assert_int_equal(hd_wire_file_split(big, 168 + 257 * 32, &split), HD_WIRE_ERR_TOO_MANY_ACTIONS);
    assert_int_equal(split.error_index, 0);
    /* An event of no action followed by 1,000 zero bytes: trailing bytes, where they start. */
    put32(big, 80, 0);
    assert_int_equal(hd_wire_file_split(big, 168 + 1000, &split), HD_WIRE_ERR_TRAILING_BYTES);
    assert_int_equal(split.error_index, 1);
    assert_int_equal(split.error_offset, 168);
    put32(big, 80, 256);
    /* A size sum that wraps 32 bits. */
    put32(big, 168 + 20, 0x80000000);
    put32(big, 168 + 24, 0x80000000);
    assert_int_equal(hd_wire_file_split(big, 168 + 256 * 32, &split), HD_WIRE_ERR_SIZE_OVERFLOW);
    free(big);

    assert_int_equal(hd_wire_file_split(NULL, 0, &split), HD_WIRE_ERR_TRUNCATED);
    assert_int_equal(hd_wire_file_split(NULL, 5, &split), HD_WIRE_ERR_INVALID_ARGUMENT);
}

/* ---- what the encoder refuses ------------------------------------------------------------- */

static uint64_t never(struct hd_hook *h)
{
    (void)h;
    return 0;
}

static void encoder_refuses_what_the_wire_cannot_carry(void **state)
{
    (void)state;
    struct hd_event_desc d;
    struct hd_action_desc a;
    uint8_t *b = (uint8_t *)1;
    size_t n = 1;

    hd_event_desc_init(&d);
    assert_int_equal(hd_wire_encode_event(&d, 0, &b, &n), HD_ERR_INVALID_TAG); /* no tag at all */
    assert_null(b);
    assert_int_equal(n, 0);
    assert_int_equal(hd_wire_encode_event(&d, 0xFFFFFF, &b, &n), HD_ERR_INVALID_TAG);
    assert_int_equal(hd_wire_encode_event(&d, HD_TAG_ALL, &b, &n), HD_ERR_INVALID_TAG);
    d.condition.kind = HD_CONDITION_NATIVE;
    d.condition.fn = never;
    assert_int_equal(hd_wire_encode_event(&d, HD_TAG_BASE, &b, &n), HD_ERR_NOT_ENCODABLE);
    d.condition.kind = HD_CONDITION_RAW;
    assert_int_equal(hd_wire_encode_event(&d, HD_TAG_BASE, &b, &n), HD_ERR_INVALID_CONDITION);
    d.condition.kind = (enum hd_condition_kind)9;
    assert_int_equal(hd_wire_encode_event(&d, HD_TAG_BASE, &b, &n), HD_ERR_INVALID_CONDITION);
    assert_int_equal(hd_wire_encode_event(NULL, HD_TAG_BASE, &b, &n), HD_ERR_INVALID_ARGUMENT);

    a = act_log(1);
    assert_int_equal(hd_wire_encode_action(&a, HD_TAG_BASE, &b, &n), HD_ERR_NOT_ENCODABLE);
    hd_action_desc_init(&a, HD_ACTION_CODE);
    assert_int_equal(hd_wire_encode_action(&a, HD_TAG_BASE, &b, &n), HD_ERR_EMPTY_CODE);
    hd_action_desc_init(&a, HD_ACTION_SCRIPT);
    assert_int_equal(hd_wire_encode_action(&a, HD_TAG_BASE, &b, &n), HD_ERR_EMPTY_CODE);
    hd_action_desc_init(&a, (enum hd_action_type)7);
    assert_int_equal(hd_wire_encode_action(&a, HD_TAG_BASE, &b, &n), HD_ERR_INVALID_ACTION_TYPE);
    a = act_break();
    assert_int_equal(hd_wire_encode_action(&a, 0, &b, &n), HD_ERR_INVALID_TAG);

    /* A FILE with a native action among encodable ones: nothing is produced. */
    struct hd_action_desc acts[2] = {act_break(), act_log(2)};
    hd_event_desc_init(&d);
    d.actions = acts;
    d.action_count = 2;
    b = (uint8_t *)1;
    assert_int_equal(hd_wire_encode_file(&d, HD_TAG_BASE, &b, &n), HD_ERR_NOT_ENCODABLE);
    assert_null(b);
    d.action_count = HD_EVENT_MAX_ACTIONS + 1;
    assert_int_equal(hd_wire_encode_file(&d, HD_TAG_BASE, &b, &n), HD_ERR_TOO_MANY_ACTIONS);
    d.actions = NULL;
    d.action_count = 1;
    assert_int_equal(hd_wire_encode_file(&d, HD_TAG_BASE, &b, &n), HD_ERR_INVALID_ARGUMENT);
}

/* The encoder writes fields as given; the decoder is what refuses bad values. */
static void encoder_is_faithful_and_the_decoder_judges(void **state)
{
    (void)state;
    struct hd_event_desc d, back;
    uint8_t *b;
    size_t n;
    hd_event_desc_init(&d);
    d.stage = HD_STAGE_POST;
    d.short_circuit = true;
    assert_int_equal(hd_wire_encode_event(&d, HD_TAG_BASE, &b, &n), HD_OK);
    assert_int_equal(hd_wire_decode_event(b, n, 4, &back), HD_WIRE_ERR_SC_WITH_POST);
    free(b);
    d.short_circuit = false;
    d.core = 9;
    assert_int_equal(hd_wire_encode_event(&d, HD_TAG_BASE, &b, &n), HD_OK);
    assert_int_equal(hd_wire_decode_event(b, n, 4, &back), HD_WIRE_ERR_INVALID_CORE_ID);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_and_actions_round_trip),
        cmocka_unit_test(tag_comes_from_the_descriptor_when_zero),
        cmocka_unit_test(script_action_round_trips_and_bad_bytecode_is_refused),
        cmocka_unit_test(modify_requests_round_trip),
        cmocka_unit_test(files_round_trip),
        cmocka_unit_test_setup_teardown(decoded_file_registers, fx_setup, fx_teardown),
        cmocka_unit_test(file_errors_name_the_buffer),
        cmocka_unit_test(encoder_refuses_what_the_wire_cannot_carry),
        cmocka_unit_test(encoder_is_faithful_and_the_decoder_judges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
