/* SPDX-License-Identifier: MIT */
/*
 * Script functions (docs/script.md, "Functions"): printf with every conversion, print,
 * event_sc, event_enable / event_disable / event_clear (deferred until the exit is over),
 * poi db dw dd dq, eb ed eq and check_address through the backend's safe accessors (the host
 * backend's simulated guest memory) or the action's own buffer, interlocked_* on globals and
 * rdtsc.
 */
#include "script_helpers.h"

/* ---- printf and print -------------------------------------------------------------------- */

static void printf_formats_every_conversion(void **state)
{
    struct fx *f = *state;
    expect_output(f, "printf(\"%llx %llX %llu %lld|\", 0xabcdef0123, 0xabcdef0123, 0n1234567890123, "
                     "-5);",
                  "abcdef0123 ABCDEF0123 1234567890123 -5|");
    /* %x %X %u %d take the low 32 bits, as C passes an int; %c the low byte. */
    expect_output(f, "printf(\"%x %X %u %d %d|\", 1000000ff, 1000000ab, 1ffffffff, ffffffff, "
                     "80000000);",
                  "ff AB 4294967295 -1 -2147483648|");
    expect_output(f, "printf(\"%c%c%c %p %p 100%%\", 41, 142, 0n99, 0x1f, 0);",
                  "ABc 0x1f 0x0 100%");
    expect_output(f, "printf(\"%lld %lld\", 8000000000000000, 7fffffffffffffff);",
                  "-9223372036854775808 9223372036854775807");
    /* Up to 8 arguments; escapes \n \t \\ \". */
    expect_output(f, "printf(\"%x%x%x%x%x%x%x%x\\t\\\"\\\\\\n\", 1, 2, 3, 4, 5, 6, 7, 8);",
                  "12345678\t\"\\\n");
    expect_output(f, "printf(\"no conversion\");", "no conversion");
}

static void print_is_llx_and_a_newline(void **state)
{
    expect_output(*state, "print(@rax); print(0n255);", "1111111111111111\nff\n");
}

static void each_printf_is_one_message_of_the_event(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    struct hd_message_info info;
    char data[64];
    uint64_t tag = reg_script(f, "printf(\"one\"); print(2);", 0, 0);

    run_exit(f, 2, 4, 0, &regs);
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
    assert_int_equal(info.tag, tag);
    assert_int_equal(info.core, 2);
    assert_int_equal(info.kind, HD_MESSAGE_PRINT);
    assert_int_equal(info.size, 3);
    assert_true(info.immediate);
    assert_memory_equal(data, "one", 3);
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_OK);
    assert_int_equal(info.size, 2);
    assert_memory_equal(data, "2\n", 2);
    assert_int_equal(hd_message_read(f->engine, &info, data, sizeof(data)), HD_EMPTY);
}

/* ---- event_sc and the event_* requests ------------------------------------------------------ */

static void event_sc_short_circuits_when_not_zero(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    struct hd_exit x;
    char out[64];

    reg_script_on(f, "event_sc(@rbx == 1);", HD_ALL, HD_ALL, 0, 0);
    regs.rbx = 1;
    x = script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_true(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT);
    assert_false(x.default_handled);
    assert_int_equal(regs.rax, SX_RAX); /* the default handling did not run */
    regs.rbx = 2;
    x = script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_false(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT);
    assert_true(x.default_handled);

    /* Never for the hypervisor's own hypercall (S14). */
    regs = sx_regs();
    regs.rbx = 1;
    set_hyperdbg_magic(&regs);
    x = script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_true(x.pre.flags & HD_VERDICT_PROTECTED);
    assert_false(x.pre.flags & HD_VERDICT_SHORT_CIRCUIT);
    assert_true(x.default_handled);
}

static void event_requests_apply_after_the_exit(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    struct hd_exit x;
    char out[256];
    uint64_t b;

    /* Event 0 disables event 1 when rbx is 1 and enables it when rbx is 2. */
    reg_script(f, "if (@rbx == 1) { event_disable(1); } if (@rbx == 2) { event_enable(1); }", 0,
               0);
    b = reg_script(f, "printf(\"b\");", 0, 0);
    assert_int_equal(HD_EVENT_ID(b), 1);
    regs.rbx = 1;
    x = script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_string_equal(out, "b"); /* the exit that asked still sees its event set */
    assert_int_equal(x.pre.fired, 2);
    x = script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_string_equal(out, ""); /* disabled once that exit was over */
    assert_int_equal(x.pre.fired, 1);
    regs.rbx = 2;
    script_output(f, 0, 4, &regs, out, sizeof(out));
    script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_string_equal(out, "b");
}

static void a_script_may_clear_its_own_event(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    char out[64];

    reg_script(f, "printf(\"once\"); event_clear($event_id);", 0, 0);
    script_output(f, 1, 4, &regs, out, sizeof(out));
    assert_string_equal(out, "once");
    assert_int_equal(event_count(f), 0); /* cleared after the exit; freed after its grace */
    script_output(f, 1, 4, &regs, out, sizeof(out));
    assert_string_equal(out, "");
    /* An ID no event has: nothing happens (the request is logged and dropped). */
    reg_script(f, "event_enable(0n1000); event_disable(ffffffffffffffff);", 0, 0);
    script_output(f, 1, 4, &regs, out, sizeof(out));
    assert_string_equal(script_errors(), "");
    assert_int_equal(event_count(f), 1);
}

