/* SPDX-License-Identifier: MIT */
/*
 * The host backend's executable memory (backends/host/exec.c), through the backend contract
 * (hd_host_ops(host)->exec_alloc / exec_free) as the engine uses it: raw code packed into
 * shared pages of a memfd, W^X kept, freed blocks reused, nothing left allocated when an
 * allocation fails, and more buffers than a process may have mappings (vm.max_map_count);
 * and where the kernel refuses an executable memfd, pages of its own for each buffer.
 *
 * Each buffer is `nop * n; mov eax, imm32; ret`: calling it proves its own bytes are where
 * exec_alloc said, and that it runs.
 */
#define _GNU_SOURCE
#include "helpers.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deny_exec_memfd.h"

#define BLOCK 64u              /* exec.c's block */
#define CHUNK_BLOCKS 4096u     /* exec.c's chunk: 256 KiB */
#define PAGE 4096u

typedef uint32_t (*code_fn)(void);

/* `nop * nops; mov eax, value; ret` into @p buf; @return its size. */
static size_t make_code(uint8_t *buf, size_t nops, uint32_t value)
{
    memset(buf, 0x90, nops);
    buf[nops] = 0xB8;
    memcpy(buf + nops + 1, &value, 4);
    buf[nops + 5] = 0xC3;
    return nops + 6;
}

static uint32_t call_code(const void *p)
{
    code_fn fn;
    memcpy(&fn, &p, sizeof(fn));
    return fn();
}

static void *alloc_code(struct hd_host *host, size_t nops, uint32_t value, size_t *size)
{
    const struct hd_backend_ops *ops = hd_host_ops(host);
    uint8_t buf[4096];
    void *out = NULL;

    assert_true(nops + 6 <= sizeof(buf));
    *size = make_code(buf, nops, value);
    if (!ops->exec_alloc(ops->user, buf, *size, &out))
        return NULL;
    return out;
}

static void free_code(struct hd_host *host, void *code, size_t size)
{
    const struct hd_backend_ops *ops = hd_host_ops(host);
    ops->exec_free(ops->user, code, size);
}

static struct hd_host *new_host(void)
{
    struct hd_host *host = NULL;
    assert_int_equal(hd_host_create(NULL, &host), HD_OK);
    return host;
}

/* ---- /proc/self/maps -------------------------------------------------------------------- */

struct maps_view {
    unsigned wx;         /* mappings writable and executable at once */
    unsigned code_views; /* mappings of the code memfd, read+execute */
    unsigned code_other; /* mappings of the code memfd with other permissions (never) */
};

static struct maps_view read_maps(void)
{
    struct maps_view v = {0};
    char line[512], perms[8];
    FILE *f = fopen("/proc/self/maps", "r");

    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%*s %7s", perms) != 1)
            continue;
        if (perms[1] == 'w' && perms[2] == 'x')
            v.wx++;
        if (strstr(line, "memfd:hdevent-code")) {
            if (strcmp(perms, "r-xs") == 0)
                v.code_views++;
            else
                v.code_other++;
        }
    }
    fclose(f);
    return v;
}

/* ---- tests ------------------------------------------------------------------------------ */

/* 64 small buffers: one after the other, 64 bytes apart, on one or two pages of one view. */
static void small_buffers_share_pages(void **state)
{
    struct hd_host *host = new_host();
    void *code[64];
    size_t size[64];
    uintptr_t first_page;
    unsigned pages = 1;
    struct maps_view v;

    (void)state;
    for (uint32_t i = 0; i < 64; i++) {
        code[i] = alloc_code(host, 0, 1000 + i, &size[i]);
        assert_non_null(code[i]);
        assert_int_equal((uintptr_t)code[i] % 16, 0);
        if (i)
            assert_int_equal((uintptr_t)code[i] - (uintptr_t)code[i - 1], BLOCK);
    }
    first_page = (uintptr_t)code[0] / PAGE;
    for (uint32_t i = 1; i < 64; i++)
        if ((uintptr_t)code[i] / PAGE != first_page + pages - 1)
            pages++;
    assert_true(pages <= 2); /* 64 buffers of 64 bytes: 4 KiB */
    for (uint32_t i = 0; i < 64; i++)
        assert_int_equal(call_code(code[i]), 1000 + i);
    v = read_maps();
    assert_int_equal(v.code_views, 1); /* one mapping for all 64, not one each */
    assert_int_equal(v.code_other, 0); /* never a writable view */
    assert_int_equal(hd_host_live_allocations(host), 64);
    for (uint32_t i = 0; i < 64; i++)
        free_code(host, code[i], size[i]);
    assert_int_equal(hd_host_live_allocations(host), 0);
    hd_host_destroy(host);
    assert_int_equal(read_maps().code_views, 0); /* destroy unmapped the chunk */
}

