/* SPDX-License-Identifier: MIT */
/*
 * tools/hdevent/sink.h — output sinks and the router that sends each message to the sinks its
 * event names (`output {a, b}`; docs/output.md).
 *
 * `hdevent read --follow` and `hdevent run` take `--sink NAME=file:PATH | fifo:PATH |
 * unix:PATH | tcp:HOST:PORT | module:LIB.so`. Every sink gets the same bytes: one JSON line per
 * message, the record stdout would show (docs/design-decisions.md says why). The router owns
 * no policy about the device or the simulator: its caller hands it an event's output tags and
 * the line, and prints the line itself when no sink took it. Nothing here prints on stdout, so
 * the router is unit-tested on its own (tests/unit/test_sink_route.c).
 */
#ifndef HDEVENT_CLI_SINK_H
#define HDEVENT_CLI_SINK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Most --sink options one run takes. */
#define SINK_MAX 16u
/** How long a write waits for a FIFO's or socket's reader to take data before the sink fails
 *  (reported, its messages dropped and counted; `read` retries it later). */
#define SINK_STALL_MS 2000
/** Bytes a sink buffers before it writes (also the most one message line may be: longer
 *  lines are written at once). */
#define SINK_BUFFER_BYTES (64u * 1024u)
/** A failed sink is tried again at most this often. */
#define SINK_RETRY_MS 1000u

enum sink_kind { SINK_FILE, SINK_FIFO, SINK_UNIX, SINK_TCP, SINK_MODULE };

/** HyperDbg's forwarding callback: what a `module:` sink's shared object exports. */
typedef void (*sink_module_fn)(const char *text, unsigned len);

/*
 * Set while a module sink's callback runs. `hdevent run`'s seccomp filter (run_filter.c)
 * checks it when it refuses a system call: one the callback made is that sink's failure
 * (sink_module_refused gets the call's number + 1; the call fails with EPERM), not hdevent's.
 */
extern volatile sig_atomic_t sink_module_calling;
extern volatile sig_atomic_t sink_module_refused;

/** One --sink: where its messages go, and what became of them. */
struct sink {
    char name[64];        /* the output name events give in `output {…}` */
    char spec[512];       /* "file:/tmp/a.log": for messages and the counts record */
    enum sink_kind kind;
    char target[448];     /* the path, "host:port" or the library */
    uint64_t tag;         /* hd_output_tag(name) */
    int fd;               /* -1 when closed */
    void *library;        /* module: dlopen's handle */
    struct sink_lookup *lookup; /* tcp: a name resolution still under way (sink.c) */
    sink_module_fn forward;
    bool failing;         /* the last open or write failed; reported once until it recovers */
    bool cut;             /* a write failed part-way: the descriptor's last line has no end */
    uint64_t retry_at_ms; /* failing: when to try again */
    uint64_t written, dropped; /* messages */
    uint64_t failures;    /* times it went from working to failing */
    char *buf;            /* pending lines, SINK_BUFFER_BYTES */
    size_t used;
    uint32_t pending;     /* messages in buf */
    uint64_t first_pending_ms;
};

/** Every sink of a run and how the router may treat them. */
struct sink_router {
    struct sink sinks[SINK_MAX];
    uint32_t count;
    uint32_t flush_ms;   /* --flush-ms: longest a message waits in a buffer (0: none) */
    bool can_reopen;     /* false under `hdevent run`'s seccomp filter: no open, socket... */
    FILE *diag;          /* where failures are reported (stderr) */
    uint64_t (*now_ms)(void); /* the clock (tests steer it) */
};

/**
 * Parse one --sink value "NAME=KIND:TARGET" into the next sink of @p r (not opened). On a
 * mistake writes a sentence naming what is wrong (and where, as a 1-based column of the
 * value) to @p err. @return true when added.
 */
bool sink_add(struct sink_router *r, const char *value, char *err, size_t err_size);

/** Set @p r up empty: no sinks, flush at once, reopen allowed, failures to stderr. */
void sink_router_init(struct sink_router *r);

/** Open every sink (a failure is reported once on r->diag and retried later). */
void sink_router_open(struct sink_router *r);

/**
 * Route one message: @p line (@p len bytes, a JSON line with its newline) of an event whose
 * output tags are @p tags[0..@p count-1], to every sink with one of those tags.
 * @return true when at least one sink has the message (written, buffered or counted as
 *         dropped); false when no configured sink is named: the caller prints it itself.
 */
bool sink_route(struct sink_router *r, const uint64_t *tags, uint32_t count, const char *line,
                size_t len);

/** Write what waited longer than flush_ms, and retry failed sinks that are due. Call it
 *  between reads. @return the milliseconds until it has work again (-1: none pending). */
int sink_router_tick(struct sink_router *r);

/** Write everything pending now. */
void sink_router_flush(struct sink_router *r);

/** SIGHUP: close and reopen every file sink (log rotation); others are left alone. */
void sink_router_reopen(struct sink_router *r);

/** The fds of the open sinks (for `hdevent run`'s seccomp filter). @return how many. */
uint32_t sink_router_fds(const struct sink_router *r, int *fds, uint32_t max);

/**
 * The per-sink counts: one JSON line {"type":"sink","name":…,"sink":…,"written":N,
 * "dropped":N,"failures":N} each on @p out, or a line for people when @p text.
 */
void sink_router_report(const struct sink_router *r, FILE *out, bool text);

/** Flush, close and free everything. */
void sink_router_close(struct sink_router *r);

/* ---- one sink (sink.c), for sink_route.c ---------------------------------------------- */

/** Open @p s. @return true, or false with a sentence in @p why. */
bool sink_open_one(struct sink *s, char *why, size_t why_size);

/** Write @p n bytes of whole lines at @p p to @p s (a module gets one call per line; the
 *  bytes are changed and restored meanwhile). @return true, or false with a sentence. */
bool sink_write_one(struct sink *s, char *p, size_t n, char *why, size_t why_size);

/** Close @p s's descriptor (a module stays loaded: sink_unload_one at the end). */
void sink_close_one(struct sink *s);

/** Unload a module sink's library. */
void sink_unload_one(struct sink *s);

/** The monotonic clock in milliseconds. */
uint64_t sink_clock_ms(void);

#endif /* HDEVENT_CLI_SINK_H */
