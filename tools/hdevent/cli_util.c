/* SPDX-License-Identifier: MIT */
/*
 * Output helpers every subcommand of the hdevent tool shares (cli.h): JSON strings, hex,
 * text made safe for a terminal, and the diagnostics (errors, warnings, notes): JSON records
 * on stdout by default, lines for people on stderr with --text.
 */
#include "cli.h"

#include <hdevent/backend.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <unistd.h>
#endif

void cli_json_bytes(FILE *out, const uint8_t *p, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"' || p[i] == '\\')
            fprintf(out, "\\%c", p[i]);
        else if (p[i] == '\n')
            fputs("\\n", out);
        else if (p[i] < 0x20 || p[i] >= 0x7F)
            fprintf(out, "\\u%04x", p[i]);
        else
            fputc(p[i], out);
    }
    fputc('"', out);
}

void cli_json_string(FILE *out, const char *s)
{
    cli_json_bytes(out, (const uint8_t *)s, strlen(s));
}

void cli_hex_bytes(FILE *out, const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        fprintf(out, "%s%02X", i ? " " : "", p[i]);
}

void cli_text_safe(FILE *out, const char *p, size_t n, bool keep_newlines)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c >= 0x20 && c < 0x7F) || (c == '\n' && keep_newlines))
            fputc(c, out);
        else
            fprintf(out, "\\x%02X", c);
    }
}

void cli_text_safe_str(FILE *out, const char *s)
{
    cli_text_safe(out, s, strlen(s), true);
}

void cli_text_escaped(FILE *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n')
            fputs("\\n", out);
        else if (p[i] == '\t')
            fputs("\\t", out);
        else if (p[i] == '\\' || p[i] == '"')
            fprintf(out, "\\%c", p[i]);
        else if (p[i] < 0x20 || p[i] >= 0x7F)
            fprintf(out, "\\x%02X", p[i]);
        else
            fputc(p[i], out);
    }
}

static uint32_t current_line;
static bool text_mode;
static bool colour; /* decided with text mode: cli_diag() may run under run's seccomp filter */

/* Colour for a diagnostic's kind: only on a terminal, never with NO_COLOR set (no-color.org)
 * or TERM=dumb, never on Windows (its console may not take the sequences). */
static bool colour_wanted(void)
{
#ifdef _WIN32
    return false;
#else
    const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
    return isatty(2) && !(no && *no) && !(term && !strcmp(term, "dumb"));
#endif
}

void cli_set_text(bool text)
{
    text_mode = text;
    colour = text && colour_wanted();
}

void cli_set_line(uint32_t line)
{
    current_line = line;
}

void cli_json_where(void)
{
    if (current_line)
        printf("\"line\":%u,", (unsigned)current_line);
}

FILE *cli_diag(const char *kind)
{
    const char *sgr = !strcmp(kind, "error") ? "1;31" : !strcmp(kind, "warning") ? "1;35" : "1;36";

    fflush(stdout);
    if (current_line)
        fprintf(stderr, "line %u: ", (unsigned)current_line);
    if (colour)
        fprintf(stderr, "\033[%sm%s:\033[0m ", sgr, kind);
    else
        fprintf(stderr, "%s: ", kind);
    return stderr;
}

int cli_fail(const char *what, const char *message)
{
    if (text_mode) {
        cli_text_safe_str(cli_diag("error"), message);
        fputc('\n', stderr);
        return 1;
    }
    printf("{\"type\":\"error\",");
    cli_json_where();
    printf("\"error\":");
    cli_json_string(stdout, what);
    printf(",\"message\":");
    cli_json_string(stdout, message);
    printf("}\n");
    return 1;
}

const char *cli_stage_name(enum hd_stage s)
{
    return s == HD_STAGE_PRE ? "pre" : s == HD_STAGE_POST ? "post" : "all";
}

void cli_print_extension(bool text, bool nr, uint64_t first, uint64_t last, enum hd_deny deny,
                         uint64_t deny_rax, uint64_t max_hits)
{
    const char *sep = text ? ", " : ",\"", *is = text ? " " : "\":\"", *end = text ? "" : "\"";

    if (nr && first == last)
        printf("%snr%s0x%" PRIx64 "%s", sep, is, first, end);
    else if (nr)
        printf("%snr%s0x%" PRIx64 "-0x%" PRIx64 "%s", sep, is, first, last, end);
    if (deny == HD_DENY_UD)
        printf("%sdeny%sud%s", sep, is, end);
    else if (deny == HD_DENY_RAX)
        printf("%sdeny%srax=0x%" PRIx64 "%s", sep, is, deny_rax, end);
    if (max_hits)
        printf(text ? ", max_hits %" PRIu64 : ",\"max_hits\":%" PRIu64, max_hits);
}

const char *cli_action_name(enum hd_action_type t)
{
    if ((uint32_t)t == HD_ACTION_INFO_DENY) /* in the trace only: `deny`'s verdict */
        return "deny";
    switch (t) {
    case HD_ACTION_BREAK:
        return "break";
    case HD_ACTION_SCRIPT:
        return "script";
    case HD_ACTION_CODE:
        return "code";
    case HD_ACTION_NATIVE:
        return "native";
    }
    return "?";
}
