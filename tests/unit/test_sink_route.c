/* SPDX-License-Identifier: MIT */
/*
 * The output router of `hdevent read --follow` and `hdevent run` (tools/hdevent/sink.h,
 * docs/output.md) on its own, without a device: which message goes to which sink, what
 * --sink refuses, --flush-ms, a failing sink reported once and retried, SIGHUP's reopen.
 * The clock is the test's, so nothing here waits.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sink.h"

#include <hdevent/command.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static uint64_t fake_now;
static uint64_t fake_clock(void)
{
    return fake_now;
}

struct fixture {
    char dir[64];
    struct sink_router r;
    char *diag_text;
    size_t diag_size;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/hdevent-sink-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    sink_router_init(&f->r);
    f->r.now_ms = fake_clock;
    f->r.diag = open_memstream(&f->diag_text, &f->diag_size);
    fake_now = 1000;
    signal(SIGPIPE, SIG_IGN);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];
    sink_router_close(&f->r);
    fclose(f->r.diag);
    free(f->diag_text);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void add(struct fixture *f, const char *fmt, ...)
{
    char value[256], err[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    if (!sink_add(&f->r, value, err, sizeof(err)))
        fail_msg("--sink %s refused: %s", value, err);
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *in = fopen(path, "r");
    size_t n = in ? fread(buf, 1, sizeof(buf) - 1, in) : 0;
    if (in)
        fclose(in);
    buf[n] = 0;
    return buf;
}

static uint64_t tag(const char *name)
{
    return hd_output_tag(name, strlen(name));
}

static bool route(struct fixture *f, const uint64_t *tags, uint32_t n, const char *line)
{
    return sink_route(&f->r, tags, n, line, strlen(line));
}

static const char *diag(struct fixture *f)
{
    fflush(f->r.diag);
    return f->diag_text ? f->diag_text : "";
}

static unsigned count_of(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* --sink values that are refused, each with the sentence that says why. */
static void bad_specs_are_refused_with_where(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *value, *says;
    } bad[] = {
        {"log", "give NAME=KIND:TARGET"},
        {"=file:/tmp/x", "column 1: no output name"},
        {"a/b=file:/tmp/x", "column 2: this character is not allowed"},
        {"a=disk:/tmp/x", "column 3: 'disk' is not a sink"},
        {"a=file", "column 3: 'file' is not a sink"},
        {"a=file:", "column 8: nothing after 'file:': give a path"},
        {"a=tcp:localhost", "'localhost' is not HOST:PORT"},
        {"a=tcp:localhost:0", "is not HOST:PORT"},
        {"a=tcp:localhost:70000", "is not HOST:PORT"},
        {"a=tcp::80", "is not HOST:PORT"},
        {"a=module:", "give a shared object"},
    };
    char err[600], longname[80], longpath[200];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        if (sink_add(&f->r, bad[i].value, err, sizeof(err)))
            fail_msg("--sink %s was accepted", bad[i].value);
        if (!strstr(err, bad[i].says))
            fail_msg("--sink %s: '%s' lacks '%s'", bad[i].value, err, bad[i].says);
    }
    memset(longname, 'x', 64);
    strcpy(longname + 64, "=file:/tmp/x");
    assert_false(sink_add(&f->r, longname, err, sizeof(err)));
    assert_non_null(strstr(err, "column 64: the name is longer than 63 characters"));
    memset(longpath, 'p', sizeof(longpath));
    memcpy(longpath, "a=unix:/", 8);
    longpath[sizeof(longpath) - 1] = 0;
    assert_false(sink_add(&f->r, longpath, err, sizeof(err)));
    assert_non_null(strstr(err, "the socket path is too long"));
    assert_int_equal(f->r.count, 0); /* nothing was added by a refusal */

    add(f, "a=tcp:[::1]:9000");
    assert_false(sink_add(&f->r, "a=file:/tmp/y", err, sizeof(err)));
    assert_non_null(strstr(err, "output name 'a' has a sink already"));
    for (unsigned i = 1; i < SINK_MAX; i++)
        add(f, "s%u=file:%s/s%u", i, f->dir, i);
    assert_false(sink_add(&f->r, "last=file:/tmp/z", err, sizeof(err)));
    assert_non_null(strstr(err, "more than 16 sinks"));
}

