/* SPDX-License-Identifier: MIT */
/*
 * Zydis validation of raw code (hdevent/code.h): each finding kind, warnings versus errors
 * under HD_CODE_STRICT, limits (subroutines, stack, size), properties that hold for any bytes,
 * and the disassembly shown to users. The table of buffers and their exact findings is
 * tests/conformance/code_cases.c.
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
    /* jz over a nop, call a local ret (a subroutine), ret: all inside, every path returns. */
    assert_int_equal(VALIDATE(&r, HD_CODE_STRICT, 0x74, 0x01, 0x90, 0xE8, 0x01, 0x00, 0x00, 0x00,
                              0xC3, 0xC3),
                     HD_OK);
    assert_int_equal(r.errors + r.warnings, 0);
}

static void loops_are_warnings_and_strict_makes_them_errors(void **state)
{
    struct hd_code_report r;
    (void)state;
    /* dec rax; jnz back; ret: it ends when rax reaches 0, which the validator cannot know. */
    assert_int_equal(VALIDATE(&r, 0, 0x48, 0xFF, 0xC8, 0x75, 0xFB, 0xC3), HD_OK);
    assert_first(&r, HD_CODE_LOOP, false, 3);
    assert_int_equal(VALIDATE(&r, HD_CODE_STRICT, 0x48, 0xFF, 0xC8, 0x75, 0xFB, 0xC3),
                     HD_ERR_INVALID_CODE);
    assert_first(&r, HD_CODE_LOOP, true, 3);
    /* EB FE: no path ever ends, so no path ends badly; only the loop is reported. */
    assert_int_equal(VALIDATE(&r, 0, 0xEB, 0xFE), HD_OK);
    assert_int_equal(r.warnings, 1);
    assert_first(&r, HD_CODE_LOOP, false, 0);
}

static void privileged_is_a_warning_and_strict_makes_it_an_error(void **state)
{
    static const struct {
        uint8_t bytes[4];
        uint8_t n;
        const char *mnemonic;
    } cases[] = {
        {{0xF4}, 1, "hlt"},        {{0xFA}, 1, "cli"},       {{0xFB}, 1, "sti"},
        {{0x0F, 0x01, 0xC1}, 3, "vmcall"},
        {{0x0F, 0x01, 0xC4}, 3, "vmxoff"},                   {{0x0F, 0x01, 0xC2}, 3, "vmlaunch"},
        {{0x0F, 0x01, 0xC3}, 3, "vmresume"},                 {{0x0F, 0x30}, 2, "wrmsr"},
        {{0x0F, 0x22, 0xD8}, 3, "mov cr3, rax"},             {{0x0F, 0x23, 0xF8}, 3, "mov dr7, rax"},
        {{0x0F, 0x01, 0x10}, 3, "lgdt"},                     {{0x0F, 0x01, 0x18}, 3, "lidt"},
        {{0xE6, 0x80}, 2, "out"},                            {{0x0F, 0x08}, 2, "invd"},
        {{0x9C, 0x9D}, 2, "pushfq"}, /* the finding is popfq's, at 1: checked below */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hd_code_report r;
        uint8_t b[5];
        memcpy(b, cases[i].bytes, cases[i].n);
        b[cases[i].n] = 0xC3;
        uint32_t at = cases[i].bytes[0] == 0x9C ? 1 : 0;
        const char *want = at ? "popfq" : cases[i].mnemonic;
        assert_int_equal(hd_code_validate(b, cases[i].n + 1u, 0, &r), HD_OK);
        assert_first(&r, HD_CODE_PRIVILEGED, false, at);
        if (strncmp(r.findings[0].instruction, want, strlen(want)))
            fail_msg("case %zu: '%s' does not start with '%s'", i, r.findings[0].instruction,
                     cases[i].mnemonic);
        assert_int_equal(hd_code_validate(b, cases[i].n + 1u, HD_CODE_STRICT, &r),
                         HD_ERR_INVALID_CODE);
        assert_first(&r, HD_CODE_PRIVILEGED, true, at);
    }
}

