/* SPDX-License-Identifier: MIT */
/*
 * The assembler's errors (hdevent/asm.h, docs/asm.md#errors), as a table: the text, then the
 * line, column and token of the error and its exact message. Every error the assembler can
 * give is some row's message, or starts it (table_covers_every_error_form); the three it
 * cannot reach from text are left out and said why there. Each row is also checked for what
 * every failure must do: HD_ERR_INVALID_ARGUMENT, the result zeroed, the place inside the
 * text, the formatted error holding the line and a caret; and the same failure without an
 * error struct.
 */
#include "helpers.h"

#include <stdio.h>

#include <hdevent/asm.h>

struct asm_error_row {
    const char *text;
    uint32_t line, column;
    const char *token;
    const char *message;
};

/* clang-format off */
static const struct asm_error_row rows[] = {
    {"", 1, 1, "", "no instruction: the text is empty"},
    {" ; ;", 1, 1, "", "no instruction: the text is empty"},
    {"mov rax, bl", 1, 1, "mov rax, bl", "operand size mismatch: rax is 64-bit, bl is 8-bit"},
    {"movzx ax, rbx", 1, 1, "movzx ax, rbx", "operand size mismatch: ax is 16-bit, rbx is 64-bit"},
    {"movx eax, 1", 1, 1, "movx", "unknown mnemonic: expected an instruction Zydis knows (mov, jz, ...), a prefix (lock, rep, repne, ...), data (db, dw, dd, dq) or a label (name:)"},
    {"1abc", 1, 1, "1abc", "not a number: numbers are decimal (31), 0x hex (0x1F) or h-suffixed hex (1Fh)"},
    {"mov al, 256", 1, 9, "256", "immediate does not fit in 8 bits"},
    {"int 256", 1, 5, "256", "immediate too large for int"},
    {"add rax, 0xFFFFFFF8", 1, 10, "0xFFFFFFF8", "immediate does not fit: 64-bit operations take a 32-bit immediate, sign-extended (-0x80000000 to 0x7FFFFFFF); movabs loads any 64-bit value into a register"},
    {"xchg eax, eax", 1, 1, "xchg eax, eax", "Zydis encodes this as another instruction: the bytes decode as nop"},
    {"movabs rax, rbx", 1, 1, "movabs rax, rbx", "movabs takes a 64-bit register and a number (movabs rax, 0x1122334455667788), or al/ax/eax/rax and an address without registers (movabs rax, [0x1122334455667788])"},
    {"lock mov rax, rbx", 1, 1, "lock mov rax, rbx", "mov does not take this prefix"},
    {"call short l; l:", 1, 1, "call", "call has no short (rel8) form"},
    {"loop near l; l:", 1, 1, "loop", "loop has no near (rel32) form"},
    {"mov eax, [rax+0x100000000]", 1, 10, "[rax+0x100000000]", "displacement does not fit in 32 bits"},
    {"mov eax, [rsp*2]", 1, 10, "[rsp*2]", "rsp cannot be an index register"},
    {"dec [rax]", 1, 1, "dec [rax]", "ambiguous operand size: say byte ptr, word ptr, dword ptr or qword ptr"},
    {"movzx eax, [rbx]", 1, 1, "movzx eax, [rbx]", "ambiguous operand size: say byte ptr or word ptr"},
    {"mov rax, l; l:", 1, 10, "l", "a label is the target of a branch (jmp, jz, call, loop, ...) or an address [rip+label]; mov takes no label here"},
    {"jmp far l; l:", 1, 1, "jmp far l", "a far branch takes its target from memory: jmp far fword ptr [rax]"},
    {"nop short", 1, 1, "nop", "short and near go before the target of a branch: jmp short done"},
    {"jmp 0x100000000", 1, 5, "0x100000000", "target out of reach: 0x100000000 is 4294967291 bytes away, a rel32 branch reaches -2147483648 to 2147483647"},
    {"jmp nowhere", 1, 5, "nowhere", "undefined label: no 'nowhere:' in the text"},
    {"jmp Done; done:", 1, 5, "Done", "undefined label (labels are case-sensitive: 'done' is defined on line 1)"},
    {"x: nop\nx: nop", 2, 1, "x", "label defined twice (first on line 1)"},
    {"mov al, 99999999999999999999", 1, 9, "99999999999999999999", "number does not fit in 64 bits"},
    {"mov al, 12g", 1, 9, "12g", "not a number: numbers are decimal (31), 0x hex (0x1F) or h-suffixed hex (1Fh)"},
    {"db 'abc", 1, 4, "'abc", "string without its closing ' (a string ends on its line)"},
    {"mov al, ?", 1, 9, "?", "unexpected character: an instruction is a mnemonic and operands separated by commas"},
    {"db \"\\x4\"", 1, 5, "\\x", "\\x takes two hex digits (\\x0A)"},
    {"db \"\\q\"", 1, 5, "\\q", "unknown escape: strings take \\n \\t \\r \\0 \\\\ \\\" \\' and \\xNN"},
    {"vaddps zmm0, zmm1 {k1}, zmm2", 1, 19, "{k1}", "a write mask goes once, on the first operand: vaddps zmm0 {k1}, zmm1, zmm2"},
    {"vaddps zmm0 {z} {z}, zmm1, zmm2", 1, 17, "{z}", "{z} goes once, on the first operand, after its mask: vaddps zmm0 {k1} {z}, zmm1, zmm2"},
    {"vaddps zmm0, zmm1, zmm2 {1to16}", 1, 25, "{1to16}", "a broadcast goes once, on a memory operand: dword ptr [rax] {1to16}"},
    {"vaddps zmm0, zmm1, zmm2 {rn-sae} {sae}", 1, 34, "{sae}", "one rounding or {sae} per instruction"},
    {"vaddps zmm0, zmm1, zmm2 {dddd}", 1, 25, "{dddd}", "unknown decorator: expected {k1}..{k7}, {z}, {1to2}..{1to32}, {rn-sae}, {rd-sae}, {ru-sae}, {rz-sae} or {sae} (Knights Corner MVEX decorators are not supported)"},
    {"vaddps zmm0, zmm1, zmm2 {rn-sae", 1, 25, "{rn-sae", "decorator without its closing }: expected {k1}..{k7}, {z}, {1to2}..{1to32}, {rn-sae}, {rd-sae}, {ru-sae}, {rz-sae} or {sae} (Knights Corner MVEX decorators are not supported)"},
    {"mov rax, [rbx-rcx]", 1, 15, "rcx", "a register cannot be subtracted in an address"},
    {"mov rax, [rbx*]", 1, 15, "]", "expected a scale (1, 2, 4 or 8) after *"},
    {"mov rax, [rbx+rcx+rdx]", 1, 19, "rdx", "too many registers: an address takes a base and an index register"},
    {"mov rax, [rbx+ptr]", 1, 15, "ptr", "not allowed inside [...]: an address is base + index*scale + displacement"},
    {"mov rax, [rip+a+b]", 1, 17, "b", "an address takes one label, added: [rip+name]"},
    {"mov rax, [rbx+,]", 1, 15, ",", "expected a register, a number or a label inside [...]"},
    {"mov rax, [4*8]", 1, 13, "8", "expected an index register after the scale"},
    {"mov rax, [rbx", 1, 10, "[rbx", "address without its closing ]"},
    {"mov rax, [rbx rcx]", 1, 15, "rcx", "expected +, - or ] in the address"},
    {"mov rax, []", 1, 11, "]", "expected a register, a number or a label inside [...]"},
    {"mov rax, [rbx+l]; l:", 1, 15, "l", "a label in an address needs rip: [rip+name] (where the code will run is not known when it is assembled)"},
    {"mov rax, [rip+rcx]", 1, 10, "[rip+rcx]", "rip-relative addresses take no index register"},
    {"mov al, 1+", 1, 11, "", "expected a number"},
    {"mov rax, cs:[rax]", 1, 10, "cs", "64-bit mode ignores cs:, ds:, es: and ss: (only fs: and gs: move an address): leave it out"},
    {"mov rax, qword ptr rbx", 1, 10, "qword ptr rbx", "expected a memory operand [...] after the size or segment: qword ptr gs:[0x188]"},
    {"jmp l+1; l:", 1, 6, "+", "a branch goes to a label, not to a label plus an offset"},
    {"mov rax, ,", 1, 10, ",", "expected an operand: a register, memory ([rbx+0x10], qword ptr [rdx+0x40]), a number or a label"},
    {"db 1, x", 1, 7, "x", "db takes numbers and strings separated by commas"},
    {"dw 'ab'", 1, 4, "'ab'", "dw, dd and dq take numbers separated by commas"},
    {"db 1 2", 1, 6, "2", "expected , between values"},
    {"db 256", 1, 4, "256", "does not fit in 8 bits: db takes -128 to 255"},
    {"dw -32769", 1, 4, "-32769", "does not fit in 16 bits: dw takes -32768 to 65535"},
    {"rax: nop", 1, 1, "rax", "a register or operand keyword cannot name a label: choose another name"},
    {"mov rax rbx", 1, 9, "rbx", "expected , between operands or the end of the instruction"},
    {"lock lock inc qword ptr [rax]", 1, 6, "lock", "prefix given twice"},
    {"lock", 1, 1, "lock", "a prefix needs an instruction after it: rep stosb, lock inc qword ptr [rax]"},
    {"lock db 1", 1, 6, "db", "data takes no prefix"},
    {"nop; nop\n  \tmovx", 2, 4, "movx", "unknown mnemonic: expected an instruction Zydis knows (mov, jz, ...), a prefix (lock, rep, repne, ...), data (db, dw, dd, dq) or a label (name:)"},
    {"mov rax, [rbx*3]", 1, 15, "3", "a scale is 1, 2, 4 or 8"},
    {"mov rax, [rcx*2+rdx*2]", 1, 17, "rdx", "an address takes one index register"},
    {"mov rax, 1, 2, 3, 4, 5, 6", 1, 22, "5", "too many operands: an instruction has at most 5"},
    {"mov", 1, 1, "mov", "mov needs operands"},
    {"mov rax", 1, 1, "mov rax", "no form of mov takes these operands (r64)"},
    {"ret 1, 2", 1, 1, "ret 1, 2", "no form of ret takes these operands (imm, imm)"},
};
/* clang-format on */

