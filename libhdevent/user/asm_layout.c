/* SPDX-License-Identifier: MIT */
/*
 * asm_layout.c — labels, and where every statement goes.
 *
 * Labels are case-sensitive and each is defined once; a reference to a label that is not
 * defined is an error at the reference. Branches to a label or to a number start short
 * (rel8) when the instruction has such a form; while one does not reach, it becomes near
 * (rel32) and everything is placed again. Branches only ever grow, so this ends (a classic
 * "start small" relaxation: the result is not always the smallest possible, but every branch
 * reaches). loop, jrcxz and a branch written `short` have no rel32: one that does not reach
 * is an error.
 */
#include "asm_internal.h"

#include <stdlib.h>
#include <string.h>

struct key {
    const char *p;
    uint32_t n;
    uint32_t label;
};

static int cmp_name(const char *p, uint32_t n, const char *q, uint32_t m)
{
    int c = memcmp(p, q, n < m ? n : m);
    return c ? c : (n > m) - (n < m);
}

static int cmp_key(const void *x, const void *y)
{
    const struct key *a = x, *b = y;
    int c = cmp_name(a->p, a->n, b->p, b->n);
    return c ? c : (a->label > b->label) - (a->label < b->label);
}

/* The first definition of the name (equal names sort by label index: the leftmost). */
static int find(const struct key *keys, uint32_t count, const char *p, uint32_t n)
{
    uint32_t lo = 0, hi = count;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cmp_name(keys[mid].p, keys[mid].n, p, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < count && cmp_name(keys[lo].p, keys[lo].n, p, n) == 0)
        return (int)keys[lo].label;
    return -1;
}

static enum hd_status undefined(struct hd__asm *a, struct hd__asm_span ref)
{
    for (uint32_t i = 0; i < a->label_count; i++) {
        const struct hd__asm_label *l = &a->labels[i];
        bool same = l->name.len == ref.len;
        for (uint32_t k = 0; same && k < ref.len; k++) {
            char x = a->text[l->name.off + k], y = a->text[ref.off + k];
            same = (x | 0x20) == (y | 0x20);
        }
        if (same)
            return hd__asm_fail_span(a, ref, "undefined label (labels are case-sensitive: "
                                             "'%.*s' is defined on line %u)",
                                     (int)l->name.len, a->text + l->name.off,
                                     a->stmts[l->stmt].line);
    }
    return hd__asm_fail_span(a, ref, "undefined label: no '%.*s:' in the text", (int)ref.len,
                             a->text + ref.off);
}

/* Duplicates (reported at the earliest second definition), then every reference. */
static enum hd_status bind(struct hd__asm *a, const struct key *keys)
{
    int dup = -1, first = -1;

    for (uint32_t i = 1; i < a->label_count; i++) {
        if (cmp_name(keys[i - 1].p, keys[i - 1].n, keys[i].p, keys[i].n) != 0)
            continue;
        if (dup < 0 || a->labels[keys[i].label].name.off < a->labels[dup].name.off) {
            dup = (int)keys[i].label;
            first = find(keys, a->label_count, keys[i].p, keys[i].n);
        }
    }
    if (dup >= 0)
        return hd__asm_fail_span(a, a->labels[dup].name, "label defined twice (first on line %u)",
                                 a->stmts[a->labels[first].stmt].line);
    for (uint32_t s = 0; s < a->stmt_count; s++) {
        for (uint8_t i = 0; i < a->stmts[s].op_count; i++) {
            struct hd__asm_operand *op = &a->stmts[s].ops[i];
            if (!op->ref.len)
                continue;
            op->label = find(keys, a->label_count, a->text + op->ref.off, op->ref.len);
            if (op->label < 0)
                return undefined(a, op->ref);
        }
    }
    return HD_OK;
}

enum hd_status hd__asm_bind_labels(struct hd__asm *a)
{
    struct key *keys = NULL;
    enum hd_status st;

    if (a->label_count && !(keys = malloc(sizeof(*keys) * a->label_count)))
        return hd__asm_no_memory(a);
    for (uint32_t i = 0; i < a->label_count; i++) {
        keys[i].p = a->text + a->labels[i].name.off;
        keys[i].n = a->labels[i].name.len;
        keys[i].label = i;
    }
    if (a->label_count > 1)
        qsort(keys, a->label_count, sizeof(*keys), cmp_key);
    st = bind(a, keys);
    free(keys);
    return st;
}

/* ---- placing --------------------------------------------------------------------------------- */

static uint64_t target_of(const struct hd__asm *a, const struct hd__asm_stmt *s)
{
    const struct hd__asm_operand *op = &s->ops[s->target_op];
    return op->kind == HD__ASM_OP_LABEL ? a->stmts[a->labels[op->label].stmt].offset : op->value;
}

static uint64_t riprel_of(const struct hd__asm *a, const struct hd__asm_stmt *s)
{
    return s->riprel_op < 0 ? 0 : a->stmts[a->labels[s->ops[s->riprel_op].label].stmt].offset;
}

/* Offsets and sizes with the current widths. */
static enum hd_status lay_out(struct hd__asm *a)
{
    uint64_t off = 0;

    for (uint32_t i = 0; i < a->stmt_count; i++) {
        struct hd__asm_stmt *s = &a->stmts[i];
        if (s->kind == HD__ASM_STMT_DATA)
            s->size = s->data_size;
        else if (s->kind == HD__ASM_STMT_INSN && s->target_op >= 0)
            s->size = s->width == 8 ? s->size8 : s->size32;
        s->offset = (uint32_t)off;
        off += s->size;
        if (off > HD_ASM_MAX_BYTES)
            return hd__asm_fail_span(a, s->text, "too long: the code would be more than %u "
                                                 "bytes",
                                     HD_ASM_MAX_BYTES);
    }
    a->total = (uint32_t)off;
    return HD_OK;
}

/* Widen every short branch that does not reach. @return true if one was widened. */
static bool widen(struct hd__asm *a)
{
    bool changed = false;

    for (uint32_t i = 0; i < a->stmt_count; i++) {
        struct hd__asm_stmt *s = &a->stmts[i];
        if (s->kind != HD__ASM_STMT_INSN || s->target_op < 0 || s->width != 8 || !s->size32)
            continue;
        int64_t rel = (int64_t)(target_of(a, s) - (s->offset + (uint64_t)s->size8));
        if (rel < -128 || rel > 127) {
            s->width = 32;
            changed = true;
        }
    }
    return changed;
}

enum hd_status hd__asm_place(struct hd__asm *a, uint8_t **out)
{
    uint8_t *buf;

    do
        HD_CHECK(lay_out(a));
    while (widen(a));
    buf = malloc(a->total ? a->total : 1);
    if (!buf)
        return hd__asm_no_memory(a);
    for (uint32_t i = 0; i < a->stmt_count; i++) {
        struct hd__asm_stmt *s = &a->stmts[i];
        uint8_t insn[ZYDIS_MAX_INSTRUCTION_LENGTH], len = 0;
        enum hd_status st = HD_OK;
        if (s->kind == HD__ASM_STMT_DATA)
            memcpy(buf + s->offset, a->data + s->data_off, s->data_size);
        else if (s->kind == HD__ASM_STMT_INSN)
            st = hd__asm_encode(a, s, s->offset, s->target_op >= 0 ? target_of(a, s) : 0,
                                riprel_of(a, s), insn, &len);
        if (st == HD_OK && len)
            memcpy(buf + s->offset, insn, len);
        if (st != HD_OK) {
            free(buf);
            return st;
        }
    }
    *out = buf;
    return HD_OK;
}
