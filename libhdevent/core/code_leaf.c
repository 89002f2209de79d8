/* SPDX-License-Identifier: MIT */
/*
 * Which raw code can be called without the trampoline (arch.h): a leaf that writes no
 * register either ABI calls callee-saved, touches neither the stack pointer nor DF, and ends
 * in a RET. Such code is called like a Windows x64 function straight from C (the compiler
 * saves nothing it does not use), which saves the trampoline's 16 pushes and pops per call.
 *
 * The kernel never runs Zydis, so this is a small decoder of its own, and it is
 * deliberately narrow: a linear sweep that accepts only the plain integer instructions
 * conditions and custom code are made of — mov, lea, movzx/movsx, the ALU group, test,
 * shifts, inc/dec/not/neg, mul/imul/div, cmov/setcc, bswap, nops, direct jumps and RET —
 * with at most a REX prefix. Anything else, any byte it does not know, any operand that is
 * rsp (or a memory operand based on rsp or rbp), any write to rbx, rbp, rsi, rdi or
 * r12-r15 (ah..bh count as their registers), a jump that does not land on an instruction
 * start inside the buffer, or a last instruction that could fall off the end says "not a
 * leaf", and the code keeps the trampoline. A wrong "no" costs a few cycles; a wrong "yes"
 * would corrupt the caller's registers, so every rule errs towards "no" (tests/unit/
 * test_code_leaf.c checks it against Zydis's own operand lists).
 */
#include "internal/engine.h"

/* Larger code keeps the trampoline: its cost does not matter next to the code's own. */
#define LEAF_MAX_BYTES 256u

#define R_RSP 4u
#define R_RBP 5u

/* rax, rcx, rdx, r8-r11: volatile in both ABIs, the only registers a leaf may write. */
#define VOLATILE_GPRS ((1u << 0) | (1u << 1) | (1u << 2) | (0xFu << 8))

struct leaf_scan {
    const uint8_t *code;
    uint32_t size;
    uint32_t at;                    /* next byte */
    uint8_t rex;                    /* the instruction's REX prefix, or 0 */
    uint8_t starts[LEAF_MAX_BYTES / 8]; /* instruction starts */
    uint8_t targets[LEAF_MAX_BYTES / 8]; /* jump targets */
};

/* The operands of a ModRM byte, as registers (0-15) the instruction reads or writes. */
struct modrm {
    uint32_t reg;   /* the reg field (REX.R included) */
    uint32_t rm;    /* the r/m register when !mem */
    bool mem;
};

static bool next(struct leaf_scan *s, uint8_t *b)
{
    if (s->at >= s->size)
        return false;
    *b = s->code[s->at++];
    return true;
}

static bool skip(struct leaf_scan *s, uint32_t n)
{
    if (s->size - s->at < n)
        return false;
    s->at += n;
    return true;
}

/* The 64-bit register an operand names: without REX, byte registers 4-7 are ah, ch, dh, bh. */
static uint32_t gpr(const struct leaf_scan *s, uint32_t n, bool byte)
{
    return byte && !s->rex && n >= 4 && n < 8 ? n - 4 : n;
}

static bool may_read(const struct leaf_scan *s, uint32_t n, bool byte)
{
    return gpr(s, n, byte) != R_RSP;
}

static bool may_write(const struct leaf_scan *s, uint32_t n, bool byte)
{
    return (VOLATILE_GPRS >> gpr(s, n, byte)) & 1u;
}

/* Decode ModRM (+ SIB + displacement); refuse memory based on rsp or rbp, or indexed by rsp. */
static bool modrm(struct leaf_scan *s, struct modrm *m)
{
    uint8_t b, sib;
    uint32_t mod, rm;

    if (!next(s, &b))
        return false;
    mod = b >> 6;
    rm = b & 7u;
    m->reg = ((b >> 3) & 7u) | (s->rex & 4u ? 8u : 0u);
    m->rm = rm | (s->rex & 1u ? 8u : 0u);
    m->mem = mod != 3;
    if (!m->mem)
        return true;
    if (rm == 4) { /* SIB */
        uint32_t base, index;
        if (!next(s, &sib))
            return false;
        base = (sib & 7u) | (s->rex & 1u ? 8u : 0u);
        index = ((sib >> 3) & 7u) | (s->rex & 2u ? 8u : 0u);
        if (index == R_RSP) /* 4 without REX.X means "no index": fine; r12 is 12 */
            index = 16;
        if ((sib & 7u) == 5 && mod == 0)
            return skip(s, 4); /* no base, disp32 */
        if (base == R_RSP || base == R_RBP)
            return false;
        (void)index;
    } else if (rm == 5 && mod == 0) {
        return skip(s, 4); /* rip + disp32 */
    } else if (m->rm == R_RSP || m->rm == R_RBP) {
        return false;
    }
    return skip(s, mod == 1 ? 1u : mod == 2 ? 4u : 0u);
}

