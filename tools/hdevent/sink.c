/* SPDX-License-Identifier: MIT */
/*
 * Output sinks (sink.h, docs/output.md): what --sink NAME=KIND:TARGET means, and how each kind
 * is opened, written and closed. The router's bookkeeping (which message goes where, buffers,
 * retries, counts) is sink_route.c.
 */
#define _GNU_SOURCE /* dlopen flags */
#include "sink.h"

#include <hdevent/command.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const struct {
    const char *word;
    enum sink_kind kind;
} kinds[] = {
    {"file", SINK_FILE}, {"fifo", SINK_FIFO}, {"unix", SINK_UNIX},
    {"tcp", SINK_TCP},   {"module", SINK_MODULE},
};

uint64_t sink_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* tcp: "HOST:PORT", the port 1 to 65535 in decimal; the host may be "[::1]". */
static bool split_host_port(const char *target, char *host, size_t host_size, char *port,
                            size_t port_size)
{
    const char *colon = strrchr(target, ':');
    size_t hn;
    char *end;
    long p;

    if (!colon || colon == target || !colon[1])
        return false;
    p = strtol(colon + 1, &end, 10);
    if (*end || p < 1 || p > 65535 || colon[1] == '+' || colon[1] == '-')
        return false;
    hn = (size_t)(colon - target);
    if (target[0] == '[' && hn >= 2 && target[hn - 1] == ']') { /* [v6 address] */
        target++;
        hn -= 2;
    }
    if (hn == 0 || hn >= host_size)
        return false;
    memcpy(host, target, hn);
    host[hn] = '\0';
    snprintf(port, port_size, "%ld", p);
    return true;
}

bool sink_add(struct sink_router *r, const char *value, char *err, size_t err_size)
{
    const char *eq = strchr(value, '='), *colon, *target;
    size_t name_len, bad, kind_len;
    struct sink *s;
    int kind = -1;

    if (r->count == SINK_MAX) {
        snprintf(err, err_size, "more than %u sinks", SINK_MAX);
        return false;
    }
    if (!eq) {
        snprintf(err, err_size, "no '=': give NAME=KIND:TARGET, such as out=file:/tmp/out.log");
        return false;
    }
    name_len = (size_t)(eq - value);
    bad = hd_output_name_check(value, name_len);
    if (name_len == 0) {
        snprintf(err, err_size, "column 1: no output name before '=': NAME=KIND:TARGET");
        return false;
    }
    if (bad < name_len) {
        snprintf(err, err_size, "column %zu: %s: output names are 1 to 63 letters, digits, "
                 "'_', '.' and '-'", bad + 1,
                 bad == 63 ? "the name is longer than 63 characters" : "this character is not "
                 "allowed in an output name");
        return false;
    }
    for (uint32_t i = 0; i < r->count; i++)
        if (strlen(r->sinks[i].name) == name_len && !memcmp(r->sinks[i].name, value, name_len)) {
            snprintf(err, err_size, "column 1: output name '%.*s' has a sink already: one "
                     "sink per name", (int)name_len, value);
            return false;
        }
    colon = strchr(eq + 1, ':');
    kind_len = colon ? (size_t)(colon - eq - 1) : strlen(eq + 1);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strlen(kinds[i].word) == kind_len && !memcmp(kinds[i].word, eq + 1, kind_len))
            kind = (int)kinds[i].kind;
    if (kind < 0 || !colon) {
        snprintf(err, err_size, "column %zu: '%.*s' is not a sink: file:PATH, fifo:PATH, "
                 "unix:PATH, tcp:HOST:PORT or module:LIB.so", name_len + 2, (int)kind_len,
                 eq + 1);
        return false;
    }
    target = colon + 1;
    if (!*target) {
        snprintf(err, err_size, "column %zu: nothing after '%.*s:': give a %s",
                 (size_t)(target - value) + 1, (int)kind_len, eq + 1,
                 kind == SINK_TCP ? "HOST:PORT" : kind == SINK_MODULE ? "shared object"
                                                                       : "path");
        return false;
    }
    s = &r->sinks[r->count];
    memset(s, 0, sizeof(*s));
    if (strlen(target) >= sizeof(s->target) ||
        (kind == SINK_UNIX && strlen(target) >= sizeof(((struct sockaddr_un *)0)->sun_path))) {
        snprintf(err, err_size, "column %zu: the %s is too long (at most %zu bytes)",
                 (size_t)(target - value) + 1, kind == SINK_UNIX ? "socket path" : "target",
                 kind == SINK_UNIX ? sizeof(((struct sockaddr_un *)0)->sun_path) - 1
                                   : sizeof(s->target) - 1);
        return false;
    }
    if (kind == SINK_TCP) {
        char host[256], port[8];
        if (!split_host_port(target, host, sizeof(host), port, sizeof(port))) {
            snprintf(err, err_size, "column %zu: '%s' is not HOST:PORT (a port 1 to 65535 in "
                     "decimal), such as 127.0.0.1:9000", (size_t)(target - value) + 1, target);
            return false;
        }
    }
    memcpy(s->name, value, name_len);
    s->name[name_len] = '\0';
    snprintf(s->spec, sizeof(s->spec), "%s", eq + 1);
    snprintf(s->target, sizeof(s->target), "%s", target);
    s->kind = (enum sink_kind)kind;
    s->tag = hd_output_tag(value, name_len);
    s->fd = -1;
    r->count++;
    return true;
}

