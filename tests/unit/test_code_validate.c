/*
 * Zydis validation of raw code (hdevent/code.h): each finding kind, warnings versus errors
 * under HD_CODE_STRICT, and the disassembly shown to users.
 */
#include "helpers.h"

#include <hdevent/code.h>

#include <stdio.h>

/* Validate a byte list; return the status and keep the report in *r. */
#define VALIDATE(r, flags, ...)                                                               \
    validate_bytes((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}),    \
                   flags, r)

static enum hd_status validate_bytes(const uint8_t *b, size_t n, uint32_t flags,
                                     struct hd_code_report *r)
{
    return hd_code_validate(b, n, flags, r);
}

static void assert_first(const struct hd_code_report *r, enum hd_code_finding_kind kind,
                         bool error, uint32_t offset)
{
    assert_true(r->finding_count > 0);
    if (r->findings[0].kind != kind || r->findings[0].offset != offset)
        fail_msg("first finding: %s at 0x%X (%s), wanted %s at 0x%X",
                 hd_code_finding_name(r->findings[0].kind), r->findings[0].offset,
                 r->findings[0].message, hd_code_finding_name(kind), offset);
    assert_int_equal(r->findings[0].error, error);
    assert_true(r->findings[0].message[0] != 0);
}

static void hyperdbg_doc_buffers_are_clean(void **state)
{
    struct hd_code_report r;
    uint32_t n;
    const uint8_t *c;
    (void)state;

    c = doc_condition(&n);
    assert_int_equal(hd_code_validate(c, n, HD_CODE_STRICT, &r), HD_OK);
    assert_int_equal(r.errors + r.warnings, 0);
    assert_int_equal(r.instructions, 7);
    c = doc_code(&n);
    assert_int_equal(hd_code_validate(c, n, HD_CODE_STRICT, &r), HD_OK);
    assert_int_equal(r.errors + r.warnings, 0);
}

static void a_lone_ret_is_fine_and_nothing_is_not(void **state)
{
    struct hd_code_report r;
    (void)state;
    assert_int_equal(VALIDATE(&r, 0, 0xC3), HD_OK);
    assert_int_equal(r.instructions, 1);
    assert_int_equal(hd_code_validate("", 0, 0, &r), HD_ERR_INVALID_CODE);
    assert_first(&r, HD_CODE_EMPTY, true, 0);
}

static void truncated_instruction_is_an_error(void **state)
{
    struct hd_code_report r;
    (void)state;
    /* mov rax, imm32 needs 7 bytes; the buffer ends after 4 (the last one even is C3). */
    assert_int_equal(VALIDATE(&r, 0, 0x90, 0x48, 0xC7, 0xC0, 0xC3), HD_ERR_INVALID_CODE);
    assert_first(&r, HD_CODE_TRUNCATED, true, 1);
    assert_string_equal(r.findings[0].instruction, "48 C7 C0 C3");
}

static void invalid_bytes_are_an_error(void **state)
{
    struct hd_code_report r;
    (void)state;
    /* 06 (push es) does not exist in 64-bit mode. */
    assert_int_equal(VALIDATE(&r, 0, 0x90, 0x06, 0xC3), HD_ERR_INVALID_CODE);
    assert_first(&r, HD_CODE_INVALID, true, 1);
}

static void code_that_runs_off_the_end_is_an_error(void **state)
{
    struct hd_code_report r;
    (void)state;
    /* mov al, 0xC3: the buffer ends in C3, so no RET was appended, yet it never returns. */
    assert_int_equal(VALIDATE(&r, 0, 0xB0, 0xC3), HD_ERR_INVALID_CODE);
    assert_first(&r, HD_CODE_RUNS_OFF_END, true, 0);
    /* Only the branch taken skips the return: jz +1 over the ret to a nop at the end. */
    assert_int_equal(VALIDATE(&r, 0, 0x74, 0x01, 0xC3, 0x90), HD_ERR_INVALID_CODE);
    assert_first(&r, HD_CODE_RUNS_OFF_END, true, 3);
    /* Unreachable bytes after a return are allowed as long as they decode. */
    assert_int_equal(VALIDATE(&r, 0, 0xC3, 0x90), HD_OK);
}

