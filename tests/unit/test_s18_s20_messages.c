/* SPDX-License-Identifier: MIT */
/*
 * S18: custom code (or a native action) returning a non-NULL pointer inside its pre-allocated
 *      buffer delivers the bytes from that pointer to the buffer's end as a message of its
 *      event (tag, core, the action's imm flag). NULL or a pointer outside the buffer: no
 *      message. Each core has its own zeroed buffer.
 * S20: a full per-core ring drops the new message and counts it; nothing queued is
 *      overwritten. Messages longer than message_max_bytes are cut and flagged truncated.
 */
#include "helpers.h"

/* mov dword [rcx+4], 0x56454448 ('HDEV') ; lea rax, [rcx+4] ; ret */
static const uint8_t RAW_MSG_AT4[] = {0xC7, 0x41, 0x04, 0x48, 0x44, 0x45, 0x56,
                                      0x48, 0x8D, 0x41, 0x04, 0xC3};
/* xor eax, eax ; ret */
static const uint8_t RAW_NULL[] = {0x31, 0xC0, 0xC3};
/* lea rax, [rcx+16] ; ret  — one past the end of a 16-byte buffer */
static const uint8_t RAW_END16[] = {0x48, 0x8D, 0x41, 0x10, 0xC3};
/* mov rax, rdx ; ret  — the registers, not the buffer */
static const uint8_t RAW_REGS[] = {0x48, 0x89, 0xD0, 0xC3};

static void assert_no_message(struct fx *f)
{
    struct hd_message_info info;
    uint8_t data[8];
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_EMPTY);
}

/* Native action: write "hello" at buffer + offset (user), return buffer + offset. */
static void *hello_at(struct hd_hook *h)
{
    size_t off = (size_t)(uintptr_t)h->user;
    memcpy((uint8_t *)h->buffer + off, "hello", 5);
    return (uint8_t *)h->buffer + off;
}

static void s18_native_pointer_inside_buffer_delivers_rest_of_buffer(void **state)
{
    struct fx *f = *state;
    struct hd_message_info info;
    uint8_t data[64];
    struct hd_action_desc a = act_native(hello_at, (void *)3);
    a.buffer_size = 16;
    uint64_t t = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    run_exit(f, 2, 0x490, 0, NULL);
    memset(data, 0xEE, sizeof(data));
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
    assert_int_equal(info.tag, t);
    assert_int_equal(info.core, 2);
    assert_int_equal(info.size, 13); /* 16 - 3 */
    assert_true(info.immediate);
    assert_false(info.truncated);
    static const uint8_t expect[13] = {'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(data, expect, 13);
    assert_int_equal(data[13], 0xEE); /* nothing past the message */
    assert_no_message(f);
}

static void s18_raw_code_pointer_inside_buffer_delivers_message(void **state)
{
    struct fx *f = *state;
    struct hd_message_info info;
    uint8_t data[64];
    struct hd_action_desc a = act_code(RAW_MSG_AT4, sizeof(RAW_MSG_AT4), 16);
    a.immediate = false; /* imm no */
    uint64_t t = reg_event(f, 1, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    run_exit(f, 1, 7, 0, NULL);
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
    assert_int_equal(info.tag, t);
    assert_int_equal(info.core, 1);
    assert_int_equal(info.size, 12);
    assert_false(info.immediate);
    assert_false(info.truncated);
    static const uint8_t expect[12] = {'H', 'D', 'E', 'V', 0, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(data, expect, 12);
    assert_no_message(f);
}

static void s18_pointer_at_buffer_start_delivers_whole_buffer(void **state)
{
    struct fx *f = *state;
    struct hd_message_info info;
    uint8_t data[64];
    struct hd_action_desc a = act_native(hello_at, (void *)0);
    a.buffer_size = 5;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
    assert_int_equal(info.size, 5);
    assert_memory_equal(data, "hello", 5);
}

static void s18_last_byte_of_buffer_is_a_one_byte_message(void **state)
{
    struct fx *f = *state;
    struct hd_message_info info;
    uint8_t data[8];
    /* mov byte [rcx+15], 0x5A ; lea rax, [rcx+15] ; ret */
    static const uint8_t code[] = {0xC6, 0x41, 0x0F, 0x5A, 0x48, 0x8D, 0x41, 0x0F, 0xC3};
    struct hd_action_desc a = act_code(code, sizeof(code), 16);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
    assert_int_equal(info.size, 1);
    assert_int_equal(data[0], 0x5A);
}

static void s18_null_return_gives_no_message(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc acts[2] = {act_code(RAW_NULL, sizeof(RAW_NULL), 16), act_log(1)};
    acts[1].buffer_size = 16; /* log_action returns NULL */
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_ALL, false, acts, 2);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(tlog_count(), 2);
    assert_no_message(f);
    struct hd_message_stats st;
    assert_int_equal(hd_message_stats(f->engine, 0, &st), HD_OK);
    assert_int_equal(st.queued, 0);
    assert_int_equal(st.dropped, 0);
}

static void s18_raw_pointer_outside_buffer_gives_no_message(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc acts[2] = {act_code(RAW_END16, sizeof(RAW_END16), 16),
                                     act_code(RAW_REGS, sizeof(RAW_REGS), 16)};
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 2);
    run_exit(f, 0, 1, 0, NULL);
    assert_no_message(f);
}

static uint8_t g_elsewhere[32];

/* Native action returning the pointer selected by user: 0 one past the end, 1 one before the
 * start, 2 a global, 3 the registers. */
static void *return_outside(struct hd_hook *h)
{
    switch ((uintptr_t)h->user) {
    case 0:
        return (uint8_t *)h->buffer + h->buffer_size;
    case 1:
        return (void *)((uintptr_t)h->buffer - 1);
    case 2:
        return g_elsewhere;
    default:
        return h->regs;
    }
}

static void s18_native_pointer_outside_buffer_gives_no_message(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc acts[4];
    for (uintptr_t i = 0; i < 4; i++) {
        acts[i] = act_native(return_outside, (void *)i);
        acts[i].buffer_size = 32;
    }
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 4);
    run_exit(f, 3, 1, 0, NULL);
    assert_no_message(f);
}

