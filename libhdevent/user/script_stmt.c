/* SPDX-License-Identifier: MIT */
/*
 * script_stmt.c — statements, compiled as they are parsed:
 *
 *     { … }   if (c) {…} elsif (c) {…} else {…}   while (c) {…}   do {…} while (c);
 *     for (init; c; step) {…}   break;   continue;
 *     x = e;  x OP= e;  x++;  x--;  ++x;  --x;  f(…);   (x: a local, .global or @register)
 *
 * Bodies of if, while, do and for are blocks in braces, as in HyperDbg. A for's step is
 * written before its body but runs after it: the step's tokens are skipped, the body compiled,
 * then the lexer goes back to compile the step.
 */
#include <string.h>

#include "script_internal.h"

#define SC_NESTING_MAX 100u

static void statement(struct sc *c);

static void block(struct sc *c, const char *what)
{
    if (!hd__sc_is(c, P_LBRACE))
        sc_fail_tok(c, "%s takes a block in braces: { ... }", what);
    hd__sc_next(c);
    while (!hd__sc_is(c, P_RBRACE)) {
        if (c->tok.kind == TK_EOF)
            hd__sc_fail(c, c->tok.pos, 0, "expected '}' before the end of the script");
        statement(c);
    }
    hd__sc_next(c);
}

/* ---- assignments and calls ---------------------------------------------------------------- */

/* What a simple statement writes: a local (made when @create), a .global or a 64-bit @reg. */
static struct sc_node *target(struct sc *c, bool create)
{
    struct sc_token t = c->tok;
    struct sc_node *n = hd__sc_node(c, N_LOCAL, t.pos, t.len);
    uint64_t v;
    int r;

    if (t.kind == TK_GLOBAL) {
        n->kind = N_GLOBAL;
        n->index = hd__sc_global(c, &t);
    } else if (t.kind == TK_REG) {
        r = hd__sc_register(c, &t, &n->view);
        if (r == -2)
            sc_fail_tok(c, "@rip is read-only: the exit's RIP is advanced by the backend");
        if (r == -1)
            sc_fail_tok(c, "unknown register '%.*s'", (int)t.len, c->text + t.pos);
        if (n->view != HD_SCRIPT_VIEW_64)
            sc_fail_tok(c, "'%.*s' is read-only: write the whole register (@rax ... @r15)",
                        (int)t.len, c->text + t.pos);
        n->kind = N_REG;
        n->index = (uint32_t)r;
    } else if (t.kind == TK_PSEUDO) {
        sc_fail_tok(c, "'%.*s' is read-only: pseudo-registers cannot be assigned", (int)t.len,
                    c->text + t.pos);
    } else if (t.kind == TK_WORD && hd__sc_number(c, &t, &v)) {
        sc_fail_tok(c, "'%.*s' is a number (hex digits): a local's name needs a letter past "
                       "'f' or a '_' (such as x, count, _a)",
                    (int)t.len, c->text + t.pos);
    } else if (t.kind == TK_WORD && !hd__sc_is_name(c, &t)) {
        sc_fail_tok(c, "'%.*s' is neither a number nor a name", (int)t.len, c->text + t.pos);
    } else if (hd__sc_is_name(c, &t)) {
        r = hd__sc_local(c, &t, create);
        if (r < 0)
            sc_fail_tok(c, "unknown name '%.*s': a local is made by assigning to it "
                           "(%.*s = ...;)",
                        (int)t.len, c->text + t.pos, (int)t.len, c->text + t.pos);
        n->index = (uint32_t)r;
    } else {
        if (c->tok.kind == TK_EOF)
            hd__sc_fail(c, t.pos, 0, "expected a statement before the end of the script");
        sc_fail_tok(c, "expected a statement: an assignment (x = 1;), a call (printf(...);), "
                       "if, while, do, for, break or continue");
    }
    hd__sc_next(c);
    return n;
}

static const struct {
    enum sc_punct p;
    uint32_t op;
} compound[] = {
    {P_ADD_ASSIGN, HD_SOP_ADD}, {P_SUB_ASSIGN, HD_SOP_SUB}, {P_MUL_ASSIGN, HD_SOP_MUL},
    {P_DIV_ASSIGN, HD_SOP_DIV}, {P_MOD_ASSIGN, HD_SOP_MOD}, {P_SHL_ASSIGN, HD_SOP_SHL},
    {P_SHR_ASSIGN, HD_SOP_SHR}, {P_AND_ASSIGN, HD_SOP_AND}, {P_XOR_ASSIGN, HD_SOP_XOR},
    {P_OR_ASSIGN, HD_SOP_OR},   {P_INC, HD_SOP_ADD},        {P_DEC, HD_SOP_SUB},
};

