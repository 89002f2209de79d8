/* SPDX-License-Identifier: MIT */
/*
 * hdevent/command.h — HyperDbg's command language (USER MODE ONLY: libc, malloc).
 *
 * Turns the text people type into HyperDbg (`!vmcall pid 490 core 2 code {90 90 90}`,
 * `events d 3`) into a ready event descriptor or an events request. Every form in HyperDbg's
 * documentation parses, and more (spaced hex, `asm condition` with `asm code`); a bad command
 * gets an error that names the token, its column and the expected form, and allocates nothing.
 * `asm` bodies are assembled here (hdevent/asm.h) into bytes like hex bodies. The grammar,
 * each option and each error are in docs/commands.md.
 *
 * Builds of these files with HDEVENT_NO_ZYDIS (the device-only CLIs, which have no Zydis)
 * leave `asm` bodies as text without bytes; hd_command_check_supported() then refuses them.
 *
 *     struct hd_command cmd;
 *     struct hd_command_error err;
 *     char line[1024];
 *     if (hd_command_parse(text, &cmd, &err) != HD_OK) {
 *         hd_command_error_format(&err, text, line, sizeof(line));   // message, text, caret
 *         ...
 *     } else if (cmd.kind == HD_COMMAND_VMCALL &&
 *                hd_command_load_script(&cmd, &err) == HD_OK &&      // script {file:PATH}
 *                hd_command_check_supported(&cmd, &err) == HD_OK) {
 *         hd_event_register(engine, &cmd.event, &tag);
 *     }
 *     hd_command_free(&cmd);
 */
#ifndef HDEVENT_COMMAND_H
#define HDEVENT_COMMAND_H

#include "event.h"
#include "script.h"
#include "status.h"
#include "types.h"

HD_EXTERN_C_BEGIN

/* ---------------------------------------------------------------------------------------- */
/* Types                                                                                    */
/* ---------------------------------------------------------------------------------------- */

/** Most output sources one `output {…}` may name (HyperDbg's limit). */
#define HD_COMMAND_MAX_OUTPUTS 5u
/** Bytes kept per output name, NUL included: names are at most 63 characters. */
#define HD_COMMAND_OUTPUT_NAME_BYTES 64u
/** Longest command text accepted, in bytes (columns must fit in 32 bits; scripts are long). */
#define HD_COMMAND_TEXT_MAX (1024u * 1024u)

/** Why a command was refused, and where. */
struct hd_command_error {
    /** 1-based column of the offending token (byte offset in the text + 1; a newline inside
     *  a `{…}` body counts as one byte). 0 when the error has no place (NULL text, no memory). */
    uint32_t column;
    /** Length of the offending token in bytes (it may be longer than `token` keeps). */
    uint32_t length;
    /** The offending token, NUL-terminated; cut with "..." past 63 bytes, control characters
     *  shown as spaces. Empty when the error has no token. */
    char token[64];
    /** The sentence: what is wrong and the expected form, e.g. "a pid is a hex number
     *  (prefix 0n for decimal) or 'all'". No column or token in it: see hd_command_error_format. */
    char message[256];
    /** A script that does not compile: the 1-based line and column inside the script (its
     *  `{…}` body, or the file of `script {file:PATH}`), also named in the message; `column`
     *  above is the token's place in the command (the `script` keyword's for a file). 0 for
     *  every other error. */
    uint32_t script_line;
    uint32_t script_column;
};

/** What a command asks for. */
enum hd_command_kind {
    HD_COMMAND_VMCALL,         /**< `!vmcall …`: register `event` */
    HD_COMMAND_EVENTS_LIST,    /**< `events`: list the events */
    HD_COMMAND_EVENTS_ENABLE,  /**< `events e ID|all` */
    HD_COMMAND_EVENTS_DISABLE, /**< `events d ID|all` */
    HD_COMMAND_EVENTS_CLEAR,   /**< `events c ID|all` */
    HD_COMMAND_EVENTS_SC,      /**< `events sc on|off` (debugger mode: the event being handled) */
};

/** hd_command.flags: the condition was `asm condition {…}`: event.condition is RAW with the
 *  assembled bytes (RET appended) and the text is in asm_condition. */
#define HD_COMMAND_ASM_CONDITION (1u << 0)
/** hd_command.flags: the code was `asm code {…}`: the code action has the assembled bytes
 *  (RET appended) and the text is in asm_code. */
#define HD_COMMAND_ASM_CODE (1u << 1)
/** hd_command.flags: the command has a `script {…}` action: its body was compiled by the
 *  parser (script_program), or, with HD_COMMAND_SCRIPT_FILE, is compiled by
 *  hd_command_load_script(). */
#define HD_COMMAND_SCRIPT (1u << 2)
/** hd_command.flags: the script was `script {file:PATH}`: script.text is PATH; the parser does
 *  not read files, hd_command_load_script() does. */