/* A message goes to every sink its event names, and only there; none named: the caller's. */
static void messages_go_to_the_sinks_their_event_names(void **state)
{
    struct fixture *f = *state;
    char a[96], b[96];
    uint64_t only_a[] = {tag("a")}, both[] = {tag("zzz"), tag("b"), tag("a")},
             none[] = {tag("c")};

    add(f, "a=file:%s/a.log", f->dir);
    add(f, "b=file:%s/b.log", f->dir);
    sink_router_open(&f->r);
    snprintf(a, sizeof(a), "%s/a.log", f->dir);
    snprintf(b, sizeof(b), "%s/b.log", f->dir);

    assert_true(route(f, only_a, 1, "{\"n\":1}\n"));
    assert_true(route(f, both, 3, "{\"n\":2}\n"));
    assert_false(route(f, none, 1, "{\"n\":3}\n"));   /* no sink of that name */
    assert_false(route(f, NULL, 0, "{\"n\":4}\n"));   /* the event names no output */
    assert_false(route(f, only_a, 1, "{\"n\":5}"));   /* not a line */
    assert_string_equal(slurp(a), "{\"n\":1}\n{\"n\":2}\n");
    assert_string_equal(slurp(b), "{\"n\":2}\n");
    assert_int_equal(f->r.sinks[0].written, 2);
    assert_int_equal(f->r.sinks[1].written, 1);
    assert_int_equal(f->r.sinks[0].dropped + f->r.sinks[1].dropped, 0);
    assert_string_equal(diag(f), "");
}

/* --flush-ms: lines wait in the buffer until the oldest has waited that long. */
static void flush_ms_bounds_how_long_a_line_waits(void **state)
{
    struct fixture *f = *state;
    char path[96];
    uint64_t t[] = {tag("a")};

    add(f, "a=file:%s/a.log", f->dir);
    f->r.flush_ms = 100;
    sink_router_open(&f->r);
    snprintf(path, sizeof(path), "%s/a.log", f->dir);
    assert_int_equal(sink_router_tick(&f->r), -1); /* nothing waits */
    assert_true(route(f, t, 1, "one\n"));
    fake_now += 40;
    assert_true(route(f, t, 1, "two\n"));
    assert_string_equal(slurp(path), "");
    fake_now += 50;
    assert_int_equal(sink_router_tick(&f->r), 10); /* the first line is due in 10 ms */
    assert_string_equal(slurp(path), "");
    fake_now += 10;
    assert_int_equal(sink_router_tick(&f->r), -1);
    assert_string_equal(slurp(path), "one\ntwo\n");
    assert_int_equal(f->r.sinks[0].written, 2);
}

/* A sink that cannot be reached is reported once, its messages counted as dropped, and it is
 * tried again a second later: then it works and says so. */
static void a_failing_sink_is_reported_once_and_retried(void **state)
{
    struct fixture *f = *state;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    uint64_t t[] = {tag("sock")};
    char got[64] = {0};
    int srv, conn;

    snprintf(a.sun_path, sizeof(a.sun_path), "%s/s", f->dir);
    add(f, "sock=unix:%s", a.sun_path);
    sink_router_open(&f->r);
    assert_true(route(f, t, 1, "lost 1\n"));
    assert_true(route(f, t, 1, "lost 2\n"));
    assert_int_equal(count_of(diag(f), "cannot open: connect:"), 1);
    if (count_of(diag(f), "sink sock") != 1)
        fail_msg("reported more than once: %s", diag(f));
    assert_int_equal(f->r.sinks[0].dropped, 2);
    assert_int_equal(f->r.sinks[0].failures, 1);

    srv = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(srv, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(srv, 1), 0);
    fake_now += SINK_RETRY_MS - 1;
    assert_true(route(f, t, 1, "lost 3\n")); /* not due yet */
    assert_int_equal(f->r.sinks[0].dropped, 3);
    fake_now += 1;
    assert_true(route(f, t, 1, "arrives\n"));
    conn = accept(srv, NULL, NULL);
    assert_true(conn >= 0);
    assert_int_equal(read(conn, got, sizeof(got) - 1), 8);
    assert_string_equal(got, "arrives\n");
    assert_int_equal(count_of(diag(f), ") works again"), 1);
    assert_int_equal(f->r.sinks[0].written, 1);

    close(conn); /* the reader leaves: a write fails (EPIPE), reported once more */
    close(srv);
    for (int i = 0; i < 3; i++)
        route(f, t, 1, "after the reader left\n");
    assert_int_equal(count_of(diag(f), "cannot write"), 1);
    assert_int_equal(f->r.sinks[0].failures, 2);
    assert_int_equal(f->r.sinks[0].written + f->r.sinks[0].dropped, 7);
}

