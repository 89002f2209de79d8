/* SPDX-License-Identifier: MIT */
/*
 * command_vmcall.c — `!vmcall [option value]...`: options in any order, keywords in any case,
 * each option at most once (a repeated option is an error: "last wins" would silently drop
 * what the user typed first). Cross-checks run once every option is read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command_internal.h"

enum opt {
    OPT_PID,
    OPT_CORE,
    OPT_IMM,
    OPT_SC,
    OPT_STAGE,
    OPT_BUFFER,
    OPT_STEPS,
    OPT_CONDITION,
    OPT_CODE,
    OPT_SCRIPT,
    OPT_OUTPUT,
    OPT_NR,       /* hdevent's own extension, as the two after it (docs/commands.md) */
    OPT_DENY,
    OPT_MAX_HITS,
    OPT_COUNT
};

static const char *const opt_name[OPT_COUNT] = {
    "pid", "core", "imm", "sc", "stage", "buffer", "steps", "condition", "code", "script", "output",
    "nr", "deny", "max_hits",
};

#define EXPECT_PID "a pid is a hex number (prefix 0n for decimal) or 'all'"
#define EXPECT_CORE "a core is a hex number (prefix 0n for decimal) or 'all'"
#define EXPECT_IMM "imm takes 'yes' or 'no'"
#define EXPECT_SC "sc takes 'on' or 'off'"
#define EXPECT_STAGE "stage takes 'pre', 'post' or 'all'"
#define EXPECT_BUFFER "a buffer size is a hex number of bytes (prefix 0n for decimal)"
#define EXPECT_STEPS                                                                            \
    "a step budget is a hex number of script instructions per run, 1 to 0x1000000 (prefix 0n "  \
    "for decimal)"
#define EXPECT_CONDITION "condition takes hex bytes in braces, such as condition {90 90 90}"
#define EXPECT_CODE "code takes hex bytes in braces, such as code {90 90 90}"
#define EXPECT_ASM_CONDITION "asm condition takes assembly in braces, such as asm condition {nop; nop}"
#define EXPECT_ASM_CODE "asm code takes assembly in braces, such as asm code {nop; nop}"
#define EXPECT_SCRIPT "script takes a script or a file in braces: script {...} or script {file:PATH}"
#define EXPECT_OUTPUT "output takes 1 to 5 output names in braces, such as output {name1, name2}"
#define EXPECT_NR                                                                               \
    "nr takes a hypercall number or a range N-M of them, hex (prefix 0n for decimal), such as "  \
    "nr 0x10 or nr 0x10-0x1f"
#define EXPECT_DENY "deny takes 'ud' or rax=VALUE (hex, prefix 0n for decimal), such as deny rax=0"
#define EXPECT_MAX_HITS "max_hits takes a number of runs, 1 or more (hex, prefix 0n for decimal)"
#define EXPECT_ASM "'asm' applies to condition or code: asm condition {...} or asm code {...}"
#define EXPECT_OPTION                                                                           \
    "unknown option: !vmcall takes pid, core, imm, sc, stage, buffer, steps, condition, code, " \
    "asm condition, asm code, script, output, nr, deny and max_hits"

/* What the options said, before the event is built. */
struct vstate {
    struct cmd_token key[OPT_COUNT]; /* keyword as typed (`asm code` spans both); p NULL: absent */
    struct cmd_token val[OPT_COUNT];
    uint32_t pid, core, buffer, steps;
    uint64_t nr_first, nr_last, deny_rax, max_hits;
    enum hd_deny deny;
    enum hd_stage stage;
    bool sc, imm;
    uint8_t *cond, *code; /* owned until moved into the event */
    uint32_t cond_size, code_size;
};

static int opt_lookup(const struct cmd_token *tok)
{
    for (int i = 0; i < OPT_COUNT; i++)
        if (hd__cmd_is(tok, opt_name[i]))
            return i;
    return -1;
}