static void branches_must_stay_inside(void **state)
{
    struct hd_code_report r;
    (void)state;
    assert_int_equal(VALIDATE(&r, 0, 0xEB, 0x10, 0xC3), HD_ERR_INVALID_CODE);
    assert_first(&r, HD_CODE_BRANCH_OUTSIDE, true, 0);
    assert_string_equal(r.findings[0].instruction, "jmp 0x12");
    /* Backwards before the start. */
    assert_int_equal(VALIDATE(&r, 0, 0x90, 0x74, 0xFC, 0xC3), HD_ERR_INVALID_CODE);
    assert_first(&r, HD_CODE_BRANCH_OUTSIDE, true, 1);
    /* A call out of the buffer (rel32). */
    assert_int_equal(VALIDATE(&r, 0, 0xE8, 0x00, 0x10, 0x00, 0x00, 0xC3), HD_ERR_INVALID_CODE);
    assert_first(&r, HD_CODE_BRANCH_OUTSIDE, true, 0);
    /* One past the end is outside too. */
    assert_int_equal(VALIDATE(&r, 0, 0x74, 0x01, 0xC3), HD_ERR_INVALID_CODE);
    assert_first(&r, HD_CODE_BRANCH_OUTSIDE, true, 0);
}

static void branches_must_land_on_an_instruction(void **state)
{
    struct hd_code_report r;
    (void)state;
    /* jmp to 3, the middle of `48 C3` (rex.w ret at 2). */
    assert_int_equal(VALIDATE(&r, 0, 0xEB, 0x01, 0x48, 0xC3), HD_ERR_INVALID_CODE);
    assert_first(&r, HD_CODE_BRANCH_MISPLACED, true, 0);
}

static void good_branches_and_calls_pass(void **state)
{
    struct hd_code_report r;
    (void)state;
    /* jz over a nop, call a local ret, loop back: all inside, every path returns. */
    assert_int_equal(VALIDATE(&r, HD_CODE_STRICT, 0x74, 0x01, 0x90, 0xE8, 0x01, 0x00, 0x00, 0x00,
                              0xC3, 0xC3),
                     HD_OK);
    assert_int_equal(r.errors + r.warnings, 0);
    /* A loop that only exits through ret. */
    assert_int_equal(VALIDATE(&r, HD_CODE_STRICT, 0x48, 0xFF, 0xC8, 0x75, 0xFB, 0xC3), HD_OK);
}

