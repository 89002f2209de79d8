/* SPDX-License-Identifier: MIT */
/*
 * tools/hdevent/cli.h — what the subcommands of the hdevent tool share.
 *
 * Each subcommand lives in its own cmd_<name>.c and is described there by one struct
 * cli_spec (its usage, help, options and entry point), listed in main.c's table. The entry
 * point gets the arguments from the subcommand's name on (argv[0] is the name) and reads
 * its options with cli_getopt_next() (cli_options.c: getopt_long, -h/--help, -V/--version,
 * named unknown options). It returns the process exit status: 0 ok, 1 input refused or a
 * line failed, 2 usage (docs/cli.md). Output is one JSON object per line on stdout, or text
 * for people with --text, diagnostics then on stderr (cli_util.c).
 */
#ifndef HDEVENT_CLI_H
#define HDEVENT_CLI_H

#include <hdevent/event.h>
#include <hdevent/status.h>

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct hd_engine;

/* ---- subcommands and their options (cli_options.c) ----------------------------------- */

/** One subcommand: what --help says about it, its options, its entry point. */
struct cli_spec {
    const char *name;        /**< "parse" */
    const char *summary;     /**< one line for `hdevent --help` */
    const char *synopsis;    /**< after "usage: hdevent NAME "; more forms on new lines */
    const char *description; /**< what it does, a paragraph or two */
    const char *options;     /**< one "  -x, --long ARG  what" line each, -h and -V added */
    const char *examples;    /**< command lines, one or more */
    const char *shortopts;   /**< getopt_long's short options, "h" and "V" added */
    const struct option *longopts; /**< {0}-terminated; --help and --version added */
    int (*main)(int argc, char **argv);
};

/** The subcommands of this build (main.c's table), in the order --help lists them. */
extern const struct cli_spec *const cli_commands[];
extern const size_t cli_command_count;

/** The state of one subcommand's option loop. */
struct cli_getopt {
    const struct cli_spec *spec;
    int argc;
    char **argv;
    int status; /**< after CLI_GETOPT_EXIT: the exit status (0 help/version, 2 usage) */
    char shortopts[64];
    struct option longopts[32];
};

/** cli_getopt_next(): stop and exit with cli_getopt.status (help shown, or a usage error). */
#define CLI_GETOPT_EXIT (-2)
/** Values for long options without a short form start here. */
#define CLI_LONG_ONLY 256

/** Start reading the options of @p spec from @p argv (argv[0] is the subcommand's name). */
void cli_getopt_init(struct cli_getopt *g, const struct cli_spec *spec, int argc, char **argv);

/**
 * The next option: its short letter or long-only value (optarg holds its value), -1 when
 * the options end (the operands are argv[optind..argc-1]), or CLI_GETOPT_EXIT after
 * printing --help or --version (status 0) or a usage error (status 2), which names an
 * unknown option or one missing its value.
 */
int cli_getopt_next(struct cli_getopt *g);

/**
 * A usage error of the running subcommand: "hdevent NAME: MESSAGE" and a pointer to --help
 * on stderr (bytes outside printable ASCII escaped). @return 2, the exit status.
 */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** `hdevent --help`: every subcommand with its summary, on stdout. */
void cli_print_overview(FILE *out);

/** `hdevent --version`: the version, the Zydis it runs with, the build. */
void cli_print_version(FILE *out);

/* ---- input (cli_input.c) ---------------------------------------------------------------- */

/**
 * Read all of @p path ("-" = stdin) into a malloc'd buffer with a NUL after the data.
 * Files larger than @p max bytes are refused. On failure writes a sentence to @p err.
 * @return 0 and sets *buf (free it) and *len; -1 on failure.
 */
int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, char *err,
                  size_t err_size);

