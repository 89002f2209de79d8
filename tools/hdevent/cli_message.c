/* SPDX-License-Identifier: MIT */
/*
 * One message record (a script's printf, custom code's buffer) as JSON, for stdout and for
 * the output sinks alike (cli.h, docs/output.md): the same line wherever it goes.
 */
#define _POSIX_C_SOURCE 200809L /* fmemopen */
#include "cli.h"
#if !defined(_WIN32)
#include "sink.h"
#endif

#include <inttypes.h>
#include <string.h>

/* Does @p p hold a byte a reader cannot take as it is (outside printable ASCII and '\n')? */
static bool needs_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((p[i] < 0x20 || p[i] > 0x7E) && p[i] != '\n')
            return true;
    return false;
}

void cli_json_text_hex(FILE *out, const uint8_t *p, size_t n)
{
    fputs("\"text\":", out);
    cli_json_bytes(out, p, n);
    if (!needs_hex(p, n))
        return;
    fputs(",\"hex\":\"", out); /* bytes as every record writes them: "41 42 1B" */
    cli_hex_bytes(out, p, (uint32_t)n);
    fputc('"', out);
}

void cli_message_json(FILE *out, const struct cli_message *m)
{
    fprintf(out, "{\"type\":\"message\",\"event\":%" PRIu64 ",\"tag\":\"0x%" PRIx64
            "\",\"core\":\"0x%" PRIx32 "\",", HD_EVENT_ID(m->tag), m->tag, m->core);
    cli_json_text_hex(out, m->text, m->len);
    fprintf(out, ",\"size\":%" PRIu32, m->size);
    if (m->immediate >= 0)
        fprintf(out, ",\"immediate\":%s", m->immediate ? "true" : "false");
    fprintf(out, ",\"truncated\":%s}\n", m->truncated ? "true" : "false");
}

#if !defined(_WIN32) /* the sinks are POSIX (sink.h): the Windows tool has none */
bool cli_message_route(struct sink_router *r, const uint64_t *tags, uint32_t count,
                       const struct cli_message *m)
{
    static char line[1u << 20]; /* a message's text is far shorter than a sixth of this */
    FILE *f;
    long len;

    if (!r || !r->count || !count)
        return false;
    f = fmemopen(line, sizeof(line), "w");
    if (!f)
        return false;
    cli_message_json(f, m);
    fflush(f);
    len = ftell(f);
    fclose(f);
    if (len <= 0 || (size_t)len >= sizeof(line) - 1)
        return false; /* did not fit: stdout shows it */
    return sink_route(r, tags, count, line, (size_t)len);
}
#endif
