/* SPDX-License-Identifier: MIT */
/*
 * The script verifier (script_bytecode.h): bytecode comes from user mode, so before a script
 * is registered every byte of it is checked here, in a fixed order — header, sizes, register
 * file, globals, then each instruction's opcode, flags and operands — and the first rule
 * broken is the status. A program that passes cannot make the VM index outside its slots,
 * constants, strings or the engine's globals, jump outside itself, fall off its end, or hand
 * printf fewer arguments than its format reads: the VM (script_vm.c) relies on exactly these
 * facts and checks none of them again.
 *
 * Fields are read byte by byte as little-endian: the buffer may be unaligned user memory.
 */
#include "internal/le.h"
#include "internal/script.h"

static uint16_t rd16(const uint8_t *b, size_t off)
{
    return (uint16_t)(b[off] | b[off + 1] << 8);
}

/* ---- header, sizes, globals ---------------------------------------------------------------- */

static enum hd_status check_header(const uint8_t *b, size_t size, struct hd_script_info *i)
{
    uint64_t total;

    if (size < HD_SCRIPT_HEADER_SIZE || hd__le_rd32(b, HD_SCRIPT_H_MAGIC) != HD_SCRIPT_MAGIC ||
        rd16(b, HD_SCRIPT_H_VERSION) != HD_SCRIPT_VERSION ||
        rd16(b, HD_SCRIPT_H_HEADER_SIZE) != HD_SCRIPT_HEADER_SIZE ||
        hd__le_rd32(b, HD_SCRIPT_H_RESERVED) != 0)
        return HD_ERR_SCRIPT_HEADER;
    i->insn_count = hd__le_rd32(b, HD_SCRIPT_H_INSNS);
    i->const_count = hd__le_rd32(b, HD_SCRIPT_H_CONSTS);
    i->global_count = hd__le_rd32(b, HD_SCRIPT_H_GLOBALS);
    i->string_bytes = hd__le_rd32(b, HD_SCRIPT_H_STRINGS);
    i->slot_count = rd16(b, HD_SCRIPT_H_SLOTS);
    i->local_count = rd16(b, HD_SCRIPT_H_LOCALS);
    if (i->insn_count == 0 || i->insn_count > HD_SCRIPT_INSNS_MAX ||
        i->const_count > HD_SCRIPT_CONSTS_MAX || i->global_count > HD_SCRIPT_GLOBALS_MAX ||
        i->string_bytes > HD_SCRIPT_STRING_BYTES_MAX)
        return HD_ERR_SCRIPT_SIZE;
    /* 64-bit sum of 32-bit counts already bounded: it cannot wrap. */
    total = (uint64_t)HD_SCRIPT_HEADER_SIZE + (uint64_t)i->insn_count * HD_SCRIPT_INSN_SIZE +
            (uint64_t)i->const_count * 8 + (uint64_t)i->global_count * 4 + i->string_bytes;
    if (total != size)
        return HD_ERR_SCRIPT_SIZE;
    if (i->string_bytes && b[size - 1] != '\0')
        return HD_ERR_SCRIPT_SIZE; /* every string of the pool ends inside it */
    if (i->slot_count > HD_SCRIPT_SLOTS_MAX || i->local_count > i->slot_count)
        return HD_ERR_SCRIPT_STACK;
    return HD_OK;
}

static bool name_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

/* Length of the valid global name at string offset @off, or 0 when it is not one. */
static uint32_t name_length(const uint8_t *strings, uint32_t bytes, uint32_t off)
{
    uint32_t n = 0;
    if (off >= bytes)
        return 0;
    while (off + n < bytes && strings[off + n] && n <= HD_SCRIPT_NAME_MAX) {
        if (!name_char(strings[off + n]))
            return 0;
        n++;
    }
    return n <= HD_SCRIPT_NAME_MAX ? n : 0; /* the pool ends in NUL: the loop stopped at one */
}

static enum hd_status check_globals(const uint8_t *table, const uint8_t *strings,
                                    const struct hd_script_info *i)
{
    for (uint32_t g = 0; g < i->global_count; g++) {
        uint32_t off = hd__le_rd32(table, (size_t)g * 4);
        uint32_t len = name_length(strings, i->string_bytes, off);
        if (!len)
            return HD_ERR_SCRIPT_GLOBALS;
        for (uint32_t h = 0; h < g; h++) {
            uint32_t other = hd__le_rd32(table, (size_t)h * 4);
            if (name_length(strings, i->string_bytes, other) == len &&
                hd_memcmp(strings + off, strings + other, len) == 0)
                return HD_ERR_SCRIPT_GLOBALS;
        }
    }
    return HD_OK;
}

/* ---- instructions -------------------------------------------------------------------------- */

