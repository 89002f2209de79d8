/* SPDX-License-Identifier: MIT */
/*
 * The leaf test (hd__code_is_leaf, libhdevent/core/code_leaf.c): raw code it accepts is called
 * straight from C, without the trampoline, so a wrong "yes" corrupts the dispatcher's
 * registers. Two checks: hand-picked encodings each rule is about, and random instruction
 * sequences whose every accepted one is checked against Zydis's own operand lists (no
 * callee-saved register of either ABI written, rsp never touched, no SIMD or x87 register,
 * DF untouched, jumps land on instruction starts inside the buffer, the last instruction
 * ends the path).
 */
#include "helpers.h"

#include <Zydis/Zydis.h>
#include <stdio.h>
#include <string.h>

#include "internal/arch.h"

static bool leaf(const uint8_t *code, size_t size)
{
    return hd__code_is_leaf(code, (uint32_t)size);
}

#define LEAF(...)                                                                              \
    do {                                                                                       \
        static const uint8_t c_[] = {__VA_ARGS__};                                             \
        assert_true(leaf(c_, sizeof(c_)));                                                     \
    } while (0)
#define NOT_LEAF(...)                                                                          \
    do {                                                                                       \
        static const uint8_t c_[] = {__VA_ARGS__};                                             \
        assert_false(leaf(c_, sizeof(c_)));                                                    \
    } while (0)

static void accepts_plain_integer_code(void **state)
{
    (void)state;
    LEAF(0xC3);                                           /* ret */
    LEAF(0x31, 0xC0, 0xC3);                               /* xor eax, eax */
    LEAF(0x48, 0x8B, 0x01, 0xC3);                         /* mov rax, [rcx] */
    LEAF(0x48, 0x89, 0x51, 0x08, 0xC3);                   /* mov [rcx+8], rdx */
    LEAF(0x48, 0xC7, 0x01, 0x55, 0x00, 0x00, 0x00, 0xC3); /* mov qword [rcx], 0x55 */
    LEAF(0x4D, 0x8D, 0x04, 0x90, 0xC3);                   /* lea r8, [r8+rdx*4] */
    LEAF(0x48, 0x85, 0xC9, 0x74, 0x01, 0xC3, 0xC3);       /* test rcx,rcx; jz +1; ret; ret */
    LEAF(0x48, 0xF7, 0xE1, 0xC3);                         /* mul rcx (rax, rdx) */
    LEAF(0x8A, 0xE1, 0xC3);                               /* mov ah, cl */
    LEAF(0x49, 0x8B, 0x04, 0x24, 0xC3);                   /* mov rax, [r12] (read only) */
    LEAF(0x48, 0x8B, 0x05, 0x00, 0x00, 0x00, 0x00, 0xC3); /* mov rax, [rip] */
    LEAF(0xEB, 0x00, 0xC3);                               /* jmp to the next instruction */
    /* The two-byte map (a review found it unreachable: 0x0F fell into the 0x00-0x3F row). */
    LEAF(0x0F, 0x94, 0xC0, 0xC3);                         /* sete al */
    LEAF(0x0F, 0xB6, 0xC0, 0xC3);                         /* movzx eax, al */
    LEAF(0x48, 0x0F, 0x44, 0xC1, 0xC3);                   /* cmove rax, rcx */
    LEAF(0x0F, 0x84, 0x00, 0x00, 0x00, 0x00, 0xC3);       /* je rel32 to the next */
    LEAF(0x0F, 0x1F, 0x00, 0xC3);                         /* nop dword [rax] */
    LEAF(0x48, 0x0F, 0xAF, 0xC1, 0xC3);                   /* imul rax, rcx */
    LEAF(0x48, 0x0F, 0xC8, 0xC3);                         /* bswap rax */
}

static void refuses_callee_saved_writes(void **state)
{
    (void)state;
    NOT_LEAF(0x31, 0xDB, 0xC3);             /* xor ebx, ebx */
    NOT_LEAF(0x48, 0x89, 0xC5, 0xC3);       /* mov rbp, rax */
    NOT_LEAF(0x48, 0x89, 0xC6, 0xC3);       /* mov rsi, rax (callee-saved on Windows) */
    NOT_LEAF(0x48, 0x89, 0xC7, 0xC3);       /* mov rdi, rax */
    NOT_LEAF(0x4D, 0x31, 0xE4, 0xC3);       /* xor r12, r12 */
    NOT_LEAF(0x49, 0xFF, 0xC7, 0xC3);       /* inc r15 */
    NOT_LEAF(0x88, 0xC7, 0xC3);             /* mov bh, al (no REX: bh is rbx) */
    NOT_LEAF(0x40, 0x88, 0xC6, 0xC3);       /* mov sil, al */
    NOT_LEAF(0x0F, 0x94, 0xC3, 0xC3);       /* sete bl */
    NOT_LEAF(0x48, 0x87, 0xD9, 0xC3);       /* xchg rcx, rbx */
    NOT_LEAF(0x93, 0xC3);                   /* xchg eax, ebx */
    NOT_LEAF(0x48, 0x0F, 0xCB, 0xC3);       /* bswap rbx */
}