/* @t OP= @rhs (rhs NULL: ++ or --, a 1). */
static void update(struct sc *c, struct sc_node *t, uint32_t op, struct sc_node *rhs,
                   uint32_t pos, uint32_t len)
{
    struct sc_node *n = hd__sc_node(c, N_BINARY, pos, len);
    n->op = op;
    n->l = t;
    n->r = rhs ? rhs : hd__sc_node(c, N_NUM, pos, len);
    if (!rhs)
        n->r->v = 1;
    hd__sc_store(c, t, hd__sc_gen(c, n));
}

static void simple(struct sc *c)
{
    struct sc_token t = c->tok;
    struct sc_node *lhs;

    if (hd__sc_is(c, P_INC) || hd__sc_is(c, P_DEC)) { /* ++x, --x */
        hd__sc_next(c);
        lhs = target(c, false);
        update(c, lhs, t.punct == P_INC ? HD_SOP_ADD : HD_SOP_SUB, NULL, t.pos, t.len);
        return;
    }
    if (t.kind == TK_WORD) {
        struct sc_token next = hd__sc_peek(c);
        if (next.kind == TK_PUNCT && next.punct == P_LPAREN) { /* a call */
            hd__sc_next(c);
            hd__sc_release(c, hd__sc_gen_call(c, hd__sc_call(c, hd__sc_function(c, &t), &t),
                                              false));
            return;
        }
    }
    {
        struct sc_token next = hd__sc_peek(c);
        lhs = target(c, next.kind == TK_PUNCT && next.punct == P_ASSIGN);
    }
    t = c->tok;
    if (hd__sc_is(c, P_ASSIGN)) {
        hd__sc_next(c);
        hd__sc_store(c, lhs, hd__sc_gen(c, hd__sc_expr(c)));
        return;
    }
    for (size_t i = 0; i < sizeof(compound) / sizeof(compound[0]); i++) {
        if (!hd__sc_is(c, compound[i].p))
            continue;
        hd__sc_next(c);
        update(c, lhs, compound[i].op,
               t.punct == P_INC || t.punct == P_DEC ? NULL : hd__sc_expr(c), t.pos, t.len);
        return;
    }
    if (c->tok.kind == TK_EOF)
        hd__sc_fail(c, c->tok.pos, 0, "expected '=' before the end of the script");
    sc_fail_tok(c, "expected an assignment after '%.*s': = += -= *= /= %%= <<= >>= &= ^= |= "
                   "++ or --",
                (int)(lhs->len), c->text + lhs->pos);
}

/* ---- control flow -------------------------------------------------------------------------- */

static uint32_t condition(struct sc *c, const char *what, bool when)
{
    struct sc_node *n;
    if (!hd__sc_is(c, P_LPAREN))
        sc_fail_tok(c, "%s takes a condition in parentheses: %s (...)", what, what);
    hd__sc_next(c);
    n = hd__sc_expr(c);
    hd__sc_expect(c, P_RPAREN, ")");
    return hd__sc_gen_jump(c, n, when);
}

static void if_statement(struct sc *c)
{
    uint32_t no, ends = SC_NONE;

    hd__sc_next(c);
    no = condition(c, "if", false);
    block(c, "if");
    while (hd__sc_word(c, "elsif") || hd__sc_word(c, "else")) {
        bool is_else = hd__sc_word(c, "else");
        ends = hd__sc_jump(c, HD_SOP_JMP, 0, ends);
        hd__sc_patch(c, no, hd__sc_here(c));
        no = SC_NONE;
        hd__sc_next(c);
        if (is_else && hd__sc_word(c, "if"))
            sc_fail_tok(c, "write 'elsif (...) {...}', not 'else if'");
        if (is_else) {
            block(c, "else");
            break;
        }
        no = condition(c, "elsif", false);
        block(c, "elsif");
    }
    hd__sc_patch(c, no, hd__sc_here(c));
    hd__sc_patch(c, ends, hd__sc_here(c));
}

/* Compile a loop's body with break and continue bound to @loop. */
static void loop_body(struct sc *c, struct sc_loop *loop, const char *what)
{
    loop->breaks = SC_NONE;
    loop->continues = SC_NONE;
    loop->outer = c->loop;
    c->loop = loop;
    block(c, what);
    c->loop = loop->outer;
}

static void while_statement(struct sc *c)
{
    struct sc_loop loop;
    uint32_t top = hd__sc_here(c), no;

    hd__sc_next(c);
    no = condition(c, "while", false);
    loop_body(c, &loop, "while");
    hd__sc_patch(c, loop.continues, top);
    hd__sc_emit(c, HD_SOP_JMP, 0, top, 0, 0);
    hd__sc_patch(c, no, hd__sc_here(c));
    hd__sc_patch(c, loop.breaks, hd__sc_here(c));
}

