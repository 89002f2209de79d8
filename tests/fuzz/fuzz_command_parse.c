/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_command_parse.c — libFuzzer harness for the command parser.
 *
 * Input: arbitrary bytes, parsed as one NUL-terminated command (a NUL inside ends the text,
 * as for any C string). Built from the parser's own sources (libhdevent/user/command*.c, the
 * script compiler script_*.c and the core's descriptors.c, script_verify.c, script_format.c
 * and status.c), the assembler it runs on asm bodies (libhdevent/user/asm*.c, code_disasm.c)
 * and Debian's shared Zydis, with ASan and UBSan; LeakSanitizer reports any block a parse
 * leaves behind. Invariants checked (abort on failure):
 *
 *   accepted: the command is well formed (kind, actions 1..2 of the right types, code bytes
 *     (hex or assembled) ending in RET and within HD_CODE_MAX_BYTES, an inline script's
 *     bytecode passing the verifier, `steps` only with a script, bodies' lengths, at most 5
 *     non-empty outputs, event.command is the text); hd_command_check_supported() agrees
 *     with the flags (only a script file not read yet is refused);
 *     hd_command_format() succeeds, its text parses to the same command (command_same.h) and
 *     prints the same text again.
 *   refused: HD_ERR_INVALID_ARGUMENT, or HD_ERR_SCRIPT_COMPILE with the script's own line and
 *     column; the output zeroed, a message, a column and token inside the text;
 *     hd_command_error_format() runs on it.
 *
 * hd_command_number() also reads the whole input with a bound taken from its first byte.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdevent/command.h>
#include <hdevent/script_bytecode.h>

#include "../conformance/command_same.h"

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_command_parse: invariant failed: %s (line %d)\n", #cond,   \
                    __LINE__);                                                               \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

static bool is_zero(const struct hd_command *c)
{
    static const struct hd_command zero;
    return memcmp(c, &zero, sizeof(zero)) == 0;
}

static void check_code(const uint8_t *code, uint32_t size)
{
    CHECK(code != NULL && size >= 1 && size <= HD_CODE_MAX_BYTES);
    CHECK(code[size - 1] == 0xC3);
}

static void check_body(const struct hd_command_body *b, bool present, const char *text)
{
    if (!present) {
        CHECK(b->text == NULL && b->length == 0 && b->column == 0);
        return;
    }
    CHECK(b->text != NULL && strlen(b->text) == b->length);
    CHECK(b->column >= 1 && b->column <= strlen(text));
}

/* A script action: the compiled program (verified), or nothing yet for a file; `steps` with it. */
static void check_script(const struct hd_command *c, const struct hd_action_desc *a)
{
    CHECK(c->flags & HD_COMMAND_SCRIPT);
    CHECK(a->buffer_size == c->buffer_size);
    CHECK(c->steps == c->event.script_steps && c->steps <= HD_SCRIPT_STEPS_MAX);
    if (c->flags & HD_COMMAND_SCRIPT_FILE) {
        CHECK(a->script == NULL && a->script_size == 0 && c->script_program.code == NULL);
        return;
    }
    CHECK(a->script == c->script_program.code && a->script_size == c->script_program.size);
    CHECK(hd_script_verify(a->script, a->script_size, NULL) == HD_OK);
}

static void check_accepted(const struct hd_command *c, const char *text)
{
    const struct hd_event_desc *e = &c->event;

    if (c->kind != HD_COMMAND_VMCALL) {
        CHECK(c->kind >= HD_COMMAND_EVENTS_LIST && c->kind <= HD_COMMAND_EVENTS_SC);
        CHECK(e->actions == NULL && e->command == NULL && c->flags == 0);
        if (c->kind == HD_COMMAND_EVENTS_ENABLE || c->kind == HD_COMMAND_EVENTS_DISABLE ||
            c->kind == HD_COMMAND_EVENTS_CLEAR)
            CHECK(c->id == HD_TAG_ALL ? c->tag == HD_TAG_ALL
                                      : c->tag == HD_EVENT_TAG(c->id) && c->tag != HD_TAG_ALL);
        return;
    }
    CHECK(e->command != NULL && strcmp(e->command, text) == 0);
    CHECK(e->stage >= HD_STAGE_PRE && e->stage <= HD_STAGE_ALL);
    CHECK(!e->short_circuit || e->stage == HD_STAGE_PRE);
    CHECK(c->immediate || c->output_count == 0);
    CHECK(c->buffer_size <= HD_BUFFER_MAX_BYTES);
    CHECK(e->enabled && e->tag == 0);
    if (e->condition.kind == HD_CONDITION_RAW)
        check_code(e->condition.code, e->condition.code_size);
    else
        CHECK(e->condition.kind == HD_CONDITION_NONE && !(c->flags & HD_COMMAND_ASM_CONDITION));
    /* No action only with deny (its verdict is what the event does); never a break then. */
    CHECK(e->actions != NULL && e->action_count <= 2 &&
          (e->action_count >= 1 || e->deny != HD_DENY_NONE));
    /* hdevent's extension: what the parser's cross-checks promise */
    CHECK(!e->nr_filter || e->nr_first <= e->nr_last);
    CHECK(e->nr_filter || (e->nr_first == 0 && e->nr_last == 0));
    CHECK(e->deny == HD_DENY_NONE || (e->deny <= HD_DENY_RAX && e->stage == HD_STAGE_PRE));
    CHECK(e->deny == HD_DENY_RAX || e->deny_rax == 0);
    for (uint32_t i = 0; i < e->action_count; i++) {
        const struct hd_action_desc *a = &e->actions[i];
        CHECK(a->immediate == c->immediate);
        if (a->type == HD_ACTION_CODE) {
            check_code(a->code, a->code_size);
            CHECK(a->buffer_size == c->buffer_size);
        } else if (a->type == HD_ACTION_SCRIPT) {
            check_script(c, a);
        } else {
            CHECK(a->type == HD_ACTION_BREAK && e->action_count == 1 && a->buffer_size == 0 &&
                  e->deny == HD_DENY_NONE);
        }
    }
    check_body(&c->asm_condition, c->flags & HD_COMMAND_ASM_CONDITION, text);
    check_body(&c->asm_code, c->flags & HD_COMMAND_ASM_CODE, text);
    check_body(&c->script, c->flags & HD_COMMAND_SCRIPT, text);
    CHECK(!(c->flags & HD_COMMAND_SCRIPT_FILE) || (c->flags & HD_COMMAND_SCRIPT));
    CHECK((c->flags & HD_COMMAND_SCRIPT) || (c->steps == 0 && e->script_steps == 0));
    CHECK(c->output_count <= HD_COMMAND_MAX_OUTPUTS);
    for (uint32_t i = 0; i < c->output_count; i++) {
        size_t n = strnlen(c->outputs[i], HD_COMMAND_OUTPUT_NAME_BYTES);
        CHECK(n >= 1 && n < HD_COMMAND_OUTPUT_NAME_BYTES);
    }
}