static void a_full_request_queue_stops_the_run(void **state)
{
    struct fx *f = *state;
    struct hd_guest_regs regs = sx_regs();
    char out[64];

    reg_script(f, "for (i = 0; i < 0n17; i++) { event_disable(5); }", 0, 0);
    script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_non_null(strstr(script_errors(), "HD_ERR_SCRIPT_EVENT_QUEUE: 16 event requests "
                                            "already wait on this core"));
}

/* ---- memory ----------------------------------------------------------------------------------- */

static const uint8_t guest[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                  0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x00};

static void reads_go_through_the_backend(void **state)
{
    struct fx *f = *state;
    assert_int_equal(hd_host_memory_map(f->host, 0x7000, sizeof(guest), guest), HD_OK);
    expect_output(f, "printf(\"%llx %llx %llx %llx %llx\", poi(7000), dq(7008), dd(7000), "
                     "dw(7002), db(700f));",
                  "8877665544332211 ffeeddccbbaa99 44332211 4433 0");
    expect_output(f, "printf(\"%llx%llx%llx\", check_address(7000), check_address(700f), "
                     "check_address(7010));",
                  "110");
    /* A read the backend refuses ends the run. */
    expect_output(f, "printf(\"%llx\", check_address(9000));", "0");
    {
        struct hd_guest_regs regs = sx_regs();
        char out[64];
        reg_script(f, "printf(\"a\"); x = dq(700c); printf(\"b\");", 0, 0);
        script_output(f, 0, 4, &regs, out, sizeof(out));
        assert_string_equal(out, "a");
        assert_string_equal(script_errors(),
                            "HD_ERR_SCRIPT_MEMORY: cannot read 8 bytes at 0x700C (instruction 2)");
    }
}

static void writes_go_through_the_backend(void **state)
{
    struct fx *f = *state;
    uint8_t *mem;

    assert_int_equal(hd_host_memory_map(f->host, 0x7000, sizeof(guest), guest), HD_OK);
    expect_output(f, "r = eb(7000, 1ab); r += ed(7004, 11223344aabbccdd); r += eq(7008, -2); "
                     "printf(\"%llx %llx %llx\", r, poi(7000), poi(7008));",
                  "3 aabbccdd443322ab fffffffffffffffe");
    mem = hd_host_memory(f->host, 0x7000, 16);
    assert_non_null(mem);
    assert_int_equal(mem[0], 0xAB);
    assert_int_equal(mem[1], 0x22);
    {
        struct hd_guest_regs regs = sx_regs();
        char out[64];
        reg_script(f, "ed(700e, 1);", 0, 0); /* crosses the end of the region */
        script_output(f, 0, 4, &regs, out, sizeof(out));
        assert_string_equal(script_errors(),
                            "HD_ERR_SCRIPT_MEMORY: cannot write 4 bytes at 0x700E (instruction 2)");
    }
}

/* A backend without read_memory / write_memory (a kernel that has none): only the action's
 * own buffer can be reached; everything else fails, check_address says 0. */
static void without_accessors_only_the_buffer_is_reachable(void **state)
{
    struct fx *f = *state;
    struct hd_backend_ops ops = *hd_host_ops(f->host);
    struct hd_guest_regs regs = sx_regs();
    char out[128];

    ops.read_memory = NULL;
    ops.write_memory = NULL;
    fx_recreate(f, &ops, NULL);
    assert_int_equal(hd_host_memory_map(f->host, 0x7000, sizeof(guest), guest), HD_OK);
    reg_script(f, "eq($buffer + 8, 0x1234); printf(\"%llx %llx %llx \", poi($buffer + 8), "
                  "check_address($buffer + 0xf), check_address($buffer + 0x10)); "
                  "printf(\"%llx\", check_address(7000)); x = poi(7000);",
               0, 16);
    script_output(f, 0, 4, &regs, out, sizeof(out));
    assert_string_equal(out, "1234 1 0 0");
    assert_non_null(strstr(script_errors(), "HD_ERR_SCRIPT_MEMORY: cannot read 8 bytes at 0x7000"));
}

/* ---- interlocked_* and rdtsc -------------------------------------------------------------- */

static void interlocked_functions_on_globals(void **state)
{
    expect_output(*state,
                  ".n = 5; n1 = interlocked_increment(.n); n2 = interlocked_decrement(.n); "
                  "n3 = interlocked_decrement(.n); printf(\"%llx %llx %llx %llx|\", n1, n2, n3, .n); "
                  "o = interlocked_exchange(.n, 0n20); printf(\"%llx %llu|\", o, .n); "
                  "o = interlocked_compare_exchange(.n, 7, 0n20); printf(\"%llu %llx|\", o, .n); "
                  "o = interlocked_compare_exchange(.n, 9, 0n20); printf(\"%llx %llx\", o, .n);",
                  "6 5 4 4|4 20|20 7|7 7");
}

static void rdtsc_counts_up(void **state)
{
    expect_output(*state,
                  "t1 = rdtsc(); for (i = 0; i < 0n100; i++) { } t2 = rdtsc(); "
                  "if (t2 != t1 && ((t2 - t1) >> 0n63) == 0) { printf(\"ok\"); }",
                  "ok");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(printf_formats_every_conversion),
        T(print_is_llx_and_a_newline),
        T(each_printf_is_one_message_of_the_event),
        T(event_sc_short_circuits_when_not_zero),
        T(event_requests_apply_after_the_exit),
        T(a_script_may_clear_its_own_event),
        T(a_full_request_queue_stops_the_run),
        T(reads_go_through_the_backend),
        T(writes_go_through_the_backend),
        T(without_accessors_only_the_buffer_is_reachable),
        T(interlocked_functions_on_globals),
        T(rdtsc_counts_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