static bool result_is_zero(const struct hd_asm_result *r)
{
    static const struct hd_asm_result zero;
    return memcmp(r, &zero, sizeof(zero)) == 0;
}

static void check_row(const char *text, const struct asm_error_row *w)
{
    struct hd_asm_result r;
    struct hd_asm_error e;
    char out[1024];
    size_t len = strlen(text);

    memset(&r, 0xA5, sizeof(r));
    if (hd_asm_assemble(text, 0, &r, &e) != HD_ERR_INVALID_ARGUMENT)
        fail_msg("'%s' assembled", text);
    assert_true(result_is_zero(&r));
    if (e.line != w->line || e.column != w->column || strcmp(e.token, w->token) != 0 ||
        strcmp(e.message, w->message) != 0)
        fail_msg("'%s': got line %u column %u token '%s' message '%s'", text, e.line, e.column,
                 e.token, e.message);
    assert_true(e.offset <= len && e.offset + e.length <= len);
    hd_asm_error_format(&e, text, 0, out, sizeof(out));
    snprintf(out + 512, 64, "line %u, column %u: ", w->line, w->column);
    assert_memory_equal(out, out + 512, strlen(out + 512));
    hd_asm_error_format(&e, text, 0, out, sizeof(out));
    assert_non_null(strchr(out, '^'));
    memset(&r, 0xA5, sizeof(r));
    assert_int_equal(hd_asm_assemble(text, 0, &r, NULL), HD_ERR_INVALID_ARGUMENT);
    assert_true(result_is_zero(&r));
}

