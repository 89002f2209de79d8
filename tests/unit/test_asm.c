/* SPDX-License-Identifier: MIT */
/*
 * The assembler (hdevent/asm.h, docs/asm.md), feature by feature: HyperDbg's documented
 * condition and custom code to their documented bytes, statements and labels, numbers,
 * registers of every kind, memory operands, segments, rip-relative addresses, movabs,
 * prefixes, branches relaxed from short to near, data, EVEX decorators, the per-statement
 * lines, and the API's edges. Expected bytes were checked against GNU as where it takes the
 * same text. Errors have their own table: test_asm_errors.c.
 */
#include "helpers.h"

#include <stdio.h>

#include <hdevent/asm.h>

/* Assemble @p text and compare with the @p n bytes at @p want. */
static void asm_is_(const char *text, const uint8_t *want, size_t n, int line)
{
    struct hd_asm_result r;
    struct hd_asm_error e;
    char msg[512];

    if (hd_asm_assemble(text, 0, &r, &e) != HD_OK) {
        hd_asm_error_format(&e, text, 0, msg, sizeof(msg));
        fail_msg("line %d: '%s' did not assemble: %s", line, text, msg);
    }
    if (r.size != n || memcmp(r.bytes, want, n) != 0) {
        char got[256] = "";
        size_t k = 0;
        for (uint32_t i = 0; i < r.size && k + 4 < sizeof(got); i++)
            k += (size_t)snprintf(got + k, sizeof(got) - k, " %02X", r.bytes[i]);
        hd_asm_free(&r);
        fail_msg("line %d: '%s' gave%s", line, text, got);
    }
    hd_asm_free(&r);
}

#define ASM_IS(text, ...)                                                                    \
    do {                                                                                     \
        static const uint8_t want_[] = {__VA_ARGS__};                                        \
        asm_is_((text), want_, sizeof(want_), __LINE__);                                     \
    } while (0)

/* ---- HyperDbg's documented buffers ----------------------------------------------------- */

/* The condition of HyperDbg's docs (true when the guest's rdx is 0x1000), as its listing
 * reads, labels and upper case included. */
static void hyperdbg_doc_condition_assembles_to_the_doc_bytes(void **state)
{
    uint32_t n;
    const uint8_t *doc = doc_condition(&n);
    static const char *const texts[] = {
        "    mov    rbx, QWORD PTR [rcx+0x10]\n"
        "    cmp    rbx, 0x1000\n"
        "    je     ReturnTrue\n"
        "    xor    rax, rax\n"
        "    jmp    Exit\n"
        "ReturnTrue:\n"
        "    mov    rax, 0x1\n"
        "Exit:\n"
        "    ret\n",
        "mov rbx, qword ptr [rcx+0x10]; cmp rbx, 0x1000; je l1; xor rax, rax; jmp l2; "
        "l1: mov rax, 1; l2: ret",
    };
    (void)state;
    for (unsigned i = 0; i < 2; i++)
        asm_is_(texts[i], doc, n, __LINE__);
}

/* The custom code of HyperDbg's docs (if r8 is 'HDBG', make it 'HDB2'). */
static void hyperdbg_doc_custom_code_assembles_to_the_doc_bytes(void **state)
{
    uint32_t n;
    const uint8_t *doc = doc_code(&n);
    static const char *const texts[] = {
        "    mov    rbx, QWORD PTR [rdx+0x40]\n"
        "    cmp    rbx, 0x47424448\n"
        "    je     ChangeValue\n"
        "    jmp    Exit\n"
        "ChangeValue:\n"
        "    mov    QWORD PTR [rdx+0x40], 0x32424448\n"
        "Exit:\n"
        "    ret\n",
        "mov rbx, qword ptr [rdx+0x40]; cmp rbx, 0x47424448; je l1; jmp l2; "
        "l1: mov qword ptr [rdx+0x40], 0x32424448; l2: ret",
    };
    (void)state;
    for (unsigned i = 0; i < 2; i++)
        asm_is_(texts[i], doc, n, __LINE__);
}

/* ---- statements, labels, numbers ------------------------------------------------------- */