static void refuses_the_stack_and_everything_unknown(void **state)
{
    (void)state;
    NOT_LEAF(0x50, 0x58, 0xC3);             /* push rax; pop rax */
    NOT_LEAF(0x48, 0x89, 0xE0, 0xC3);       /* mov rax, rsp */
    NOT_LEAF(0x48, 0x83, 0xC4, 0x08, 0xC3); /* add rsp, 8 */
    NOT_LEAF(0x48, 0x8B, 0x04, 0x24, 0xC3); /* mov rax, [rsp] */
    NOT_LEAF(0x48, 0x8B, 0x45, 0x00, 0xC3); /* mov rax, [rbp] */
    NOT_LEAF(0xE8, 0x00, 0x00, 0x00, 0x00, 0xC3); /* call */
    NOT_LEAF(0xFF, 0xD0, 0xC3);             /* call rax */
    NOT_LEAF(0xFD, 0xC3);                   /* std */
    NOT_LEAF(0xF3, 0xA4, 0xC3);             /* rep movsb */
    NOT_LEAF(0x66, 0x0F, 0xEF, 0xC0, 0xC3); /* pxor xmm0, xmm0 */
    NOT_LEAF(0x0F, 0x01, 0xC1, 0xC3);       /* vmcall */
    NOT_LEAF(0x31, 0xC0);                   /* falls off the end */
    NOT_LEAF(0x74, 0x00);                   /* a conditional jump last */
    NOT_LEAF(0xEB, 0x01, 0xB8, 0xC3, 0x00, 0x00, 0x00, 0xC3); /* into an immediate */
    NOT_LEAF(0xEB, 0x10, 0xC3);             /* out of the buffer */
    NOT_LEAF(0xEB, 0xFC, 0xC3);             /* before the buffer */
    assert_false(leaf(NULL, 1));
    {
        static uint8_t big[300];
        memset(big, 0x90, sizeof(big));
        big[sizeof(big) - 1] = 0xC3;
        assert_false(leaf(big, sizeof(big))); /* too long to matter */
    }
}

/* ---- random sequences against Zydis ------------------------------------------------------ */

static uint64_t rng = 0x243F6A8885A308D3ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* Opcodes the leaf decoder knows, and a few it must refuse, to draw instructions from. */
static const uint8_t first_bytes[] = {
    0x01, 0x03, 0x08, 0x0B, 0x21, 0x23, 0x29, 0x2B, 0x31, 0x33, 0x39, 0x3B, 0x05, 0x0F, 0x0F,
    0x0F, 0x0F, 0x63, 0x69, 0x6B, 0x74, 0x75, 0x80, 0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88,
    0x89, 0x8A, 0x8B, 0x8B, 0x8B, 0x8D, 0x90, 0x91, 0x93, 0x97, 0x98, 0x99, 0xA8, 0xA9, 0xB0,
    0xB3, 0xB4, 0xB8, 0xBB, 0xBF, 0xC0, 0xC1, 0xC6, 0xC7, 0xD1, 0xD3, 0xEB, 0xF6, 0xF7, 0xFE,
    0xFF, 0x50, 0x5B, 0xFC, 0xFD, 0xE8, 0x9C, 0x9D, 0xA4, 0xAB,
};
static const uint8_t second_bytes[] = {
    0x1F, 0x40, 0x44, 0x4F, 0x84, 0x85, 0x94, 0x95, 0x9F, 0xA3, 0xAF, 0xB6, 0xB7, 0xBC, 0xBD,
    0xBE, 0xBF, 0xC8, 0xCB, 0xCF, 0xA2, 0x31, 0x05, 0xEF, 0x10, 0x01,
};

static ZydisDecoder decoder;

/* Append one random instruction Zydis can decode; false when none was found this time. */
static bool append_insn(uint8_t *code, size_t *len, size_t cap)
{
    uint8_t buf[16];
    size_t n = 0;
    ZydisDecodedInstruction insn;

    if (rnd() % 3 == 0)
        buf[n++] = (uint8_t)(0x40 + rnd() % 16);
    buf[n] = first_bytes[rnd() % sizeof(first_bytes)];
    if (buf[n++] == 0x0F)
        buf[n++] = second_bytes[rnd() % sizeof(second_bytes)];
    while (n < sizeof(buf))
        buf[n++] = (uint8_t)rnd();
    if (rnd() % 2) /* short jumps: keep them near, so that some land inside */
        buf[buf[0] >= 0x40 && buf[0] <= 0x4F ? 2 : 1] = (uint8_t)(rnd() % 9 - 4);
    if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(&decoder, NULL, buf, sizeof(buf), &insn)) ||
        *len + insn.length > cap)
        return false;
    memcpy(code + *len, buf, insn.length);
    *len += insn.length;
    return true;
}