/* A connected stream socket, or -1 with errno. */
/*
 * Connect a stream socket. A TCP connect is started without blocking and given at most
 * SINK_STALL_MS: a peer that never answers (a dropped SYN, a full accept queue) fails the
 * sink like a refusal instead of holding hdevent for the kernel's minutes of SYN retries.
 * A Unix socket answers at once.
 */
static int connect_to(int family, const struct sockaddr *a, socklen_t alen)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | (family == AF_UNIX ? 0 : SOCK_NONBLOCK),
                    0);
    int e;

    if (fd < 0)
        return -1;
    if (connect(fd, a, alen) == 0)
        return fd;
    e = errno;
    if (e == EINPROGRESS) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        socklen_t len = sizeof(e);
        int ready;
        while ((ready = poll(&pfd, 1, SINK_STALL_MS)) < 0 && errno == EINTR)
            ;
        if (ready == 0)
            e = ETIMEDOUT;
        else if (ready < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
            e = errno;
        if (e == 0)
            return fd;
    }
    close(fd);
    errno = e;
    return -1;
}

/*
 * A name resolution of a tcp sink, on a thread of its own so that it can be waited for with a
 * limit (getaddrinfo has none). The thread and the sink share it; whichever lets go last frees
 * it: the sink when it takes the answer, the thread when the sink gave up on it first. (Not
 * getaddrinfo_a: glibc starts its thread past pthread_create, so ThreadSanitizer's runtime does
 * not know that thread, and the first allocation there crashes a TSan build.) In `hdevent
 * run` sinks open before its seccomp filter, which binds the thread that installs it: a
 * lookup still waiting then finishes unfiltered, running the system's resolver and nothing
 * else.
 */
struct sink_lookup {
    pthread_mutex_t lock;
    pthread_cond_t answered;
    bool done, abandoned;
    int rc;
    struct addrinfo *result;
    char host[256], port[8];
};