/* An r/m operand: a register the rules allow, or memory (already checked by modrm()). */
static bool rm_ok(const struct leaf_scan *s, const struct modrm *m, bool byte, bool written)
{
    if (m->mem)
        return true;
    return may_read(s, m->rm, byte) && (!written || may_write(s, m->rm, byte));
}

static bool reg_ok(const struct leaf_scan *s, const struct modrm *m, bool byte, bool written)
{
    return may_read(s, m->reg, byte) && (!written || may_write(s, m->reg, byte));
}

/* A direct jump of @bytes displacement bytes: its target must be in the buffer. */
static bool jump(struct leaf_scan *s, uint32_t bytes)
{
    int32_t rel;
    int64_t target;

    if (s->size - s->at < bytes)
        return false;
    rel = bytes == 1 ? (int8_t)s->code[s->at]
                     : (int32_t)((uint32_t)s->code[s->at] | (uint32_t)s->code[s->at + 1] << 8 |
                                 (uint32_t)s->code[s->at + 2] << 16 |
                                 (uint32_t)s->code[s->at + 3] << 24);
    s->at += bytes;
    target = (int64_t)s->at + rel;
    if (target < 0 || target >= (int64_t)s->size)
        return false;
    s->targets[target >> 3] |= (uint8_t)(1u << (target & 7));
    return true;
}

/* r/m, r or r, r/m forms (@to_reg: the reg field is written), with @written false for cmp/test. */
static bool binary(struct leaf_scan *s, bool byte, bool to_reg, bool written)
{
    struct modrm m;
    if (!modrm(s, &m))
        return false;
    return to_reg ? reg_ok(s, &m, byte, written) && rm_ok(s, &m, byte, false)
                  : rm_ok(s, &m, byte, written) && reg_ok(s, &m, byte, false);
}

/* An r/m operand alone (groups), written or not, followed by @imm immediate bytes. */
static bool unary(struct leaf_scan *s, struct modrm *m, bool byte, bool written, uint32_t imm)
{
    if (!modrm(s, m))
        return false;
    return rm_ok(s, m, byte, written) && skip(s, imm);
}

/* The 0F map (no two-byte instruction ends a path). */
static bool two_byte(struct leaf_scan *s)
{
    struct modrm m;
    uint8_t op;

    if (!next(s, &op))
        return false;
    if (op >= 0x80 && op <= 0x8F) /* jcc rel32 */
        return jump(s, 4);
    if (op >= 0x40 && op <= 0x4F) /* cmovcc r, r/m */
        return binary(s, false, true, true);
    if (op >= 0x90 && op <= 0x9F) /* setcc r/m8 */
        return unary(s, &m, true, true, 0);
    if (op >= 0xC8 && op <= 0xCF) /* bswap r */
        return may_write(s, (op & 7u) | (s->rex & 1u ? 8u : 0u), false);
    switch (op) {
    case 0x1F: /* nop r/m */
        return unary(s, &m, false, false, 0) && (m.reg & 7u) == 0;
    case 0xA3: /* bt r/m, r */
        return binary(s, false, false, false);
    case 0xAF: /* imul r, r/m */
    case 0xBC: /* bsf */
    case 0xBD: /* bsr */
        return binary(s, false, true, true);
    case 0xB6: /* movzx r, r/m8 */
    case 0xBE: /* movsx r, r/m8 */
        if (!modrm(s, &m))
            return false;
        return reg_ok(s, &m, false, true) && rm_ok(s, &m, true, false);
    case 0xB7: /* movzx r, r/m16 */
    case 0xBF: /* movsx r, r/m16 */
        return binary(s, false, true, true);
    default:
        return false;
    }
}

/*
 * One instruction at s->at. @end: it ends the path (ret, jmp), so the sweep's last
 * instruction must be one. @return false when it is not one a leaf may contain.
 */