#define HD_COMMAND_SCRIPT_FILE (1u << 3)
/** Either asm flag: the command's raw code came from the assembler. */
#define HD_COMMAND_NEEDS_ASSEMBLER (HD_COMMAND_ASM_CONDITION | HD_COMMAND_ASM_CODE)

/** A `{…}` body carried as text (assembly, script, script path). */
struct hd_command_body {
    /** Owned, NUL-terminated copy of what is between the braces, verbatim (for a script file:
     *  the path, spaces around it removed). NULL when the command has no such body. */
    char *text;
    /** Bytes in text, NUL excluded. */
    uint32_t length;
    /** 1-based column of the keyword that introduced the body (`asm`, `script`), for errors. */
    uint32_t column;
};

/** A parsed command. Everything it points at is owned: release it with hd_command_free(). */
struct hd_command {
    enum hd_command_kind kind;
    /** HD_COMMAND_ASM_CONDITION, HD_COMMAND_ASM_CODE, HD_COMMAND_SCRIPT, HD_COMMAND_SCRIPT_FILE. */
    uint32_t flags;

    /* ---- HD_COMMAND_VMCALL ---- */

    /**
     * Ready for hd_event_register(): pid, core, stage, short_circuit, enabled, script_steps; a
     * RAW condition whose bytes (hex, or assembled from `asm condition`) end in RET (0xC3,
     * appended when missing); `actions` in command order: one HD_ACTION_CODE for
     * `code`/`asm code`, one HD_ACTION_SCRIPT for `script` (its `script` points at this
     * struct's script_program.code), or, with neither, one HD_ACTION_BREAK (HyperDbg's rule).
     * Every action has `immediate` from `imm`; code and script actions have `buffer_size` from
     * `buffer`. `command` is a copy of the whole text.
     */
    struct hd_event_desc event;
    /** `imm yes|no` (default yes). */
    bool immediate;
    /** `buffer N` (default 0, no buffer). */
    uint32_t buffer_size;
    /** `steps N`: the script step budget (default 0: HD_SCRIPT_STEPS_DEFAULT); also in
     *  event.script_steps. */
    uint32_t steps;
    /** `asm condition {…}` text, or NULL. */
    struct hd_command_body asm_condition;
    /** `asm code {…}` text, or NULL. */
    struct hd_command_body asm_code;
    /** `script {…}` text, or the PATH of `script {file:PATH}` (HD_COMMAND_SCRIPT_FILE), or NULL. */
    struct hd_command_body script;
    /** The compiled script: the script action's `script` points at script_program.code.
     *  Empty for `script {file:PATH}` until hd_command_load_script(). */
    struct hd_script_program script_program;
    /** Names given in `output {…}`, in order, each NUL-terminated. */
    char outputs[HD_COMMAND_MAX_OUTPUTS][HD_COMMAND_OUTPUT_NAME_BYTES];
    uint32_t output_count;

    /* ---- HD_COMMAND_EVENTS_ENABLE / _DISABLE / _CLEAR ---- */

    /** The event ID as typed (tag − 0x1000000), or HD_TAG_ALL for `all`. */
    uint64_t id;
    /** The tag to pass to hd_event_enable/disable/clear: HD_EVENT_TAG(id), or HD_TAG_ALL. */
    uint64_t tag;

    /* ---- HD_COMMAND_EVENTS_SC ---- */

    /** `events sc on` (true) or `off` (false). */
    bool sc_on;
};

/* ---------------------------------------------------------------------------------------- */
/* Functions                                                                                */
/* ---------------------------------------------------------------------------------------- */

/**
 * Parse one command: `!vmcall [options]`, `events`, `events e|d|c ID|all`, `events sc on|off`.
 * @param text the command, NUL-terminated (at most HD_COMMAND_TEXT_MAX bytes).
 * @param out  filled on success; on failure zeroed, with nothing allocated.
 * @param err  filled on failure (may be NULL); untouched on success.
 * @return HD_OK; HD_ERR_INVALID_ARGUMENT for a NULL @p text / @p out or any error in the
 *         command (err says which); HD_ERR_NO_MEMORY.
 */
HD_API enum hd_status hd_command_parse(const char *text, struct hd_command *out,
                                       struct hd_command_error *err);

/** Free what @p cmd owns and zero it. A zeroed or already freed command and NULL are ignored. */
HD_API void hd_command_free(struct hd_command *cmd);

/**
 * Read and compile the file of `script {file:PATH}` into @p cmd (script_program, and the
 * script action's bytes). Nothing to do for other commands. The parser itself never touches
 * a file system; this is the one call that does.
 * @return HD_OK; HD_ERR_SCRIPT_COMPILE (the file's line and column in err->script_line and
 *         script_column, the `script` keyword's column in err->column);
 *         HD_ERR_INVALID_ARGUMENT (the file cannot be read, or NULL @p cmd); HD_ERR_NO_MEMORY.
 */
