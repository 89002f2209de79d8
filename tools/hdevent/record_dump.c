/* SPDX-License-Identifier: MIT */
/*
 * A recorder dump read back (record_dump.h): the lines a machine wrote on its console, checked
 * for form, order, hex and sizes, each refusal naming the file, the line and what is wrong.
 * The replies' contents are the decoders' job (hd_wire_decode_recorder/_record, in
 * cmd_record.c), as for a reply from the device.
 */
#include "record_dump.h"

#include "cli.h"

#include <hdevent/command.h>
#include <hdevent/engine.h>
#include <hdevent/event.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A console log of a long run may be large; a dump of 4096 CPUs' full rings fits. */
#define DUMP_FILE_MAX ((size_t)512 << 20)

struct reader {
    const char *path;
    uint32_t line;
    uint32_t dump_line; /* the recorder-dump line, 0 before it */
    bool ended;
    struct record_dump *d;
};

/* mingw-w64 with __USE_MINGW_ANSI_STDIO: its vsnprintf is C99's (%zu), which plain `printf`
 * format checking (Microsoft's) would refuse. */
#ifdef __MINGW_PRINTF_FORMAT
#define DUMP_PRINTF_FORMAT __MINGW_PRINTF_FORMAT
#else
#define DUMP_PRINTF_FORMAT printf
#endif

/* An error at the current line: "PATH: KEYWORD: what", the line in the record. @return 1. */
static int fail(struct reader *r, const char *fmt, ...)
    __attribute__((format(DUMP_PRINTF_FORMAT, 2, 3)));
static int fail(struct reader *r, const char *fmt, ...)
{
    char what[512], msg[1200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof(msg), "%s: %s", r->path, what);
    cli_set_line(r->line);
    cli_fail("dump", msg);
    cli_set_line(0);
    return 1;
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* @p n hex digits at @p s (column @p col) into a malloc'd buffer of n / 2 bytes (plus a NUL,
 * so a text can be used as a string). @return 0, or 1 (printed). */
static int unhex(struct reader *r, const char *what, const char *s, size_t n, size_t col,
                 size_t max, uint8_t **out, size_t *len)
{
    uint8_t *b;

    if (n % 2)
        return fail(r, "%s: %zu hex digits, an odd number: the line was cut or mangled", what, n);
    if (n / 2 > max)
        return fail(r, "%s: %zu bytes, more than %zu", what, n / 2, max);
    for (size_t i = 0; i < n; i++)
        if (hex_value(s[i]) < 0)
            return fail(r, "%s: column %zu is not a hex digit", what, col + i);
    if (!(b = malloc(n / 2 + 1)))
        return fail(r, "out of memory");
    for (size_t i = 0; i < n / 2; i++)
        b[i] = (uint8_t)(hex_value(s[2 * i]) << 4 | hex_value(s[2 * i + 1]));
    b[n / 2] = 0;
    *out = b;
    *len = n / 2;
    return 0;
}

/* Field @p name= at *at: its value's start and length; *at moves past it and one blank. */
static int field(struct reader *r, const char *kw, const char *line, size_t len, size_t *at,
                 const char *name, const char **value, size_t *value_len)
{
    size_t nl = strlen(name), end;

    if (len - *at < nl + 1 || memcmp(line + *at, name, nl) || line[*at + nl] != '=')
        return fail(r, "%s: column %zu: expected %s=", kw, *at + 1, name);
    *value = line + *at + nl + 1;
    for (end = *at + nl + 1; end < len && line[end] != ' '; end++)
        ;
    *value_len = end - (*at + nl + 1);
    *at = end < len ? end + 1 : end;
    return 0;
}

/* A hex number field (HyperDbg's rules: hex unless 0n) no larger than @p max. */
static int number(struct reader *r, const char *kw, const char *line, size_t len, size_t *at,
                  const char *name, uint64_t max, uint64_t *out)
{
    const char *v;
    size_t vl, col = *at + strlen(name) + 2;

    if (field(r, kw, line, len, at, name, &v, &vl))
        return 1;
    if (hd_command_number(v, vl, max, out) != HD_OK)
        return fail(r, "%s: column %zu: %s= wants a number, 0 to 0x%llx", kw, col, name,
                    (unsigned long long)max);
    return 0;
}

static int on_dump(struct reader *r, const char *line, size_t len, size_t at)
{
    uint64_t cores;

    if (r->dump_line)
        return fail(r, "recorder-dump: a second dump (the first began on line %u): give one "
                       "dump a file", r->dump_line);
    if (number(r, "recorder-dump", line, len, &at, "cores", HD_CORES_MAX, &cores))
        return 1;
    if (cores == 0)
        return fail(r, "recorder-dump: cores=0: a machine has at least one CPU");
    if (at < len)
        return fail(r, "recorder-dump: column %zu: nothing may follow cores=", at + 1);
    r->dump_line = r->line;
    r->d->cores = (uint32_t)cores;
    return 0;
}

