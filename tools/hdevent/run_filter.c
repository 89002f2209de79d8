/* SPDX-License-Identifier: MIT */
/*
 * `hdevent run`: the seccomp filter the scenario's code runs under (run.h, docs/cli.md).
 *
 * A scenario's raw code runs in this process. After setup the simulator itself needs very
 * little of the kernel: writes to stdout and stderr, memory for events (brk, mmap without
 * PROT_EXEC, mprotect to none, read or read+write, munmap), the host backend's code memfd
 * (written with pwritev, grown with ftruncate, each new chunk mapped read+execute, closed at
 * the end: that descriptor only), the host backend's per-exit signal handlers and timer,
 * and exit. Nothing else can be made executable: no mprotect to PROT_EXEC, no executable
 * mapping of anonymous memory or of another file — except where the kernel refused the
 * memfd and the host gives each buffer pages of its own (hd_host_exec_own_pages()): then
 * mprotect to read+execute is allowed, never to write+execute. Everything else — opening files,
 * sockets, processes, other descriptors — traps: SIGSYS, which the host backend contains
 * like any fault when a hook made the call (the line's error names the call), which fails
 * the module sink whose callback made it, and which ends the run with status 3 when hdevent
 * itself did (a missing rule: a bug).
 *
 * This is defence in depth, not a sandbox: the code still reads and writes all of the
 * process's memory and may use whatever the list allows.
 */
#define _GNU_SOURCE
#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(HDEVENT_HAVE_SECCOMP)
#include <seccomp.h>
#include <sys/mman.h>
#endif

static volatile sig_atomic_t own_refused;
static int sink_fds[SINK_MAX + 1]; /* run_filter_allow_writes(): the sinks, --record's file */
static uint32_t sink_fd_count;
static int exec_fd = -1; /* run_filter_allow_exec_fd(): the host backend's code memfd */
static bool exec_pages;  /* run_filter_allow_exec_pages(): or pages of its own per buffer */

void run_filter_allow_writes(const int *fds, uint32_t count)
{
    for (uint32_t i = 0; i < count && sink_fd_count < SINK_MAX + 1; i++)
        sink_fds[sink_fd_count++] = fds[i];
}

/*
 * A SIGSYS no hook raised: hdevent's own call was refused (a rule is missing: a bug). Say so
 * on stderr and let the call fail with EPERM, so the run ends cleanly (status 3, cmd_run.c)
 * and a sanitizer's report still gets printed. Async-signal-safe: write only.
 */
static void own_call_refused(int sig, siginfo_t *si, void *ucontext)
{
    static const char head[] = "hdevent: the scenario's seccomp filter refused system call ";
    static const char tail[] = " made by hdevent itself, not by a hook (a bug): it fails "
                               "with EPERM\n";
    ucontext_t *uc = ucontext;
    char digits[12];
    int n = 0, nr = si->si_syscall;

    (void)sig;
    if (sink_module_calling) { /* a module sink's callback: its sink fails (sink.c), not us */
        sink_module_refused = nr + 1;
        uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
        return;
    }
    do
        digits[sizeof(digits) - 1 - n++] = (char)('0' + nr % 10);
    while ((nr /= 10) > 0 && n < (int)sizeof(digits));
    if (write(2, head, sizeof(head) - 1) < 0 ||
        write(2, digits + sizeof(digits) - n, (size_t)n) < 0 ||
        write(2, tail, sizeof(tail) - 1) < 0)
        own_refused = 1;
    uc->uc_mcontext.gregs[REG_RAX] = -EPERM; /* the call's result: it was not made */
    own_refused = 1;
}

void run_filter_allow_exec_fd(int fd)
{
    exec_fd = fd;
}

void run_filter_allow_exec_pages(void)
{
    exec_pages = true;
}

bool run_filter_refused_own(void)
{
    return own_refused;
}

void run_filter_catch_own(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = own_call_refused;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);
}

#if defined(HDEVENT_HAVE_SECCOMP)

static int allow(scmp_filter_ctx ctx, int nr)
{
    return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

static int allow_if(scmp_filter_ctx ctx, int nr, struct scmp_arg_cmp cmp)
{
    return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, cmp);
}

/*
 * What the sanitizer runtimes need (test builds only): LeakSanitizer stops the world at exit
 * with a tracer thread that lists /proc/self/task and ptraces every thread, with SIGSYS
 * blocked, so nothing it needs may trap. Anything else they try (a report's symbolizer)
 * fails with EPERM through own_call_refused().
 */
