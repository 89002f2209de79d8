/* SPDX-License-Identifier: MIT */
/*
 * script_disasm.c — bytecode back to text, one instruction a line (hd_script_disasm). The
 * program is verified first, so every operand printed is in range.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../core/internal/le.h"
#include "script_internal.h"

static const char *const mnemonics[] = {
#define HD_SCRIPT_MNEMONIC_(name, value, mnemonic, d, a, b) mnemonic,
    HD_SCRIPT_OP_LIST(HD_SCRIPT_MNEMONIC_)
#undef HD_SCRIPT_MNEMONIC_
};

const char *const hd__script_views[5][16] = {
    {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
     "r13", "r14", "r15"},
    {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d",
     "r12d", "r13d", "r14d", "r15d"},
    {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w", "r12w",
     "r13w", "r14w", "r15w"},
    {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8l", "r9l", "r10l", "r11l", "r12l",
     "r13l", "r14l", "r15l"},
    {"ah", "ch", "dh", "bh", "bits 8-15 of rsp", "bits 8-15 of rbp", "bits 8-15 of rsi",
     "bits 8-15 of rdi", "bits 8-15 of r8", "bits 8-15 of r9", "bits 8-15 of r10",
     "bits 8-15 of r11", "bits 8-15 of r12", "bits 8-15 of r13", "bits 8-15 of r14",
     "bits 8-15 of r15"},
};

static const char *const pseudos[HD_SCRIPT_PSEUDO_COUNT] = {
    "$context", "$pid", "$tid", "$core", "$ip", "$buffer", "$event_id", "$event_tag",
    "$event_stage",
};

static const char *const event_ops[] = {"enable", "disable", "clear"};

/* Where the listing goes: as much as fits, and the full length. */
struct out {
    char *p;
    size_t cap, len;
};

static void put(struct out *o, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    for (int i = 0; i < n && i < (int)sizeof(buf) - 1; i++, o->len++)
        if (o->len + 1 < o->cap)
            o->p[o->len] = buf[i];
}

/* The program's sections, found once. */
struct prog {
    struct hd_script_info info;
    const uint8_t *code, *consts, *globals;
    const char *strings;
};

static void put_slot(struct out *o, const struct prog *p, uint32_t s)
{
    if (s < p->info.local_count)
        put(o, "l%u", s);
    else
        put(o, "t%u", s - p->info.local_count);
}

static void put_string(struct out *o, const char *s)
{
    put(o, "\"");
    for (; *s; s++) {
        if (*s == '\n')
            put(o, "\\n");
        else if (*s == '\t')
            put(o, "\\t");
        else if (*s == '"' || *s == '\\')
            put(o, "\\%c", *s);
        else
            put(o, "%c", *s);
    }
    put(o, "\"");
}

static void put_operand(struct out *o, const struct prog *p, enum hd_script_operand kind,
                        uint32_t v, uint32_t flags)
{
    switch (kind) {
    case HD_SOPND_SLOTK:
        if (flags & HD_SCRIPT_K) {
            put(o, "#0x%llx", (unsigned long long)hd__le_rd64(p->consts, (size_t)v * 8));
            break;
        }
        /* fall through */
    case HD_SOPND_SLOT:
        put_slot(o, p, v);
        break;
    case HD_SOPND_CONST:
        put(o, "#0x%llx", (unsigned long long)hd__le_rd64(p->consts, (size_t)v * 8));
        break;
    case HD_SOPND_REG:
        put(o, "@%s", hd__script_views[0][v]);
        break;
    case HD_SOPND_PSEUDO:
        put(o, "%s", pseudos[v]);
        break;
    case HD_SOPND_GLOBAL:
        put(o, ".%s", p->strings + hd__le_rd32(p->globals, (size_t)v * 4));
        break;
    case HD_SOPND_TARGET:
        put(o, "%04u", v);
        break;
    case HD_SOPND_STRING:
        put_string(o, p->strings + v);
        break;
    case HD_SOPND_WIDTH:
        put(o, "%u", 1u << v);
        break;
    case HD_SOPND_EVOP:
        put(o, "%s", event_ops[v]);
        break;
    default:
        break;
    }
}