/* A freed buffer's blocks serve the next buffer that fits, and are INT3 meanwhile. */
static void freed_blocks_are_reused(void **state)
{
    struct hd_host *host = new_host();
    size_t sa, sb, sc, sd, se;
    void *a, *b, *c, *d, *e;

    (void)state;
    a = alloc_code(host, 0, 1, &sa);
    b = alloc_code(host, 3 * BLOCK - 6, 2, &sb); /* three blocks */
    c = alloc_code(host, 0, 3, &sc);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_ptr_equal((uint8_t *)c, (uint8_t *)b + 3 * BLOCK);
    free_code(host, b, sb);
    for (unsigned i = 0; i < 3 * BLOCK; i++)
        assert_int_equal(((const uint8_t *)b)[i], 0xCC);
    d = alloc_code(host, 0, 4, &sd); /* one block: the first of b's three */
    assert_ptr_equal(d, b);
    e = alloc_code(host, 2 * BLOCK - 6, 5, &se); /* two blocks: the other two */
    assert_ptr_equal(e, (uint8_t *)b + BLOCK);
    assert_int_equal(call_code(a), 1);
    assert_int_equal(call_code(c), 3);
    assert_int_equal(call_code(d), 4);
    assert_int_equal(call_code(e), 5);
    /* After the code, the rest of its block is INT3: a stray call traps. */
    assert_int_equal(((const uint8_t *)d)[sd], 0xCC);
    assert_int_equal(((const uint8_t *)d)[BLOCK - 1], 0xCC);
    free_code(host, a, sa);
    free_code(host, c, sc);
    free_code(host, d, sd);
    free_code(host, e, se);
    assert_int_equal(hd_host_live_allocations(host), 0);
    hd_host_destroy(host);
}

/* Many rounds of frees and allocations of mixed sizes: every live buffer returns its value. */
static void every_buffer_runs_after_many_rounds(void **state)
{
    enum { SLOTS = 600, ROUNDS = 30 };
    struct hd_host *host = new_host();
    static void *code[SLOTS];
    static size_t size[SLOTS];
    static uint32_t value[SLOTS];
    uint64_t rng = 0x9E3779B97F4A7C15ull, live = 0;

    (void)state;
    memset(code, 0, sizeof(code));
    for (unsigned round = 0; round < ROUNDS; round++) {
        for (unsigned i = 0; i < SLOTS; i++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            if (code[i] && (rng >> 33) % 3 == 0) {
                free_code(host, code[i], size[i]);
                code[i] = NULL;
                live--;
            } else if (!code[i] && (rng >> 35) % 2 == 0) {
                value[i] = (uint32_t)(rng >> 20) ^ i;
                code[i] = alloc_code(host, (rng >> 40) % 300, value[i], &size[i]);
                assert_non_null(code[i]);
                assert_int_equal((uintptr_t)code[i] % 16, 0);
                live++;
            }
        }
        for (unsigned i = 0; i < SLOTS; i++)
            if (code[i])
                assert_int_equal(call_code(code[i]), value[i]);
        assert_int_equal(hd_host_live_allocations(host), live);
    }
    /* 600 buffers of at most 6 blocks: the first chunk holds them all, reused throughout. */
    assert_int_equal(read_maps().code_views, 1);
    for (unsigned i = 0; i < SLOTS; i++)
        if (code[i])
            free_code(host, code[i], size[i]);
    assert_int_equal(hd_host_live_allocations(host), 0);
    hd_host_destroy(host);
}

