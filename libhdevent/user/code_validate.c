/* SPDX-License-Identifier: MIT */
/*
 * hd_code_validate(): what raw code must satisfy before it is sent to a kernel
 * (hdevent/code.h; docs/commands.md, "What validation proves"). The entry point is at the
 * end of this file; it runs, in order:
 *
 *   1. sweep(): a linear sweep decodes every byte (truncated or invalid bytes stop here) and
 *      reports, per instruction, what has no place in VMX root (code_classify.c): forbidden
 *      instructions, privileged ones, FPU/SIMD state use, indirect branches;
 *   2. check_targets(): every direct branch and call lands on an instruction start inside
 *      the buffer;
 *   3. hd__code_check_flow() (code_flow.c, code_stack.c): from offset 0 and from every
 *      direct call target, the control-flow graph and the stack depth on every path.
 *
 * The passes never look at HD_CODE_STRICT: it only decides whether a warning is an error.
 */
#include "code_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- findings ---------------------------------------------------------------------------- */

/* Count a finding; the slot to fill when the report has room, else NULL. */
static struct hd_code_finding *count_finding(struct hd__code_ctx *c, enum hd_code_finding_kind kind,
                                             bool error, uint32_t offset)
{
    struct hd_code_report *r = c->report;
    struct hd_code_finding *f;

    error = error || c->strict;
    if (error)
        r->errors++;
    else
        r->warnings++;
    if (r->finding_count >= HD_CODE_FINDINGS_MAX)
        return NULL;
    f = &r->findings[r->finding_count++];
    f->kind = kind;
    f->error = error;
    f->offset = offset;
    return f;
}

struct hd_code_finding *hd__code_finding(struct hd__code_ctx *c, enum hd_code_finding_kind kind,
                                        bool error, uint32_t index)
{
    struct hd_code_finding *f;
    struct hd_code_insn insn;

    if (c->reported[index] & (1u << kind))
        return NULL;
    c->reported[index] |= 1u << kind;
    f = count_finding(c, kind, error, c->insn[index].offset);
    if (f) {
        hd_code_disasm(c->code, c->size, f->offset, &insn);
        snprintf(f->instruction, sizeof(f->instruction), "%s", insn.text);
    }
    return f;
}

void hd__code_message(struct hd_code_finding *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof(f->message), fmt, ap);
    va_end(ap);
}

/* A finding about bytes that do not decode: no instruction text, their hex instead. */
static void bytes_finding(struct hd__code_ctx *c, enum hd_code_finding_kind kind, uint32_t offset,
                          const char *fmt, ...)
{
    struct hd_code_finding *f = count_finding(c, kind, true, offset);
    size_t n = 0;
    va_list ap;

    if (!f)
        return;
    for (uint32_t i = offset; i < c->size && i < offset + 8 && n + 4 < sizeof(f->instruction); i++)
        n += (size_t)snprintf(f->instruction + n, sizeof(f->instruction) - n, "%s%02X",
                              i > offset ? " " : "", c->code[i]);
    if (c->size > offset + 8)
        snprintf(f->instruction + n, sizeof(f->instruction) - n, " ...");
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof(f->message), fmt, ap);
    va_end(ap);
}

int64_t hd__code_index(const struct hd__code_ctx *c, int64_t offset)
{
    if (offset < 0 || offset >= (int64_t)c->size || !c->index_of[offset])
        return -1;
    return (int64_t)c->index_of[offset] - 1;
}

/* ---- pass 1: what each instruction is ---------------------------------------------------- */

static bool sweep(struct hd__code_ctx *c)
{
    uint32_t n = 0;

    for (uint32_t off = 0; off < c->size;) {
        struct hd_zydis_insn d;
        enum hd_code_finding_kind kind;
        ZyanStatus st = hd__zydis_decode(c->code, c->size, off, &d);

        if (!ZYAN_SUCCESS(st)) {
            if (st == ZYDIS_STATUS_NO_MORE_DATA)
                bytes_finding(c, HD_CODE_TRUNCATED, off,
                              "the instruction at 0x%X needs more bytes than the %u left in the "
                              "buffer",
                              off, c->size - off);
            else
                bytes_finding(c, HD_CODE_INVALID, off,
                              "the bytes at 0x%X are not a valid x86-64 instruction", off);
            return false;
        }
        hd__code_classify(&d, off, &c->insn[n]);
        c->index_of[off] = n + 1;
        c->count = n + 1;
        const char *why = hd__code_verdict(&d, &kind);
        if (why) {
            struct hd_code_finding *f = hd__code_finding(c, kind, kind == HD_CODE_FORBIDDEN, n);
            if (f)
                hd__code_message(f, "%s at 0x%X %s", f->instruction, off,
                         why);
        }
        n++;
        off += d.insn.length;
    }
    return true;
}

/* ---- pass 2: branch targets -------------------------------------------------------------- */

static void check_targets(struct hd__code_ctx *c)
{
    for (uint32_t i = 0; i < c->count; i++) {
        const struct hd__code_insn *in = &c->insn[i];
        struct hd_code_finding *f;

        if (in->flow != HD__FLOW_JUMP && in->flow != HD__FLOW_BRANCH && in->flow != HD__FLOW_CALL)
            continue;
        if (in->target < 0 || in->target >= (int64_t)c->size) {
            if ((f = hd__code_finding(c, HD_CODE_BRANCH_OUTSIDE, true, i)))
                snprintf(f->message, sizeof(f->message),
                         "%s at 0x%X leaves the %u-byte buffer (targets must be below 0x%X)",
                         f->instruction, in->offset, c->size, c->size);
        } else if (hd__code_index(c, in->target) < 0) {
            if ((f = hd__code_finding(c, HD_CODE_BRANCH_MISPLACED, true, i)))
                snprintf(f->message, sizeof(f->message),
                         "%s at 0x%X lands inside an instruction, not at its start",
                         f->instruction, in->offset);
        }
    }
}

/* ---- entry ------------------------------------------------------------------------------- */

enum hd_status hd_code_validate(const void *code, size_t size, uint32_t flags,
                                struct hd_code_report *report)
{
    struct hd__code_ctx c = {.code = code, .size = (uint32_t)size, .report = report};
    enum hd_status st = HD_OK;

    if (!report || (!code && size))
        return HD_ERR_INVALID_ARGUMENT;
    memset(report, 0, sizeof(*report));
    if (size > HD_CODE_MAX_BYTES)
        return HD_ERR_TOO_LARGE;
    c.strict = (flags & HD_CODE_STRICT) != 0;
    if (size == 0) {
        bytes_finding(&c, HD_CODE_EMPTY, 0,
                      "the buffer is empty: the code needs at least a return (C3)");
        return HD_ERR_INVALID_CODE;
    }
    /* One instruction per byte at most. */
    c.insn = malloc(sizeof(*c.insn) * size);
    c.index_of = calloc(size, sizeof(*c.index_of));
    c.reported = calloc(size, sizeof(*c.reported));
    if (!c.insn || !c.index_of || !c.reported) {
        st = HD_ERR_NO_MEMORY;
    } else if (sweep(&c)) {
        report->instructions = c.count;
        check_targets(&c);
        if (!hd__code_check_flow(&c))
            st = HD_ERR_NO_MEMORY;
    }
    free(c.insn);
    free(c.index_of);
    free(c.reported);
    if (st != HD_OK) {
        memset(report, 0, sizeof(*report));
        return st;
    }
    return report->errors ? HD_ERR_INVALID_CODE : HD_OK;
}
