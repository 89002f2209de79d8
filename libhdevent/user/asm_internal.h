/* SPDX-License-Identifier: MIT */
/*
 * asm_internal.h — shared by the assembler's files (hdevent/asm.h). Not installed.
 *
 *   asm.c         entry points: split the text into statements, drive the passes, errors
 *   asm_lex.c     tokens of one statement: words, numbers, strings, punctuation
 *   asm_names.c   names from Zydis's own tables: mnemonics (and condition-code synonyms),
 *                 registers; operand keywords and prefixes
 *   asm_parse.c   one statement: labels, prefixes, mnemonic or data, operands, decorators
 *   asm_encode.c  which form of an instruction to encode: memory sizes, EVEX masks, prefix
 *                 forms, branch widths; its final bytes
 *   asm_request.c one form as a Zydis request and its bytes (movabs, absolute addresses)
 *   asm_diagnose.c the reason when no form encodes
 *   asm_verify.c  every encoded instruction decoded back and compared with its request
 *   asm_command.c `asm` bodies of commands (command_vmcall.c)
 *   asm_layout.c  labels, short/near relaxation, the final bytes
 */
#ifndef HDEVENT_USER_ASM_INTERNAL_H
#define HDEVENT_USER_ASM_INTERNAL_H

#include <hdevent/asm.h>

#include "text.h"

#include <Zydis/Zydis.h>

#include <stdarg.h>

/** Operands a statement may carry (Zydis's encoder takes at most 5, the EVEX mask included). */
#define HD__ASM_MAX_OPS 5

/** A place in the source text. */
struct hd__asm_span {
    uint32_t off;
    uint32_t len;
};

enum hd__asm_op_kind {
    HD__ASM_OP_REG,   /* a register */
    HD__ASM_OP_MEM,   /* [base + index*scale + disp], [rip + label] */
    HD__ASM_OP_IMM,   /* a number; a branch target when `target` is set */
    HD__ASM_OP_LABEL, /* a label as a branch target */
};

/** One operand as written. */
struct hd__asm_operand {
    enum hd__asm_op_kind kind;
    struct hd__asm_span span;
    ZydisRegister reg;                  /* REG */
    ZydisRegister base, index, segment; /* MEM (ZYDIS_REGISTER_NONE when absent) */
    uint8_t scale;                      /* MEM: 1, 2, 4 or 8 with an index, else 0 */
    bool scale_written;                 /* MEM: the scale was written (rsi*1) */
    uint16_t size;                      /* MEM: bytes from `qword ptr` & co., 0 when not written */
    uint64_t value;                     /* IMM value; MEM displacement (the addend of a label) */
    struct hd__asm_span ref;            /* LABEL, MEM [rip+label]: the label's name (len 0: none) */
    int32_t label;                      /* its index in hd__asm.labels once bound, or -1 */
    bool target;                        /* IMM: an offset in the buffer that a branch goes to */
};

/** One way to write an instruction as a request to Zydis's encoder (asm_encode.c). */
struct hd__asm_variant {
    bool mask;                           /* the EVEX write mask as the operand after the first */
    ZydisInstructionAttributes prefixes; /* the prefix form */
    int8_t is4;                          /* request operand marked is4 (VEX/XOP), or -1 */
    uint8_t width;                       /* branch width: 0, 8 or 32 */
    bool untyped;                        /* a target, but no branch type or width (xbegin) */
    uint16_t size;                       /* size of memory operands written without one */
    bool imm_ext;                        /* immediates given to Zydis sign-extended (0xDD: -0x23) */
    bool no_scale;                       /* an index written without *scale gets scale 0 (MIB) */
    ZydisRegister regs[HD__ASM_MAX_OPS]; /* diagnosis: a register in place of operand i */
    bool zero_imm;                       /* diagnosis: every immediate made 0 */
    bool no_prefixes;                    /* diagnosis: the prefixes left out */
};

/** What the last failed attempt said, for the diagnosis. */
struct hd__asm_attempt {
    bool encoded_other; /* Zydis encoded it, but the bytes decode as something else */
    char why[160];      /* how they differ */
};

enum hd__asm_stmt_kind {
    HD__ASM_STMT_LABEL, /* labels alone: no bytes */
    HD__ASM_STMT_INSN,  /* an instruction */
    HD__ASM_STMT_DATA,  /* db, dw, dd, dq */
};

/** One statement: parsed (asm_parse.c), resolved (asm_encode.c), placed (asm_layout.c). */
struct hd__asm_stmt {
    enum hd__asm_stmt_kind kind;
    struct hd__asm_span text; /* the statement, labels included, blanks around it removed */
    struct hd__asm_span body; /* from the first prefix or the mnemonic to the end */
    struct hd__asm_span mnem; /* the mnemonic or the directive as written */
    uint32_t line, column;

