/* SPDX-License-Identifier: MIT */
/*
 * The router of `hdevent read --follow` and `hdevent run` (sink.h, docs/output.md): each
 * message goes to the sinks its event names, through a buffer that --flush-ms empties; a sink
 * that fails is reported once, its messages counted as dropped, and it is tried again every
 * SINK_RETRY_MS when the router may open things (not under `hdevent run`'s seccomp filter).
 */
#include "sink.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void sink_router_init(struct sink_router *r)
{
    memset(r, 0, sizeof(*r));
    r->can_reopen = true;
    r->diag = stderr;
    r->now_ms = sink_clock_ms;
}

/* @p s stopped working: say so once, drop what waited, try again later. */
static void fail(struct sink_router *r, struct sink *s, const char *doing, const char *why)
{
    s->dropped += s->pending;
    s->used = 0;
    s->pending = 0;
    sink_close_one(s);
    s->retry_at_ms = r->now_ms() + SINK_RETRY_MS;
    if (s->failing)
        return; /* reported already */
    s->failing = true;
    s->failures++;
    fprintf(r->diag, "hdevent: sink %s (%s): cannot %s: %s; its messages are dropped %s\n",
            s->name, s->spec, doing, why,
            r->can_reopen ? "until it works again (tried every second)"
                          : "(hdevent run does not reopen sinks under its filter)");
    fflush(r->diag);
}

static void recovered(struct sink_router *r, struct sink *s)
{
    if (!s->failing)
        return;
    s->failing = false;
    fprintf(r->diag, "hdevent: sink %s (%s) works again\n", s->name, s->spec);
    fflush(r->diag);
}

static bool try_open(struct sink_router *r, struct sink *s)
{
    char why[256];

    if (sink_open_one(s, why, sizeof(why))) {
        recovered(r, s);
        return true;
    }
    fail(r, s, "open", why);
    return false;
}

void sink_router_open(struct sink_router *r)
{
    for (uint32_t i = 0; i < r->count; i++) {
        struct sink *s = &r->sinks[i];
        if (!s->buf)
            s->buf = malloc(SINK_BUFFER_BYTES);
        if (!s->buf) {
            fail(r, s, "buffer", "out of memory");
            continue;
        }
        try_open(r, s);
    }
}

/* Write what @p s holds. */
static void flush_one(struct sink_router *r, struct sink *s)
{
    char why[256];

    if (!s->pending)
        return;
    if (!sink_write_one(s, s->buf, s->used, why, sizeof(why))) {
        fail(r, s, "write", why);
        return;
    }
    s->written += s->pending;
    s->used = 0;
    s->pending = 0;
}

/* Is @p s usable now? A failing sink is tried again when it is due (and allowed). */
static bool usable(struct sink_router *r, struct sink *s)
{
    if (!s->failing && (s->fd >= 0 || s->library))
        return true;
    if (!r->can_reopen || !s->buf || r->now_ms() < s->retry_at_ms)
        return false;
    return try_open(r, s);
}

static void put(struct sink_router *r, struct sink *s, const char *line, size_t len)
{
    if (!usable(r, s)) {
        s->dropped++;
        return;
    }
    if (s->used + len > SINK_BUFFER_BYTES)
        flush_one(r, s);
    if (s->failing) {
        s->dropped++;
        return;
    }
    if (len > SINK_BUFFER_BYTES) { /* longer than the buffer: written on its own */
        char *copy = malloc(len), why[256];
        if (!copy) {
            s->dropped++;
            return;
        }
        memcpy(copy, line, len);
        if (sink_write_one(s, copy, len, why, sizeof(why)))
            s->written++;
        else {
            s->pending = 1; /* this one, counted dropped by fail() */
            fail(r, s, "write", why);
        }
        free(copy);
        return;
    }
    if (!s->pending)
        s->first_pending_ms = r->now_ms();
    memcpy(s->buf + s->used, line, len);
    s->used += len;
    s->pending++;
    if (r->flush_ms == 0)
        flush_one(r, s);
}

bool sink_route(struct sink_router *r, const uint64_t *tags, uint32_t count, const char *line,
                size_t len)
{
    bool taken = false;

    if (!len || line[len - 1] != '\n')
        return false; /* not a line: the caller prints it */
    for (uint32_t i = 0; i < r->count; i++) {
        struct sink *s = &r->sinks[i];
        for (uint32_t j = 0; j < count; j++) {
            if (tags[j] != s->tag)
                continue;
            put(r, s, line, len);
            taken = true;
            break;
        }
    }
    return taken;
}

int sink_router_tick(struct sink_router *r)
{
    uint64_t now = r->now_ms();
    int64_t next = -1;

    for (uint32_t i = 0; i < r->count; i++) {
        struct sink *s = &r->sinks[i];
        int64_t due;
        if (s->failing && r->can_reopen && s->buf && now >= s->retry_at_ms)
            try_open(r, s); /* so that "works again" is said without waiting for a message */
        if (!s->pending)
            continue;
        due = (int64_t)(s->first_pending_ms + r->flush_ms) - (int64_t)now;
        if (due <= 0) {
            flush_one(r, s);
            continue;
        }
        if (next < 0 || due < next)
            next = due;
    }
    return (int)next;
}

void sink_router_flush(struct sink_router *r)
{
    for (uint32_t i = 0; i < r->count; i++)
        flush_one(r, &r->sinks[i]);
}

void sink_router_reopen(struct sink_router *r)
{
    if (!r->can_reopen)
        return;
    for (uint32_t i = 0; i < r->count; i++) {
        struct sink *s = &r->sinks[i];
        if (s->kind != SINK_FILE || !s->buf)
            continue;
        flush_one(r, s); /* what waited belongs to the old file */
        sink_close_one(s);
        try_open(r, s);
    }
}

uint32_t sink_router_fds(const struct sink_router *r, int *fds, uint32_t max)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < r->count && n < max; i++)
        if (r->sinks[i].fd >= 0)
            fds[n++] = r->sinks[i].fd;
    return n;
}

void sink_router_report(const struct sink_router *r, FILE *out, bool text)
{
    for (uint32_t i = 0; i < r->count; i++) {
        const struct sink *s = &r->sinks[i];
        if (text) {
            fprintf(out, "sink %s (%s): %" PRIu64 " written, %" PRIu64 " dropped, %" PRIu64
                    " failure(s)\n", s->name, s->spec, s->written, s->dropped, s->failures);
            continue;
        }
        /* name: [A-Za-z0-9_.-]; spec: the user's own argument, escaped as JSON */
        fprintf(out, "{\"type\":\"sink\",\"name\":\"%s\",\"sink\":\"", s->name);
        for (const unsigned char *c = (const unsigned char *)s->spec; *c; c++) {
            if (*c == '"' || *c == '\\')
                fprintf(out, "\\%c", *c);
            else if (*c < 0x20 || *c > 0x7e)
                fprintf(out, "\\u%04x", *c);
            else
                fputc(*c, out);
        }
        fprintf(out, "\",\"written\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"failures\":%" PRIu64
                "}\n", s->written, s->dropped, s->failures);
    }
}

void sink_router_close(struct sink_router *r)
{
    sink_router_flush(r);
    for (uint32_t i = 0; i < r->count; i++) {
        struct sink *s = &r->sinks[i];
        sink_close_one(s);
        sink_unload_one(s);
        free(s->buf);
        s->buf = NULL;
    }
}