static int allow_sanitizers(scmp_filter_ctx ctx)
{
    int rc = 0;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    static const int calls[] = {
        SCMP_SYS(open), SCMP_SYS(read), SCMP_SYS(close), SCMP_SYS(lseek), SCMP_SYS(getdents),
        SCMP_SYS(getdents64), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid),
        SCMP_SYS(sched_yield), SCMP_SYS(sigaltstack), SCMP_SYS(prctl), SCMP_SYS(clone),
        SCMP_SYS(ptrace), SCMP_SYS(wait4),
    };
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
        rc |= allow(ctx, calls[i]);
#else
    (void)ctx;
#endif
    return rc;
}

static int allow_simulator(scmp_filter_ctx ctx)
{
    static const int calls[] = {
        SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
        SCMP_SYS(futex), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigaction),
        SCMP_SYS(rt_sigprocmask), SCMP_SYS(timer_settime), SCMP_SYS(clock_gettime),
        SCMP_SYS(exit), SCMP_SYS(exit_group),
        SCMP_SYS(poll), SCMP_SYS(ppoll), /* a sink's write waiting for its reader (sink.c) */
    };
    static const unsigned prots[] = {PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE};
    int rc = 0;

    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
        rc |= allow(ctx, calls[i]);
    rc |= allow_if(ctx, SCMP_SYS(write), SCMP_A0(SCMP_CMP_EQ, 1));
    rc |= allow_if(ctx, SCMP_SYS(write), SCMP_A0(SCMP_CMP_EQ, 2));
    for (uint32_t i = 0; i < sink_fd_count; i++) /* sinks opened before the filter */
        rc |= allow_if(ctx, SCMP_SYS(write), SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sink_fds[i])) |
              allow_if(ctx, SCMP_SYS(close), SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sink_fds[i]));
    rc |= allow_if(ctx, SCMP_SYS(mmap), SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    for (size_t i = 0; i < sizeof(prots) / sizeof(prots[0]); i++) /* never executable */
        rc |= allow_if(ctx, SCMP_SYS(mprotect), SCMP_A2(SCMP_CMP_EQ, prots[i]));
    if (exec_pages) /* the kernel refused the memfd: each buffer written, then made r+x */
        rc |= allow_if(ctx, SCMP_SYS(mprotect), SCMP_A2(SCMP_CMP_EQ, PROT_READ | PROT_EXEC));
    if (exec_fd >= 0) { /* the host's raw code (backends/host/exec.c): written with pwritev,
                         * a new chunk added with ftruncate and a read+execute mapping, the
                         * memfd closed when the host is destroyed */
        rc |= allow_if(ctx, SCMP_SYS(ftruncate), SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)exec_fd));
        rc |= allow_if(ctx, SCMP_SYS(close), SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)exec_fd));
        rc |= allow_if(ctx, SCMP_SYS(pwritev), SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)exec_fd));
        rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 3,
                               SCMP_A2(SCMP_CMP_EQ, PROT_READ | PROT_EXEC),
                               SCMP_A3(SCMP_CMP_EQ, MAP_SHARED),
                               SCMP_A4(SCMP_CMP_EQ, (scmp_datum_t)exec_fd));
    }
    return rc;
}

enum run_filter run_filter_install(char *err, size_t err_size)
{
    scmp_filter_ctx ctx;
    int rc;

    ctx = seccomp_init(SCMP_ACT_TRAP);
    if (!ctx) {
        snprintf(err, err_size, "cannot set up the seccomp filter (out of memory)");
        return RUN_FILTER_FAILED;
    }
    /* A call through another ABI (int 0x80: i386) traps too, rather than killing us. */
    rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
    rc |= allow_simulator(ctx) | allow_sanitizers(ctx);
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) {
        snprintf(err, err_size, "cannot install the seccomp filter: %s", strerror(-rc));
        return RUN_FILTER_FAILED;
    }
    return RUN_FILTER_ON;
}

const char *run_syscall_name(uint32_t arch, int nr, char *buf, size_t size)
{
    char *name = seccomp_syscall_resolve_num_arch(arch, nr); /* SCMP_ARCH_* are AUDIT_ARCH_* */

    snprintf(buf, size, "%s%s", arch == SCMP_ARCH_X86 ? "i386 " : "", name ? name : "?");
    free(name);
    return buf;
}

#else /* no libseccomp in this build: CMake said so at configure time */

enum run_filter run_filter_install(char *err, size_t err_size)
{
    (void)err;
    (void)err_size;
    return RUN_FILTER_NONE;
}

const char *run_syscall_name(uint32_t arch, int nr, char *buf, size_t size)
{
    (void)arch;
    (void)nr;
    snprintf(buf, size, "?");
    return buf;
}

#endif