static bool insn(struct leaf_scan *s, bool *end)
{
    struct modrm m;
    uint8_t op;
    bool byte;

    *end = false;
    s->rex = 0;
    if (!next(s, &op))
        return false;
    if (op >= 0x40 && op <= 0x4F) {
        s->rex = op;
        if (!next(s, &op) || (op >= 0x40 && op <= 0x4F))
            return false;
    }
    if (op == 0x0F) /* before the 0x00-0x3F row it sits in: the two-byte map */
        return two_byte(s);
    if (op < 0x40) { /* add, or, adc, sbb, and, sub, xor, cmp */
        uint32_t form = op & 7u;
        bool cmp = (op >> 3) == 7;
        byte = (form & 1u) == 0;
        if (form < 4)
            return binary(s, byte, (form & 2u) != 0, !cmp);
        if (form < 6) /* al/eax, imm */
            return skip(s, form == 4 ? 1u : 4u);
        return false; /* segment prefixes, invalid opcodes */
    }
    if (op >= 0x70 && op <= 0x7F)
        return jump(s, 1);
    if (op >= 0x90 && op <= 0x97) /* xchg rax, r (0x90 without REX.B: nop) */
        return may_write(s, (op & 7u) | (s->rex & 1u ? 8u : 0u), false);
    if (op >= 0xB0 && op <= 0xB7) /* mov r8, imm8 */
        return may_write(s, (op & 7u) | (s->rex & 1u ? 8u : 0u), true) && skip(s, 1);
    if (op >= 0xB8 && op <= 0xBF) /* mov r, imm32 / imm64 */
        return may_write(s, (op & 7u) | (s->rex & 1u ? 8u : 0u), false) &&
               skip(s, s->rex & 8u ? 8u : 4u);
    switch (op) {
    case 0x63: /* movsxd r, r/m32 */
        return binary(s, false, true, true);
    case 0x69: /* imul r, r/m, imm32 */
    case 0x6B: /* imul r, r/m, imm8 */
        return binary(s, false, true, true) && skip(s, op == 0x69 ? 4u : 1u);
    case 0x80: /* group 1 r/m8, imm8 */
    case 0x81: /* group 1 r/m, imm32 */
    case 0x83: /* group 1 r/m, imm8 */
        if (!modrm(s, &m))
            return false;
        return rm_ok(s, &m, op == 0x80, (m.reg & 7u) != 7) && skip(s, op == 0x81 ? 4u : 1u);
    case 0x84: /* test r/m8, r8 */
    case 0x85: /* test r/m, r */
        return binary(s, op == 0x84, false, false);
    case 0x86: /* xchg r/m8, r8 */
    case 0x87: /* xchg r/m, r */
        if (!modrm(s, &m))
            return false;
        return rm_ok(s, &m, op == 0x86, true) && reg_ok(s, &m, op == 0x86, true);
    case 0x88: /* mov r/m8, r8 */
    case 0x89: /* mov r/m, r */
        return binary(s, op == 0x88, false, true);
    case 0x8A: /* mov r8, r/m8 */
    case 0x8B: /* mov r, r/m */
        return binary(s, op == 0x8A, true, true);
    case 0x8D: /* lea r, m */
        if (!modrm(s, &m))
            return false;
        return m.mem && reg_ok(s, &m, false, true);
    case 0x98: /* cbw / cwde / cdqe */
    case 0x99: /* cwd / cdq / cqo */
        return true;
    case 0xA8: /* test al, imm8 */
        return skip(s, 1);
    case 0xA9: /* test eax, imm32 */
        return skip(s, 4);
    case 0xC0: /* group 2 r/m8, imm8 */
    case 0xC1: /* group 2 r/m, imm8 */
    case 0xD0: /* group 2 r/m8, 1 */
    case 0xD1: /* group 2 r/m, 1 */
    case 0xD2: /* group 2 r/m8, cl */
    case 0xD3: /* group 2 r/m, cl */
        byte = (op & 1u) == 0;
        if (!unary(s, &m, byte, true, op <= 0xC1 ? 1u : 0u))
            return false;
        return (m.reg & 7u) != 6; /* /6 has no documented meaning */
    case 0xC3:
        *end = true;
        return true;
    case 0xC6: /* mov r/m8, imm8 */
    case 0xC7: /* mov r/m, imm32 */
        return unary(s, &m, op == 0xC6, true, op == 0xC6 ? 1u : 4u) && (m.reg & 7u) == 0;
    case 0xE9: /* jmp rel32 */
    case 0xEB: /* jmp rel8 */
        *end = true;
        return jump(s, op == 0xE9 ? 4u : 1u);
    case 0xF6: /* group 3 r/m8 */
    case 0xF7: /* group 3 r/m */
        byte = op == 0xF6;
        if (!modrm(s, &m))
            return false;
        switch (m.reg & 7u) {
        case 0: /* test r/m, imm */
            return rm_ok(s, &m, byte, false) && skip(s, byte ? 1u : 4u);
        case 2: /* not */
        case 3: /* neg */
            return rm_ok(s, &m, byte, true);
        case 4: /* mul, imul, div, idiv: rax and rdx */
        case 5:
        case 6:
        case 7:
            return rm_ok(s, &m, byte, false);
        default:
            return false;
        }
    case 0xFE: /* inc / dec r/m8 */
    case 0xFF: /* inc / dec r/m (the rest of group 5 calls, jumps or pushes) */
        return unary(s, &m, op == 0xFE, true, 0) && (m.reg & 7u) <= 1;
    default:
        return false;
    }
}

bool hd__code_is_leaf(const uint8_t *code, uint32_t size)
{
    struct leaf_scan s;
    bool end = false;

    if (!code || size == 0 || size > LEAF_MAX_BYTES)
        return false;
    hd_memset(&s, 0, sizeof(s));
    s.code = code;
    s.size = size;
    while (s.at < size) {
        s.starts[s.at >> 3] |= (uint8_t)(1u << (s.at & 7));
        if (!insn(&s, &end))
            return false;
    }
    if (!end) /* the last instruction would fall through past the buffer */
        return false;
    for (uint32_t i = 0; i < sizeof(s.targets); i++)
        if (s.targets[i] & ~s.starts[i])
            return false; /* a jump into the middle of an instruction */
    return true;
}