static void put_insn(struct out *o, const struct prog *p, uint32_t k)
{
    const uint8_t *in = p->code + (size_t)k * HD_SCRIPT_INSN_SIZE;
    uint32_t op = in[0], flags = in[1];
    uint32_t v[3] = {(uint32_t)(in[2] | in[3] << 8), (uint32_t)(in[4] | in[5] << 8),
                     (uint32_t)(in[6] | in[7] << 8)};
    const char *sep = "";
    /* Operands start in column 16; an instruction without any ends after its mnemonic. */
    int pad = 10 - (int)strlen(mnemonics[op]);
    char first[16];
    snprintf(first, sizeof(first), "%*s", pad > 1 ? pad : 1, "");

    put(o, "%04u  %s", k, mnemonics[op]);
    if (op == HD_SOP_LDR) { /* the register as the view names it: @eax, @al, @ah */
        put(o, "%s", first);
        put_slot(o, p, v[0]);
        put(o, ", @%s\n", hd__script_views[v[2]][v[1]]);
        return;
    }
    /* Fields in reading order: a conditional jump shows its condition before its target. */
    static const unsigned order[2][3] = {{0, 1, 2}, {1, 0, 2}};
    bool cond = op == HD_SOP_JZ || op == HD_SOP_JNZ;
    for (unsigned i = 0; i < 3; i++) {
        unsigned f = order[cond][i];
        enum hd_script_operand kind = hd_script_operand_kind(op, f);
        if (kind == HD_SOPND_NONE || kind == HD_SOPND_COUNT || (kind == HD_SOPND_ARGS && !v[2]))
            continue;
        put(o, "%s", *sep ? sep : first);
        sep = ", ";
        if (kind == HD_SOPND_ARGS) { /* printf's arguments: b slots from a */
            for (uint32_t i = 0; i < v[2]; i++) {
                put(o, i ? ", " : "");
                put_slot(o, p, v[1] + i);
            }
            continue;
        }
        if (kind == HD_SOPND_PAIR) { /* the exchange and the comparand */
            put_slot(o, p, v[f]);
            put(o, ", ");
            put_slot(o, p, v[f] + 1);
            continue;
        }
        put_operand(o, p, kind, v[f], flags);
    }
    put(o, "\n");
}

enum hd_status hd_script_disasm(const void *code, size_t size, char *out, size_t cap,
                                size_t *length)
{
    struct out o = {out, cap, 0};
    struct prog p;
    enum hd_status st;

    if (length)
        *length = 0;
    if ((!out && cap) || !code)
        return HD_ERR_INVALID_ARGUMENT;
    st = hd_script_verify(code, size, &p.info);
    if (st != HD_OK)
        return st;
    p.code = (const uint8_t *)code + HD_SCRIPT_HEADER_SIZE;
    p.consts = p.code + (size_t)p.info.insn_count * HD_SCRIPT_INSN_SIZE;
    p.globals = p.consts + (size_t)p.info.const_count * 8;
    p.strings = (const char *)p.globals + (size_t)p.info.global_count * 4;
    put(&o, "; hdsc v%u: %u instruction%s, %u constant%s, %u global%s, %u string byte%s, "
            "%u slot%s (%u local%s)\n",
        HD_SCRIPT_VERSION, p.info.insn_count, p.info.insn_count == 1 ? "" : "s",
        p.info.const_count, p.info.const_count == 1 ? "" : "s", p.info.global_count,
        p.info.global_count == 1 ? "" : "s", p.info.string_bytes,
        p.info.string_bytes == 1 ? "" : "s", p.info.slot_count, p.info.slot_count == 1 ? "" : "s",
        p.info.local_count, p.info.local_count == 1 ? "" : "s");
    for (uint32_t k = 0; k < p.info.insn_count; k++)
        put_insn(&o, &p, k);
    if (cap)
        out[o.len < cap ? o.len : cap - 1] = '\0';
    if (length)
        *length = o.len;
    return o.len < cap ? HD_OK : HD_ERR_BUFFER_TOO_SMALL;
}
