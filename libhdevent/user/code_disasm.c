/* SPDX-License-Identifier: MIT */
/*
 * Disassembly of raw code for display (hdevent/code.h), and the Zydis set-up that
 * validation shares (code_zydis.h).
 */
#include "code_zydis.h"

#include <hdevent/code.h>

#include <stdio.h>
#include <string.h>

/* Zydis decoders and formatters are plain values, cheap to initialise: no global state,
 * so the functions here are safe to call from any thread. */
ZyanStatus hd__zydis_decode(const uint8_t *code, size_t size, uint32_t offset,
                           struct hd_zydis_insn *out)
{
    ZydisDecoder decoder;
    ZyanStatus st = ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);

    if (!ZYAN_SUCCESS(st))
        return st;
    return ZydisDecoderDecodeFull(&decoder, code + offset, size - offset, &out->insn, out->ops);
}

/* mov with a 64-bit immediate (REX.W B8+r) or a 64-bit address (A0-A3): the forms GAS and
 * objdump call movabs. Zydis prints both as "mov", which reads back as the short forms. */
static bool is_movabs(const ZydisDecodedInstruction *insn)
{
    if (insn->mnemonic != ZYDIS_MNEMONIC_MOV)
        return false;
    if (insn->raw.imm[0].size == 64)
        return true;
    return insn->opcode >= 0xA0 && insn->opcode <= 0xA3 && insn->raw.disp.size == 64;
}

void hd__zydis_format(const struct hd_zydis_insn *d, uint32_t offset, char *buf, size_t cap)
{
    ZydisFormatter f;

    buf[0] = 0;
    if (!ZYAN_SUCCESS(ZydisFormatterInit(&f, ZYDIS_FORMATTER_STYLE_INTEL)))
        return;
    /* "jz 0x12", not "jz 0x0000000000000012": offsets into a small buffer. */
    ZydisFormatterSetProperty(&f, ZYDIS_FORMATTER_PROP_ADDR_PADDING_ABSOLUTE,
                              ZYDIS_PADDING_DISABLED);
    /* Every memory operand with its size: Zydis 4.0 leaves it out of one-operand forms
     * ("dec [rax]" is any of four instructions), and the assembler (asm.h) must read back
     * exactly what is printed here. */
    ZydisFormatterSetProperty(&f, ZYDIS_FORMATTER_PROP_FORCE_SIZE, ZYAN_TRUE);
    /* [rip+0x10], not the absolute [0x17]: the code runs at an address unknown here, and
     * [0x17] would read back as an absolute address. */
    ZydisFormatterSetProperty(&f, ZYDIS_FORMATTER_PROP_FORCE_RELATIVE_RIPREL, ZYAN_TRUE);
    /* Runtime address = the offset: a "jz" then prints its target as an offset into the
     * buffer, which is what a reader of a condition wants to see. */
    if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&f, &d->insn, d->ops,
                                                      d->insn.operand_count_visible, buf, cap,
                                                      offset, NULL))) {
        buf[0] = 0;
        return;
    }
    size_t n = strlen(buf);
    if (is_movabs(&d->insn) && strncmp(buf, "mov ", 4) == 0 && n + 3 < cap) {
        memmove(buf + 6, buf + 3, n - 3 + 1);
        memcpy(buf, "movabs", 6);
    }
}

enum hd_status hd_code_disasm(const void *code, size_t size, uint32_t offset,
                              struct hd_code_insn *out)
{
    const uint8_t *p = code;
    struct hd_zydis_insn d;
    ZyanStatus st;

    if (!out || (!code && size))
        return HD_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof(*out));
    if (offset >= size)
        return HD_EMPTY;
    out->offset = offset;
    st = hd__zydis_decode(p, size, offset, &d);
    if (ZYAN_SUCCESS(st)) {
        out->valid = true;
        out->length = d.insn.length;
        hd__zydis_format(&d, offset, out->text, sizeof(out->text));
    } else if (st == ZYDIS_STATUS_NO_MORE_DATA) {
        out->length = (uint32_t)(size - offset);
        snprintf(out->text, sizeof(out->text), "(truncated: %u byte%s)", out->length,
                 out->length == 1 ? "" : "s");
    } else {
        out->length = 1;
        snprintf(out->text, sizeof(out->text), "(bad) db 0x%02X", p[offset]);
    }
    return HD_OK;
}

const char *hd_code_finding_name(enum hd_code_finding_kind kind)
{
    static const char *const names[] = {
        [HD_CODE_EMPTY] = "empty",
        [HD_CODE_TRUNCATED] = "truncated",
        [HD_CODE_INVALID] = "invalid",
        [HD_CODE_RUNS_OFF_END] = "runs-off-end",
        [HD_CODE_BRANCH_OUTSIDE] = "branch-outside",
        [HD_CODE_BRANCH_MISPLACED] = "branch-misplaced",
        [HD_CODE_PRIVILEGED] = "privileged",
        [HD_CODE_INDIRECT_BRANCH] = "indirect-branch",
        [HD_CODE_SIMD] = "simd",
        [HD_CODE_FORBIDDEN] = "forbidden",
        [HD_CODE_STACK_UNBALANCED] = "stack-unbalanced",
        [HD_CODE_STACK_UNTRACKED] = "stack-untracked",
        [HD_CODE_STACK_RANGE] = "stack-range",
        [HD_CODE_STACK_WRITE] = "stack-write",
        [HD_CODE_STACK_ESCAPE] = "stack-escape",
        [HD_CODE_LOOP] = "loop",
        [HD_CODE_RECURSION] = "recursion",
        [HD_CODE_TOO_COMPLEX] = "too-complex",
    };
    _Static_assert(sizeof(names) / sizeof(names[0]) == HD_CODE_TOO_COMPLEX + 1,
                   "a name per finding kind");

    if ((unsigned)kind >= sizeof(names) / sizeof(names[0]) || !names[kind])
        return "unknown";
    return names[kind];
}