static void do_statement(struct sc *c)
{
    struct sc_loop loop;
    uint32_t top = hd__sc_here(c);

    hd__sc_next(c);
    loop_body(c, &loop, "do");
    if (!hd__sc_word(c, "while"))
        sc_fail_tok(c, "do {...} ends with while (...);");
    hd__sc_next(c);
    hd__sc_patch(c, loop.continues, hd__sc_here(c));
    hd__sc_patch(c, condition(c, "while", true), top);
    hd__sc_expect(c, P_SEMI, ";");
    hd__sc_patch(c, loop.breaks, hd__sc_here(c));
}

/* Skip the tokens of a for's step up to its ')' (parentheses balanced). */
static void skip_step(struct sc *c)
{
    uint32_t depth = 0;
    while (!(hd__sc_is(c, P_RPAREN) && depth == 0)) {
        if (c->tok.kind == TK_EOF)
            hd__sc_fail(c, c->tok.pos, 0, "expected ')' before the end of the script");
        if (hd__sc_is(c, P_LBRACE) || hd__sc_is(c, P_SEMI)) /* no step holds these */
            sc_fail_tok(c, "expected ')' here");
        depth += hd__sc_is(c, P_LPAREN);
        depth -= hd__sc_is(c, P_RPAREN);
        hd__sc_next(c);
    }
    hd__sc_next(c);
}

static void for_statement(struct sc *c)
{
    struct sc_loop loop;
    uint32_t top, no = SC_NONE, step_pos, after_pos;
    struct sc_token step_tok, after_tok;

    hd__sc_next(c);
    hd__sc_expect(c, P_LPAREN, "(");
    if (!hd__sc_is(c, P_SEMI))
        simple(c);
    hd__sc_expect(c, P_SEMI, ";");
    top = hd__sc_here(c);
    if (!hd__sc_is(c, P_SEMI))
        no = hd__sc_gen_jump(c, hd__sc_expr(c), false);
    hd__sc_expect(c, P_SEMI, ";");
    step_pos = c->pos, step_tok = c->tok;
    skip_step(c);
    loop_body(c, &loop, "for");
    hd__sc_patch(c, loop.continues, hd__sc_here(c));
    after_pos = c->pos, after_tok = c->tok;
    c->pos = step_pos, c->tok = step_tok; /* back to the step, now that the body is done */
    if (!hd__sc_is(c, P_RPAREN))
        simple(c);
    hd__sc_expect(c, P_RPAREN, ")");
    c->pos = after_pos, c->tok = after_tok;
    hd__sc_emit(c, HD_SOP_JMP, 0, top, 0, 0);
    hd__sc_patch(c, no, hd__sc_here(c));
    hd__sc_patch(c, loop.breaks, hd__sc_here(c));
}

static void jump_statement(struct sc *c, bool is_break)
{
    struct sc_token t = c->tok;
    hd__sc_next(c);
    hd__sc_expect(c, P_SEMI, ";");
    if (!c->loop)
        hd__sc_fail(c, t.pos, t.len, "%s outside a loop", is_break ? "break" : "continue");
    if (is_break)
        c->loop->breaks = hd__sc_jump(c, HD_SOP_JMP, 0, c->loop->breaks);
    else
        c->loop->continues = hd__sc_jump(c, HD_SOP_JMP, 0, c->loop->continues);
}

static void statement(struct sc *c)
{
    if (++c->depth > SC_NESTING_MAX)
        sc_fail_tok(c, "blocks nested more than %u deep", SC_NESTING_MAX);
    if (hd__sc_is(c, P_LBRACE))
        block(c, "a block");
    else if (hd__sc_is(c, P_SEMI))
        hd__sc_next(c); /* an empty statement */
    else if (hd__sc_word(c, "if"))
        if_statement(c);
    else if (hd__sc_word(c, "while"))
        while_statement(c);
    else if (hd__sc_word(c, "do"))
        do_statement(c);
    else if (hd__sc_word(c, "for"))
        for_statement(c);
    else if (hd__sc_word(c, "break") || hd__sc_word(c, "continue"))
        jump_statement(c, hd__sc_word(c, "break"));
    else if (hd__sc_word(c, "else") || hd__sc_word(c, "elsif"))
        sc_fail_tok(c, "'%.*s' without an if before it", (int)c->tok.len, c->text + c->tok.pos);
    else if (hd__sc_is(c, P_RBRACE))
        sc_fail_tok(c, "unmatched '}'");
    else {
        simple(c);
        hd__sc_expect(c, P_SEMI, ";");
    }
    c->depth--;
}

void hd__sc_program(struct sc *c)
{
    hd__sc_next(c);
    while (c->tok.kind != TK_EOF)
        statement(c);
    hd__sc_emit(c, HD_SOP_END, 0, 0, 0, 0);
}