static void lookup_free(struct sink_lookup *l)
{
    if (l->result)
        freeaddrinfo(l->result);
    pthread_cond_destroy(&l->answered);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

static void *lookup_thread(void *arg)
{
    struct sink_lookup *l = arg;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(l->host, l->port, &hints, &res);
    bool abandoned;

    pthread_mutex_lock(&l->lock);
    l->rc = rc;
    l->result = rc == 0 ? res : NULL;
    l->done = true;
    abandoned = l->abandoned;
    pthread_cond_signal(&l->answered);
    pthread_mutex_unlock(&l->lock);
    if (abandoned)
        lookup_free(l);
    return NULL;
}

/* Start resolving @s's HOST:PORT. @return the lookup, or NULL with a sentence in @p why. */
static struct sink_lookup *lookup_start(const struct sink *s, char *why, size_t why_size)
{
    struct sink_lookup *l = calloc(1, sizeof(*l));
    pthread_condattr_t ca;
    pthread_attr_t ta;
    pthread_t t;
    int rc;

    if (!l) {
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    if (!split_host_port(s->target, l->host, sizeof(l->host), l->port, sizeof(l->port))) {
        free(l); /* sink_add() refused it already */
        snprintf(why, why_size, "not HOST:PORT");
        return NULL;
    }
    pthread_mutex_init(&l->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->answered, &ca);
    pthread_condattr_destroy(&ca);
    pthread_attr_init(&ta);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&t, &ta, lookup_thread, l);
    pthread_attr_destroy(&ta);
    if (rc != 0) {
        lookup_free(l);
        snprintf(why, why_size, "cannot start the name resolution: %s", strerror(rc));
        return NULL;
    }
    return l;
}

/*
 * Resolve @s's HOST:PORT, waiting at most SINK_STALL_MS as the connect does: a name server
 * that does not answer (the system's timeouts add up to tens of seconds) fails this attempt
 * like a refusal rather than holding hdevent. The lookup stays with the sink, and the next
 * attempt takes its answer.
 * @return 0 and *res (freeaddrinfo it), or -1 with a sentence in @p why.
 */
static int resolve(struct sink *s, struct addrinfo **res, char *why, size_t why_size)
{
    struct sink_lookup *l = s->lookup;
    struct timespec until;
    int rc;

    if (!l && !(l = s->lookup = lookup_start(s, why, why_size)))
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += SINK_STALL_MS / 1000;
    until.tv_nsec += (long)(SINK_STALL_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&l->lock);
    while (!l->done && pthread_cond_timedwait(&l->answered, &l->lock, &until) != ETIMEDOUT)
        ;
    if (!l->done) {
        pthread_mutex_unlock(&l->lock);
        snprintf(why, why_size, "resolving %s: no answer within %d ms (the answer is taken at "
                 "the next attempt)", l->host, SINK_STALL_MS);
        return -1;
    }
    pthread_mutex_unlock(&l->lock);
    s->lookup = NULL;
    rc = l->rc;
    if (rc != 0)
        snprintf(why, why_size, "%s", gai_strerror(rc));
    *res = l->result;
    l->result = NULL; /* the caller's now */
    lookup_free(l);
    return rc == 0 ? 0 : -1;
}

/* A lookup under way is no longer wanted: freed now if it answered, else by its thread. */
static void forget_lookup(struct sink *s)
{
    struct sink_lookup *l = s->lookup;
    bool done;

    s->lookup = NULL;
    if (!l)
        return;
    pthread_mutex_lock(&l->lock);
    done = l->done;
    l->abandoned = true;
    pthread_mutex_unlock(&l->lock);
    if (done)
        lookup_free(l);
}

static int open_tcp(struct sink *s, char *why, size_t why_size)
{
    struct addrinfo *res, *ai;
    int fd = -1;

    if (resolve(s, &res, why, why_size) != 0)
        return -1;
    for (ai = res; ai && fd < 0; ai = ai->ai_next)
        fd = connect_to(ai->ai_family, ai->ai_addr, ai->ai_addrlen);
    if (fd < 0)
        snprintf(why, why_size, "connect: %s", strerror(errno));
    freeaddrinfo(res);
    return fd;
}

static int open_unix(const char *path, char *why, size_t why_size)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd;

    size_t n = strlen(path);

    if (n >= sizeof(a.sun_path)) { /* sink_add() refused it already */
        snprintf(why, why_size, "socket path too long");
        return -1;
    }
    memcpy(a.sun_path, path, n + 1);
    fd = connect_to(AF_UNIX, (const struct sockaddr *)&a, sizeof(a));
    if (fd < 0)
        snprintf(why, why_size, "connect: %s", strerror(errno));
    return fd;
}

/*
 * A FIFO: opened without blocking (no reader yet is a failure, retried, rather than a reader
 * that hangs). Writes stay non-blocking: sink_write_one() waits for a slow reader, boundedly.
 */
static int open_fifo(const char *path, char *why, size_t why_size)
{
    struct stat st;
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        snprintf(why, why_size, "%s", errno == ENXIO ? "no process has the FIFO open for "
                                                       "reading" : strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) {
        snprintf(why, why_size, "not a FIFO (make one with mkfifo)");
        close(fd);
        return -1;
    }
    return fd;
}

