/* SPDX-License-Identifier: MIT */
/*
 * The one place libhdevent/user sets up Zydis: a 64-bit decoder and an Intel-syntax
 * formatter, shared by validation (code_validate.c) and disassembly (code_disasm.c).
 */
#ifndef HDEVENT_USER_CODE_ZYDIS_H
#define HDEVENT_USER_CODE_ZYDIS_H

#include <Zydis/Zydis.h>

#include <stddef.h>
#include <stdint.h>

/** A decoded instruction and its operands. */
struct hd_zydis_insn {
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
};

/**
 * Decode the instruction at @p offset of @p code (64-bit mode).
 * @return ZYAN_STATUS_SUCCESS, ZYDIS_STATUS_NO_MORE_DATA (truncated) or another failure.
 */
ZyanStatus hd__zydis_decode(const uint8_t *code, size_t size, uint32_t offset,
                           struct hd_zydis_insn *out);

/**
 * Format @p d in Intel syntax into @p buf; relative branch targets are shown as offsets from
 * the start of the buffer (the instruction is at @p offset). Never fails: an empty string
 * is written if Zydis cannot format it.
 */
void hd__zydis_format(const struct hd_zydis_insn *d, uint32_t offset, char *buf, size_t cap);

#endif /* HDEVENT_USER_CODE_ZYDIS_H */