static void check_supported(const struct hd_command *c)
{
    struct hd_command_error err;
    enum hd_status st = hd_command_check_supported(c, &err);
    if (c->flags & HD_COMMAND_SCRIPT_FILE) /* not read yet: hd_command_load_script() */
        CHECK(st == HD_ERR_NOT_SUPPORTED);
    else
        CHECK(st == HD_OK);
    if (st != HD_OK)
        CHECK(err.column >= 1 && err.message[0] != '\0');
}

/* hd_command_format() into a fresh string. */
static char *format(const struct hd_command *c, size_t hint)
{
    size_t cap = hint;
    for (;;) {
        char *out = malloc(cap);
        CHECK(out != NULL);
        enum hd_status st = hd_command_format(c, out, cap);
        if (st == HD_OK)
            return out;
        CHECK(st == HD_ERR_BUFFER_TOO_SMALL && out[0] == '\0');
        free(out);
        cap *= 2;
    }
}

static void round_trip(const struct hd_command *c, size_t len)
{
    struct hd_command again;
    struct hd_command_error err;
    char *printed = format(c, 2 * len + 64), *reprinted;

    if (hd_command_parse(printed, &again, &err) != HD_OK) {
        fprintf(stderr, "canonical text refused: column %u: '%s': %s\n%s\n", err.column,
                err.token, err.message, printed);
        abort();
    }
    const char *diff = cs_command_diff(c, &again);
    if (diff) {
        fprintf(stderr, "canonical text parses to another command (%s): %s\n", diff, printed);
        abort();
    }
    reprinted = format(&again, strlen(printed) + 1);
    CHECK(strcmp(printed, reprinted) == 0);
    hd_command_free(&again);
    free(printed);
    free(reprinted);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    struct hd_command cmd;
    struct hd_command_error err;
    enum hd_status st;
    size_t len;
    uint64_t v;

    CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    len = strlen(text);

    memset(&cmd, 0xA5, sizeof(cmd));
    memset(&err, 0x5A, sizeof(err));
    st = hd_command_parse(text, &cmd, &err);
    if (st == HD_OK) {
        check_accepted(&cmd, text);
        check_supported(&cmd);
        round_trip(&cmd, len);
        hd_command_free(&cmd);
        CHECK(is_zero(&cmd));
    } else {
        char out[1024];
        CHECK(st == HD_ERR_INVALID_ARGUMENT || st == HD_ERR_SCRIPT_COMPILE);
        CHECK(is_zero(&cmd));
        CHECK(st == HD_ERR_SCRIPT_COMPILE ? err.script_line >= 1 && err.script_column >= 1
                                          : err.script_line == 0 && err.script_column == 0);
        CHECK(err.message[0] != '\0' && memchr(err.message, 0, sizeof(err.message)));
        CHECK(memchr(err.token, 0, sizeof(err.token)) != NULL);
        CHECK(err.column >= 1 && err.column <= len + 1);
        CHECK((size_t)err.column - 1 + err.length <= len);
        hd_command_error_format(&err, text, out, sizeof(out));
        CHECK(strlen(out) < sizeof(out));
    }

    /* The number reader on the whole input, with a bound from its first byte. */
    uint64_t max = size ? (uint64_t)-1 >> (data[0] & 63) : HD_ALL;
    if (hd_command_number(text, len, max, &v) == HD_OK)
        CHECK(v <= max);
    free(text);
    return 0;
}