static int on_event(struct reader *r, const char *line, size_t len, size_t at)
{
    const char *kw = "recorder-event", *hex;
    struct record_dump *d = r->d;
    struct record_dump_event *grown, ev = {0};
    uint64_t enabled;
    size_t hex_len, col, text_len;
    uint8_t *text;

    if (d->reply_count)
        return fail(r, "%s after a recorder-reply: the events come first", kw);
    if (number(r, kw, line, len, &at, "tag", UINT64_MAX, &ev.tag) ||
        number(r, kw, line, len, &at, "enabled", 1, &enabled))
        return 1;
    col = at + strlen("text=") + 1;
    if (field(r, kw, line, len, &at, "text", &hex, &hex_len))
        return 1;
    if (at < len)
        return fail(r, "%s: column %zu: nothing may follow text=", kw, at + 1);
    if (ev.tag < HD_TAG_BASE)
        return fail(r, "%s: tag=0x%llx is below the first tag an event gets (0x%llx)", kw,
                    (unsigned long long)ev.tag, (unsigned long long)HD_TAG_BASE);
    for (uint32_t i = 0; i < d->event_count; i++)
        if (d->events[i].tag == ev.tag)
            return fail(r, "%s: tag=0x%llx twice", kw, (unsigned long long)ev.tag);
    if (unhex(r, "recorder-event text", hex, hex_len, col, HD_COMMAND_MAX_BYTES, &text,
              &text_len))
        return 1;
    if (memchr(text, 0, text_len)) {
        free(text);
        return fail(r, "%s: the text holds a NUL byte: a command is text", kw);
    }
    if (!(grown = realloc(d->events, (d->event_count + 1) * sizeof(*grown)))) {
        free(text);
        return fail(r, "out of memory");
    }
    ev.enabled = enabled != 0;
    ev.text = (char *)text;
    d->events = grown;
    d->events[d->event_count++] = ev;
    return 0;
}

static int on_reply(struct reader *r, const char *line, size_t len, size_t at)
{
    struct record_dump *d = r->d;
    struct record_dump_reply *grown, rep = {.line = r->line};

    if (unhex(r, "recorder-reply", line + at, len - at, at + 1, DUMP_FILE_MAX, &rep.bytes,
              &rep.len))
        return 1;
    if (!(grown = realloc(d->replies, (d->reply_count + 1) * sizeof(*grown)))) {
        free(rep.bytes);
        return fail(r, "out of memory");
    }
    d->replies = grown;
    d->replies[d->reply_count++] = rep;
    return 0;
}

/* One line that begins with "recorder-". */
static int on_line(struct reader *r, const char *line, size_t len)
{
    size_t kw_len = 0;

    while (kw_len < len && line[kw_len] != ' ')
        kw_len++;
#define IS(word) (kw_len == strlen(word) && !memcmp(line, word, kw_len))
    if (!IS("recorder-dump") && !IS("recorder-event") && !IS("recorder-reply") &&
        !IS("recorder-end"))
        return fail(r, "a line of the dump begins with an unknown word (recorder-dump, "
                       "-event, -reply and -end are the words)");
    if (r->ended)
        return fail(r, "a recorder- line after recorder-end (line %u began the dump): give one "
                       "dump a file", r->dump_line);
    if (IS("recorder-dump"))
        return on_dump(r, line, len, kw_len < len ? kw_len + 1 : kw_len);
    if (!r->dump_line)
        return fail(r, "a recorder- line before the recorder-dump line that begins a dump");
    if (IS("recorder-end")) {
        if (kw_len < len)
            return fail(r, "recorder-end: column %zu: nothing may follow it", kw_len + 1);
        if (!r->d->reply_count)
            return fail(r, "recorder-end without a recorder-reply line: no records");
        r->ended = true;
        return 0;
    }
    if (kw_len == len)
        return fail(r, "%.*s: nothing after the word", (int)kw_len, line);
    if (IS("recorder-event"))
        return on_event(r, line, len, kw_len + 1);
    return on_reply(r, line, len, kw_len + 1);
#undef IS
}

int record_dump_read(const char *path, struct record_dump *d)
{
    struct reader r = {.path = strcmp(path, "-") ? path : "stdin", .d = d};
    uint8_t *buf;
    size_t len, at = 0;
    char err[600];
    int rc = 0;

    memset(d, 0, sizeof(*d));
    if (cli_read_file(path, DUMP_FILE_MAX, &buf, &len, err, sizeof(err)) != 0)
        return cli_fail("io", err);
    while (at < len && rc == 0) {
        const char *line = (const char *)buf + at;
        const uint8_t *nl = memchr(buf + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (buf + at)) : len - at;

        r.line++;
        at += n + 1;
        if (n && line[n - 1] == '\r')
            n--; /* a console's CR LF */
        if (n >= 9 && !memcmp(line, "recorder-", 9))
            rc = on_line(&r, line, n);
    }
    r.line = 0;
    if (rc == 0 && !r.dump_line)
        rc = fail(&r, "no recorder-dump line: not a recorder dump");
    else if (rc == 0 && !r.ended)
        rc = fail(&r, "the dump that began on line %u has no recorder-end line: it was cut "
                      "short", r.dump_line);
    free(buf);
    if (rc)
        record_dump_free(d);
    return rc;
}

void record_dump_free(struct record_dump *d)
{
    for (uint32_t i = 0; i < d->event_count; i++)
        free(d->events[i].text);
    for (uint32_t i = 0; i < d->reply_count; i++)
        free(d->replies[i].bytes);
    free(d->events);
    free(d->replies);
    memset(d, 0, sizeof(*d));
}