static void every_row_fails_as_written(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        check_row(rows[i].text, &rows[i]);
}

/* Out of reach of a short loop: 129 bytes of data between the loop and its label. */
static void a_short_branch_that_cannot_reach(void **state)
{
    char text[512];
    size_t k = (size_t)snprintf(text, sizeof(text), "loop l; db 0");
    (void)state;
    for (int i = 1; i < 129; i++)
        k += (size_t)snprintf(text + k, sizeof(text) - k, ",0");
    snprintf(text + k, sizeof(text) - k, "; l:");
    struct asm_error_row w = {NULL, 1, 6, "l",
                              "target out of reach: 0x83 is 129 bytes away, a rel8 branch "
                              "reaches -128 to 127"};
    check_row(text, &w);
}

/* More than HD_ASM_MAX_BYTES: refused at the statement that crosses the limit. */
static void more_than_64_kib_is_too_long(void **state)
{
    size_t n = (HD_ASM_MAX_BYTES / 8 + 1) * 5;
    char *text = malloc(n + 1);
    (void)state;
    assert_non_null(text);
    for (size_t i = 0; i < n; i += 5)
        memcpy(text + i, "dq 0\n", 5);
    text[n] = '\0';
    struct asm_error_row w = {NULL, HD_ASM_MAX_BYTES / 8 + 1, 1, "dq 0",
                              "too long: the code would be more than 65536 bytes"};
    check_row(text, &w);
    free(text);
}

