/* SPDX-License-Identifier: MIT */
/*
 * The verifier (hd_script_verify, script_bytecode.h): every rule, on a compiled program with
 * one byte or field changed, and where it says the fault is. The wire conformance table
 * (tests/conformance/wire_cases.c) runs the same rules through hd_wire_ioctl(); here each is
 * pinned at the function registration calls.
 */
#include "script_helpers.h"

/* A program with every section: a global, a printf with two arguments, a jump. */
#define BASE                                                                                   \
    "if (@rax == 1) { .g = 2; } printf(\"%llx %x\\n\", .g, @rbx); "                           \
    "x = interlocked_compare_exchange(.g, 3, 4);"

struct prog {
    uint8_t *b;
    uint32_t size;
    struct hd_script_info info;
};

static struct prog base(void)
{
    struct hd_script_program p = compile_ok(BASE);
    struct prog g = {p.code, p.size, {0}};
    assert_int_equal(hd_script_verify(g.b, g.size, &g.info), HD_OK);
    return g;
}

static void put16(uint8_t *b, size_t off, uint32_t v)
{
    b[off] = (uint8_t)v;
    b[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, size_t off, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        b[off + i] = (uint8_t)(v >> (8 * i));
}

/* Byte offset of instruction @i's field (0 op, 1 flags, 2 d, 4 a, 6 b). */
static size_t insn(uint32_t i, unsigned field)
{
    return HD_SCRIPT_HEADER_SIZE + 8u * i + field;
}

/* The index of the first instruction with opcode @op. */
static uint32_t find(const struct prog *g, uint32_t op)
{
    for (uint32_t i = 0; i < g->info.insn_count; i++)
        if (g->b[insn(i, 0)] == op)
            return i;
    fail_msg("no opcode %u in the base program", op);
    return 0;
}

static void expect(const struct prog *g, enum hd_status st, uint32_t where)
{
    struct hd_script_info info;
    enum hd_status got = hd_script_verify(g->b, g->size, &info);
    if (got != st || info.where != where)
        fail_msg("verify gave %s at %u, expected %s at %u", hd_status_name(got), info.where,
                 hd_status_name(st), where);
}

static void the_base_program_verifies(void **state)
{
    (void)state;
    struct prog g = base();
    assert_true(g.info.insn_count > 8);
    assert_int_equal(g.info.global_count, 1);
    assert_int_equal(g.info.local_count, 1);
    assert_int_equal(g.info.where, HD_SCRIPT_WHERE_HEADER);
    assert_int_equal(hd_script_verify(NULL, 0, NULL), HD_ERR_SCRIPT_HEADER);
    assert_int_equal(hd_script_verify(NULL, 5, NULL), HD_ERR_INVALID_ARGUMENT);
    free(g.b);
}

static void header_rules(void **state)
{
    (void)state;
    struct prog g = base();
    const uint32_t W = HD_SCRIPT_WHERE_HEADER;

    g.b[0] ^= 1;
    expect(&g, HD_ERR_SCRIPT_HEADER, W);
    g.b[0] ^= 1;
    put16(g.b, HD_SCRIPT_H_VERSION, 2);
    expect(&g, HD_ERR_SCRIPT_HEADER, W);
    put16(g.b, HD_SCRIPT_H_VERSION, 1);
    put32(g.b, HD_SCRIPT_H_RESERVED, 0x100);
    expect(&g, HD_ERR_SCRIPT_HEADER, W);
    put32(g.b, HD_SCRIPT_H_RESERVED, 0);
    assert_int_equal(hd_script_verify(g.b, 31, NULL), HD_ERR_SCRIPT_HEADER);
    /* Sizes: one byte more or less than the sections; counts above their limits. */
    assert_int_equal(hd_script_verify(g.b, g.size - 1, NULL), HD_ERR_SCRIPT_SIZE);
    put32(g.b, HD_SCRIPT_H_CONSTS, HD_SCRIPT_CONSTS_MAX + 1);
    expect(&g, HD_ERR_SCRIPT_SIZE, W);
    put32(g.b, HD_SCRIPT_H_CONSTS, g.info.const_count);
    put32(g.b, HD_SCRIPT_H_GLOBALS, HD_SCRIPT_GLOBALS_MAX + 1);
    expect(&g, HD_ERR_SCRIPT_SIZE, W);
    put32(g.b, HD_SCRIPT_H_GLOBALS, g.info.global_count);
    put32(g.b, HD_SCRIPT_H_STRINGS, 0xFFFFFFFF); /* a sum that would wrap in 32 bits */
    expect(&g, HD_ERR_SCRIPT_SIZE, W);
    put32(g.b, HD_SCRIPT_H_STRINGS, g.info.string_bytes);
    g.b[g.size - 1] = 'x'; /* the string pool must end in a NUL */
    expect(&g, HD_ERR_SCRIPT_SIZE, W);
    g.b[g.size - 1] = 0;
    /* The register file: at most 1024 slots, at least the locals. */
    put16(g.b, HD_SCRIPT_H_SLOTS, HD_SCRIPT_SLOTS_MAX + 1);
    expect(&g, HD_ERR_SCRIPT_STACK, W);
    put16(g.b, HD_SCRIPT_H_SLOTS, g.info.slot_count);
    put16(g.b, HD_SCRIPT_H_LOCALS, g.info.slot_count + 1);
    expect(&g, HD_ERR_SCRIPT_STACK, W);
    put16(g.b, HD_SCRIPT_H_LOCALS, g.info.local_count);
    expect(&g, HD_OK, W);
    free(g.b);
}

static void global_names(void **state)
{
    (void)state;
    struct prog g = base();
    size_t table = HD_SCRIPT_HEADER_SIZE + 8u * g.info.insn_count + 8u * g.info.const_count;
    size_t strings = table + 4u * g.info.global_count;
    uint32_t off = g.b[table];

    g.b[strings + off] = '-';
    expect(&g, HD_ERR_SCRIPT_GLOBALS, HD_SCRIPT_WHERE_HEADER);
    g.b[strings + off] = 'g';
    put32(g.b, table, g.info.string_bytes); /* outside the pool */
    expect(&g, HD_ERR_SCRIPT_GLOBALS, HD_SCRIPT_WHERE_HEADER);
    put32(g.b, table, g.info.string_bytes - 1); /* the pool's last NUL: an empty name */
    expect(&g, HD_ERR_SCRIPT_GLOBALS, HD_SCRIPT_WHERE_HEADER);
    free(g.b);

    /* The same name twice. */
    {
        struct hd_script_program p = compile_ok(".a1 = 1; .b1 = 2;");
        struct hd_script_info i;
        size_t t;
        assert_int_equal(hd_script_verify(p.code, p.size, &i), HD_OK);
        t = HD_SCRIPT_HEADER_SIZE + 8u * i.insn_count + 8u * i.const_count;
        put32(p.code, t + 4, p.code[t]); /* .b1's entry names .a1's string */
        assert_int_equal(hd_script_verify(p.code, p.size, NULL), HD_ERR_SCRIPT_GLOBALS);
        hd_script_program_free(&p);
    }
}

static void opcodes_flags_and_unused_operands(void **state)
{
    (void)state;
    struct prog g = base();
    uint32_t end = g.info.insn_count - 1, ldr = find(&g, HD_SOP_LDR);

    g.b[insn(0, 0)] = HD_SOP_COUNT;
    expect(&g, HD_ERR_SCRIPT_OPCODE, 0);
    g.b[insn(0, 0)] = 0xFF;
    expect(&g, HD_ERR_SCRIPT_OPCODE, 0);
    g.b[insn(0, 0)] = HD_SOP_LDR;
    g.b[insn(ldr, 1)] = HD_SCRIPT_K; /* K only on binary operators */
    expect(&g, HD_ERR_SCRIPT_OPCODE, ldr);
    g.b[insn(ldr, 1)] = 2; /* an undefined flag */
    expect(&g, HD_ERR_SCRIPT_OPCODE, ldr);
    g.b[insn(ldr, 1)] = 0;
    put16(g.b, insn(end, 4), 1); /* END uses no operand */
    expect(&g, HD_ERR_SCRIPT_OPCODE, end);
    put16(g.b, insn(end, 4), 0);
    expect(&g, HD_OK, HD_SCRIPT_WHERE_HEADER);
    free(g.b);
}

static void operands_in_range(void **state)
{
    (void)state;
    struct prog g = base();
    uint32_t ldr = find(&g, HD_SOP_LDR), eq = find(&g, HD_SOP_EQ), ldk = find(&g, HD_SOP_LDK);
    uint32_t stg = find(&g, HD_SOP_STG), pf = find(&g, HD_SOP_PRINTF);

    put16(g.b, insn(ldr, 2), g.info.slot_count); /* a slot past the register file */
    expect(&g, HD_ERR_SCRIPT_OPERAND, ldr);
    put16(g.b, insn(ldr, 2), 0);
    put16(g.b, insn(ldr, 4), 16); /* register 16 */
    expect(&g, HD_ERR_SCRIPT_OPERAND, ldr);
    put16(g.b, insn(ldr, 4), 0);
    put16(g.b, insn(ldr, 6), HD_SCRIPT_VIEW_8H + 1);
    expect(&g, HD_ERR_SCRIPT_OPERAND, ldr);
    put16(g.b, insn(ldr, 6), 0);
    put16(g.b, insn(eq, 6), g.info.const_count); /* a K operand past the constants */
    expect(&g, HD_ERR_SCRIPT_OPERAND, eq);
    put16(g.b, insn(eq, 6), 0);
    put16(g.b, insn(ldk, 4), g.info.const_count);
    expect(&g, HD_ERR_SCRIPT_OPERAND, ldk);
    put16(g.b, insn(ldk, 4), 0);
    put16(g.b, insn(stg, 2), g.info.global_count);
    expect(&g, HD_ERR_SCRIPT_OPERAND, stg);
    put16(g.b, insn(stg, 2), 0);
    put16(g.b, insn(pf, 2), g.info.string_bytes); /* a format outside the pool */
    expect(&g, HD_ERR_SCRIPT_OPERAND, pf);
    put16(g.b, insn(pf, 2), 0);
    g.b[insn(ldr, 0)] = HD_SOP_LDP;
    put16(g.b, insn(ldr, 4), HD_SCRIPT_PSEUDO_COUNT);
    expect(&g, HD_ERR_SCRIPT_OPERAND, ldr);
    free(g.b);
}

static void jumps_and_the_end(void **state)
{
    (void)state;
    struct prog g = base();
    uint32_t jz = find(&g, HD_SOP_JZ), end = g.info.insn_count - 1;

    put16(g.b, insn(jz, 2), g.info.insn_count); /* one past the last instruction */
    expect(&g, HD_ERR_SCRIPT_JUMP, jz);
    put16(g.b, insn(jz, 2), end); /* the last one is fine */
    expect(&g, HD_OK, HD_SCRIPT_WHERE_HEADER);
    g.b[insn(end, 0)] = HD_SOP_RDTSC; /* no END: the run could fall off */
    expect(&g, HD_ERR_SCRIPT_JUMP, end);
    g.b[insn(end, 0)] = HD_SOP_JMP; /* a jump back is an end too (the step budget stops it) */
    expect(&g, HD_OK, HD_SCRIPT_WHERE_HEADER);
    free(g.b);
}

static void printf_formats_and_argument_runs(void **state)
{
    (void)state;
    struct prog g = base();
    uint32_t pf = find(&g, HD_SOP_PRINTF), xc = find(&g, HD_SOP_XCMPXCHG);
    uint32_t fmt = g.b[insn(pf, 2)] | g.b[insn(pf, 3)] << 8;

    put16(g.b, insn(pf, 6), 1); /* "%llx %x\n" has 2 conversions */
    expect(&g, HD_ERR_SCRIPT_PRINTF, pf);
    put16(g.b, insn(pf, 6), HD_SCRIPT_PRINTF_ARGS_MAX + 1);
    expect(&g, HD_ERR_SCRIPT_PRINTF, pf);
    put16(g.b, insn(pf, 6), 2);
    put16(g.b, insn(pf, 4), g.info.slot_count - 1); /* the second argument past the last slot */
    expect(&g, HD_ERR_SCRIPT_STACK, pf);
    put16(g.b, insn(pf, 4), g.info.local_count);
    expect(&g, HD_OK, HD_SCRIPT_WHERE_HEADER);
    put16(g.b, insn(pf, 2), fmt + 1); /* "llx %x\n": inside the format, one conversion */
    expect(&g, HD_ERR_SCRIPT_PRINTF, pf);
    put16(g.b, insn(pf, 2), fmt);
    /* compare-exchange reads slots b and b + 1. */
    put16(g.b, insn(xc, 6), g.info.slot_count - 1);
    expect(&g, HD_ERR_SCRIPT_STACK, xc);
    free(g.b);

    /* A format with no conversion takes no argument slot: a must be 0 then. */
    {
        struct hd_script_program p = compile_ok("printf(\"plain\");");
        assert_int_equal(p.code[insn(0, 0)], HD_SOP_PRINTF);
        put16(p.code, insn(0, 4), 1);
        assert_int_equal(hd_script_verify(p.code, p.size, NULL), HD_ERR_SCRIPT_STACK);
        hd_script_program_free(&p);
    }
}

/* Registration refuses what the verifier refuses, and nothing is registered. */
static void registration_runs_the_verifier(void **state)
{
    struct fx *f = *state;
    struct prog g = base();
    struct hd_action_desc a;
    struct hd_event_desc d;

    g.b[insn(g.info.insn_count - 1, 0)] = HD_SOP_MOV;
    hd_action_desc_init(&a, HD_ACTION_SCRIPT);
    a.script = g.b;
    a.script_size = g.size;
    d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, false, &a, 1);
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_SCRIPT_JUMP);
    assert_int_equal(event_count(f), 0);
    d.script_steps = HD_SCRIPT_STEPS_MAX + 1;
    g.b[insn(g.info.insn_count - 1, 0)] = HD_SOP_END;
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_ERR_SCRIPT_BUDGET);
    d.script_steps = HD_SCRIPT_STEPS_MAX;
    assert_int_equal(hd_event_register(f->engine, &d, NULL), HD_OK);
    free(g.b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_base_program_verifies),
        cmocka_unit_test(header_rules),
        cmocka_unit_test(global_names),
        cmocka_unit_test(opcodes_flags_and_unused_operands),
        cmocka_unit_test(operands_in_range),
        cmocka_unit_test(jumps_and_the_end),
        cmocka_unit_test(printf_formats_and_argument_runs),
        cmocka_unit_test_setup_teardown(registration_runs_the_verifier, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