static void privileged_is_a_warning_and_strict_makes_it_an_error(void **state)
{
    static const struct {
        uint8_t bytes[4];
        uint8_t n;
        const char *mnemonic;
    } cases[] = {
        {{0xF4}, 1, "hlt"},        {{0xFA}, 1, "cli"},       {{0xFB}, 1, "sti"},
        {{0xCC}, 1, "int3"},       {{0xCD, 0x2E}, 2, "int"}, {{0x0F, 0x01, 0xC1}, 3, "vmcall"},
        {{0x0F, 0x01, 0xC4}, 3, "vmxoff"},                   {{0x0F, 0x01, 0xC2}, 3, "vmlaunch"},
        {{0x0F, 0x01, 0xC3}, 3, "vmresume"},                 {{0x0F, 0x30}, 2, "wrmsr"},
        {{0x0F, 0x22, 0xD8}, 3, "mov cr3, rax"},             {{0x0F, 0x23, 0xF8}, 3, "mov dr7, rax"},
        {{0x0F, 0x01, 0x10}, 3, "lgdt"},                     {{0x0F, 0x01, 0x18}, 3, "lidt"},
        {{0x0F, 0x05}, 2, "syscall"},                        {{0xE6, 0x80}, 2, "out"},
        {{0x0F, 0x08}, 2, "invd"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hd_code_report r;
        uint8_t b[5];
        memcpy(b, cases[i].bytes, cases[i].n);
        b[cases[i].n] = 0xC3;
        assert_int_equal(hd_code_validate(b, cases[i].n + 1u, 0, &r), HD_OK);
        assert_first(&r, HD_CODE_PRIVILEGED, false, 0);
        if (strncmp(r.findings[0].instruction, cases[i].mnemonic, strlen(cases[i].mnemonic)))
            fail_msg("case %zu: '%s' does not start with '%s'", i, r.findings[0].instruction,
                     cases[i].mnemonic);
        assert_int_equal(hd_code_validate(b, cases[i].n + 1u, HD_CODE_STRICT, &r),
                         HD_ERR_INVALID_CODE);
        assert_first(&r, HD_CODE_PRIVILEGED, true, 0);
    }
}

static void returns_from_privileged_terminators_need_no_ret(void **state)
{
    struct hd_code_report r;
    (void)state;
    /* ud2 and iretq end a path; they are still reported. */
    assert_int_equal(VALIDATE(&r, 0, 0x0F, 0x0B), HD_OK);
    assert_int_equal(r.warnings, 1);
    assert_int_equal(VALIDATE(&r, 0, 0x48, 0xCF), HD_OK);
}

static void indirect_branches_are_warnings(void **state)
{
    struct hd_code_report r;
    (void)state;
    assert_int_equal(VALIDATE(&r, HD_CODE_STRICT, 0xFF, 0xE0), HD_OK); /* jmp rax */
    assert_first(&r, HD_CODE_INDIRECT_BRANCH, false, 0);
    assert_int_equal(VALIDATE(&r, HD_CODE_STRICT, 0xFF, 0xD0, 0xC3), HD_OK); /* call rax */
    assert_first(&r, HD_CODE_INDIRECT_BRANCH, false, 0);
}

static void simd_use_is_a_warning_and_strict_makes_it_an_error(void **state)
{
    struct hd_code_report r;
    (void)state;
    assert_int_equal(VALIDATE(&r, 0, 0x66, 0x0F, 0xEF, 0xC0, 0xC3), HD_OK); /* pxor xmm0, xmm0 */
    assert_first(&r, HD_CODE_SIMD, false, 0);
    assert_string_equal(hd_code_finding_name(r.findings[0].kind), "simd");
    assert_int_equal(VALIDATE(&r, HD_CODE_STRICT, 0xD9, 0xE8, 0xC3), HD_ERR_INVALID_CODE); /* fld1 */
    assert_first(&r, HD_CODE_SIMD, true, 0);
    /* General-register code is not flagged. */
    assert_int_equal(VALIDATE(&r, HD_CODE_STRICT, 0x48, 0x31, 0xC0, 0xC3), HD_OK);
    assert_int_equal(r.warnings + r.errors, 0);
}

static void findings_are_counted_beyond_what_is_kept(void **state)
{
    uint8_t b[41];
    struct hd_code_report r;
    (void)state;
    memset(b, 0xF4, 40);
    b[40] = 0xC3;
    assert_int_equal(hd_code_validate(b, sizeof(b), 0, &r), HD_OK);
    assert_int_equal(r.warnings, 40);
    assert_int_equal(r.finding_count, HD_CODE_FINDINGS_MAX);
    assert_int_equal(r.findings[HD_CODE_FINDINGS_MAX - 1].offset, HD_CODE_FINDINGS_MAX - 1);
}

static void bad_arguments(void **state)
{
    struct hd_code_report r;
    struct hd_code_insn insn;
    (void)state;
    assert_int_equal(hd_code_validate(NULL, 1, 0, &r), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_code_validate("\xC3", 1, 0, NULL), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_code_validate("\xC3", HD_CODE_MAX_BYTES + 1u, 0, &r), HD_ERR_TOO_LARGE);
    assert_int_equal(hd_code_disasm(NULL, 1, 0, &insn), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_code_disasm("\xC3", 1, 1, &insn), HD_EMPTY);
}

static void disassembly_uses_intel_syntax_and_buffer_offsets(void **state)
{
    static const char *want[] = {
        "mov rbx, qword ptr [rcx+0x10]", "cmp rbx, 0x1000", "jz 0x12", "xor rax, rax",
        "jmp 0x19",                      "mov rax, 0x01",   "ret",
    };
    struct hd_code_insn insn;
    uint32_t n, off = 0;
    const uint8_t *c = doc_condition(&n);
    (void)state;

    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(hd_code_disasm(c, n, off, &insn), HD_OK);
        assert_true(insn.valid);
        assert_int_equal(insn.offset, off);
        assert_string_equal(insn.text, want[i]);
        off += insn.length;
    }
    assert_int_equal(off, n);
    assert_int_equal(hd_code_disasm(c, n, off, &insn), HD_EMPTY);

    assert_int_equal(hd_code_disasm("\x06", 1, 0, &insn), HD_OK);
    assert_false(insn.valid);
    assert_int_equal(insn.length, 1);
    assert_string_equal(insn.text, "(bad) db 0x06");
    assert_int_equal(hd_code_disasm("\x48\xC7", 2, 0, &insn), HD_OK);
    assert_false(insn.valid);
    assert_int_equal(insn.length, 2);
}

