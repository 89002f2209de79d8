/*
 * hdevent script [--text] '<script>' | --file PATH: compile a script and print its bytecode
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
    if (text_out) {
        for (char *line = strtok(listing, "\n"); line; line = strtok(NULL, "\n"))
            printf("%s%s\n", action >= 0 ? "    " : "", line); /* in parse: under its action */
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
    printf("{\"type\":\"script\",\"bytes\":%" PRIu32 ",\"instructions\":%" PRIu32
           ",\"constants\":%" PRIu32 ",\"globals\":%" PRIu32 ",\"string_bytes\":%" PRIu32
           ",\"slots\":%" PRIu32 ",\"locals\":%" PRIu32 "}\n",
           p->size, i.insn_count, i.const_count, i.global_count, i.string_bytes, i.slot_count,
           i.local_count);
}

/* A compile error: where, what, and (text) the line with a caret. */
static int reject(const char *text, const struct hd_script_error *e, enum hd_status st,
                  bool text_out)
{
    if (!text_out) {
        printf("{\"type\":\"error\",\"error\":\"%s\",\"line\":%" PRIu32 ",\"column\":%" PRIu32
               ",\"message\":",
               hd_status_name(st), e->line, e->column);
        cli_json_string(stdout, e->message);
        printf("}\n");
        return 1;
    }
    if (!e->line) {
        printf("error: %s\n", e->message);
        return 1;
    }
    printf("error: line %" PRIu32 ", column %" PRIu32 ": %s\n", e->line, e->column, e->message);
    if (text) {
        const char *start = text + e->offset - (e->column - 1), *end = strchr(start, '\n');
        uint32_t n = end ? (uint32_t)(end - start) : (uint32_t)strlen(start);
        uint32_t carets = e->length ? e->length : 1;
        if (e->column - 1 + carets > n)
            carets = n > e->column - 1 ? n - (e->column - 1) : 1; /* not past the line */
        printf("%.*s\n%*s", (int)n, start, (int)(e->column - 1), "");
        while (carets--)
            putchar('^');
        putchar('\n');
    }
    return 1;
}

int cmd_script(int argc, char **argv)
{
    const char *text = NULL, *path = NULL;
    bool text_out = false;
    struct hd_script_program prog;
    struct hd_script_error err;
    enum hd_status st;
    int rc;

    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--text"))
            cli_set_text(text_out = true);
        else if (!strcmp(argv[i], "--file") && i + 1 < argc && !path && !text)
            path = argv[++i];
        else if (!text && !path && argv[i][0] != '-')
            text = argv[i];
        else
            return cli_usage();
    }
    if (!text && !path)
        return cli_usage();
    st = path ? hd_script_compile_file(path, &prog, &err) : hd_script_compile(text, &prog, &err);
    if (st != HD_OK)
        return reject(text, &err, st, text_out);
    print_summary(&prog, text_out);
    rc = cli_script_listing(prog.code, prog.size, -1, text_out);
    hd_script_program_free(&prog);
    return rc;
}
