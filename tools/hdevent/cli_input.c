/* SPDX-License-Identifier: MIT */
/*
 * Where the hdevent tool's input comes from (cli.h): an operand, stdin ("-") or a file
 * (-f FILE). A file or stdin lifts the limit of the argument list (a 64 KiB `code {…}` is
 * about 192 KiB of hex, past Linux's 128 KiB for one argument) and keeps the text out of
 * `ps` and the shell's history.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, char *err,
                  size_t err_size)
{
    bool is_stdin = !strcmp(path, "-");
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    const char *name = is_stdin ? "stdin" : path;
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
        snprintf(err, err_size, "cannot read %s: %s", name, strerror(errno));
        free(b);
        b = NULL;
    } else if (!b) {
        snprintf(err, err_size, "out of memory reading %s", name);
    } else if (n > max) {
        snprintf(err, err_size, "%s: larger than %zu bytes", name, max);
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

int cli_input_text(const char *operand, const char *file, size_t max, const char *what,
                   char **text, size_t *len)
{
    const char *path = file ? file : operand;
    char err[512];
    uint8_t *buf;
    const uint8_t *nul;

    if (operand && file)
        return cli_usage_error("give %s as an operand or with -f FILE, not both", what);
    if (!path)
        return cli_usage_error("expects %s: as an operand, - for stdin, or -f FILE", what);
    if (!file && strcmp(operand, "-")) { /* the operand itself */
        *len = strlen(operand);
        *text = malloc(*len + 1);
        if (!*text)
            return cli_fail("io", "out of memory");
        memcpy(*text, operand, *len + 1);
        return 0;
    }
    if (cli_read_file(path, max, &buf, len, err, sizeof(err)) != 0)
        return cli_fail("io", err);
    nul = memchr(buf, 0, *len);
    if (nul) {
        snprintf(err, sizeof(err), "%s holds a NUL byte at offset %zu: %s is text",
                 file ? file : "stdin", (size_t)(nul - buf), what);
        free(buf);
        return cli_fail("io", err);
    }
    *text = (char *)buf;
    return 0;
}

bool cli_text_args(const struct cli_spec *spec, int argc, char **argv, size_t max,
                   const char *what, const char *one, struct cli_text_args *out)
{
    const char *file = NULL;
    struct cli_getopt g;
    int c;

    memset(out, 0, sizeof(*out));
    cli_getopt_init(&g, spec, argc, argv);
    while ((c = cli_getopt_next(&g)) != -1) {
        if (c == 't')
            cli_set_text(out->text = true);
        else if (c == 's')
            out->strict = true; /* only in the specs that list it */
        else if (c == 'f')
            file = optarg;
        else
            return out->status = g.status, false;
    }
    if (argc - optind > 1)
        out->status = cli_usage_error("takes %s (quote it): '%s' is one too many", one,
                                      argv[optind + 1]);
    else
        out->status = cli_input_text(optind < argc ? argv[optind] : NULL, file, max, what,
                                     &out->input, &out->len);
    return out->status == 0;
}
