/*
 * tools/hdevent/cli.h — what the subcommands of the hdevent tool share.
 *
 * Each subcommand lives in its own cmd_<name>.c and is one entry of the table in main.c:
 * `int cmd_<name>(int argc, char **argv)` gets the arguments after its name and returns the
 * process exit status (0 ok, 1 input rejected or a line failed, 2 usage). Output is one JSON
 * object per line on stdout, or text for people where the subcommand takes --text
 * (docs/cli.md).
 */
#ifndef HDEVENT_CLI_H
#define HDEVENT_CLI_H

#include <hdevent/event.h>
#include <hdevent/status.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct hd_engine;

/* ---- subcommands (main.c's table) ------------------------------------------------------ */

int cmd_parse(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_asm(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_add(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_read(int argc, char **argv);
int cmd_selftest_vmcall(int argc, char **argv);
int cmd_script(int argc, char **argv);

/**
 * Print the bytecode listing of a compiled script: JSON {"type":"script_insn",["action":N,]
 * "index":I,"text":...} lines, or the listing itself for people (indented under its action
 * when @p action >= 0, as `hdevent parse` shows it). @return 0, or 1 (an error was printed).
 */
int cli_script_listing(const uint8_t *code, uint32_t size, int action, bool text_out);

/* ---- output ---------------------------------------------------------------------------- */

/** Write @p s as a JSON string literal (quotes, escapes). */
void cli_json_string(FILE *out, const char *s);

/** Write @p n bytes as "48 8B 59": upper-case hex, one space between bytes. */
void cli_hex_bytes(FILE *out, const uint8_t *p, uint32_t n);

/** Print errors for people (true: `hdevent ... --text`) or as JSON lines (false, default). */
void cli_set_text(bool text);

/**
 * A usage or input error for people and programs alike: one line
 * {"type":"error","error":WHAT,"message":MESSAGE} on stdout, or "error: MESSAGE" after
 * cli_set_text(true). @return 1.
 */
int cli_fail(const char *what, const char *message);

/**
 * The scenario line being handled (`hdevent run`), 0 for none. While it is set, every error,
 * warning and note printed through cli_fail(), cli_command_*() and cli_where() carries it:
 * "line":N in JSON, "line N: " in text.
 */
void cli_set_line(uint32_t line);

/** Print `"line":N,` (JSON) or `line N: ` (@p text_out) when a line is set; else nothing. */
void cli_where(bool text_out);

/** Write @p n bytes as text for people on one line: \n \t \\ \" escaped, \xNN for other
 *  bytes outside printable ASCII. */
void cli_text_escaped(FILE *out, const uint8_t *p, size_t n);

/** hdevent run: print every message queued on @p engine (cmd_run_messages.c). */
void cli_run_messages(struct hd_engine *engine, bool text);

/** Write @p n bytes as a JSON string; bytes outside printable ASCII become \u00XX. */
void cli_json_bytes(FILE *out, const uint8_t *p, size_t n);

/** Print the usage of every subcommand to stderr. @return 2. */
int cli_usage(void);

/** "pre", "post" or "all". */
const char *cli_stage_name(enum hd_stage stage);

/** "break", "script", "code" or "native". */
const char *cli_action_name(enum hd_action_type type);

/* ---- commands ------------------------------------------------------------------------- */

struct hd_command;
struct hd_command_error;

/**
 * Validate one raw buffer with Zydis (hd_code_validate) and print its findings: JSON lines
 * with "buffer" (@p buffer: "condition" or "code") and "action" (@p action, left out when
 * negative), or lines for people when @p text_out. Not in HDEVENT_NO_ZYDIS builds.
 * @return the number of errors (0: the buffer may be sent).
 */
uint32_t cli_code_report(const char *buffer, int action, const uint8_t *code, uint32_t size,
                         bool strict, bool text_out);

/** Who reads a `script {file:PATH}` for cli_command_parse(): see cli_set_script_loader(). */
typedef enum hd_status (*cli_script_loader)(struct hd_command *cmd, struct hd_command_error *err);

/**
 * Make cli_command_parse() load script files with @p loader; NULL (the default) is
 * hd_command_load_script(), the file system. `hdevent run` reads its scenario's files before
 * its seccomp filter and hands them over this way (run_script_files.c).
 */
void cli_set_script_loader(cli_script_loader loader);

/**
 * Parse @p text as one HyperDbg command and, where Zydis is built in, validate every raw
 * condition and code buffer, printing errors and warnings as cli_command_load() does. A
 * `script {file:PATH}` is read and compiled here. Does not refuse what this build cannot
 * register (asm bodies without Zydis): `hdevent parse` shows those.
 * @return 0 with *cmd filled (release it with hd_command_free); 1 when rejected.
 */
int cli_command_parse(const char *text, bool strict, bool text_out, struct hd_command *cmd);

/**
 * Print a parser error (@p err from hd_command_parse or hd_command_check_supported) for
 * @p text: one JSON line {"type":"error","error":STATUS,"column":N,"message":...}, or
 * "error: ..." with the text and a caret when @p text_out. @return 1.
 */
int cli_command_reject(const char *text, enum hd_status st, const struct hd_command_error *err,
                       bool text_out);

/**
 * Parse @p text as one HyperDbg command (asm bodies assembled), check that it can be
 * registered (asm bodies cannot be in builds without Zydis) and, where Zydis is built in,
 * validate every raw condition and code
 * buffer (errors always; privileged-instruction warnings are errors when @p strict). Every
 * error and warning is printed on stdout: one JSON line, or a line for people when
 * @p text_out. Every subcommand that takes command text goes through here.
 * @return 0 with *cmd filled (release it with hd_command_free); 1 when the command is
 *         rejected (nothing to free).
 */
int cli_command_load(const char *text, bool strict, bool text_out, struct hd_command *cmd);

/* ---- input ----------------------------------------------------------------------------- */

/**
 * Read all of @p path ("-" = stdin) into a malloc'd buffer with a NUL after the data.
 * Files larger than @p max bytes are refused. On failure writes a sentence to @p err.
 * @return 0 and sets *buf (free it) and *len; -1 on failure.
 */
int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, char *err,
                  size_t err_size);

#endif /* HDEVENT_CLI_H */