static void statements_end_at_semicolons_and_newlines(void **state)
{
    (void)state;
    ASM_IS("nop;nop", 0x90, 0x90);
    ASM_IS("nop\nnop\r\nnop", 0x90, 0x90, 0x90);
    ASM_IS("  ;; nop ;\n\n  nop  ;", 0x90, 0x90);
    ASM_IS("NOP; Nop", 0x90, 0x90);      /* mnemonics in any case */
    ASM_IS("db ';', \"\\\";\"", 0x3B, 0x22, 0x3B); /* not inside strings */
}

static void labels_go_forward_and_backward(void **state)
{
    (void)state;
    ASM_IS("top: dec rcx; jnz top; ret", 0x48, 0xFF, 0xC9, 0x75, 0xFB, 0xC3);
    ASM_IS("jmp done\nnop\ndone:\nret", 0xEB, 0x01, 0x90, 0xC3);
    ASM_IS("a: b: jmp a; jmp b", 0xEB, 0xFE, 0xEB, 0xFC); /* two labels, one place */
    ASM_IS("jmp end; end:", 0xEB, 0x00);                  /* a label at the very end */
    ASM_IS("Loop: jmp loop; loop: nop", 0xEB, 0x00, 0x90); /* case-sensitive */
    ASM_IS(".L1: jmp .L1", 0xEB, 0xFE);
}

static void numbers_are_decimal_unless_hex(void **state)
{
    (void)state;
    ASM_IS("mov al, 10", 0xB0, 0x0A);
    ASM_IS("mov al, 0x10", 0xB0, 0x10);
    ASM_IS("mov al, 10h", 0xB0, 0x10);
    ASM_IS("mov al, 0FFh", 0xB0, 0xFF);
    ASM_IS("mov al, 0XfF", 0xB0, 0xFF);
    ASM_IS("mov al, -1", 0xB0, 0xFF);
    ASM_IS("mov al, 255", 0xB0, 0xFF);
    ASM_IS("mov eax, 0x10+4-2", 0xB8, 0x12, 0x00, 0x00, 0x00);
    ASM_IS("add eax, 0xFFFFFFF8", 0x83, 0xC0, 0xF8);
    ASM_IS("add rax, -8", 0x48, 0x83, 0xC0, 0xF8);
    ASM_IS("mov ax, 0xFF80", 0x66, 0xB8, 0x80, 0xFF);
}

/* ---- operands ------------------------------------------------------------------------------ */

static void registers_of_every_size_and_kind(void **state)
{
    (void)state;
    ASM_IS("mov al, 1", 0xB0, 0x01);
    ASM_IS("mov ah, 1", 0xB4, 0x01);
    ASM_IS("mov spl, 1", 0x40, 0xB4, 0x01);
    ASM_IS("mov r8b, 1", 0x41, 0xB0, 0x01);
    ASM_IS("mov ax, 1", 0x66, 0xB8, 0x01, 0x00);
    ASM_IS("mov r8w, 1", 0x66, 0x41, 0xB8, 0x01, 0x00);
    ASM_IS("mov eax, 1", 0xB8, 0x01, 0x00, 0x00, 0x00);
    ASM_IS("mov r8d, 1", 0x41, 0xB8, 0x01, 0x00, 0x00, 0x00);
    ASM_IS("mov rax, 1", 0x48, 0xC7, 0xC0, 0x01, 0x00, 0x00, 0x00);
    ASM_IS("mov r15, r8", 0x4D, 0x89, 0xC7);
    ASM_IS("mov ds, ax", 0x8E, 0xD8);
    ASM_IS("mov cr3, rax", 0x0F, 0x22, 0xD8); /* ModRM.mod 11, as every assembler writes */
    ASM_IS("mov rax, dr7", 0x0F, 0x21, 0xF8);
    ASM_IS("movq mm0, mm1", 0x0F, 0x6F, 0xC1);
    ASM_IS("movaps xmm15, xmm0", 0x44, 0x0F, 0x28, 0xF8);
    ASM_IS("vaddps ymm0, ymm1, ymm2", 0xC5, 0xF4, 0x58, 0xC2);
    ASM_IS("kmovw k1, k2", 0xC5, 0xF8, 0x90, 0xCA);
    ASM_IS("fadd st0, st1", 0xD8, 0xC1);
    ASM_IS("fadd st(0), st(1)", 0xD8, 0xC1);
}