struct churn {
    struct hd_host *host;
    _Atomic(bool) stop;
    _Atomic(unsigned) rounds;
};

static void *churn_thread(void *arg)
{
    struct churn *c = arg;
    void *code[32];
    size_t size[32];

    while (!atomic_load(&c->stop) || atomic_load(&c->rounds) < 10) {
        for (uint32_t i = 0; i < 32; i++)
            if (!(code[i] = alloc_code(c->host, i * 8, i, &size[i])))
                abort();
        for (uint32_t i = 0; i < 32; i++) {
            if (call_code(code[i]) != i)
                abort();
            free_code(c->host, code[i], size[i]);
        }
        atomic_fetch_add(&c->rounds, 1);
    }
    return NULL;
}

/* No mapping of the process is writable and executable, and the code memfd is mapped only
 * read+execute, even while code is being written (a second thread allocates and frees
 * throughout): the bytes go in with pwritev, not through a writable view. */
static void no_page_is_writable_and_executable(void **state)
{
    struct churn c = {.host = new_host()};
    pthread_t t;

    (void)state;
    assert_int_equal(pthread_create(&t, NULL, churn_thread, &c), 0);
    for (unsigned i = 0; i < 200; i++) {
        struct maps_view v = read_maps();
        assert_int_equal(v.wx, 0);
        assert_int_equal(v.code_other, 0);
        assert_true(v.code_views <= 1);
    }
    atomic_store(&c.stop, true);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(atomic_load(&c.rounds) >= 10);
    assert_int_equal(read_maps().wx, 0);
    assert_int_equal(hd_host_live_allocations(c.host), 0);
    hd_host_destroy(c.host);
}

/* A failure at each step of exec_alloc leaves the live count as it was, and the next call
 * works: the injected failure (the first step), the memfd that cannot be made, the chunk
 * that cannot be added. */
static void failure_leaves_nothing_allocated(void **state)
{
    struct hd_host *host = new_host();
    struct rlimit files, fsize;
    static void *code[CHUNK_BLOCKS];
    size_t size, sizes = 0;
    uint64_t calls;
    void *p;

    (void)state;
    /* 1. failure injection: the call is counted, nothing is live */
    hd_host_fail_allocation(host, 0);
    calls = hd_host_allocation_calls(host);
    assert_null(alloc_code(host, 0, 7, &size));
    assert_int_equal(hd_host_allocation_calls(host), calls + 1);
    assert_int_equal(hd_host_live_allocations(host), 0);

    /* 2. no descriptor for the memfd */
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &files), 0);
    struct rlimit none = {.rlim_cur = 0, .rlim_max = files.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &none), 0);
    p = alloc_code(host, 0, 7, &size);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &files), 0);
    assert_null(p);
    assert_int_equal(hd_host_live_allocations(host), 0);

    /* 3. the first chunk fills up; the memfd may not grow (RLIMIT_FSIZE: EFBIG) */
    for (uint32_t i = 0; i < CHUNK_BLOCKS; i++) {
        code[i] = alloc_code(host, 0, i, &sizes);
        assert_non_null(code[i]);
    }
    assert_int_equal(read_maps().code_views, 1);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &fsize), 0);
    struct rlimit small = {.rlim_cur = CHUNK_BLOCKS * BLOCK, .rlim_max = fsize.rlim_max};
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    p = alloc_code(host, 0, 7, &size);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &fsize), 0);
    signal(SIGXFSZ, SIG_DFL);
    assert_null(p);
    assert_int_equal(hd_host_live_allocations(host), CHUNK_BLOCKS);
    assert_int_equal(read_maps().code_views, 1);

    /* and then it grows */
    p = alloc_code(host, 0, 7, &size);
    assert_non_null(p);
    assert_int_equal(call_code(p), 7);
    assert_int_equal(read_maps().code_views, 2);
    free_code(host, p, size);
    for (uint32_t i = 0; i < CHUNK_BLOCKS; i++) {
        assert_int_equal(call_code(code[i]), i);
        free_code(host, code[i], sizes);
    }
    assert_int_equal(hd_host_live_allocations(host), 0);
    hd_host_destroy(host);
}