    /* ---- instruction, as written ---- */
    ZydisMnemonic mnemonic;
    ZydisInstructionAttributes prefixes;
    bool movabs;          /* `movabs`: the 64-bit immediate or 64-bit address form of mov */
    bool far;             /* `far`: a far jmp/call/ret */
    uint8_t forced_width; /* `short` (8) or `near` (32) before a branch target; 0: relax */
    uint8_t op_count;
    struct hd__asm_operand ops[HD__ASM_MAX_OPS];
    ZydisRegister mask;   /* `{k1}` … `{k7}` on the first operand; NONE when absent */
    bool zeroing;         /* `{z}` */
    bool evex;            /* a decorator that only EVEX encodes was written */
    ZydisBroadcastMode broadcast;
    ZydisRoundingMode rounding;
    bool sae;

    /* ---- instruction, resolved ---- */
    struct hd__asm_variant var; /* the form chosen (its width is the one in `width`) */
    int8_t target_op;           /* index in ops of a branch target, or -1 */
    int8_t riprel_op;           /* index in ops of a [rip+label] operand, or -1 */
    uint8_t width;              /* branch width in use: 8 or 32 (0: not a branch) */
    uint8_t size8, size32;      /* a branch's length with a rel8 / rel32 (0: no such form) */

    /* ---- data ---- */
    uint32_t data_off; /* in hd__asm.data */
    uint32_t data_size;

    /* ---- placed ---- */
    uint32_t offset;
    uint32_t size;
};

/** A label: its name and the statement it stands in front of. */
struct hd__asm_label {
    struct hd__asm_span name;
    uint32_t stmt;
};

/** The assembler's state for one text. */
struct hd__asm {
    const char *text;
    uint32_t len;
    struct hd_asm_error *err;
    struct hd__asm_stmt *stmts;
    uint32_t stmt_count, stmt_cap;
    struct hd__asm_label *labels;
    uint32_t label_count, label_cap;
    uint32_t *label_order; /* label indices sorted by name (asm_layout.c) */
    uint8_t *data;         /* bytes of every db/dw/dd/dq, back to back */
    uint32_t data_size, data_cap;
    uint32_t total;        /* bytes of the whole output once placed */
};

/* ---- errors (asm.c) ------------------------------------------------------------------------ */

/**
 * Fill a->err for the @p len bytes at @p off with a printf-style message (line and column
 * from the offset). @return HD_ERR_INVALID_ARGUMENT, so callers `return hd__asm_fail(...)`.
 */