static void *return_global(struct hd_hook *h)
{
    (void)h;
    return g_elsewhere;
}

static void s18_action_without_buffer_gives_no_message(void **state)
{
    struct fx *f = *state;
    struct hd_action_desc a = act_native(return_global, NULL); /* buffer_size 0 */
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 0, 1, 0, NULL);
    assert_no_message(f);
}

/* Per-core buffer check: user points at this record. */
struct buffer_seen {
    void *ptr[4];
    bool zero_at_first_use[4];
    uint32_t size;
    unsigned uses[4];
    uint8_t last_value_seen[4];
};

static void *mark_buffer(struct hd_hook *h)
{
    struct buffer_seen *s = h->user;
    uint32_t c = h->vcpu->core;
    uint8_t *b = h->buffer;
    s->size = h->buffer_size;
    if (s->uses[c] == 0) {
        bool zero = true;
        for (uint32_t i = 0; i < h->buffer_size; i++)
            zero &= b[i] == 0;
        s->zero_at_first_use[c] = zero;
        s->ptr[c] = b;
    }
    s->last_value_seen[c] = b[0];
    s->uses[c]++;
    memset(b, 0x10 + (int)c, h->buffer_size);
    return NULL;
}

static void s18_each_core_has_its_own_zeroed_buffer(void **state)
{
    struct fx *f = *state;
    struct buffer_seen s;
    memset(&s, 0, sizeof(s));
    struct hd_action_desc a = act_native(mark_buffer, &s);
    a.buffer_size = 24;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    run_exit(f, 0, 1, 0, NULL);
    run_exit(f, 1, 1, 0, NULL);
    run_exit(f, 0, 1, 0, NULL);
    run_exit(f, 3, 1, 0, NULL);

    assert_int_equal(s.size, 24);
    assert_true(s.zero_at_first_use[0]);
    assert_true(s.zero_at_first_use[1]); /* core 0's writes did not reach core 1 */
    assert_true(s.zero_at_first_use[3]);
    assert_int_equal(s.uses[0], 2);
    assert_int_equal(s.last_value_seen[0], 0x10); /* core 0 kept its own contents */
    assert_ptr_not_equal(s.ptr[0], s.ptr[1]);
    assert_ptr_not_equal(s.ptr[1], s.ptr[3]);
    /* the buffers do not overlap */
    uintptr_t p0 = (uintptr_t)s.ptr[0], p1 = (uintptr_t)s.ptr[1];
    assert_true(p0 + 24 <= p1 || p1 + 24 <= p0);
}