/* One operand of kind @kind holding @v; @op_flags the instruction's flags. */
static enum hd_status check_operand(enum hd_script_operand kind, uint32_t v, uint32_t flags,
                                    const struct hd_script_info *i)
{
    switch (kind) {
    case HD_SOPND_NONE:
        return v ? HD_ERR_SCRIPT_OPCODE : HD_OK;
    case HD_SOPND_SLOT:
    case HD_SOPND_ARGS:
        return v < i->slot_count ? HD_OK : HD_ERR_SCRIPT_OPERAND;
    case HD_SOPND_SLOTK:
        if (flags & HD_SCRIPT_K)
            return v < i->const_count ? HD_OK : HD_ERR_SCRIPT_OPERAND;
        return v < i->slot_count ? HD_OK : HD_ERR_SCRIPT_OPERAND;
    case HD_SOPND_CONST:
        return v < i->const_count ? HD_OK : HD_ERR_SCRIPT_OPERAND;
    case HD_SOPND_REG:
        return v < 16 ? HD_OK : HD_ERR_SCRIPT_OPERAND;
    case HD_SOPND_VIEW:
        return v <= HD_SCRIPT_VIEW_8H ? HD_OK : HD_ERR_SCRIPT_OPERAND;
    case HD_SOPND_PSEUDO:
        return v < HD_SCRIPT_PSEUDO_COUNT ? HD_OK : HD_ERR_SCRIPT_OPERAND;
    case HD_SOPND_GLOBAL:
        return v < i->global_count ? HD_OK : HD_ERR_SCRIPT_OPERAND;
    case HD_SOPND_TARGET:
        return v < i->insn_count ? HD_OK : HD_ERR_SCRIPT_JUMP;
    case HD_SOPND_STRING:
        return v < i->string_bytes ? HD_OK : HD_ERR_SCRIPT_OPERAND;
    case HD_SOPND_COUNT:
        return v <= HD_SCRIPT_PRINTF_ARGS_MAX ? HD_OK : HD_ERR_SCRIPT_PRINTF;
    case HD_SOPND_WIDTH:
        return v <= 3 ? HD_OK : HD_ERR_SCRIPT_OPERAND;
    case HD_SOPND_EVOP:
        return v <= HD_SCRIPT_EVENT_CLEAR ? HD_OK : HD_ERR_SCRIPT_OPERAND;
    case HD_SOPND_PAIR:
        return (uint64_t)v + 1 < i->slot_count ? HD_OK : HD_ERR_SCRIPT_STACK;
    }
    return HD_ERR_SCRIPT_OPCODE;
}

/* printf: the format is a string of the pool with exactly b conversions, and its b argument
 * slots lie inside the register file (b = 0: a must be 0). */
static enum hd_status check_printf(const uint8_t *strings, const struct hd_script_info *i,
                                   uint32_t fmt, uint32_t first, uint32_t count)
{
    int32_t n = hd__script_format_count((const char *)strings + fmt, i->string_bytes - fmt);
    if (n < 0 || (uint32_t)n != count)
        return HD_ERR_SCRIPT_PRINTF;
    if (count == 0 ? first != 0 : (uint64_t)first + count > i->slot_count)
        return HD_ERR_SCRIPT_STACK;
    return HD_OK;
}

static enum hd_status check_insn(const uint8_t *p, const uint8_t *strings,
                                 const struct hd_script_info *i)
{
    uint32_t op = p[0], flags = p[1];
    uint32_t v[3] = {rd16(p, 2), rd16(p, 4), rd16(p, 6)};

    if (op >= HD_SOP_COUNT)
        return HD_ERR_SCRIPT_OPCODE;
    if (flags & ~HD_SCRIPT_K ||
        ((flags & HD_SCRIPT_K) && hd_script_operand_kind(op, 2) != HD_SOPND_SLOTK))
        return HD_ERR_SCRIPT_OPCODE;
    /* Unused operands first (an encoding fault), then ranges. */
    for (unsigned f = 0; f < 3; f++)
        if (hd_script_operand_kind(op, f) == HD_SOPND_NONE && v[f])
            return HD_ERR_SCRIPT_OPCODE;
    for (unsigned f = 0; f < 3; f++) {
        enum hd_script_operand kind = hd_script_operand_kind(op, f);
        if (kind == HD_SOPND_ARGS && v[2] == 0)
            continue; /* no argument: check_printf wants a = 0 */
        HD_CHECK(check_operand(kind, v[f], flags, i));
    }
    if (op == HD_SOP_PRINTF)
        return check_printf(strings, i, v[0], v[1], v[2]);
    return HD_OK;
}

/* Every instruction, then the last one: a run must end in END or a jump, never fall off. */
static enum hd_status check_code(const uint8_t *insns, const uint8_t *strings,
                                 struct hd_script_info *i)
{
    uint8_t last;

    for (uint32_t k = 0; k < i->insn_count; k++) {
        enum hd_status st = check_insn(insns + (size_t)k * HD_SCRIPT_INSN_SIZE, strings, i);
        if (HD_FAILED(st)) {
            i->where = k;
            return st;
        }
    }
    last = insns[(size_t)(i->insn_count - 1) * HD_SCRIPT_INSN_SIZE];
    if (last != HD_SOP_END && last != HD_SOP_JMP) {
        i->where = i->insn_count - 1;
        return HD_ERR_SCRIPT_JUMP;
    }
    return HD_OK;
}

enum hd_status hd_script_verify(const void *code, size_t size, struct hd_script_info *info)
{
    const uint8_t *b = code;
    struct hd_script_info i;
    enum hd_status st;

    hd_memset(&i, 0, sizeof(i));
    i.where = HD_SCRIPT_WHERE_HEADER;
    if (!b && size)
        return HD_ERR_INVALID_ARGUMENT;
    st = b ? check_header(b, size, &i) : HD_ERR_SCRIPT_HEADER;
    if (HD_SUCCESS(st)) {
        /* The sections add up to size: every pointer below is inside the buffer. */
        const uint8_t *insns = b + HD_SCRIPT_HEADER_SIZE;
        const uint8_t *table =
            insns + (size_t)i.insn_count * HD_SCRIPT_INSN_SIZE + (size_t)i.const_count * 8;
        const uint8_t *strings = table + (size_t)i.global_count * 4;
        st = check_globals(table, strings, &i);
        if (HD_SUCCESS(st))
            st = check_code(insns, strings, &i);
    }
    if (info)
        *info = i;
    return st;
}