/* What is printed reads back as the same instruction (the assembler, asm.h, takes it):
 * every memory operand has its size (Zydis 4.0 leaves it out of one-operand forms), a
 * rip-relative address stays relative, and mov's 64-bit forms are movabs. */
static void disassembly_reads_back_unambiguously(void **state)
{
    static const struct {
        const char *bytes;
        unsigned len;
        const char *text;
    } cases[] = {
        {"\xFE\x08", 2, "dec byte ptr [rax]"},
        {"\x48\xFF\x08", 3, "dec qword ptr [rax]"},
        {"\xFF\x30", 2, "push qword ptr [rax]"},
        {"\x48\x8B\x05\x10\x00\x00\x00", 7, "mov rax, qword ptr [rip+0x10]"},
        {"\x48\xB8\x01\x00\x00\x00\x00\x00\x00\x00", 10, "movabs rax, 0x01"},
        {"\x48\xA1\x34\x12\x00\x00\x00\x00\x00\x00", 10,
         "movabs rax, qword ptr [0x1234]"},
        {"\x48\xC7\xC0\x01\x00\x00\x00", 7, "mov rax, 0x01"},
        {"\x65\x48\x8B\x04\x25\x88\x01\x00\x00", 9, "mov rax, qword ptr gs:[0x188]"},
    };
    struct hd_code_insn insn;
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(hd_code_disasm(cases[i].bytes, cases[i].len, 0, &insn), HD_OK);
        assert_true(insn.valid);
        assert_int_equal(insn.length, cases[i].len);
        assert_string_equal(insn.text, cases[i].text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hyperdbg_doc_buffers_are_clean),
        cmocka_unit_test(a_lone_ret_is_fine_and_nothing_is_not),
        cmocka_unit_test(truncated_instruction_is_an_error),
        cmocka_unit_test(invalid_bytes_are_an_error),
        cmocka_unit_test(code_that_runs_off_the_end_is_an_error),
        cmocka_unit_test(branches_must_stay_inside),
        cmocka_unit_test(branches_must_land_on_an_instruction),
        cmocka_unit_test(good_branches_and_calls_pass),
        cmocka_unit_test(privileged_is_a_warning_and_strict_makes_it_an_error),
        cmocka_unit_test(returns_from_privileged_terminators_need_no_ret),
        cmocka_unit_test(indirect_branches_are_warnings),
        cmocka_unit_test(simd_use_is_a_warning_and_strict_makes_it_an_error),
        cmocka_unit_test(findings_are_counted_beyond_what_is_kept),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(disassembly_uses_intel_syntax_and_buffer_offsets),
        cmocka_unit_test(disassembly_reads_back_unambiguously),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