static void s18_each_action_has_its_own_buffer(void **state)
{
    struct fx *f = *state;
    struct buffer_seen s1, s2;
    memset(&s1, 0, sizeof(s1));
    memset(&s2, 0, sizeof(s2));
    struct hd_action_desc acts[2] = {act_native(mark_buffer, &s1), act_native(mark_buffer, &s2)};
    acts[0].buffer_size = 8;
    acts[1].buffer_size = 8;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, acts, 2);
    run_exit(f, 2, 1, 0, NULL);
    assert_true(s1.zero_at_first_use[2]);
    assert_true(s2.zero_at_first_use[2]);
    assert_ptr_not_equal(s1.ptr[2], s2.ptr[2]);
}

static void s18_messages_carry_their_own_events_tag_in_order(void **state)
{
    struct fx *f = *state;
    struct hd_message_info info;
    uint8_t data[16];
    struct hd_action_desc a = act_code(RAW_MSG_AT4, sizeof(RAW_MSG_AT4), 8);
    uint64_t t1 = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    uint64_t t2 = reg_event(f, HD_ALL, HD_ALL, HD_STAGE_POST, false, &a, 1);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
    assert_int_equal(info.tag, t1);
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
    assert_int_equal(info.tag, t2); /* a post-pass message too */
    assert_int_equal(info.size, 4);
    assert_no_message(f);
}

static void s18_messages_from_several_cores_are_all_read(void **state)
{
    struct fx *f = *state;
    struct hd_message_info info;
    uint8_t data[16];
    unsigned seen[4] = {0};
    struct hd_action_desc a = act_code(RAW_MSG_AT4, sizeof(RAW_MSG_AT4), 8);
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 1, 1, 0, NULL);
    run_exit(f, 3, 1, 0, NULL);
    run_exit(f, 3, 1, 0, NULL);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
        assert_true(info.core < 4);
        seen[info.core]++;
    }
    assert_no_message(f);
    assert_int_equal(seen[1], 1);
    assert_int_equal(seen[3], 2);
}

/* Native action: write the guest's rbx (a sequence number) at the buffer start, return it. */
static void *seq_message(struct hd_hook *h)
{
    memcpy(h->buffer, &h->regs->rbx, sizeof(uint64_t));
    return h->buffer;
}

static void fill_core0(struct fx *f, uint64_t first, uint64_t count)
{
    for (uint64_t i = first; i < first + count; i++) {
        struct hd_guest_regs regs = {.rbx = i};
        run_exit(f, 0, 1, 0, &regs);
    }
}

static void s20_full_ring_drops_new_messages_and_keeps_queued_ones(void **state)
{
    struct fx *f = *state;
    struct hd_engine_config cfg = {.message_slots = 4, .message_max_bytes = 64};
    struct hd_message_info info;
    struct hd_message_stats st;
    uint64_t v;
    fx_recreate(f, hd_host_ops(f->host), &cfg);
    struct hd_action_desc a = act_native(seq_message, NULL);
    a.buffer_size = 8;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    fill_core0(f, 0, 7);
    assert_int_equal(hd_message_stats(f->engine, 0, &st), HD_OK);
    assert_int_equal(st.queued, 4);
    assert_int_equal(st.dropped, 3);
    for (uint64_t i = 0; i < 4; i++) { /* the oldest four, intact and in order */
        assert_int_equal(hd_message_read(f->engine, &info, &v, sizeof(v)), HD_OK);
        assert_int_equal(info.size, 8);
        assert_int_equal(v, i);
    }
    assert_no_message(f);

    /* room again: new messages are accepted, the drop count stays */
    fill_core0(f, 100, 2);
    assert_int_equal(hd_message_stats(f->engine, 0, &st), HD_OK);
    assert_int_equal(st.queued, 2);
    assert_int_equal(st.dropped, 3);
    assert_int_equal(hd_message_read(f->engine, &info, &v, sizeof(v)), HD_OK);
    assert_int_equal(v, 100);
    assert_int_equal(hd_message_read(f->engine, &info, &v, sizeof(v)), HD_OK);
    assert_int_equal(v, 101);
}