static void memory_operands(void **state)
{
    (void)state;
    ASM_IS("mov rax, qword ptr [rax+rbx*4+0x10]", 0x48, 0x8B, 0x44, 0x98, 0x10);
    ASM_IS("mov eax, [4*rcx+rax]", 0x8B, 0x04, 0x88);
    ASM_IS("mov eax, dword ptr [rbx-8]", 0x8B, 0x43, 0xF8);
    ASM_IS("mov rax, [rbx]", 0x48, 0x8B, 0x03); /* size from the register */
    ASM_IS("mov rax, qword [rbx]", 0x48, 0x8B, 0x03); /* NASM's form, without ptr */
    ASM_IS("inc byte ptr [rax]", 0xFE, 0x00);
    ASM_IS("inc word ptr [rax]", 0x66, 0xFF, 0x00);
    ASM_IS("inc dword ptr [rax]", 0xFF, 0x00);
    ASM_IS("inc qword ptr [rax]", 0x48, 0xFF, 0x00);
    ASM_IS("fld tbyte ptr [rax]", 0xDB, 0x28);
    ASM_IS("movaps xmm0, xmmword ptr [rax]", 0x0F, 0x28, 0x00);
    ASM_IS("jmp far fword ptr [rax]", 0xFF, 0x28);
    ASM_IS("fxsave [rax]", 0x0F, 0xAE, 0x00); /* 512 bytes: no size word names it */
    ASM_IS("mov rax, qword ptr [0x1234]", 0x48, 0x8B, 0x04, 0x25, 0x34, 0x12, 0x00, 0x00);
    ASM_IS("mov qword ptr [rdx+0x40], 0x32424448", 0x48, 0xC7, 0x42, 0x40, 0x48, 0x44, 0x42,
           0x32);
}

static void segment_overrides(void **state)
{
    (void)state;
    /* The KPCR read: ModRM/SIB, as every assembler writes it (not 65 67 48 A1 ...). */
    ASM_IS("mov rax, gs:[0x188]", 0x65, 0x48, 0x8B, 0x04, 0x25, 0x88, 0x01, 0x00, 0x00);
    ASM_IS("mov rax, qword ptr gs:[0x188]", 0x65, 0x48, 0x8B, 0x04, 0x25, 0x88, 0x01, 0x00,
           0x00);
    ASM_IS("mov rax, fs:[rcx]", 0x64, 0x48, 0x8B, 0x01);
}

static void rip_relative_addresses(void **state)
{
    (void)state;
    ASM_IS("lea rax, [rip+0x10]", 0x48, 0x8D, 0x05, 0x10, 0x00, 0x00, 0x00);
    ASM_IS("mov rax, qword ptr [rip-8]", 0x48, 0x8B, 0x05, 0xF8, 0xFF, 0xFF, 0xFF);
    /* [rip+label]: the label's distance from the next instruction. */
    ASM_IS("lea rax, [rip+msg]; ret; msg: db 'hi', 0", 0x48, 0x8D, 0x05, 0x01, 0x00, 0x00,
           0x00, 0xC3, 0x68, 0x69, 0x00);
    ASM_IS("back: mov eax, dword ptr [rip+back+2]", 0x8B, 0x05, 0xFC, 0xFF, 0xFF, 0xFF);
}

static void movabs_is_the_64_bit_form(void **state)
{
    (void)state;
    ASM_IS("movabs rax, 0x1122334455667788", 0x48, 0xB8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33,
           0x22, 0x11);
    ASM_IS("movabs rax, 1", 0x48, 0xB8, 0x01, 0, 0, 0, 0, 0, 0, 0);
    ASM_IS("movabs al, [0x1122334455667788]", 0xA0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22,
           0x11);
    ASM_IS("movabs qword ptr [0x10], rax", 0x48, 0xA3, 0x10, 0, 0, 0, 0, 0, 0, 0);
    /* mov with a value only 64 bits hold picks the same form by itself. */
    ASM_IS("mov rax, 0x1122334455667788", 0x48, 0xB8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33,
           0x22, 0x11);
}