/* More buffers than vm.max_map_count (65,530) allows mappings: they share chunks. */
static void more_buffers_than_mappings(void **state)
{
    enum { N = 70000 };
    struct hd_host *host = new_host();
    void **code = calloc(N, sizeof(*code));
    size_t size = 0;
    struct maps_view v;

    (void)state;
    assert_non_null(code);
    for (uint32_t i = 0; i < N; i++) {
        code[i] = alloc_code(host, 0, i ^ 0x5A5A5A5Au, &size);
        assert_non_null(code[i]);
    }
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(call_code(code[i]), i ^ 0x5A5A5A5Au);
    v = read_maps();
    assert_int_equal(v.code_views, (N + CHUNK_BLOCKS - 1) / CHUNK_BLOCKS);
    assert_int_equal(hd_host_live_allocations(host), N);
    for (uint32_t i = 0; i < N; i++)
        free_code(host, code[i], size);
    assert_int_equal(hd_host_live_allocations(host), 0);
    free(code);
    hd_host_destroy(host);
}

/* A forked child shares the memfd; what it registers must not land in the parent's code. */
static void a_forked_child_writes_its_own_memfd(void **state)
{
    struct hd_host *host = new_host();
    size_t sa, sb;
    void *a = alloc_code(host, 0, 1, &sa), *b = alloc_code(host, 0, 2, &sb);
    int status;
    pid_t pid;

    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    free_code(host, b, sb); /* b's block is free in parent and child alike */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        size_t sx;
        void *x = alloc_code(host, 0, 99, &sx);
        bool ok = x && x != b && call_code(x) == 99 && call_code(a) == 1;
        if (x)
            free_code(host, x, sx);
        free_code(host, a, sa); /* the parent's block: not written back to INT3 */
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(call_code(a), 1);
    for (unsigned i = 0; i < BLOCK; i++)
        assert_int_equal(((const uint8_t *)b)[i], 0xCC);
    free_code(host, a, sa);
    assert_int_equal(hd_host_live_allocations(host), 0);
    hd_host_destroy(host);
}

/*
 * After a fork each process's code is its own: the parent frees a buffer (INT3) and gets
 * the same block back for other code, and the child, told only then, still runs what it
 * inherited; the child's view of the chunk is a private copy, no longer a view of the memfd.
 */
static void a_forked_child_keeps_its_code_when_the_parent_changes(void **state)
{
    struct hd_host *host = new_host();
    size_t sa, sb;
    void *a = alloc_code(host, 0, 7, &sa), *b;
    int go[2], status;
    pid_t pid;

    (void)state;
    assert_non_null(a);
    assert_int_equal(pipe(go), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        struct maps_view v;
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(2);
        v = read_maps(); /* no view of a memfd left: a private copy in its place */
        _exit(call_code(a) == 7 && v.wx == 0 && v.code_views == 0 ? 0 : 1);
    }
    close(go[0]);
    free_code(host, a, sa);
    b = alloc_code(host, 0, 9, &sb);
    assert_ptr_equal(b, a); /* the freed block, written anew */
    assert_int_equal(call_code(b), 9);
    assert_int_equal(write(go[1], "x", 1), 1);
    close(go[1]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    free_code(host, b, sb);
    assert_int_equal(hd_host_live_allocations(host), 0);
    hd_host_destroy(host);
}

/* hd_host_exec_fd: the memfd, made on demand, the same one exec_alloc then uses. */
static void exec_fd_is_the_code_memfd(void **state)
{
    struct hd_host *host = new_host();
    char link[64], target[128];
    ssize_t n;
    size_t size;
    void *p;
    int fd;

    (void)state;
    assert_int_equal(hd_host_exec_fd(NULL), -1);
    fd = hd_host_exec_fd(host);
    assert_true(fd >= 0);
    assert_int_equal(hd_host_exec_fd(host), fd);
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, target, sizeof(target) - 1);
    assert_true(n > 0);
    target[n] = 0;
    assert_non_null(strstr(target, "memfd:hdevent-code"));
    p = alloc_code(host, 0, 42, &size);
    assert_non_null(p);
    assert_int_equal(hd_host_exec_fd(host), fd);
    assert_int_equal(call_code(p), 42);
    free_code(host, p, size);
    hd_host_destroy(host);
}