enum hd_status hd__asm_fail(struct hd__asm *a, uint32_t off, uint32_t len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/** hd__asm_fail() for a span. */
#define hd__asm_fail_span(a, span, ...) hd__asm_fail((a), (span).off, (span).len, __VA_ARGS__)

/** Fill a->err for an allocation failure. @return HD_ERR_NO_MEMORY. */
enum hd_status hd__asm_no_memory(struct hd__asm *a);

/** Grow *@p p (an array of @p *cap elements of @p elem bytes) to hold @p need. */
enum hd_status hd__asm_grow(struct hd__asm *a, void **p, uint32_t *cap, uint32_t need,
                            size_t elem);

/* ---- tokens (asm_lex.c) ------------------------------------------------------------------- */

enum hd__asm_tok_kind {
    HD__ASM_TOK_END,    /* the end of the statement */
    HD__ASM_TOK_WORD,   /* a name: [A-Za-z_.@][A-Za-z0-9_.@]* */
    HD__ASM_TOK_NUMBER, /* 0x1F, 1Fh, 31 (value in `value`) */
    HD__ASM_TOK_STRING, /* "…" or '…' (quotes included in the span) */
    HD__ASM_TOK_PUNCT,  /* one of , [ ] + - * : { } (the character in `punct`) */
};

struct hd__asm_tok {
    enum hd__asm_tok_kind kind;
    struct hd__asm_span span;
    char punct;
    uint64_t value;
};

/** A cursor over one statement. */
struct hd__asm_lexer {
    struct hd__asm *a;
    uint32_t pos, end;
    uint32_t last_end; /* where the last token handed out ends */
    struct hd__asm_tok peeked;
    bool has_peeked;
};

/** Next token. @return HD_OK, or an error (bad character, bad number, open string). */
enum hd_status hd__asm_next(struct hd__asm_lexer *lx, struct hd__asm_tok *tok);

/** The next token without consuming it. */
enum hd_status hd__asm_peek(struct hd__asm_lexer *lx, struct hd__asm_tok *tok);

/** True if @p tok is punctuation @p c. */
bool hd__asm_is_punct(const struct hd__asm_tok *tok, char c);

/** True if @p tok is a word equal to @p kw (lower case), ignoring ASCII case. */
bool hd__asm_is_word(const struct hd__asm *a, const struct hd__asm_tok *tok, const char *kw);

/**
 * Decode the string token @p tok (C escapes \n \t \r \0 \\ \" \' \xNN) into @p out (at least
 * tok->span.len bytes). @return HD_OK with *n set, or an error at the bad escape.
 */
enum hd_status hd__asm_string(struct hd__asm *a, const struct hd__asm_tok *tok, uint8_t *out,
                              uint32_t *n);

/* ---- names (asm_names.c) ------------------------------------------------------------------- */

/** The Zydis register named by the @p n bytes at @p p (any case), or ZYDIS_REGISTER_NONE. */
ZydisRegister hd__asm_register(const char *p, uint32_t n);

/**
 * The Zydis mnemonic named by the @p n bytes at @p p (any case): Zydis's own names, and the
 * condition-code synonyms (je = jz, cmova = cmovnbe, …). `movabs` gives MOV with *movabs set.
 * @return ZYDIS_MNEMONIC_INVALID when there is no such instruction.
 */
ZydisMnemonic hd__asm_mnemonic(const char *p, uint32_t n, bool *movabs);

/** A prefix word (lock, rep, repe, repz, repne, repnz, bnd, notrack, xacquire, xrelease):
 *  its ZYDIS_ATTRIB_HAS_* flag, or 0. */
ZydisInstructionAttributes hd__asm_prefix(const char *p, uint32_t n);

/** A size word (byte, word, dword, fword, qword, tbyte, xmmword, ymmword, zmmword): its
 *  size in bytes, or 0. */
uint16_t hd__asm_size_word(const char *p, uint32_t n);

/** The size word for @p bytes ("qword"), or NULL when there is none. */
const char *hd__asm_size_name(uint16_t bytes);

/** True for words that cannot name a label: registers, size words, ptr, short, near, far. */
bool hd__asm_reserved(const char *p, uint32_t n);

/* ---- statements (asm_parse.c) ---------------------------------------------------------------- */

/**
 * Parse the statement at @p span (line @p line, column @p column) into a new entry of
 * a->stmts; its labels go to a->labels. @return HD_OK, or an error.
 */
enum hd_status hd__asm_parse_stmt(struct hd__asm *a, struct hd__asm_span span, uint32_t line,
                                  uint32_t column);

/* ---- encoding (asm_encode.c, asm_request.c, asm_diagnose.c) ---------------------------------- */

/** Choose the form of instruction @p s (asm_encode.c): sizes, mask, prefix form, widths;
 *  s->size (s->size8 / s->size32 for a branch) is its length. */
enum hd_status hd__asm_resolve(struct hd__asm *a, struct hd__asm_stmt *s);

/**
 * Encode instruction @p s placed at @p at, its branch target at @p target and its
 * [rip+label] label at @p riprel (absolute offsets in the output; ignored when it has none),
 * into @p out (ZYDIS_MAX_INSTRUCTION_LENGTH bytes), decoded back and compared with the
 * request. @return HD_OK with *len set (always s->size), or an error.
 */
enum hd_status hd__asm_encode(struct hd__asm *a, struct hd__asm_stmt *s, uint64_t at,
                              uint64_t target, uint64_t riprel, uint8_t *out, uint8_t *len);

/** The request for @p s in form @p v; @p index_of (may be NULL) receives, for each operand
 *  as written, its index in the request. @return false when it cannot be built (too many
 *  operands with the mask). */
bool hd__asm_build(const struct hd__asm_stmt *s, const struct hd__asm_variant *v,
                   ZydisEncoderRequest *r, int8_t *index_of);

/** Encode @p want (movabs: its 64-bit form; @p imm_ext: immediates sign-extended from the
 *  smallest size whose top bit they set), check that the bytes decode back to it.
 *  @return true with @p out / *len set; false, with the difference in @p why when Zydis
 *  encoded something else (empty when it encoded nothing). */
bool hd__asm_encode_request(const struct hd__asm_stmt *s, const ZydisEncoderRequest *want,
                            bool imm_ext, uint8_t *out, uint8_t *len, char *why, size_t cap);

/** True if form @p v of @p s encodes, immediates as written or sign-extended (branches: with
 *  v->width, or either width when it is 0). */
bool hd__asm_encodes(const struct hd__asm_stmt *s, const struct hd__asm_variant *v);

/** Nothing encoded @p s: fail with the reason (asm_diagnose.c). */
enum hd_status hd__asm_diagnose(struct hd__asm *a, const struct hd__asm_stmt *s,
                                const struct hd__asm_attempt *last);

/* ---- verification (asm_verify.c) ------------------------------------------------------------- */

/**
 * Decode the @p len bytes at @p bytes and compare the instruction with @p want. @return true
 * when they are the same instruction; else false with the difference in @p why.
 */
bool hd__asm_verify(const ZydisEncoderRequest *want, bool far, const uint8_t *bytes,
                    size_t len, char *why, size_t cap);

/* ---- layout (asm_layout.c) ---------------------------------------------------------------- */

/** Check labels (each defined once, each reference defined) and resolve references. */
enum hd_status hd__asm_bind_labels(struct hd__asm *a);

/** Place every statement (short branches widened until all reach) and write the bytes into
 *  @p out (a->total bytes, allocated here). */
enum hd_status hd__asm_place(struct hd__asm *a, uint8_t **out);

#endif /* HDEVENT_USER_ASM_INTERNAL_H */
