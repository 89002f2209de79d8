/* SPDX-License-Identifier: MIT */
/*
 * script_internal.h — shared by the script compiler's files (lexer, expressions, statements,
 * calls, program builder). Not installed.
 *
 * The compiler reads the text once: statements are compiled as they are parsed, expressions
 * are parsed into a small tree first (so conditions compile to jumps and constants fold), and
 * the program is built into growable arrays that script_emit.c serialises at the end. An
 * error anywhere longjmps back to the entry point, which frees everything.
 */
#ifndef HDEVENT_USER_SCRIPT_INTERNAL_H
#define HDEVENT_USER_SCRIPT_INTERNAL_H

#include <hdevent/script.h>

#include <setjmp.h>

/* ---- tokens (script_lex.c) ------------------------------------------------------------- */

enum sc_tok {
    TK_EOF,
    TK_WORD,    /* [A-Za-z0-9_`]+: a keyword, a number, a local or a function name */
    TK_GLOBAL,  /* .name */
    TK_REG,     /* @name */
    TK_PSEUDO,  /* $name */
    TK_STRING,  /* "..." (pos/len include the quotes) */
    TK_PUNCT,   /* an operator or punctuation: sc_token.punct */
};

enum sc_punct {
    P_LPAREN, P_RPAREN, P_LBRACE, P_RBRACE, P_SEMI, P_COMMA,
    P_PLUS, P_MINUS, P_STAR, P_SLASH, P_PERCENT, P_SHL, P_SHR, P_AMP, P_CARET, P_PIPE,
    P_TILDE, P_BANG, P_EQ, P_NE, P_LT, P_GT, P_LE, P_GE, P_ANDAND, P_OROR,
    P_ASSIGN, P_ADD_ASSIGN, P_SUB_ASSIGN, P_MUL_ASSIGN, P_DIV_ASSIGN, P_MOD_ASSIGN,
    P_SHL_ASSIGN, P_SHR_ASSIGN, P_AND_ASSIGN, P_XOR_ASSIGN, P_OR_ASSIGN, P_INC, P_DEC,
};

struct sc_token {
    enum sc_tok kind;
    enum sc_punct punct;
    uint32_t pos; /* byte offset in the text */
    uint32_t len;
};

/* ---- expression trees ---------------------------------------------------------------- */

enum sc_node_kind {
    N_NUM,    /* v */
    N_LOCAL,  /* index */
    N_GLOBAL, /* index into the program's globals */
    N_REG,    /* index (0..15), view */
    N_PSEUDO, /* index: enum hd_script_pseudo */
    N_UNARY,  /* op: HD_SOP_NEG, HD_SOP_NOT, HD_SOP_LNOT; l */
    N_BINARY, /* op: HD_SOP_ADD … HD_SOP_GE; l, r */
    N_AND,    /* &&: l, r */
    N_OR,     /* ||: l, r */
    N_CALL,   /* index: the function; args */
    N_STRING, /* a printf format: pos/len of the literal */
};

struct sc_node {
    enum sc_node_kind kind;
    uint32_t op;
    uint32_t index;
    uint32_t view;
    uint64_t v;
    uint32_t pos, len; /* where it is in the text, for errors */
    struct sc_node *l, *r;
    struct sc_node **args;
    uint32_t nargs;
};

/* ---- the program being built (script_emit.c) -------------------------------------------- */

/* Slot operands while building: locals are their index, temporaries are tagged (their number
 * is known only at the end, after the locals). */
#define SC_TEMP 0x80000000u
/* An empty jump list (lists are chained through the jumps' d fields). */
#define SC_NONE 0xFFFFFFFFu

struct sc_insn {
    uint8_t op, flags;
    uint32_t d, a, b;
};

struct sc_local {
    uint32_t pos, len; /* its name in the text */
};

/* A loop being compiled: where break and continue go. */
struct sc_loop {
    uint32_t breaks;     /* jump list to the end */
    uint32_t continues;  /* jump list to the continue point */
    struct sc_loop *outer;
};

struct sc_chunk; /* the node arena */

struct sc {
    const char *text;
    uint32_t len;
    uint32_t pos;            /* the lexer's position */
    struct sc_token tok;     /* the current token */
    uint32_t depth;          /* nesting of expressions and blocks (a bound, for the C stack) */
    jmp_buf fail;
    enum hd_status status;
    struct hd_script_error *err;

    struct sc_insn *code;
    uint32_t ninsn, capinsn;
    uint64_t *consts;
    uint32_t nconsts, capconsts;
    char *strings;
    uint32_t nstrings, capstrings;
    uint32_t globals[HD_SCRIPT_GLOBALS_MAX]; /* string offsets of the names */
    uint32_t nglobals;
    struct sc_local *locals;
    uint32_t nlocals, caplocals;
    uint32_t temps, temps_max;
    struct sc_loop *loop;
    struct sc_chunk *arena;
};

/* ---- errors (script_lex.c) ---------------------------------------------------------- */