/**
 * The text a subcommand works on (a command, hex, assembly, a script): the operand
 * @p operand, all of stdin when it is "-", or the file @p file (-f/--file); exactly one of
 * the two, else a usage error. Text read from stdin or a file is at most @p max bytes and
 * holds no NUL byte. @p what names it in messages ("a command").
 * @return 0 with *text (malloc'd, NUL-terminated: free it) and *len; 1 (an io error
 *         printed with cli_fail) or 2 (a usage error printed).
 */
int cli_input_text(const char *operand, const char *file, size_t max, const char *what,
                   char **text, size_t *len);

/** The options and input of a subcommand that works on one text (parse, disasm, asm, script). */
struct cli_text_args {
    bool text;   /**< -t/--text (cli_set_text() already called) */
    bool strict; /**< -s/--strict, for a subcommand whose spec has it */
    char *input; /**< the text (malloc'd, NUL-terminated: free it) */
    size_t len;
    int status;  /**< when cli_text_args() said stop: the exit status */
};

/**
 * Read @p spec's options -t, -s and -f FILE and its one operand, then the text as
 * cli_input_text() does (at most @p max bytes; @p what names it in messages, "a command").
 * A second operand is a usage error, "takes @p one (quote it): 'X' is one too many".
 * @return true with @p out filled; false to stop with out->status (0 after --help or
 *         --version; a usage or io error printed).
 */
bool cli_text_args(const struct cli_spec *spec, int argc, char **argv, size_t max,
                   const char *what, const char *one, struct cli_text_args *out);

/* ---- output (cli_util.c) ---------------------------------------------------------------- */

/** Write @p s as a JSON string (cli_json_bytes over its bytes up to the NUL). */
void cli_json_string(FILE *out, const char *s);

/**
 * Write @p n bytes as a JSON string of printable ASCII: " and \ escaped, \n as \n, every
 * other byte outside 0x20..0x7E as \u00XX (the byte's value as a code point: read the
 * string as Latin-1 to get the bytes back).
 */
void cli_json_bytes(FILE *out, const uint8_t *p, size_t n);

/** Write @p n bytes as "48 8B 59": upper-case hex, one space between bytes. */
void cli_hex_bytes(FILE *out, const uint8_t *p, uint32_t n);

/**
 * Write @p n bytes for a terminal: printable ASCII as it is, every other byte (ESC, other
 * control bytes, DEL, bytes from 0x80 up) as \xNN, so nothing from a guest or a file can
 * drive the terminal. @p keep_newlines: '\n' stays a line break (a message with its
 * command and caret), else it is \x0A too.
 */
void cli_text_safe(FILE *out, const char *p, size_t n, bool keep_newlines);

/** cli_text_safe() of a NUL-terminated string, newlines kept. */
void cli_text_safe_str(FILE *out, const char *s);

/** Write @p n bytes as a quoted message's inside: \n \t \\ \" escaped, other bytes outside
 *  printable ASCII as \xNN (one line per message). */
void cli_text_escaped(FILE *out, const uint8_t *p, size_t n);

/**
 * Print errors for people (true: `--text`, on stderr) or as JSON lines (false, default).
 * Text mode decides here whether diagnostics are in colour (isatty, NO_COLOR, TERM): before
 * `hdevent run` installs its seccomp filter, which refuses the ioctl isatty makes.
 */
void cli_set_text(bool text);

/**
 * The scenario line being handled (`hdevent run`), 0 for none. While it is set, every error,
 * warning and note carries it: "line":N in JSON (cli_json_where), "line N: " in text
 * (cli_diag).
 */
void cli_set_line(uint32_t line);

/** JSON: print `"line":N,` on stdout when a line is set; else nothing. */
void cli_json_where(void);

/**
 * Begin a diagnostic for people: flush stdout (so the two streams stay in order), then
 * print "[line N: ]KIND: " on stderr, KIND in colour when stderr is a terminal and NO_COLOR
 * is not set. @p kind: "error", "warning" or "note". @return stderr, to write the rest to
 * (through cli_text_safe where it holds bytes from outside).
 */
FILE *cli_diag(const char *kind);