/*
 * The kernel refuses the code memfd (@how: the memfd itself, as vm.memfd_noexec = 2 does, or
 * its read+execute mapping), in a child: the host gives each buffer pages of its own, read+
 * execute and never writable at once, 64 bytes in, INT3 around the code; buffers run, are
 * freed and made again; an event's raw code runs through the engine. @return the child's
 * exit status: 0, or the number of the check that failed.
 */
static int own_pages_child(enum deny_exec_memfd how)
{
    enum { N = 24 };
    static const uint8_t set_rax[] = {0x48, 0xC7, 0x02, 0x2A, 0, 0, 0}; /* mov [rdx], 42 */
    struct hd_host *host;
    struct fx fx = {0};
    struct hd_action_desc a;
    struct hd_event_desc d;
    struct hd_guest_regs regs = {0};
    void *p[N];
    size_t size[N];
    uint64_t tag;

    if (deny_exec_memfd(how) != 0)
        return 1;
    if (hd_host_create(NULL, &host) != HD_OK)
        return 2;
    if (hd_host_exec_fd(host) != -1 || !hd_host_exec_own_pages(host))
        return 3;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            if (round && i % 2)
                continue; /* the odd ones stay from the first round */
            p[i] = alloc_code(host, (size_t)i * 100, 1000u * (uint32_t)round + (uint32_t)i,
                              &size[i]);
            if (!p[i] || (uintptr_t)p[i] % PAGE != BLOCK || ((uint8_t *)p[i])[-1] != 0xCC ||
                ((uint8_t *)p[i])[size[i]] != 0xCC)
                return 4;
        }
        for (int i = 0; i < N; i++)
            if (call_code(p[i]) != 1000u * (uint32_t)(round && !(i % 2)) + (uint32_t)i)
                return 5;
        if (read_maps().wx || read_maps().code_views || read_maps().code_other)
            return 6;
        for (int i = 0; i < N; i++)
            if (round || !(i % 2))
                free_code(host, p[i], size[i]);
    }
    if (hd_host_live_allocations(host) != 0)
        return 7;

    /* Through the engine: registered, dispatched, short-circuited with rax set by the code. */
    fx.host = host;
    if (hd_engine_create(hd_host_ops(host), NULL, &fx.engine) != HD_OK)
        return 8;
    hd_action_desc_init(&a, HD_ACTION_CODE);
    a.code = set_rax;
    a.code_size = sizeof(set_rax);
    d = ev_desc(HD_ALL, HD_ALL, HD_STAGE_PRE, true, &a, 1);
    if (hd_event_register(fx.engine, &d, &tag) != HD_OK)
        return 9;
    run_exit(&fx, 1, 0x490, 0, &regs);
    if (regs.rax != 42)
        return 10;
    hd_engine_destroy(fx.engine);
    if (hd_host_live_allocations(host) != 0)
        return 11;
    hd_host_destroy(host);
    return 0;
}

static void own_pages_when(enum deny_exec_memfd how)
{
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0)
        _exit(own_pages_child(how));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void pages_of_its_own_when_the_memfd_is_refused(void **state)
{
    (void)state;
    own_pages_when(DENY_MEMFD_CREATE);
}

static void pages_of_its_own_when_its_mapping_is_refused(void **state)
{
    (void)state;
    own_pages_when(DENY_SHARED_EXEC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_buffers_share_pages),
        cmocka_unit_test(freed_blocks_are_reused),
        cmocka_unit_test(every_buffer_runs_after_many_rounds),
        cmocka_unit_test(no_page_is_writable_and_executable),
        cmocka_unit_test(failure_leaves_nothing_allocated),
        cmocka_unit_test(more_buffers_than_mappings),
        cmocka_unit_test(a_forked_child_writes_its_own_memfd),
        cmocka_unit_test(a_forked_child_keeps_its_code_when_the_parent_changes),
        cmocka_unit_test(exec_fd_is_the_code_memfd),
        cmocka_unit_test(pages_of_its_own_when_the_memfd_is_refused),
        cmocka_unit_test(pages_of_its_own_when_its_mapping_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