static bool open_module(struct sink *s, char *why, size_t why_size)
{
    void *lib = dlopen(s->target, RTLD_NOW | RTLD_LOCAL);
    void *fn;

    if (!lib) {
        snprintf(why, why_size, "%s", dlerror());
        return false;
    }
    fn = dlsym(lib, "hyperdbg_event_forwarding");
    if (!fn) {
        snprintf(why, why_size, "it exports no hyperdbg_event_forwarding(const char *, "
                 "unsigned)");
        dlclose(lib);
        return false;
    }
    s->library = lib;
    memcpy(&s->forward, &fn, sizeof(fn)); /* object pointer to function pointer (POSIX) */
    return true;
}

/* Open @p s; @return true, or false with a sentence in @p why. */
bool sink_open_one(struct sink *s, char *why, size_t why_size)
{
    switch (s->kind) {
    case SINK_FILE:
        s->fd = open(s->target, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (s->fd < 0)
            snprintf(why, why_size, "%s", strerror(errno));
        break;
    case SINK_FIFO:
        s->fd = open_fifo(s->target, why, why_size);
        break;
    case SINK_UNIX:
        s->fd = open_unix(s->target, why, why_size);
        break;
    case SINK_TCP:
        s->fd = open_tcp(s, why, why_size);
        break;
    case SINK_MODULE:
        return s->library || open_module(s, why, why_size);
    }
    /* A reader that stops reading must not stop hdevent: sink_write_one() waits for it at
     * most SINK_STALL_MS, then the sink fails like any other (reported, counted, retried). */
    if (s->fd >= 0 && s->kind != SINK_FILE)
        fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
    /* A line cut by a failed write stays cut only in the file it was written to: a new file
     * (rotated, or empty), FIFO reader or connection starts clean. */
    if (s->fd >= 0 && s->cut) {
        struct stat st;
        s->cut = s->kind == SINK_FILE && fstat(s->fd, &st) == 0 && st.st_size > 0;
    }
    return s->fd >= 0;
}

/* Close @p s's descriptor (a module stays loaded until the end: its code may be running). */
void sink_close_one(struct sink *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    forget_lookup(s);
}

volatile sig_atomic_t sink_module_calling;
volatile sig_atomic_t sink_module_refused;

/* Write @p n bytes of @p p to @p s. @return true, or false with a sentence in @p why. */
bool sink_write_one(struct sink *s, char *p, size_t n, char *why, size_t why_size)
{
    if (s->kind == SINK_MODULE) { /* one call per line, without its newline, NUL-terminated */
        for (char *q = p, *end = p + n, *nl; q < end; q = nl + 1) {
            nl = memchr(q, '\n', (size_t)(end - q));
            if (!nl) {
                snprintf(why, why_size, "a line without its newline");
                return false;
            }
            *nl = '\0';
            sink_module_refused = 0;
            sink_module_calling = 1;
            s->forward(q, (unsigned)(nl - q));
            sink_module_calling = 0;
            *nl = '\n';
            if (sink_module_refused) {
                snprintf(why, why_size, "its callback made system call %d, which hdevent run's "
                         "filter refuses (the call failed with EPERM)",
                         (int)sink_module_refused - 1);
                return false;
            }
        }
        return true;
    }
    /* The line a failed write cut short is ended first, so that the next line is whole
     * (a JSON-lines reader loses the cut line only). */
    if (s->cut) {
        ssize_t w = write(s->fd, "\n", 1);
        if (w != 1) {
            snprintf(why, why_size, "write: %s", w < 0 ? strerror(errno) : "wrote nothing");
            return false;
        }
        s->cut = false;
    }
    while (n) {
        ssize_t w = write(s->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};
            int ready = poll(&pfd, 1, SINK_STALL_MS);
            if (ready > 0 || (ready < 0 && errno == EINTR))
                continue;
            snprintf(why, why_size, "the reader took nothing for %d ms",
                     SINK_STALL_MS);
            return false;
        }
        if (w <= 0) {
            snprintf(why, why_size, "write: %s", w < 0 ? strerror(errno) : "wrote nothing");
            return false;
        }
        p += w;
        n -= (size_t)w;
        s->cut = n > 0 && p[-1] != '\n'; /* until the rest is written */
    }
    return true;
}

/* Unload every module sink's library (the end of the run). */
void sink_unload_one(struct sink *s)
{
    if (s->library)
        dlclose(s->library);
    s->library = NULL;
    s->forward = NULL;
}