static void forbidden_instructions_are_errors_in_every_mode(void **state)
{
    static const struct {
        uint8_t bytes[4];
        uint8_t n;
        const char *mnemonic;
    } cases[] = {
        {{0xCC}, 1, "int3"},          {{0xCD, 0x2E}, 2, "int 0x2E"}, {{0xF1}, 1, "int1"},
        {{0x0F, 0x05}, 2, "syscall"}, {{0x0F, 0x34}, 2, "sysenter"}, {{0x0F, 0x0B}, 2, "ud2"},
        {{0x48, 0xCF}, 2, "iretq"},   {{0xCB}, 1, "ret far"},        {{0x66, 0xC3}, 2, "ret"},
        {{0xC2, 0x08, 0x00}, 3, "ret 0x08"},                         {{0xFF, 0x2C, 0x24}, 3, "jmp far"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hd_code_report r;
        uint8_t b[5];
        memcpy(b, cases[i].bytes, cases[i].n);
        b[cases[i].n] = 0xC3;
        assert_int_equal(hd_code_validate(b, cases[i].n + 1u, 0, &r), HD_ERR_INVALID_CODE);
        assert_first(&r, HD_CODE_FORBIDDEN, true, 0);
        if (strncmp(r.findings[0].instruction, cases[i].mnemonic, strlen(cases[i].mnemonic)))
            fail_msg("case %zu: '%s' does not start with '%s'", i, r.findings[0].instruction,
                     cases[i].mnemonic);
        assert_string_equal(hd_code_finding_name(r.findings[0].kind), "forbidden");
    }
}

static void indirect_branches_are_warnings_and_strict_makes_them_errors(void **state)
{
    struct hd_code_report r;
    (void)state;
    assert_int_equal(VALIDATE(&r, 0, 0xFF, 0xE0), HD_OK); /* jmp rax: the path ends there */
    assert_first(&r, HD_CODE_INDIRECT_BRANCH, false, 0);
    assert_int_equal(VALIDATE(&r, 0, 0xFF, 0xD0, 0xC3), HD_OK); /* call rax, then ret */
    assert_first(&r, HD_CODE_INDIRECT_BRANCH, false, 0);
    assert_int_equal(VALIDATE(&r, HD_CODE_STRICT, 0xFF, 0xE0), HD_ERR_INVALID_CODE);
    assert_first(&r, HD_CODE_INDIRECT_BRANCH, true, 0);
    assert_int_equal(VALIDATE(&r, HD_CODE_STRICT, 0xFF, 0xD0, 0xC3), HD_ERR_INVALID_CODE);
    assert_first(&r, HD_CODE_INDIRECT_BRANCH, true, 0);
}

/* The audit's escape: call +0; pop rax; add rax, 14; mov edi, 42; push rax; ret lands in the
 * immediate of a mov rax, imm64 that hides `mov eax, 60; syscall`. */
static void the_push_ret_escape_is_refused(void **state)
{
    static const uint8_t escape[] = {0xE8, 0x00, 0x00, 0x00, 0x00, 0x58, 0x48, 0x83, 0xC0, 0x0E,
                                     0xBF, 0x2A, 0x00, 0x00, 0x00, 0x50, 0xC3, 0x48, 0xB8, 0xB8,
                                     0x3C, 0x00, 0x00, 0x00, 0x0F, 0x05, 0x90, 0xC3};
    struct hd_code_report r;
    (void)state;
    assert_int_equal(hd_code_validate(escape, sizeof(escape), HD_CODE_STRICT, &r),
                     HD_ERR_INVALID_CODE);
    assert_first(&r, HD_CODE_STACK_RANGE, true, 5);
    assert_int_equal(hd_code_validate(escape, sizeof(escape), 0, &r), HD_ERR_INVALID_CODE);
    /* Without the call, push/ret alone: ret 8 bytes deep. */
    assert_int_equal(VALIDATE(&r, 0, 0x50, 0xC3), HD_ERR_INVALID_CODE);
    assert_first(&r, HD_CODE_STACK_UNBALANCED, true, 1);
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

/* @p calls direct calls, each to its own ret after the main ret; the buffer's size. */
static size_t make_calls(uint8_t *b, int calls)
{
    for (int i = 0; i < calls; i++) {
        int32_t rel = (int32_t)(calls * 5 + 1 + i) - (i * 5 + 5); /* to the i-th ret below */
        b[i * 5] = 0xE8;
        memcpy(&b[i * 5 + 1], &rel, 4);
    }
    memset(&b[calls * 5], 0xC3, 1 + (size_t)calls);
    return (size_t)calls * 6 + 1;
}

/* One subroutine more than HD_CODE_SUBROUTINES_MAX is an error at the call that finds it. */
static void more_subroutines_than_the_limit_is_an_error(void **state)
{
    uint8_t b[(HD_CODE_SUBROUTINES_MAX + 1) * 6 + 1];
    struct hd_code_report r;
    (void)state;

    size_t n = make_calls(b, HD_CODE_SUBROUTINES_MAX);
    assert_int_equal(hd_code_validate(b, n, HD_CODE_STRICT, &r), HD_OK);
    assert_int_equal(r.errors + r.warnings, 0);
    assert_int_equal(hd_code_validate(b, make_calls(b, HD_CODE_SUBROUTINES_MAX + 1), 0, &r),
                     HD_ERR_INVALID_CODE);
    assert_int_equal(r.errors, 1);
    assert_first(&r, HD_CODE_TOO_COMPLEX, true, HD_CODE_SUBROUTINES_MAX * 5);
    assert_string_equal(hd_code_finding_name(r.findings[0].kind), "too-complex");
}

/* The largest buffer: 64 KiB of nops and a ret, and of push/pop pairs. */
static void the_largest_buffer_is_followed(void **state)
{
    static uint8_t b[HD_CODE_MAX_BYTES];
    struct hd_code_report r;
    (void)state;

    memset(b, 0x90, sizeof(b));
    b[sizeof(b) - 1] = 0xC3;
    assert_int_equal(hd_code_validate(b, sizeof(b), HD_CODE_STRICT, &r), HD_OK);
    assert_int_equal(r.instructions, HD_CODE_MAX_BYTES);
    for (size_t i = 0; i + 1 < sizeof(b); i += 2) {
        b[i] = 0x50;
        b[i + 1] = 0x58;
    }
    b[sizeof(b) - 1] = 0xC3;
    assert_int_equal(hd_code_validate(b, sizeof(b), HD_CODE_STRICT, &r), HD_ERR_INVALID_CODE);
    /* ... 50 58 50 C3: the last push is never popped. */
    assert_first(&r, HD_CODE_STACK_UNBALANCED, true, HD_CODE_MAX_BYTES - 1);
}

/* For any bytes: the same findings with and without HD_CODE_STRICT, only their severity
 * differs; two runs give the same report; the counts add up. */
static void strict_changes_only_the_severity(void **state)
{
    static const uint8_t alphabet[] = {0x50, 0x58, 0x55, 0x5D, 0xC3, 0xC9, 0xE8, 0xEB, 0x74, 0x48,
                                       0x89, 0xE5, 0x83, 0xEC, 0x04, 0x24, 0x00, 0x01, 0xFE, 0xFF,
                                       0x90, 0x0F, 0x05, 0xD9, 0xE8, 0x8D, 0x64, 0xF8};
    uint64_t x = 0x9E3779B97F4A7C15ull;
    (void)state;

    for (int round = 0; round < 3000; round++) {
        uint8_t b[48];
        size_t n = 1 + round % sizeof(b);
        struct hd_code_report normal, strict, again;
        enum hd_status sn, ss;

        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            b[i] = round & 1 ? alphabet[x % sizeof(alphabet)] : (uint8_t)x;
        }
        sn = hd_code_validate(b, n, 0, &normal);
        ss = hd_code_validate(b, n, HD_CODE_STRICT, &strict);
        assert_int_equal(hd_code_validate(b, n, 0, &again), sn);
        assert_memory_equal(&normal, &again, sizeof(normal));
        assert_int_equal(normal.errors + normal.warnings, strict.errors + strict.warnings);
        assert_int_equal(strict.warnings, 0);
        assert_int_equal(normal.finding_count, strict.finding_count);
        assert_int_equal(sn, normal.errors ? HD_ERR_INVALID_CODE : HD_OK);
        assert_int_equal(ss, strict.errors ? HD_ERR_INVALID_CODE : HD_OK);
        for (uint32_t i = 0; i < normal.finding_count; i++) {
            assert_int_equal(normal.findings[i].kind, strict.findings[i].kind);
            assert_int_equal(normal.findings[i].offset, strict.findings[i].offset);
            assert_true(strict.findings[i].error);
            assert_true(normal.findings[i].offset < n);
        }
    }
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
        cmocka_unit_test(loops_are_warnings_and_strict_makes_them_errors),
        cmocka_unit_test(forbidden_instructions_are_errors_in_every_mode),
        cmocka_unit_test(indirect_branches_are_warnings_and_strict_makes_them_errors),
        cmocka_unit_test(the_push_ret_escape_is_refused),
        cmocka_unit_test(simd_use_is_a_warning_and_strict_makes_it_an_error),
        cmocka_unit_test(more_subroutines_than_the_limit_is_an_error),
        cmocka_unit_test(the_largest_buffer_is_followed),
        cmocka_unit_test(strict_changes_only_the_severity),
        cmocka_unit_test(findings_are_counted_beyond_what_is_kept),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(disassembly_uses_intel_syntax_and_buffer_offsets),
        cmocka_unit_test(disassembly_reads_back_unambiguously),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