static void prefixes(void **state)
{
    (void)state;
    ASM_IS("lock inc qword ptr [rax]", 0xF0, 0x48, 0xFF, 0x00);
    ASM_IS("rep stosb", 0xF3, 0xAA);
    ASM_IS("rep movsq", 0xF3, 0x48, 0xA5);
    ASM_IS("rep cmpsb", 0xF3, 0xA6); /* rep before cmps is repe */
    ASM_IS("repe cmpsb", 0xF3, 0xA6);
    ASM_IS("repz scasb", 0xF3, 0xAE);
    ASM_IS("repne scasb", 0xF2, 0xAE);
    ASM_IS("repnz cmpsb", 0xF2, 0xA6);
    ASM_IS("bnd jmp rax", 0xF2, 0xFF, 0xE0);
    ASM_IS("notrack jmp rax", 0x3E, 0xFF, 0xE0);
    ASM_IS("xacquire lock add dword ptr [rax], 1", 0xF0, 0xF2, 0x83, 0x00, 0x01);
}

static void condition_code_synonyms(void **state)
{
    (void)state;
    ASM_IS("je l; jz l; l:", 0x74, 0x02, 0x74, 0x00);
    ASM_IS("ja l; jnbe l; l:", 0x77, 0x02, 0x77, 0x00);
    ASM_IS("jc l; jnae l; jb l; l:", 0x72, 0x04, 0x72, 0x02, 0x72, 0x00);
    ASM_IS("jge l; jnl l; l:", 0x7D, 0x02, 0x7D, 0x00);
    ASM_IS("setae al", 0x0F, 0x93, 0xC0);
    ASM_IS("sete al", 0x0F, 0x94, 0xC0);
    ASM_IS("cmovc rax, rbx", 0x48, 0x0F, 0x42, 0xC3);
    ASM_IS("cmovg eax, ecx", 0x0F, 0x4F, 0xC1);
    ASM_IS("fcmovz st0, st1", 0xDA, 0xC9);
    ASM_IS("loopz l; l:", 0xE1, 0x00);
    ASM_IS("retf", 0xCB);
    ASM_IS("ret far 8", 0xCA, 0x08, 0x00);
}

/* ---- branches ------------------------------------------------------------------------------ */

static void branches_relax_from_short_to_near(void **state)
{
    struct hd_asm_result r;
    char text[1024];
    (void)state;

    /* 127 bytes ahead: short; 128: near. */
    for (int gap = 127; gap <= 128; gap++) {
        size_t k = (size_t)snprintf(text, sizeof(text), "jz l\n");
        for (int i = 0; i < gap; i++)
            k += (size_t)snprintf(text + k, sizeof(text) - k, "nop\n");
        snprintf(text + k, sizeof(text) - k, "l: ret");
        assert_int_equal(hd_asm_assemble(text, 0, &r, NULL), HD_OK);
        if (gap == 127) {
            assert_int_equal(r.size, 2 + 127 + 1);
            assert_int_equal(r.bytes[0], 0x74);
            assert_int_equal(r.bytes[1], 0x7F);
        } else {
            assert_int_equal(r.size, 6 + 128 + 1);
            assert_memory_equal(r.bytes, "\x0F\x84\x80\x00\x00\x00", 6);
        }
        hd_asm_free(&r);
    }
    /* Widening one branch pushes another out of reach: both end near. */
    size_t k = (size_t)snprintf(text, sizeof(text), "jmp a\njmp b\n");
    for (int i = 0; i < 124; i++)
        k += (size_t)snprintf(text + k, sizeof(text) - k, "nop\n");
    snprintf(text + k, sizeof(text) - k, "a: nop\nnop\nnop\nnop\nb: ret");
    assert_int_equal(hd_asm_assemble(text, 0, &r, NULL), HD_OK);
    assert_int_equal(r.bytes[0], 0xE9);
    assert_int_equal(r.bytes[5], 0xE9);
    hd_asm_free(&r);
    /* Forced widths; call and xbegin have rel32 only. */
    ASM_IS("jmp short l; l:", 0xEB, 0x00);
    ASM_IS("jmp near l; l:", 0xE9, 0x00, 0x00, 0x00, 0x00);
    ASM_IS("call l; l:", 0xE8, 0x00, 0x00, 0x00, 0x00);
    ASM_IS("xbegin l; l:", 0xC7, 0xF8, 0x00, 0x00, 0x00, 0x00);
    ASM_IS("jrcxz l; l:", 0xE3, 0x00);
    /* A number is an offset in the output, as hdevent disasm prints targets. */
    ASM_IS("jmp 0x12", 0xEB, 0x10);
    ASM_IS("nop; jz 0", 0x90, 0x74, 0xFD);
    ASM_IS("call 0x5", 0xE8, 0x00, 0x00, 0x00, 0x00);
}

