/* SPDX-License-Identifier: MIT */
/*
 * script_emit.c — the program being built (instructions, constants, strings, temporaries,
 * jump lists) and its serialisation into bytecode (script_bytecode.h).
 *
 * Jump lists are chained through the jumps' own d fields (the next jump of the list, or
 * SC_NONE), so patching a forward jump needs no memory of its own. Temporaries are numbered
 * from 0 while building and placed after the locals when the program is written out: slots
 * 0..L-1 are the locals (zeroed per run), L.. the temporaries.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/internal/le.h"
#include "script_internal.h"

static void *grow(struct sc *c, void *p, uint32_t *cap, size_t item, uint32_t limit,
                  uint32_t pos, uint32_t len, const char *what)
{
    uint32_t n = *cap ? *cap * 2 : 64;
    void *g;
    if (*cap >= limit)
        hd__sc_fail(c, pos, len, "the script is too large: more than %u %s", limit, what);
    if (n > limit)
        n = limit;
    g = realloc(p, (size_t)n * item);
    if (!g)
        hd__sc_no_memory(c);
    *cap = n;
    return g;
}

uint32_t hd__sc_emit(struct sc *c, uint32_t op, uint32_t flags, uint32_t d, uint32_t a,
                     uint32_t b)
{
    if (c->ninsn == c->capinsn)
        c->code = grow(c, c->code, &c->capinsn, sizeof(*c->code), HD_SCRIPT_INSNS_MAX,
                       c->tok.pos, c->tok.len, "instructions");
    c->code[c->ninsn] = (struct sc_insn){(uint8_t)op, (uint8_t)flags, d, a, b};
    return c->ninsn++;
}

uint32_t hd__sc_here(const struct sc *c)
{
    return c->ninsn;
}

uint32_t hd__sc_const(struct sc *c, uint64_t v)
{
    for (uint32_t i = 0; i < c->nconsts; i++)
        if (c->consts[i] == v)
            return i;
    if (c->nconsts == c->capconsts)
        c->consts = grow(c, c->consts, &c->capconsts, sizeof(*c->consts), HD_SCRIPT_CONSTS_MAX,
                         c->tok.pos, c->tok.len, "distinct constants");
    c->consts[c->nconsts] = v;
    return c->nconsts++;
}

uint32_t hd__sc_string(struct sc *c, const char *s, uint32_t n, uint32_t pos, uint32_t len)
{
    uint32_t off;
    /* The same string twice is stored once (an offset must be below 65536: u16 operands). */
    for (off = 0; off < c->nstrings; off += (uint32_t)strlen(c->strings + off) + 1)
        if (strlen(c->strings + off) == n && memcmp(c->strings + off, s, n) == 0)
            return off;
    if (memchr(s, '\0', n))
        hd__sc_fail(c, pos, len, "a string holds a NUL byte");
    while (c->nstrings + n + 1 > c->capstrings) {
        if (c->capstrings >= HD_SCRIPT_STRING_BYTES_MAX ||
            c->nstrings + n + 1 > HD_SCRIPT_STRING_BYTES_MAX)
            hd__sc_fail(c, pos, len, "the script is too large: more than %u bytes of strings",
                        HD_SCRIPT_STRING_BYTES_MAX);
        c->strings = grow(c, c->strings, &c->capstrings, 1, HD_SCRIPT_STRING_BYTES_MAX, pos, len,
                          "bytes of strings");
    }
    off = c->nstrings;
    memcpy(c->strings + off, s, n);
    c->strings[off + n] = '\0';
    c->nstrings += n + 1;
    return off;
}

uint32_t hd__sc_temp(struct sc *c)
{
    if (c->temps + 1 > HD_SCRIPT_SLOTS_MAX)
        sc_fail_tok(c, "expression too deep: more than %u temporaries", HD_SCRIPT_SLOTS_MAX);
    if (++c->temps > c->temps_max)
        c->temps_max = c->temps;
    return SC_TEMP | (c->temps - 1);
}

void hd__sc_temp_free(struct sc *c, uint32_t slot)
{
    (void)slot; /* LIFO: always the top (script_gen.c keeps the order) */
    c->temps--;
}

/* ---- jump lists ------------------------------------------------------------------------ */