static bool reg_is(ZydisRegister r, ZydisRegister want)
{
    return r != ZYDIS_REGISTER_NONE &&
           ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r) == want;
}

/* What a leaf may write: rax, rcx, rdx, r8-r11, the flags (not DF) and rip. */
static bool writable(ZydisRegister r)
{
    static const ZydisRegister ok[] = {
        ZYDIS_REGISTER_RAX, ZYDIS_REGISTER_RCX, ZYDIS_REGISTER_RDX, ZYDIS_REGISTER_R8,
        ZYDIS_REGISTER_R9,  ZYDIS_REGISTER_R10, ZYDIS_REGISTER_R11,
    };
    ZydisRegisterClass c = ZydisRegisterGetClass(r);
    if (c == ZYDIS_REGCLASS_FLAGS || c == ZYDIS_REGCLASS_IP)
        return true; /* DF is checked on its own */
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (reg_is(r, ok[i]))
            return true;
    return false;
}

static bool gpr_or_flags(ZydisRegister r)
{
    ZydisRegisterClass c = ZydisRegisterGetClass(r);
    return c == ZYDIS_REGCLASS_GPR8 || c == ZYDIS_REGCLASS_GPR16 || c == ZYDIS_REGCLASS_GPR32 ||
           c == ZYDIS_REGCLASS_GPR64 || c == ZYDIS_REGCLASS_FLAGS || c == ZYDIS_REGCLASS_IP;
}

/* Zydis's view of code the leaf test accepted: fails the test on anything unsafe. */
static void check_with_zydis(const uint8_t *code, size_t size)
{
    uint8_t starts[256] = {0}, targets[256] = {0};
    ZydisMnemonic last = ZYDIS_MNEMONIC_INVALID;

    for (size_t at = 0; at < size;) {
        ZydisDecodedInstruction insn;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        assert_true(ZYAN_SUCCESS(
            ZydisDecoderDecodeFull(&decoder, code + at, size - at, &insn, ops)));
        starts[at] = 1;
        assert_int_equal(insn.cpu_flags ? insn.cpu_flags->modified & ZYDIS_CPUFLAG_DF : 0, 0);
        for (unsigned i = 0; i < insn.operand_count; i++) {
            const ZydisDecodedOperand *o = &ops[i];
            if (insn.mnemonic == ZYDIS_MNEMONIC_RET && insn.length == 1)
                break; /* the path's end: pops the return address the call pushed */
            if (o->type == ZYDIS_OPERAND_TYPE_REGISTER) {
                assert_true(gpr_or_flags(o->reg.value));
                if (reg_is(o->reg.value, ZYDIS_REGISTER_RSP)) {
                    print_message("uses %s at %zu:", ZydisRegisterGetString(o->reg.value), at);
                    for (size_t k = 0; k < size; k++)
                        print_message(" %02x", code[k]);
                    print_message("\n");
                    fail();
                }
                if ((o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) && !writable(o->reg.value)) {
                    print_message("writes %s at %zu:", ZydisRegisterGetString(o->reg.value), at);
                    for (size_t k = 0; k < size; k++)
                        print_message(" %02x", code[k]);
                    print_message("\n");
                    fail();
                }
            } else if (o->type == ZYDIS_OPERAND_TYPE_MEMORY) {
                assert_false(reg_is(o->mem.base, ZYDIS_REGISTER_RSP));
                assert_false(reg_is(o->mem.index, ZYDIS_REGISTER_RSP));
            } else if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && o->imm.is_relative) {
                ZyanU64 target;
                assert_true(ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&insn, o, at, &target)));
                assert_true(target < size);
                targets[target] = 1;
            }
        }
        last = insn.mnemonic;
        at += insn.length;
    }
    assert_true(last == ZYDIS_MNEMONIC_RET || last == ZYDIS_MNEMONIC_JMP);
    for (size_t i = 0; i < size; i++)
        assert_true(!targets[i] || starts[i]);
}

static void random_code_it_accepts_is_safe_by_zydis(void **state)
{
    uint32_t accepted = 0, tried = 0;
    (void)state;
    assert_true(ZYAN_SUCCESS(
        ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)));
    for (uint32_t round = 0; round < 200000; round++) {
        uint8_t code[64];
        size_t len = 0;
        uint32_t count = 1 + rnd() % 4;
        for (uint32_t k = 0; k < count; k++)
            while (!append_insn(code, &len, sizeof(code) - 1))
                ;
        code[len++] = 0xC3;
        tried++;
        if (leaf(code, len)) {
            accepted++;
            check_with_zydis(code, len);
        }
    }
    printf("  %u of %u random sequences accepted as leaves, all safe by Zydis\n", accepted,
           tried);
    assert_true(accepted >= 1000); /* the check above ran on many, not on none */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_plain_integer_code),
        cmocka_unit_test(refuses_callee_saved_writes),
        cmocka_unit_test(refuses_the_stack_and_everything_unknown),
        cmocka_unit_test(random_code_it_accepts_is_safe_by_zydis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