/* ---- data and EVEX -------------------------------------------------------------------------- */

static void data_directives(void **state)
{
    (void)state;
    ASM_IS("db 1, 2, 0xFF, -1", 0x01, 0x02, 0xFF, 0xFF);
    ASM_IS("db 'HDBG', 0", 0x48, 0x44, 0x42, 0x47, 0x00);
    ASM_IS("db \"a\\n\\t\\r\\0\\\\\\\"\\'\\x41\"", 0x61, 0x0A, 0x09, 0x0D, 0x00, 0x5C, 0x22, 0x27,
           0x41);
    ASM_IS("dw 0x1234, -1", 0x34, 0x12, 0xFF, 0xFF);
    ASM_IS("dd 0x32424448", 0x48, 0x44, 0x42, 0x32);
    ASM_IS("dq -2", 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF);
    ASM_IS("DB 1", 0x01);
}

static void evex_decorators(void **state)
{
    (void)state;
    ASM_IS("vaddps zmm0 {k1} {z}, zmm1, zmmword ptr [rax]", 0x62, 0xF1, 0x74, 0xC9, 0x58, 0x00);
    ASM_IS("vaddps zmm0 {k1}{z}, zmm1, zmmword ptr [rax]", 0x62, 0xF1, 0x74, 0xC9, 0x58, 0x00);
    ASM_IS("vaddps zmm0, zmm1, dword ptr [rax] {1to16}", 0x62, 0xF1, 0x74, 0x58, 0x58, 0x00);
    ASM_IS("vaddps zmm0, zmm1, zmm2 {rn-sae}", 0x62, 0xF1, 0x74, 0x18, 0x58, 0xC2);
    ASM_IS("vaddps zmm0, zmm1, zmm2, {rn-sae}", 0x62, 0xF1, 0x74, 0x18, 0x58, 0xC2);
    ASM_IS("vcmpps k1 {k2}, zmm0, zmm1, 0x01", 0x62, 0xF1, 0x7C, 0x4A, 0xC2, 0xC9, 0x01);
    /* xmm16 and up exist only in EVEX: the mask operand is added by itself. */
    ASM_IS("vaddps xmm16, xmm1, xmm2", 0x62, 0xE1, 0x74, 0x08, 0x58, 0xC2);
}

/* ---- the result --------------------------------------------------------------------------- */