/* Fail at @pos (@len bytes) with a printf-style message: longjmps to the entry point. */
_Noreturn void hd__sc_fail(struct sc *c, uint32_t pos, uint32_t len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
_Noreturn void hd__sc_no_memory(struct sc *c);
/* Fail at the current token. */
#define sc_fail_tok(c, ...) hd__sc_fail((c), (c)->tok.pos, (c)->tok.len, __VA_ARGS__)

/* ---- lexer (script_lex.c) ------------------------------------------------------------ */

/* Read the next token into c->tok. */
void hd__sc_next(struct sc *c);
bool hd__sc_is(const struct sc *c, enum sc_punct p);
/* Expect punctuation @p (what: its text for the message) and move past it. */
void hd__sc_expect(struct sc *c, enum sc_punct p, const char *what);
/* Is the current token the word @w? */
bool hd__sc_word(const struct sc *c, const char *w);
/* The token after the current one, without moving. */
struct sc_token hd__sc_peek(struct sc *c);

/* ---- expressions (script_expr.c) ---------------------------------------------------- */

/*
 * The register names of each view (script_disasm.c), the compiler's and the listing's: 64, 32,
 * 16 and low 8 bits of rax..r15, then the high bytes, where only ah, ch, dh and bh are names a
 * script may write; the other twelve say what a listing shows for them.
 */
extern const char *const hd__script_views[5][16];

struct sc_node *hd__sc_expr(struct sc *c);
/* Memory that lives as long as the compilation (the node arena). */
void *hd__sc_alloc(struct sc *c, size_t n);
/* Free the arena (the entry point, at the end). */
void hd__sc_arena_free(struct sc *c);
struct sc_node *hd__sc_node(struct sc *c, enum sc_node_kind kind, uint32_t pos, uint32_t len);
/* The value of the word token @t as a number, if it is one (hex digits, 0x 0n 0o 0y). */
bool hd__sc_number(struct sc *c, const struct sc_token *t, uint64_t *v);
/* Is word @t a number or a name? A name starts with a letter or '_' and is not hex digits. */
bool hd__sc_is_name(const struct sc *c, const struct sc_token *t);
/* The guest register of "@name" (@t): index, view; -1 when unknown, -2 for @rip. */
int hd__sc_register(const struct sc *c, const struct sc_token *t, uint32_t *view);
int hd__sc_local(struct sc *c, const struct sc_token *t, bool create);
uint32_t hd__sc_global(struct sc *c, const struct sc_token *t);

/* ---- code generation (script_gen.c) -------------------------------------------------- */

/* A value: a constant, or a slot (a local's, or a temporary the caller must release). */
struct sc_val {
    bool is_const;
    uint64_t k;
    uint32_t slot;
    int64_t def; /* the instruction that alone wrote this temporary, or -1 */
};

struct sc_val hd__sc_gen(struct sc *c, const struct sc_node *n);
/* Code that jumps when @n's truth is @when; @return the jump list (falls through otherwise). */
uint32_t hd__sc_gen_jump(struct sc *c, const struct sc_node *n, bool when);
uint32_t hd__sc_slot(struct sc *c, struct sc_val v);         /* a constant goes to a temp */
void hd__sc_release(struct sc *c, struct sc_val v);
void hd__sc_store(struct sc *c, const struct sc_node *target, struct sc_val v); /* target = v */
/* Slot @dest = @v (the instruction that computed @v writes @dest itself when it can); @v is
 * released. */
void hd__sc_move(struct sc *c, uint32_t dest, struct sc_val v);

/* ---- calls (script_call.c) ---------------------------------------------------------- */

/* The function named by word @t, or -1. */
int hd__sc_function(const struct sc *c, const struct sc_token *t);
/* Parse the arguments of a call to function @f (the name token @t) into a node. */
struct sc_node *hd__sc_call(struct sc *c, int f, const struct sc_token *t);
/* Compile a call; want: its value is used (functions without one are refused then). */
struct sc_val hd__sc_gen_call(struct sc *c, const struct sc_node *n, bool want);

/* ---- statements (script_stmt.c) ------------------------------------------------------ */

void hd__sc_program(struct sc *c);

/* ---- the program (script_emit.c) -------------------------------------------------------- */

uint32_t hd__sc_emit(struct sc *c, uint32_t op, uint32_t flags, uint32_t d, uint32_t a,
                     uint32_t b);
uint32_t hd__sc_const(struct sc *c, uint64_t v);
/* Add a NUL-terminated string (@n bytes, NUL excluded); @return its offset. */
uint32_t hd__sc_string(struct sc *c, const char *s, uint32_t n, uint32_t pos, uint32_t len);
uint32_t hd__sc_temp(struct sc *c);
void hd__sc_temp_free(struct sc *c, uint32_t slot);
uint32_t hd__sc_here(const struct sc *c);
/* A jump of @op (JMP, JZ, JNZ on slot @a) to be patched: added to @list, which it returns. */
uint32_t hd__sc_jump(struct sc *c, uint32_t op, uint32_t a, uint32_t list);
uint32_t hd__sc_merge(struct sc *c, uint32_t a, uint32_t b);
void hd__sc_patch(struct sc *c, uint32_t list, uint32_t target);
/* Serialise the program (header, code with slots numbered, constants, globals, strings). */
enum hd_status hd__sc_finish(struct sc *c, struct hd_script_program *out);

#endif /* HDEVENT_USER_SCRIPT_INTERNAL_H */
