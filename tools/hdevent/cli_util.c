/*
 * Output and input helpers every subcommand of the hdevent tool shares (cli.h).
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cli_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

void cli_hex_bytes(FILE *out, const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        fprintf(out, "%s%02X", i ? " " : "", p[i]);
}

static uint32_t current_line;
static bool text_mode;

void cli_set_text(bool text)
{
    text_mode = text;
}

void cli_set_line(uint32_t line)
{
    current_line = line;
}

void cli_where(bool text_out)
{
    if (!current_line)
        return;
    if (text_out)
        printf("line %u: ", (unsigned)current_line);
    else
        printf("\"line\":%u,", (unsigned)current_line);
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

/* A usage or input error for people and programs alike: one JSON line on stdout. */
int cli_fail(const char *what, const char *message)
{
    if (text_mode) {
        cli_where(true);
        printf("error: %s\n", message);
        return 1;
    }
    printf("{\"type\":\"error\",");
    cli_where(false);
    printf("\"error\":");
    cli_json_string(stdout, what);
    printf(",\"message\":");
    cli_json_string(stdout, message);
    printf("}\n");
    return 1;
}

int cli_usage(void)
{
    /* Only what this build has: the mingw-w64 hdevent.exe is built device-only. */
    fputs("usage:\n"
#ifndef HDEVENT_CLI_DEVICE_ONLY
          "  hdevent parse [--text] [--strict] '<command>'\n"
          "  hdevent disasm [--text] [--strict] <hex>\n"
          "  hdevent asm [--text] '<assembly>' | -\n"
          "  hdevent encode [--strict] '<command>' -o FILE [--tag HEX]\n"
          "  hdevent decode [--text] [--cores N] FILE\n"
          "  hdevent run [--text] [--strict] [--cores N] [--time-limit MS] [--no-filter]\n"
          "              [SCENARIO|-]\n"
          "  hdevent script [--text] '<script>' | --file PATH\n"
#endif
#ifdef HDEVENT_CLI_HAVE_DEVICE
          "  hdevent add [--strict] [--text] [--device PATH] '<!vmcall command>'\n"
          "  hdevent events [--text] [--device PATH] [e|d|c ID|all]\n"
          "  hdevent read [--follow] [--timeout MS] [--text] [--device PATH]\n"
          "  hdevent selftest-vmcall core=N [pid=N] [cpl=N] [rip=N] [len=N] [rax=N ... r15=N]\n"
          "                          [--text] [--device PATH]\n"
#endif
          "see docs/cli.md\n",
          stderr);
    return 2;
}

const char *cli_stage_name(enum hd_stage s)
{
    return s == HD_STAGE_PRE ? "pre" : s == HD_STAGE_POST ? "post" : "all";
}

const char *cli_action_name(enum hd_action_type t)
{
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

int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, char *err,
                  size_t err_size)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    size_t cap = 4096, n = 0;
    uint8_t *b;

    if (!f) {
        snprintf(err, err_size, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    b = malloc(cap + 1);
    while (b) {
        size_t next;
        uint8_t *grown;
        n += fread(b + n, 1, cap - n, f);
        if (n < cap || n > max)
            break; /* the end of the file, or one byte past the limit */
        /* Room for one byte past the limit: a file of exactly max bytes is accepted. */
        next = cap > (max + 1) / 2 ? max + 1 : cap * 2;
        grown = realloc(b, next + 1);
        if (!grown) {
            free(b);
            b = NULL;
            break;
        }
        b = grown;
        cap = next;
    }
    if (ferror(f)) {
        snprintf(err, err_size, "cannot read %s: %s", path, strerror(errno));
        free(b);
        b = NULL;
    } else if (!b) {
        snprintf(err, err_size, "out of memory reading %s", path);
    } else if (n > max) {
        snprintf(err, err_size, "%s: larger than %zu bytes", path, max);
        free(b);
        b = NULL;
    }
    if (f != stdin)
        fclose(f);
    if (!b)
        return -1;
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}