static void s20_ring_wraps_around_in_order(void **state)
{
    struct fx *f = *state;
    struct hd_engine_config cfg = {.message_slots = 4};
    struct hd_message_info info;
    uint64_t v, next_read = 0, next_write = 0;
    fx_recreate(f, hd_host_ops(f->host), &cfg);
    struct hd_action_desc a = act_native(seq_message, NULL);
    a.buffer_size = 8;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    for (int round = 0; round < 7; round++) { /* 3 in, 3 out: the ring position moves on */
        fill_core0(f, next_write, 3);
        next_write += 3;
        for (int i = 0; i < 3; i++) {
            assert_int_equal(hd_message_read(f->engine, &info, &v, sizeof(v)), HD_OK);
            assert_int_equal(v, next_read++);
        }
    }
    assert_no_message(f);
    struct hd_message_stats st;
    assert_int_equal(hd_message_stats(f->engine, 0, &st), HD_OK);
    assert_int_equal(st.dropped, 0);
}

static void s20_drop_counter_is_per_core(void **state)
{
    struct fx *f = *state;
    struct hd_engine_config cfg = {.message_slots = 2};
    struct hd_message_stats st;
    fx_recreate(f, hd_host_ops(f->host), &cfg);
    struct hd_action_desc a = act_native(seq_message, NULL);
    a.buffer_size = 8;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);

    fill_core0(f, 0, 5);
    run_exit(f, 1, 1, 0, NULL);
    assert_int_equal(hd_message_stats(f->engine, 0, &st), HD_OK);
    assert_int_equal(st.queued, 2);
    assert_int_equal(st.dropped, 3);
    assert_int_equal(hd_message_stats(f->engine, 1, &st), HD_OK);
    assert_int_equal(st.queued, 1);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(hd_message_stats(f->engine, 4, &st), HD_ERR_INVALID_CORE);
}

static void s20_slot_count_is_rounded_up_to_a_power_of_two(void **state)
{
    struct fx *f = *state;
    struct hd_engine_config cfg = {.message_slots = 3};
    struct hd_message_stats st;
    fx_recreate(f, hd_host_ops(f->host), &cfg);
    struct hd_action_desc a = act_native(seq_message, NULL);
    a.buffer_size = 8;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    fill_core0(f, 0, 6);
    assert_int_equal(hd_message_stats(f->engine, 0, &st), HD_OK);
    assert_int_equal(st.queued, 4);
    assert_int_equal(st.dropped, 2);
}

/* Native action: fill the buffer with 0, 1, 2, ... and return its start. */
static void *pattern_message(struct hd_hook *h)
{
    for (uint32_t i = 0; i < h->buffer_size; i++)
        ((uint8_t *)h->buffer)[i] = (uint8_t)i;
    return h->buffer;
}

static void s18_message_longer_than_max_is_truncated_and_flagged(void **state)
{
    struct fx *f = *state;
    struct hd_engine_config cfg = {.message_slots = 4, .message_max_bytes = 8};
    struct hd_message_info info;
    uint8_t data[64];
    fx_recreate(f, hd_host_ops(f->host), &cfg);
    struct hd_action_desc a = act_native(pattern_message, NULL);
    a.buffer_size = 32;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 0, 1, 0, NULL);

    memset(data, 0xEE, sizeof(data));
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
    assert_int_equal(info.size, 32); /* the full length */
    assert_true(info.truncated);
    static const uint8_t expect[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    assert_memory_equal(data, expect, 8);
    assert_int_equal(data[8], 0xEE); /* only message_max_bytes were kept */
}