/* Every message the assembler has (each hd__asm_fail in libhdevent/user/asm*.c) starts some
 * row's. Not here, as no text reaches them: "address out of reach of a rip-relative
 * displacement" (the output is at most 64 KiB), "Zydis cannot encode this at its place" and
 * "encoded in N bytes where M were laid out" (the layout's own invariants); "out of memory"
 * is test_command_alloc_failure's. */
static void table_covers_every_error_form(void **state)
{
    static const char *const forms[] = {
        "no instruction: the text is empty", "operand size mismatch: ",
        "unknown mnemonic: ", "not a number: ", "immediate does not fit in ",
        "immediate too large for ", "immediate does not fit: 64-bit operations",
        "Zydis encodes this as another instruction: ", "movabs takes ",
        "mov does not take this prefix", "call has no short (rel8) form",
        "loop has no near (rel32) form", "displacement does not fit in 32 bits",
        "rsp cannot be an index register", "ambiguous operand size: ",
        "a label is the target of a branch", "a far branch takes its target from memory",
        "short and near go before", "target out of reach: ", "undefined label: no ",
        "undefined label (labels are case-sensitive", "label defined twice",
        "number does not fit in 64 bits", "string without its closing", "unexpected character",
        "\\x takes two hex digits", "unknown escape", "a write mask goes once",
        "{z} goes once", "a broadcast goes once", "one rounding or {sae} per instruction",
        "unknown decorator: ", "decorator without its closing }",
        "a register cannot be subtracted", "expected a scale", "too many registers",
        "not allowed inside [...]", "an address takes one label", "expected a register, a number",
        "expected an index register after the scale", "address without its closing ]",
        "expected +, - or ]", "a label in an address needs rip", "rip-relative addresses take no",
        "expected a number", "expected a memory operand [...] after", "a branch goes to a label",
        "64-bit mode ignores cs:",
        "expected an operand", "db takes numbers and strings", "dw, dd and dq take numbers",
        "expected , between values", "does not fit in 8 bits: db", "does not fit in 16 bits: dw",
        "a register or operand keyword cannot name a label", "expected , between operands",
        "prefix given twice", "a prefix needs an instruction after it", "data takes no prefix",
        "a scale is 1, 2, 4 or 8", "an address takes one index register", "too many operands",
        "mov needs operands", "no form of ",
    };
    (void)state;
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        bool found = false;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]) && !found; i++)
            found = strncmp(rows[i].message, forms[f], strlen(forms[f])) == 0;
        if (!found)
            fail_msg("no row for the error \"%s\"", forms[f]);
    }
}

/* Errors without a place: NULL arguments. */
static void errors_without_a_place(void **state)
{
    struct hd_asm_result r;
    struct hd_asm_error e;
    char out[256];
    (void)state;
    assert_int_equal(hd_asm_assemble(NULL, 0, &r, &e), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(e.line, 0);
    assert_string_equal(e.token, "");
    hd_asm_error_format(&e, "nop", 0, out, sizeof(out));
    assert_string_equal(out, "no assembly text");
    assert_int_equal(hd_asm_assemble("nop", 0, NULL, &e), HD_ERR_INVALID_ARGUMENT);
    assert_string_equal(e.message, "no struct hd_asm_result to fill");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_row_fails_as_written),
        cmocka_unit_test(a_short_branch_that_cannot_reach),
        cmocka_unit_test(more_than_64_kib_is_too_long),
        cmocka_unit_test(table_covers_every_error_form),
        cmocka_unit_test(errors_without_a_place),
    };
    return cmocka_run_group_tests_name("assembler errors", tests, NULL, NULL);
}