/* A write that fails part-way (here the file size limit, RLIMIT_FSIZE, falls inside a line)
 * leaves that line cut; the next write to the file ends it first, so the lines after it are
 * whole. */
static void a_line_cut_by_a_failed_write_is_ended_before_the_next(void **state)
{
    struct fixture *f = *state;
    struct rlimit was, limit;
    char path[96];
    uint64_t t[] = {tag("f")};

    add(f, "f=file:%s/cut.log", f->dir);
    sink_router_open(&f->r);
    snprintf(path, sizeof(path), "%s/cut.log", f->dir);
    assert_true(route(f, t, 1, "{\"n\":1}\n"));
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
    limit = was;
    limit.rlim_cur = 12; /* 8 bytes written: 4 more fit */
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
    assert_true(route(f, t, 1, "{\"n\":2,\"pad\":\"xxxxxxxx\"}\n"));
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
    signal(SIGXFSZ, SIG_DFL);
    assert_int_equal(count_of(diag(f), "cannot write: write: File too large"), 1);
    assert_int_equal(f->r.sinks[0].dropped, 1);
    assert_string_equal(slurp(path), "{\"n\":1}\n{\"n\"");

    fake_now += SINK_RETRY_MS; /* due again: reopened, the cut line ended, the next whole */
    assert_true(route(f, t, 1, "{\"n\":3}\n"));
    assert_string_equal(slurp(path), "{\"n\":1}\n{\"n\"\n{\"n\":3}\n");
    assert_int_equal(f->r.sinks[0].written, 2);

    /* a new file at the path (rotation) starts clean: no stray newline */
    fake_now += SINK_RETRY_MS;
    f->r.sinks[0].cut = true;
    assert_int_equal(unlink(path), 0);
    sink_router_reopen(&f->r);
    assert_true(route(f, t, 1, "{\"n\":4}\n"));
    assert_string_equal(slurp(path), "{\"n\":4}\n");
}

/* A TCP peer that never completes the handshake (its accept queue is full: the SYN is dropped)
 * fails the sink after SINK_STALL_MS instead of holding the reader for minutes. */