HD_API enum hd_status hd_command_load_script(struct hd_command *cmd,
                                             struct hd_command_error *err);

/**
 * hd_command_load_script() for a caller that reads the file itself (a sandbox, an embedded
 * file system, a GUI's editor buffer): compile the @p length bytes at @p text as the contents
 * of the file `script {file:PATH}` names. Nothing to do for other commands.
 * @return as hd_command_load_script(); HD_ERR_INVALID_ARGUMENT for NULL @p cmd, or NULL
 *         @p text with a nonzero @p length.
 */
HD_API enum hd_status hd_command_load_script_text(struct hd_command *cmd, const char *text,
                                                  size_t length, struct hd_command_error *err);

/**
 * Say whether @p cmd can be registered here. `asm` bodies are assembled by
 * hd_command_parse(), except in builds without Zydis (HDEVENT_NO_ZYDIS), which leave them
 * without bytes; a `script {file:PATH}` is compiled only by hd_command_load_script().
 * Registering such a command anyway fails in hd_event_register() (HD_ERR_INVALID_CONDITION
 * or HD_ERR_EMPTY_CODE); this call gives the clear reason first, pointing at the body.
 * @return HD_OK (non-VMCALL commands too); HD_ERR_NOT_SUPPORTED for an asm body in a build
 *         without the assembler, or a script file not read yet; HD_ERR_INVALID_ARGUMENT for
 *         NULL @p cmd. @p err (may be NULL) is filled on failure, the token being the keyword.
 */
HD_API enum hd_status hd_command_check_supported(const struct hd_command *cmd,
                                                 struct hd_command_error *err);

/**
 * Format @p err for people into @p out (at most @p cap bytes, always NUL-terminated when
 * @p cap > 0, cut if too small):
 *
 *     column 13: '490x': a pid is a hex number (prefix 0n for decimal) or 'all'
 *     !vmcall pid 490x
 *                 ^^^^
 *
 * The first line is the error; then the line of @p text holding the column and a caret
 * under the token. With @p text NULL, or an error without a column, only the first line.
 * No trailing newline.
 */
HD_API void hd_command_error_format(const struct hd_command_error *err, const char *text, char *out,
                                    size_t cap);

/**
 * Write @p cmd back as command text in canonical form: lower-case keywords, numbers as 0x
 * hex, options in a fixed order with defaults left out, raw code as spaced hex bytes (with
 * the RET the parser appended), bodies verbatim. hd_command_parse() of the result gives the
 * same command. Example: `!vmcall pid 0n1168 code {90}` gives
 * `!vmcall pid 0x490 code {90 C3}`.
 * @return HD_OK; HD_ERR_BUFFER_TOO_SMALL (@p out holds "") when @p cap is too small;
 *         HD_ERR_TOO_LARGE (@p out holds "") when the text would be longer than
 *         HD_COMMAND_TEXT_MAX, which hd_command_parse() refuses (a command near that limit
 *         with long hex bodies: spaced hex takes 3 characters a byte, `{9090}` 2);
 *         HD_ERR_INVALID_ARGUMENT for NULL pointers, @p cap 0 or an unknown kind.
 */
HD_API enum hd_status hd_command_format(const struct hd_command *cmd, char *out, size_t cap);

/**
 * Read @p len bytes of @p text as a HyperDbg number: hex by default, `0x`/`x`/`\x` hex and
 * `0n`/`n`/`\n` decimal prefixes (either case), backticks ignored, the whole text consumed.
 * Scenario files and the tool's own options use it, so every number hdevent reads follows
 * the command language's rules.
 * @return HD_OK with *out set; HD_ERR_TOO_LARGE when the value is above @p max;
 *         HD_ERR_INVALID_ARGUMENT when the text is not a number (or NULL pointers).
 */
HD_API enum hd_status hd_command_number(const char *text, size_t len, uint64_t max, uint64_t *out);

/**
 * Check @p len bytes of @p name as an output name (`output {…}`, `hdevent read --sink
 * NAME=…`): 1 to 63 characters of [A-Za-z0-9_.-].
 * @return @p len when it is one; else the offset of the first byte that breaks the rule (the
 *         64th character of a long name; 0 for an empty one).
 */
HD_API size_t hd_output_name_check(const char *name, size_t len);

/**
 * The output source tag of @p len bytes of @p name: the 64-bit FNV-1a hash of its bytes (1
 * if that is 0). hdevent puts it in HyperDbg's OutputSourceTags, where the kernel keeps it
 * with the event, and the reader routes a message to the sink whose name has the event's
 * tag (docs/output.md). Distinct names have distinct tags unless the hash collides
 * (about one chance in 2^64 for a pair).
 */
HD_API uint64_t hd_output_tag(const char *name, size_t len);

HD_EXTERN_C_END

#endif /* HDEVENT_COMMAND_H */