static void s18_message_of_exactly_max_bytes_is_not_truncated(void **state)
{
    struct fx *f = *state;
    struct hd_engine_config cfg = {.message_max_bytes = 16};
    struct hd_message_info info;
    uint8_t data[64];
    fx_recreate(f, hd_host_ops(f->host), &cfg);
    struct hd_action_desc a = act_native(pattern_message, NULL);
    a.buffer_size = 16;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
    assert_int_equal(info.size, 16);
    assert_false(info.truncated);
    assert_int_equal(data[15], 15);
}

static void s18_default_max_is_512_bytes(void **state)
{
    struct fx *f = *state;
    struct hd_message_info info;
    static uint8_t data[1024];
    struct hd_action_desc a = act_native(pattern_message, NULL);
    a.buffer_size = 600;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 0, 1, 0, NULL);
    memset(data, 0xEE, sizeof(data));
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
    assert_int_equal(info.size, 600);
    assert_true(info.truncated);
    assert_int_equal(data[511], (uint8_t)511);
    assert_int_equal(data[512], 0xEE);
}

static void s18_read_copies_at_most_capacity(void **state)
{
    struct fx *f = *state;
    struct hd_message_info info;
    uint8_t data[8];
    struct hd_action_desc a = act_native(pattern_message, NULL);
    a.buffer_size = 20;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 0, 1, 0, NULL);
    memset(data, 0xEE, sizeof(data));
    assert_int_equal(hd_message_read(f->engine, &info, data, 4), HD_OK);
    assert_int_equal(info.size, 20);
    assert_true(info.truncated); /* fewer than size bytes were copied (engine.h) */
    assert_int_equal(data[3], 3);
    assert_int_equal(data[4], 0xEE);
    assert_no_message(f); /* the message was consumed */
}

static void s18_read_with_enough_capacity_is_not_truncated(void **state)
{
    struct fx *f = *state;
    struct hd_message_info info;
    uint8_t data[20];
    struct hd_action_desc a = act_native(pattern_message, NULL);
    a.buffer_size = 20;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
    assert_int_equal(info.size, 20);
    assert_false(info.truncated);
    assert_int_equal(data[19], 19);
}

static void s18_message_read_argument_checks(void **state)
{
    struct fx *f = *state;
    struct hd_message_info info;
    struct hd_action_desc a = act_native(pattern_message, NULL);
    a.buffer_size = 4;
    reg_event(f, HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    run_exit(f, 0, 1, 0, NULL);
    assert_int_equal(hd_message_read(f->engine, &info, NULL, 4), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_message_read(f->engine, NULL, NULL, 0), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_message_read(f->engine, &info, NULL, 0), HD_OK); /* header only */
    assert_int_equal(info.size, 4);
    assert_true(info.truncated); /* nothing was copied */
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(s18_native_pointer_inside_buffer_delivers_rest_of_buffer),
        T(s18_raw_code_pointer_inside_buffer_delivers_message),
        T(s18_pointer_at_buffer_start_delivers_whole_buffer),
        T(s18_last_byte_of_buffer_is_a_one_byte_message),
        T(s18_null_return_gives_no_message),
        T(s18_raw_pointer_outside_buffer_gives_no_message),
        T(s18_native_pointer_outside_buffer_gives_no_message),
        T(s18_action_without_buffer_gives_no_message),
        T(s18_each_core_has_its_own_zeroed_buffer),
        T(s18_each_action_has_its_own_buffer),
        T(s18_messages_carry_their_own_events_tag_in_order),
        T(s18_messages_from_several_cores_are_all_read),
        T(s20_full_ring_drops_new_messages_and_keeps_queued_ones),
        T(s20_ring_wraps_around_in_order),
        T(s20_drop_counter_is_per_core),
        T(s20_slot_count_is_rounded_up_to_a_power_of_two),
        T(s18_message_longer_than_max_is_truncated_and_flagged),
        T(s18_message_of_exactly_max_bytes_is_not_truncated),
        T(s18_default_max_is_512_bytes),
        T(s18_read_copies_at_most_capacity),
        T(s18_read_with_enough_capacity_is_not_truncated),
        T(s18_message_read_argument_checks),
    };
#undef T
    return cmocka_run_group_tests_name("S18/S20 messages and the per-core ring", tests, NULL,
                                       NULL);
}