uint32_t hd__sc_jump(struct sc *c, uint32_t op, uint32_t a, uint32_t list)
{
    return hd__sc_emit(c, op, 0, list, a, 0);
}

uint32_t hd__sc_merge(struct sc *c, uint32_t a, uint32_t b)
{
    uint32_t last = a;
    if (a == SC_NONE)
        return b;
    while (c->code[last].d != SC_NONE)
        last = c->code[last].d;
    c->code[last].d = b;
    return a;
}

void hd__sc_patch(struct sc *c, uint32_t list, uint32_t target)
{
    while (list != SC_NONE) {
        uint32_t next = c->code[list].d;
        c->code[list].d = target;
        list = next;
    }
}

/* ---- serialisation ------------------------------------------------------------------------ */

/* Operand @v of kind @kind as written out: temporaries after the @locals. */
static uint32_t final_operand(enum hd_script_operand kind, uint32_t v, uint32_t flags,
                              uint32_t locals)
{
    bool slot = kind == HD_SOPND_SLOT || kind == HD_SOPND_ARGS || kind == HD_SOPND_PAIR ||
                (kind == HD_SOPND_SLOTK && !(flags & HD_SCRIPT_K));
    if (slot && (v & SC_TEMP))
        return locals + (v & ~SC_TEMP);
    return v;
}

enum hd_status hd__sc_finish(struct sc *c, struct hd_script_program *out)
{
    uint32_t locals = c->nlocals, slots = c->nlocals + c->temps_max;
    size_t size = HD_SCRIPT_HEADER_SIZE + (size_t)c->ninsn * HD_SCRIPT_INSN_SIZE +
                  (size_t)c->nconsts * 8 + (size_t)c->nglobals * 4 + c->nstrings;
    uint8_t *b, *p;

    if (slots > HD_SCRIPT_SLOTS_MAX)
        hd__sc_fail(c, 0, 0, "the script is too large: %u locals and temporaries, at most %u",
                    slots, HD_SCRIPT_SLOTS_MAX);
    b = calloc(1, size);
    if (!b)
        hd__sc_no_memory(c);
    hd__le_wr32(b, HD_SCRIPT_H_MAGIC, HD_SCRIPT_MAGIC);
    b[HD_SCRIPT_H_VERSION] = HD_SCRIPT_VERSION;
    b[HD_SCRIPT_H_HEADER_SIZE] = HD_SCRIPT_HEADER_SIZE;
    hd__le_wr32(b, HD_SCRIPT_H_INSNS, c->ninsn);
    hd__le_wr32(b, HD_SCRIPT_H_CONSTS, c->nconsts);
    hd__le_wr32(b, HD_SCRIPT_H_GLOBALS, c->nglobals);
    hd__le_wr32(b, HD_SCRIPT_H_STRINGS, c->nstrings);
    b[HD_SCRIPT_H_SLOTS] = (uint8_t)slots;
    b[HD_SCRIPT_H_SLOTS + 1] = (uint8_t)(slots >> 8);
    b[HD_SCRIPT_H_LOCALS] = (uint8_t)locals;
    b[HD_SCRIPT_H_LOCALS + 1] = (uint8_t)(locals >> 8);
    p = b + HD_SCRIPT_HEADER_SIZE;
    for (uint32_t i = 0; i < c->ninsn; i++, p += HD_SCRIPT_INSN_SIZE) {
        const struct sc_insn *in = &c->code[i];
        uint32_t v[3] = {in->d, in->a, in->b};
        p[0] = in->op;
        p[1] = in->flags;
        for (unsigned f = 0; f < 3; f++) {
            uint32_t x = final_operand(hd_script_operand_kind(in->op, f), v[f], in->flags, locals);
            p[2 + 2 * f] = (uint8_t)x;
            p[3 + 2 * f] = (uint8_t)(x >> 8);
        }
    }
    for (uint32_t i = 0; i < c->nconsts; i++, p += 8)
        hd__le_wr64(p, 0, c->consts[i]);
    for (uint32_t i = 0; i < c->nglobals; i++, p += 4)
        hd__le_wr32(p, 0, c->globals[i]);
    if (c->nstrings)
        memcpy(p, c->strings, c->nstrings);
    out->code = b;
    out->size = (uint32_t)size;
    out->insn_count = c->ninsn;
    return HD_OK;
}