static void lines_say_which_statement_made_which_bytes(void **state)
{
    const char *text = "start:\n  xor eax, eax ; inc eax\n\n done: ret\n db 1, 2";
    struct hd_asm_result r;
    static const struct {
        uint32_t line, column, offset, size;
        const char *text;
    } want[] = {
        {1, 1, 0, 0, "start:"}, {2, 3, 0, 2, "xor eax, eax"}, {2, 18, 2, 2, "inc eax"},
        {4, 2, 4, 1, "done: ret"}, {5, 2, 5, 2, "db 1, 2"},
    };
    (void)state;

    assert_int_equal(hd_asm_assemble(text, 0, &r, NULL), HD_OK);
    assert_int_equal(r.size, 7);
    assert_int_equal(r.line_count, 5);
    for (unsigned i = 0; i < 5; i++) {
        const struct hd_asm_line *l = &r.lines[i];
        assert_int_equal(l->line, want[i].line);
        assert_int_equal(l->column, want[i].column);
        assert_int_equal(l->offset, want[i].offset);
        assert_int_equal(l->size, want[i].size);
        assert_int_equal(l->text_length, strlen(want[i].text));
        assert_memory_equal(text + l->text_offset, want[i].text, l->text_length);
    }
    hd_asm_free(&r);

    /* Only labels: no bytes at all. */
    assert_int_equal(hd_asm_assemble("a: b:", 0, &r, NULL), HD_OK);
    assert_int_equal(r.size, 0);
    assert_null(r.bytes);
    assert_int_equal(r.line_count, 1);
    hd_asm_free(&r);
}

static void api_edges(void **state)
{
    struct hd_asm_result r;
    struct hd_asm_error e;
    char msg[256];
    (void)state;

    assert_int_equal(hd_asm_assemble(NULL, 0, &r, &e), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(e.line, 0);
    assert_string_equal(e.message, "no assembly text");
    assert_int_equal(hd_asm_assemble("nop", 0, NULL, &e), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_asm_assemble("nop", 0, &r, NULL), HD_OK);
    hd_asm_free(&r);
    /* len: the text need not end in a NUL; "nop; garbage" cut after "nop". */
    assert_int_equal(hd_asm_assemble("nop; garbage", 3, &r, NULL), HD_OK);
    assert_int_equal(r.size, 1);
    hd_asm_free(&r);
    /* A failed assembly leaves the result zeroed. */
    memset(&r, 0xA5, sizeof(r));
    assert_int_equal(hd_asm_assemble("movx", 0, &r, NULL), HD_ERR_INVALID_ARGUMENT);
    assert_null(r.bytes);
    assert_null(r.lines);
    assert_int_equal(r.size, 0);
    hd_asm_free(&r);
    hd_asm_free(&r);
    hd_asm_free(NULL);
    /* The error formatter cuts to the buffer and takes no text. */
    assert_int_equal(hd_asm_assemble("nop\n  movx eax", 0, &r, &e), HD_ERR_INVALID_ARGUMENT);
    hd_asm_error_format(&e, "nop\n  movx eax", 0, msg, sizeof(msg));
    assert_non_null(strstr(msg, "line 2, column 3: 'movx': unknown mnemonic"));
    assert_non_null(strstr(msg, "\n  movx eax\n  ^^^^"));
    hd_asm_error_format(&e, NULL, 0, msg, sizeof(msg));
    assert_null(strchr(msg, '\n'));
    hd_asm_error_format(&e, "nop\n  movx eax", 0, msg, 10);
    assert_int_equal(strlen(msg), 9);
    hd_asm_error_format(NULL, NULL, 0, msg, sizeof(msg));
    assert_string_equal(msg, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hyperdbg_doc_condition_assembles_to_the_doc_bytes),
        cmocka_unit_test(hyperdbg_doc_custom_code_assembles_to_the_doc_bytes),
        cmocka_unit_test(statements_end_at_semicolons_and_newlines),
        cmocka_unit_test(labels_go_forward_and_backward),
        cmocka_unit_test(numbers_are_decimal_unless_hex),
        cmocka_unit_test(registers_of_every_size_and_kind),
        cmocka_unit_test(memory_operands),
        cmocka_unit_test(segment_overrides),
        cmocka_unit_test(rip_relative_addresses),
        cmocka_unit_test(movabs_is_the_64_bit_form),
        cmocka_unit_test(prefixes),
        cmocka_unit_test(condition_code_synonyms),
        cmocka_unit_test(branches_relax_from_short_to_near),
        cmocka_unit_test(data_directives),
        cmocka_unit_test(evex_decorators),
        cmocka_unit_test(lines_say_which_statement_made_which_bytes),
        cmocka_unit_test(api_edges),
    };
    return cmocka_run_group_tests_name("assembler", tests, NULL, NULL);
}
