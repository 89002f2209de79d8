/* SPDX-License-Identifier: MIT */
/*
 * hdevent script [-t] '<script>' | - | -f FILE: compile a script and print its bytecode
 * listing (docs/cli.md, docs/script.md); and the listing helper `hdevent parse` shares.
 */
#include "cli.h"

#include <hdevent/script.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int cli_script_listing(const uint8_t *code, uint32_t size, int action, bool text_out)
{
    size_t len = 0;
    char *listing;
    enum hd_status st = hd_script_disasm(code, size, NULL, 0, &len);

    if (st != HD_OK && st != HD_ERR_BUFFER_TOO_SMALL)
        return cli_fail(hd_status_name(st), hd_status_str(st));
    listing = malloc(len + 1);
    if (!listing)
        return cli_fail("HD_ERR_NO_MEMORY", "out of memory for the listing");
    hd_script_disasm(code, size, listing, len + 1, &len);
    if (text_out) { /* a string constant holds the script's bytes as they were: made safe */
        for (char *line = strtok(listing, "\n"); line; line = strtok(NULL, "\n")) {
            printf("%s", action >= 0 ? "    " : ""); /* in parse: under its action */
            cli_text_safe(stdout, line, strlen(line), false);
            printf("\n");
        }
    } else {
        uint32_t index = 0;
        for (char *line = strtok(listing, "\n"); line; line = strtok(NULL, "\n")) {
            if (line[0] == ';')
                continue; /* the header: the counts are in the "script" record */
            printf("{\"type\":\"script_insn\",");
            if (action >= 0)
                printf("\"action\":%d,", action);
            printf("\"index\":%" PRIu32 ",\"text\":", index++);
            cli_json_string(stdout, line + 6); /* past "0000  " */
            printf("}\n");
        }
    }
    free(listing);
    return 0;
}

/* The "script" record: what the program holds. */
static void print_summary(const struct hd_script_program *p, bool text_out)
{
    struct hd_script_info i;
    hd_script_verify(p->code, p->size, &i);
    if (text_out)
        return; /* the listing's first line says the same */
    printf("{\"type\":\"script\",\"size\":%" PRIu32 ",\"instructions\":%" PRIu32
           ",\"constants\":%" PRIu32 ",\"globals\":%" PRIu32 ",\"string_bytes\":%" PRIu32
           ",\"slots\":%" PRIu32 ",\"locals\":%" PRIu32 "}\n",
           p->size, i.insn_count, i.const_count, i.global_count, i.string_bytes, i.slot_count,
           i.local_count);
}

/* A compile error: where, what, and (text, on stderr) the line with a caret. */
static int reject(const char *text, const struct hd_script_error *e, enum hd_status st,
                  bool text_out)
{
    FILE *out;

    if (!text_out) { /* line 0: an error of the whole script (its size), no place in it */
        printf("{\"type\":\"error\",\"error\":\"%s\",", hd_status_name(st));
        if (e->line)
            printf("\"line\":%" PRIu32 ",\"column\":%" PRIu32 ",", e->line, e->column);
        printf("\"message\":");
        cli_json_string(stdout, e->message);
        printf("}\n");
        return 1;
    }
    out = cli_diag("error");
    if (!e->line) {
        cli_text_safe_str(out, e->message);
        fputc('\n', out);
        return 1;
    }
    fprintf(out, "line %" PRIu32 ", column %" PRIu32 ": ", e->line, e->column);
    cli_text_safe_str(out, e->message);
    fputc('\n', out);
    {
        const char *start = text + e->offset - (e->column - 1), *end = strchr(start, '\n');
        uint32_t n = end ? (uint32_t)(end - start) : (uint32_t)strlen(start);
        uint32_t carets = e->length ? e->length : 1;
        if (e->column - 1 + carets > n)
            carets = n > e->column - 1 ? n - (e->column - 1) : 1; /* not past the line */
        cli_text_safe(out, start, n, false);
        fprintf(out, "\n%*s", (int)(e->column - 1), "");
        while (carets--)
            fputc('^', out);
        fputc('\n', out);
    }
    return 1;
}

static int script_main(int argc, char **argv);

const struct cli_spec cli_script = {
    .name = "script",
    .summary = "compile a script and list its bytecode",
    .synopsis = "[-t] '<script>' | - | -f FILE",
    .description =
        "Compile a script (docs/script.md) and print its bytecode: a `script` record with\n"
        "the counts, then one `script_insn` per instruction; --text prints the listing. A\n"
        "script that does not compile gives one error with its line and column.",
    .options = "  -t, --text             the listing; errors on stderr with a caret\n"
               "  -f, --file FILE        read the script from FILE\n",
    .examples = "  hdevent script --text '.count += 1; if (.count == 3) "
                "{ printf(\"third\\n\"); }'\n"
                "  hdevent script -f counter.ds\n",
    .shortopts = "tf:",
    .longopts = (const struct option[]){{"text", no_argument, NULL, 't'},
                                        {"file", required_argument, NULL, 'f'},
                                        {0}},
    .main = script_main,
};

static int script_main(int argc, char **argv)
{
    struct cli_text_args in;
    bool text_out;
    struct hd_script_program prog;
    struct hd_script_error err;
    enum hd_status st;
    char *text;
    int rc;

    /* One byte past the limit is read, so that the compiler refuses it with its message. */
    if (!cli_text_args(&cli_script, argc, argv, (size_t)HD_SCRIPT_TEXT_MAX + 1, "a script",
                          "the script as one operand", &in))
        return in.status;
    text = in.input;
    text_out = in.text;
    st = hd_script_compile(text, &prog, &err);
    if (st != HD_OK) {
        rc = reject(text, &err, st, text_out);
        free(text);
        return rc;
    }
    print_summary(&prog, text_out);
    rc = cli_script_listing(prog.code, prog.size, -1, text_out);
    hd_script_program_free(&prog);
    free(text);
    return rc;
}