/**
 * An error for people and programs alike: one line {"type":"error",["line":N,]
 * "error":WHAT,"message":MESSAGE} on stdout, or "error: MESSAGE" on stderr after
 * cli_set_text(true). @return 1.
 */
int cli_fail(const char *what, const char *message);

struct sink_router;

/**
 * hdevent run: print every message queued on @p engine (cmd_run_messages.c); a message whose
 * event names outputs (hd_event_outputs) with a sink in @p router (may be NULL) goes there
 * instead of stdout.
 */
void cli_run_messages(struct hd_engine *engine, bool text, struct sink_router *router);

/* ---- messages (cli_message.c) -------------------------------------------------------------- */

/** A message as the JSON record shows it. */
struct cli_message {
    uint64_t tag;
    uint32_t core;
    const uint8_t *text; /**< what people read: a printf's text, a buffer's C string */
    size_t len;
    uint32_t size;       /**< the message's full size */
    int immediate;       /**< 1, 0, or -1: not known (hdevent run leaves it out) */
    bool truncated;
};

/** `"text":"…"`, then `,"hex":"…"` when a byte is outside printable ASCII and '\n'. */
void cli_json_text_hex(FILE *out, const uint8_t *p, size_t n);

/** The {"type":"message",…} record of @p m, with its newline. */
void cli_message_json(FILE *out, const struct cli_message *m);

/**
 * Send @p m's JSON record to the sinks of @p router named by @p tags (an event's outputs).
 * @return false when no sink took it (no router, no tags, no sink of those names): print it.
 */
bool cli_message_route(struct sink_router *r, const uint64_t *tags, uint32_t count,
                       const struct cli_message *m);

/** "pre", "post" or "all". */
const char *cli_stage_name(enum hd_stage stage);

/** "break", "script", "code" or "native". */
const char *cli_action_name(enum hd_action_type type);
/*
 * hdevent's extension of an event (`nr`, `deny`, `max_hits`), only what is set: JSON members
 * (,"nr":"0x10-0x1f","deny":"ud","max_hits":3) or, with @text, words (, nr 0x10-0x1f ...).
 */
void cli_print_extension(bool text, bool nr, uint64_t first, uint64_t last, enum hd_deny deny,
                         uint64_t deny_rax, uint64_t max_hits);

/**
 * Print the bytecode listing of a compiled script: JSON {"type":"script_insn",["action":N,]
 * "index":I,"text":...} lines, or the listing itself for people (indented under its action
 * when @p action >= 0, as `hdevent parse` shows it). @return 0, or 1 (an error was printed).
 */
int cli_script_listing(const uint8_t *code, uint32_t size, int action, bool text_out);

/* ---- commands (cli_command.c) ------------------------------------------------------------ */

struct hd_command;
struct hd_command_error;

/**
 * Validate one raw buffer with Zydis (hd_code_validate) and print its findings: JSON lines
 * with "buffer" (@p buffer: "condition" or "code") and "action" (@p action, left out when
 * negative), or diagnostics for people when @p text_out. Not in HDEVENT_NO_ZYDIS builds.
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
 * "error: ..." with the text and a caret on stderr when @p text_out. @return 1.
 */
int cli_command_reject(const char *text, enum hd_status st, const struct hd_command_error *err,
                       bool text_out);

/**
 * Parse @p text as one HyperDbg command (asm bodies assembled), check that it can be
 * registered (asm bodies cannot be in builds without Zydis) and, where Zydis is built in,
 * validate every raw condition and code buffer (errors always; privileged-instruction
 * warnings are errors when @p strict). Every error and warning is printed: one JSON line on
 * stdout, or a diagnostic on stderr when @p text_out. Every subcommand that takes command
 * text goes through here.
 * @return 0 with *cmd filled (release it with hd_command_free); 1 when the command is
 *         rejected (nothing to free).
 */
int cli_command_load(const char *text, bool strict, bool text_out, struct hd_command *cmd);

#endif /* HDEVENT_CLI_H */