static void a_tcp_connect_that_never_completes_fails(void **state)
{
    struct fixture *f = *state;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    uint64_t t[] = {tag("t")};
    int srv = socket(AF_INET, SOCK_STREAM, 0), filler = socket(AF_INET, SOCK_STREAM, 0);

    assert_int_equal(bind(srv, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(srv, 0), 0); /* one connection fills the queue */
    assert_int_equal(getsockname(srv, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(connect(filler, (struct sockaddr *)&a, sizeof(a)), 0);
    add(f, "t=tcp:127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    sink_router_open(&f->r);
    assert_true(route(f, t, 1, "lost\n"));
    assert_int_equal(count_of(diag(f), "cannot open: connect: Connection timed out"), 1);
    assert_int_equal(f->r.sinks[0].dropped, 1);
    close(filler);
    close(srv);
}

/* Under `hdevent run`'s filter nothing is opened again: a failed sink stays failed. */
static void no_reopen_when_the_router_may_not_open(void **state)
{
    struct fixture *f = *state;
    uint64_t t[] = {tag("p")};
    char path[96], renamed[100];

    snprintf(path, sizeof(path), "%s/fifo", f->dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    add(f, "p=fifo:%s", path);
    add(f, "f=file:%s/f.log", f->dir);
    f->r.can_reopen = false;
    sink_router_open(&f->r);
    assert_non_null(strstr(diag(f), "no process has the FIFO open for reading"));
    assert_non_null(strstr(diag(f), "hdevent run does not reopen sinks"));
    fake_now += 10 * SINK_RETRY_MS;
    assert_true(route(f, t, 1, "x\n"));
    assert_int_equal(sink_router_tick(&f->r), -1);
    assert_int_equal(f->r.sinks[0].dropped, 1);
    assert_int_equal(f->r.sinks[0].failures, 1);

    /* SIGHUP's reopen does nothing either: the file keeps its descriptor. */
    uint64_t tf[] = {tag("f")};
    snprintf(path, sizeof(path), "%s/f.log", f->dir);
    snprintf(renamed, sizeof(renamed), "%s.1", path);
    assert_true(route(f, tf, 1, "before\n"));
    assert_int_equal(rename(path, renamed), 0);
    sink_router_reopen(&f->r);
    assert_true(route(f, tf, 1, "after\n"));
    assert_string_equal(slurp(renamed), "before\nafter\n");
    assert_int_equal(access(path, F_OK), -1);
}

/* SIGHUP (log rotation): what waited goes to the old file, what follows to a new one. */
static void reopen_starts_a_new_file_after_rotation(void **state)
{
    struct fixture *f = *state;
    uint64_t t[] = {tag("log")};
    char path[96], renamed[100];

    snprintf(path, sizeof(path), "%s/r.log", f->dir);
    snprintf(renamed, sizeof(renamed), "%s.1", path);
    add(f, "log=file:%s", path);
    f->r.flush_ms = 1000;
    sink_router_open(&f->r);
    assert_true(route(f, t, 1, "old 1\n"));
    assert_true(route(f, t, 1, "old 2\n"));
    assert_int_equal(rename(path, renamed), 0); /* logrotate moves the file, then signals */
    sink_router_reopen(&f->r);
    assert_true(route(f, t, 1, "new\n"));
    sink_router_flush(&f->r);
    assert_string_equal(slurp(renamed), "old 1\nold 2\n");
    assert_string_equal(slurp(path), "new\n");
    assert_int_equal(f->r.sinks[0].written, 3);
    assert_string_equal(diag(f), "");
}

/* The counts record: one JSON line per sink, the user's spec escaped. */
static void counts_are_reported_per_sink(void **state)
{
    struct fixture *f = *state;
    uint64_t t[] = {tag("a")};
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    add(f, "a=file:%s/a\"q.log", f->dir);
    add(f, "b=tcp:127.0.0.1:1");
    sink_router_open(&f->r);
    route(f, t, 1, "m\n");
    sink_router_report(&f->r, out, false);
    sink_router_report(&f->r, out, true);
    fclose(out);
    assert_non_null(strstr(text, "{\"type\":\"sink\",\"name\":\"a\",\"sink\":\"file:"));
    assert_non_null(strstr(text, "a\\\"q.log\",\"written\":1,\"dropped\":0,\"failures\":0}\n"));
    assert_non_null(strstr(text, "{\"type\":\"sink\",\"name\":\"b\",\"sink\":\"tcp:127.0.0.1:1\","
                                 "\"written\":0,\"dropped\":0,\"failures\":1}\n"));
    assert_non_null(strstr(text, "sink b (tcp:127.0.0.1:1): 0 written, 0 dropped, 1 failure(s)"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(bad_specs_are_refused_with_where, setup, teardown),
        cmocka_unit_test_setup_teardown(messages_go_to_the_sinks_their_event_names, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(flush_ms_bounds_how_long_a_line_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(a_line_cut_by_a_failed_write_is_ended_before_the_next,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_tcp_connect_that_never_completes_fails, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_failing_sink_is_reported_once_and_retried, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(no_reopen_when_the_router_may_not_open, setup, teardown),
        cmocka_unit_test_setup_teardown(reopen_starts_a_new_file_after_rotation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(counts_are_reported_per_sink, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