static const char *expected_of(int opt, bool is_asm)
{
    static const char *const e[OPT_COUNT] = {
        EXPECT_PID,   EXPECT_CORE,  EXPECT_IMM,       EXPECT_SC,   EXPECT_STAGE,  EXPECT_BUFFER,
        EXPECT_STEPS, EXPECT_CONDITION, EXPECT_CODE, EXPECT_SCRIPT, EXPECT_OUTPUT,
        EXPECT_NR,    EXPECT_DENY,  EXPECT_MAX_HITS,
    };
    if (is_asm)
        return opt == OPT_CONDITION ? EXPECT_ASM_CONDITION : EXPECT_ASM_CODE;
    return e[opt];
}

static char *copy_text(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

static enum hd_status set_body(struct hd_command_body *body, const char *p, size_t n,
                               uint32_t column, struct hd_command_error *err)
{
    body->text = copy_text(p, n);
    if (!body->text)
        return hd__cmd_no_memory(err);
    body->length = (uint32_t)n;
    body->column = column;
    return HD_OK;
}

static bool body_blank(const struct cmd_token *t)
{
    for (uint32_t i = 1; i + 1 < t->len; i++)
        if (!hd__cmd_is_blank(t->p[i]))
            return false;
    return true;
}

/* Compile the body @b .. @e: a script that does not compile is an error of the command, at
 * the script's token (its line and column inside the body are in the message and in err). */
static enum hd_status compile_body(const struct cmd_lexer *lx, const char *b, const char *e,
                                   struct hd_command *out, struct hd_command_error *err)
{
    struct hd_script_error se;
    enum hd_status st = hd_script_compile_n(b, (size_t)(e - b), &out->script_program, &se);

    if (st == HD_ERR_NO_MEMORY)
        return hd__cmd_no_memory(err);
    if (st != HD_OK) {
        hd__cmd_fail(lx, err, b + se.offset, se.length, "script line %u, column %u: %s",
                     se.line, se.column, se.message);
        if (err) {
            err->script_line = se.line;
            err->script_column = se.column;
        }
        return HD_ERR_SCRIPT_COMPILE;
    }
    return HD_OK;
}

/* `script {…}` (compiled here) / `script {file:PATH}` (compiled by hd_command_load_script). */
static enum hd_status parse_script(const struct cmd_lexer *lx, const struct cmd_token *key,
                                   const struct cmd_token *v, struct hd_command *out,
                                   struct hd_command_error *err)
{
    const char *b = v->p + 1, *e = v->p + v->len - 1, *s = b;

    while (s < e && hd__cmd_is_blank(*s))
        s++;
    if (s == e)
        return cmd_fail_tok(lx, err, v, "empty script: %s", EXPECT_SCRIPT);
    if (hd__cmd_starts_with(s, (size_t)(e - s), "file:")) {
        const char *p = s + 5, *q = e;
        while (p < q && hd__cmd_is_blank(*p))
            p++;
        while (q > p && hd__cmd_is_blank(q[-1]))
            q--;
        if (p == q)
            return cmd_fail_tok(lx, err, v, "no path after 'file:': %s", EXPECT_SCRIPT);
        out->flags |= HD_COMMAND_SCRIPT | HD_COMMAND_SCRIPT_FILE;
        return set_body(&out->script, p, (size_t)(q - p), hd__cmd_column(lx, key->p), err);
    }
    out->flags |= HD_COMMAND_SCRIPT;
    HD_CHECK(set_body(&out->script, b, (size_t)(e - b), hd__cmd_column(lx, key->p), err));
    return compile_body(lx, b, e, out, err);
}

/* `output {a, b, …}`: 1 to 5 distinct one-word names. */
static enum hd_status parse_output(const struct cmd_lexer *lx, const struct cmd_token *v,
                                   struct hd_command *out, struct hd_command_error *err)
{
    const char *p = v->p + 1, *end = v->p + v->len - 1;

    if (body_blank(v))
        return cmd_fail_tok(lx, err, v, "empty output list: %s", EXPECT_OUTPUT);
    for (;;) {
        const char *comma = p, *s, *q;
        while (comma < end && *comma != ',')
            comma++;
        for (s = p; s < comma && hd__cmd_is_blank(*s); s++)
            ;
        for (q = comma; q > s && hd__cmd_is_blank(q[-1]); q--)
            ;
        size_t n = (size_t)(q - s);
        if (n == 0)
            return hd__cmd_fail(lx, err, comma < end ? comma : end, 1,
                            "empty output name: %s", EXPECT_OUTPUT);
        for (const char *c = s; c < q; c++)
            if (hd__cmd_is_blank(*c))
                return hd__cmd_fail(lx, err, s, n,
                                "an output name is one word; separate names with commas: %s",
                                EXPECT_OUTPUT);
        size_t bad = hd_output_name_check(s, n);
        if (bad < n && bad + 1 >= HD_COMMAND_OUTPUT_NAME_BYTES)
            return hd__cmd_fail(lx, err, s, n, "output name longer than %u characters",
                            HD_COMMAND_OUTPUT_NAME_BYTES - 1);
        if (bad < n) {
            unsigned char ch = (unsigned char)s[bad];
            char shown[8];
            snprintf(shown, sizeof(shown), ch > 0x20 && ch < 0x7f ? "'%c'" : "0x%02X", ch);
            return hd__cmd_fail(lx, err, s + bad, 1,
                            "%s in output name: names are 1 to %u letters, digits, '_', '.' "
                            "and '-'", shown, HD_COMMAND_OUTPUT_NAME_BYTES - 1);
        }
        if (out->output_count == HD_COMMAND_MAX_OUTPUTS)
            return hd__cmd_fail(lx, err, s, n,
                            "more than %u output names: events forward to at most %u output "
                            "sources",
                            HD_COMMAND_MAX_OUTPUTS, HD_COMMAND_MAX_OUTPUTS);
        for (uint32_t i = 0; i < out->output_count; i++)
            if (strlen(out->outputs[i]) == n && memcmp(out->outputs[i], s, n) == 0)
                return hd__cmd_fail(lx, err, s, n, "output name listed twice: %s", EXPECT_OUTPUT);
        memcpy(out->outputs[out->output_count], s, n);
        out->outputs[out->output_count][n] = '\0';
        out->output_count++;
        if (comma >= end)
            return HD_OK;
        p = comma + 1;
    }
}

/* A number inside token @p v: @p len bytes from @p at, at most @p max. */
static enum hd_status part_number(const struct cmd_lexer *lx, const struct cmd_token *v,
                                  const char *at, size_t len, uint64_t max, const char *expect,
                                  uint64_t *out, struct hd_command_error *err)
{
    struct cmd_token part = {at, (uint32_t)len, false};
    enum cmd_num r = hd__cmd_number(at, len, max, out);

    (void)v;
    return r == CMD_NUM_OK ? HD_OK : hd__cmd_fail_number(lx, err, &part, r, max, expect);
}

/* `nr N` or `nr N-M` (N <= M). */
static enum hd_status parse_nr(const struct cmd_lexer *lx, const struct cmd_token *v,
                               struct vstate *s, struct hd_command_error *err)
{
    const char *dash = memchr(v->p, '-', v->len);
    size_t first_len = dash ? (size_t)(dash - v->p) : v->len;

    if (v->brace)
        return cmd_fail_tok(lx, err, v, "%s", EXPECT_NR);
    HD_CHECK(part_number(lx, v, v->p, first_len, ~(uint64_t)0, EXPECT_NR, &s->nr_first, err));
    s->nr_last = s->nr_first;
    if (!dash)
        return HD_OK;
    HD_CHECK(part_number(lx, v, dash + 1, v->len - first_len - 1, ~(uint64_t)0, EXPECT_NR,
                         &s->nr_last, err));
    if (s->nr_last < s->nr_first)
        return cmd_fail_tok(lx, err, v, "the range ends below its start: %s", EXPECT_NR);
    return HD_OK;
}

/* `deny ud` or `deny rax=VALUE`. */
static enum hd_status parse_deny(const struct cmd_lexer *lx, const struct cmd_token *v,
                                 struct vstate *s, struct hd_command_error *err)
{
    if (!v->brace && hd__cmd_is(v, "ud")) {
        s->deny = HD_DENY_UD;
        return HD_OK;
    }
    if (v->brace || v->len < 4 || !hd__cmd_starts_with(v->p, v->len, "rax="))
        return cmd_fail_tok(lx, err, v, "%s", EXPECT_DENY);
    if (v->len == 4)
        return cmd_fail_tok(lx, err, v, "no value after rax=: %s", EXPECT_DENY);
    s->deny = HD_DENY_RAX;
    return part_number(lx, v, v->p + 4, v->len - 4, ~(uint64_t)0, EXPECT_DENY, &s->deny_rax,
                       err);
}

/* The value @p v of option @p opt (keyword @p key). */
static enum hd_status parse_value(const struct cmd_lexer *lx, int opt, bool is_asm,
                                  const struct cmd_token *key, const struct cmd_token *v,
                                  struct vstate *s, struct hd_command *out,
                                  struct hd_command_error *err)
{
    const char *expect = expected_of(opt, is_asm);
    uint64_t n = 0;
    enum cmd_num r;

    switch (opt) {
    case OPT_PID:
    case OPT_CORE:
        if (hd__cmd_is(v, "all")) {
            n = HD_ALL;
        } else if ((r = v->brace ? CMD_NUM_BAD : hd__cmd_number(v->p, v->len, HD_ALL, &n)) !=
                   CMD_NUM_OK) {
            return hd__cmd_fail_number(lx, err, v, r, HD_ALL, expect);
        }
        *(opt == OPT_PID ? &s->pid : &s->core) = (uint32_t)n;
        return HD_OK;
    case OPT_BUFFER:
        if ((r = v->brace ? CMD_NUM_BAD : hd__cmd_number(v->p, v->len, HD_BUFFER_MAX_BYTES, &n)) !=
            CMD_NUM_OK)
            return hd__cmd_fail_number(lx, err, v, r, HD_BUFFER_MAX_BYTES, expect);
        s->buffer = (uint32_t)n;
        return HD_OK;
    case OPT_STEPS:
        if ((r = v->brace ? CMD_NUM_BAD : hd__cmd_number(v->p, v->len, HD_SCRIPT_STEPS_MAX, &n)) !=
            CMD_NUM_OK)
            return hd__cmd_fail_number(lx, err, v, r, HD_SCRIPT_STEPS_MAX, expect);
        if (n == 0)
            return cmd_fail_tok(lx, err, v, "a step budget of 0 runs nothing: %s", expect);
        s->steps = (uint32_t)n;
        return HD_OK;
    case OPT_NR:
        return parse_nr(lx, v, s, err);
    case OPT_DENY:
        return parse_deny(lx, v, s, err);
    case OPT_MAX_HITS:
        if ((r = v->brace ? CMD_NUM_BAD : hd__cmd_number(v->p, v->len, ~(uint64_t)0, &n)) !=
            CMD_NUM_OK)
            return hd__cmd_fail_number(lx, err, v, r, ~(uint64_t)0, expect);
        if (n == 0)
            return cmd_fail_tok(lx, err, v, "max_hits 0 would never run: %s", expect);
        s->max_hits = n;
        return HD_OK;
    case OPT_IMM:
        if (!hd__cmd_is(v, "yes") && !hd__cmd_is(v, "no"))
            return cmd_fail_tok(lx, err, v, "%s", expect);
        s->imm = hd__cmd_is(v, "yes");
        return HD_OK;
    case OPT_SC:
        if (!hd__cmd_is(v, "on") && !hd__cmd_is(v, "off"))
            return cmd_fail_tok(lx, err, v, "%s", expect);
        s->sc = hd__cmd_is(v, "on");
        return HD_OK;
    case OPT_STAGE:
        if (hd__cmd_is(v, "pre"))
            s->stage = HD_STAGE_PRE;
        else if (hd__cmd_is(v, "post"))
            s->stage = HD_STAGE_POST;
        else if (hd__cmd_is(v, "all"))
            s->stage = HD_STAGE_ALL;
        else
            return cmd_fail_tok(lx, err, v, "%s", expect);
        return HD_OK;
    default:
        break;
    }
    /* Options whose value is a {…} body. */
    if (!v->brace)
        return cmd_fail_tok(lx, err, v, "expected a {...} body: %s", expect);
    switch (opt) {
    case OPT_CONDITION:
    case OPT_CODE:
        if (is_asm) {
            if (body_blank(v))
                return cmd_fail_tok(lx, err, v, "empty body: %s", expect);
            out->flags |= opt == OPT_CODE ? HD_COMMAND_ASM_CODE : HD_COMMAND_ASM_CONDITION;
            return set_body(opt == OPT_CODE ? &out->asm_code : &out->asm_condition, v->p + 1,
                            v->len - 2, hd__cmd_column(lx, key->p), err);
        }
        if (opt == OPT_CODE)
            return hd__cmd_hex_body(lx, v, "code", &s->code, &s->code_size, err);
        return hd__cmd_hex_body(lx, v, "condition", &s->cond, &s->cond_size, err);
    case OPT_SCRIPT:
        return parse_script(lx, key, v, out, err);
    default:
        return parse_output(lx, v, out, err);
    }
}

/* Of two options both given, the one typed later (the error points there). */
static int later(const struct vstate *s, int a, int b)
{
    return s->key[a].p > s->key[b].p ? a : b;
}

/* Option @opt (@quoted in the message's head, @name in its columns; it makes the VMCALL
 * @does) with stage post or all: the error points at whichever of the two came later. */
static enum hd_status needs_stage_pre(const struct cmd_lexer *lx, const struct vstate *s,
                                      struct hd_command_error *err, int opt, const char *quoted,
                                      const char *name, const char *does)
{
    return cmd_fail_tok(lx, err, &s->val[later(s, opt, OPT_STAGE)],
                        "%s needs stage pre: the VMCALL can only be %s before it is handled "
                        "(%s at column %u, stage %s at column %u)",
                        quoted, does, name,
                        hd__cmd_column(lx, s->val[opt].p),
                        s->stage == HD_STAGE_POST ? "post" : "all",
                        hd__cmd_column(lx, s->val[OPT_STAGE].p));
}

static enum hd_status cross_check(const struct cmd_lexer *lx, const struct vstate *s,
                                  struct hd_command_error *err)
{
    if (s->sc && s->stage != HD_STAGE_PRE)
        return needs_stage_pre(lx, s, err, OPT_SC, "'sc on'", "sc on", "skipped");
    if (s->deny != HD_DENY_NONE && s->stage != HD_STAGE_PRE)
        return needs_stage_pre(lx, s, err, OPT_DENY, "deny", "deny", "refused");
    if (s->key[OPT_STEPS].p && !s->key[OPT_SCRIPT].p)
        return cmd_fail_tok(lx, err, &s->key[OPT_STEPS],
                            "steps limits the instructions of a script run: give it with "
                            "script {...}");
    if (!s->imm && s->key[OPT_OUTPUT].p) {
        int o = later(s, OPT_IMM, OPT_OUTPUT);
        const struct cmd_token *t = o == OPT_IMM ? &s->val[OPT_IMM] : &s->key[OPT_OUTPUT];
        return cmd_fail_tok(lx, err, t,
                            "'imm no' cannot be used with output: forwarding to output sources "
                            "needs immediate messages (imm no at column %u, output at column %u)",
                            hd__cmd_column(lx, s->val[OPT_IMM].p),
                            hd__cmd_column(lx, s->key[OPT_OUTPUT].p));
    }
    return HD_OK;
}

/* Move what the options said into out->event. */
static enum hd_status build_event(const struct cmd_lexer *lx, struct vstate *s,
                                  struct hd_command *out, struct hd_command_error *err)
{
    struct hd_event_desc *ev = &out->event;
    struct hd_action_desc *acts;
    bool has_code = s->key[OPT_CODE].p != NULL, has_script = s->key[OPT_SCRIPT].p != NULL;
    uint32_t n = (uint32_t)has_code + (uint32_t)has_script, i = 0;

    hd_event_desc_init(ev);
    ev->pid = s->pid;
    ev->core = s->core;
    ev->stage = s->stage;
    ev->short_circuit = s->sc;
    ev->script_steps = s->steps;
    ev->nr_filter = s->key[OPT_NR].p != NULL;
    ev->nr_first = s->nr_first;
    ev->nr_last = s->nr_last;
    ev->deny = s->deny;
    ev->deny_rax = s->deny_rax;
    ev->max_hits = s->max_hits;
    for (uint32_t k = 0; k < out->output_count; k++) /* the wire carries a tag per name */
        ev->outputs[k] = hd_output_tag(out->outputs[k], strlen(out->outputs[k]));
    ev->output_count = out->output_count;
    out->immediate = s->imm;
    out->buffer_size = s->buffer;
    out->steps = s->steps;
    if (s->key[OPT_CONDITION].p) {
        /* asm: assembled bytes (no bytes in builds without the assembler, which registration
         * refuses) */
        ev->condition.kind = HD_CONDITION_RAW;
        ev->condition.code = s->cond;
        ev->condition.code_size = s->cond_size;
        s->cond = NULL;
    }
    acts = calloc(n ? n : 1, sizeof(*acts));
    if (!acts)
        return hd__cmd_no_memory(err);
    ev->actions = acts;
    if (n == 0 && s->deny == HD_DENY_NONE) {
        hd_action_desc_init(&acts[i++], HD_ACTION_BREAK); /* HyperDbg: no code, no script */
    } /* with deny, the verdict is what the event does: no break */
    /* Actions run in the order the command gives them. */
    if (has_code && (!has_script || s->key[OPT_CODE].p < s->key[OPT_SCRIPT].p)) {
        hd_action_desc_init(&acts[i], HD_ACTION_CODE);
        acts[i].code = s->code; /* asm code without the assembler: NULL, refused */
        acts[i++].code_size = s->code_size;
        s->code = NULL;
        has_code = false;
    }
    if (has_script) { /* no bytes yet for a file: hd_command_load_script() compiles it */
        hd_action_desc_init(&acts[i], HD_ACTION_SCRIPT);
        acts[i].script = out->script_program.code;
        acts[i++].script_size = out->script_program.size;
    }
    if (has_code) {
        hd_action_desc_init(&acts[i], HD_ACTION_CODE);
        acts[i].code = s->code;
        acts[i++].code_size = s->code_size;
        s->code = NULL;
    }
    ev->action_count = i;
    for (uint32_t k = 0; k < i; k++) {
        acts[k].immediate = s->imm;
        if (acts[k].type != HD_ACTION_BREAK)
            acts[k].buffer_size = s->buffer;
    }
    ev->command = copy_text(lx->text, lx->len);
    if (!ev->command)
        return hd__cmd_no_memory(err);
    return HD_OK;
}

/* `asm` bodies become bytes once the command's options are all read and checked, so that a
 * mistake in the options is reported before one in the assembly; the earlier body first. */
static enum hd_status assemble(const struct cmd_lexer *lx, struct vstate *s,
                               const struct hd_command *out, struct hd_command_error *err)
{
#ifdef HDEVENT_NO_ZYDIS
    (void)lx, (void)s, (void)out, (void)err; /* no assembler: the bodies stay text */
#else
    bool cond = out->flags & HD_COMMAND_ASM_CONDITION, code = out->flags & HD_COMMAND_ASM_CODE;
    bool code_first = code && (!cond || s->val[OPT_CODE].p < s->val[OPT_CONDITION].p);

    if (code_first)
        HD_CHECK(hd__asm_command_body(lx, &s->val[OPT_CODE], "code", &s->code, &s->code_size, err));
    if (cond)
        HD_CHECK(hd__asm_command_body(lx, &s->val[OPT_CONDITION], "condition", &s->cond,
                                      &s->cond_size, err));
    if (code && !code_first)
        HD_CHECK(hd__asm_command_body(lx, &s->val[OPT_CODE], "code", &s->code, &s->code_size, err));
#endif
    return HD_OK;
}

static enum hd_status parse_options(struct cmd_lexer *lx, struct vstate *s,
                                    struct hd_command *out, struct hd_command_error *err)
{
    struct cmd_token tok, key, v;
    enum hd_status st;

    while ((st = hd__cmd_next(lx, &tok, err)) == HD_OK) {
        bool is_asm = false;
        int opt;

        key = tok;
        if (hd__cmd_is(&tok, "asm")) {
            st = hd__cmd_next(lx, &tok, err);
            if (st == HD_EMPTY)
                return cmd_fail_tok(lx, err, &key, "missing 'condition' or 'code': %s", EXPECT_ASM);
            if (st != HD_OK)
                return st;
            if (!hd__cmd_is(&tok, "condition") && !hd__cmd_is(&tok, "code"))
                return cmd_fail_tok(lx, err, &tok, "%s", EXPECT_ASM);
            is_asm = true;
            key.len = (uint32_t)(tok.p + tok.len - key.p); /* report `asm code` as one */
        }
        opt = opt_lookup(&tok);
        if (opt < 0)
            return cmd_fail_tok(lx, err, &tok, tok.brace ? "a {...} body must follow condition, "
                                                          "code, asm condition, asm code, "
                                                          "script or output"
                                                        : EXPECT_OPTION);
        if (s->key[opt].p)
            return cmd_fail_tok(lx, err, &key,
                                "%s given twice (first at column %u): give each option once",
                                opt_name[opt], hd__cmd_column(lx, s->key[opt].p));
        st = hd__cmd_next(lx, &v, err);
        if (st == HD_EMPTY)
            return cmd_fail_tok(lx, err, &key, "missing value: %s", expected_of(opt, is_asm));
        if (st != HD_OK)
            return st;
        s->key[opt] = key;
        s->val[opt] = v;
        HD_CHECK(parse_value(lx, opt, is_asm, &key, &v, s, out, err));
    }
    if (st != HD_EMPTY)
        return st;
    HD_CHECK(cross_check(lx, s, err));
    HD_CHECK(assemble(lx, s, out, err));
    return build_event(lx, s, out, err);
}

enum hd_status hd__cmd_parse_vmcall(struct cmd_lexer *lx, struct hd_command *out,
                                struct hd_command_error *err)
{
    struct vstate s;
    enum hd_status st;

    memset(&s, 0, sizeof(s));
    s.pid = HD_ALL;
    s.core = HD_ALL;
    s.stage = HD_STAGE_PRE;
    s.imm = true;
    out->kind = HD_COMMAND_VMCALL;
    st = parse_options(lx, &s, out, err);
    free(s.cond); /* NULL once moved into the event */
    free(s.code);
    return st;
}
