/* SPDX-License-Identifier: MIT */
/*
 * Contained hooks: on the host, raw code runs in the process that simulates the machine, so a
 * hook that faults or never returns would take the simulator (a test, `hdevent run`) with it.
 * hd_host_vmcall() runs each exit inside a window instead:
 *
 *   - a thread-local jump buffer, set before the exit and armed only while the exit runs;
 *   - handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP and SIGSYS, on the thread's
 *     alternate signal stack (raw code may have wrecked rsp). Inside the window the signal
 *     stops the hook; outside it goes to the handler that was installed before ours, or
 *     gets the default action, so a real bug still crashes where it happened;
 *   - a per-thread POSIX timer that ticks ten times per time limit while the thread takes
 *     exits that may run raw code. A window counts the ticks since it opened; past the limit
 *     the hook is stopped when the thread is found inside raw code (the region table,
 *     host_internal.h): anywhere else it might hold a lock (stdio in a trace callback, the
 *     allocator), so the handler waits for the next tick. After a few ticks without an exit
 *     the handler stops the timer, and the next window starts it again. So an exit costs no
 *     system call: no timer to set and clear, no handler to install (they are installed
 *     once per host and thread, or by hd_host_contain_prepare()).
 *
 * A handler never jumps out itself: it points the interrupted context at escape() on the
 * thread's own stack below the window's frame and returns, so the jump happens in ordinary
 * context (the sanitizers see an ordinary siglongjmp; nothing runs on the signal stack after
 * it). Back in the window, the exit's core is told the exit is over
 * (hd_dispatch_vmcall_abandon: its hold on the snapshot ends) after the engine was asked
 * whose code it was (hd_event_code_owner, while the hold still keeps cleared events alive).
 *
 * The timer's handler is installed with the rt_sigaction system call, not sigaction():
 * ThreadSanitizer defers an asynchronous signal until the thread next calls into libc, which
 * code spinning in `jmp $` never does; the kernel then calls our handler directly. The fault
 * handlers go through sigaction() (the sanitizers deliver synchronous signals at once) and
 * are installed again at the first exit of each host on a thread, because test frameworks
 * (cmocka) install theirs around each test and its setup. x86-64 Linux only, like the
 * trampoline.
 */
#define _GNU_SOURCE
#include "host_internal.h"

#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#define HD_HOST_TICKS_PER_LIMIT 10u          /* the timer ticks this often per time limit */
#define HD_HOST_TICK_MAX_MS 100u
#define HD_HOST_IDLE_TICKS 3u                /* ticks without an exit before the timer stops */
#define HD_HOST_ALTSTACK_BYTES (64u * 1024u)
#define HD_HOST_ESCAPE_GAP 1024u             /* escape() runs this far below the window */
#define HD_HOST_TIMER_SIGNAL_OFFSET 5        /* the timer signals SIGRTMIN + 5 */

#define EFLAGS_TF 0x100u
#define EFLAGS_DF 0x400u
#define EFLAGS_AC 0x40000u

/* Code that runs in a signal handler: nothing a sanitizer would call into its runtime for. */
#define HD_HOST_SIGNAL_SAFE __attribute__((no_sanitize("address", "thread", "undefined")))

static const int contained_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS};

/* The window of the exit a thread runs (a nested exit saves its caller's). */
struct frame {
    sigjmp_buf jump;
    volatile sig_atomic_t open;     /* the exit runs: a signal stops its hook */
    struct hd_host *volatile host;
    uintptr_t top;                  /* the window's frame: the exit runs below it */
    uintptr_t escape_sp;            /* escape()'s stack, below the exit's frames */
    volatile uint64_t open_ticks;   /* the thread's tick count when it opened */
    volatile uint64_t limit_ticks;  /* ticks it may last; 0: no limit */
};

/* One per thread: its window, its timer, and what stopped its hook. */
struct window {
    struct frame cur;
    /* The timer: the handler counts its ticks and stops it when the thread is idle. */
    volatile uint64_t ticks;
    volatile uint64_t windows;      /* windows opened */
    uint64_t windows_seen;          /* handler: windows at the last tick */
    uint32_t idle;                  /* handler: ticks in a row without an exit */
    volatile sig_atomic_t ticking;
    uint32_t tick_ms;
    /* Written by the handler that stopped the hook. */
    volatile int status, signal, code, syscall_nr;
    volatile uint32_t syscall_arch;
    volatile uintptr_t address, rip;
    /* The thread's setup (hd_host_contain_prepare). */
    bool prepared;
    bool timer_made;
    timer_t timer;
    void *altstack;                 /* ours; NULL when the thread had one already */
    uint64_t installed_for;         /* the host whose first exit here installed the handlers */
};

static __thread struct window tls_window __attribute__((tls_model("initial-exec")));

static pthread_once_t process_once = PTHREAD_ONCE_INIT;
static bool process_ready;
static int timer_signal;
static pthread_key_t thread_key;
static pthread_mutex_t chain_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction chained[NSIG]; /* what was installed before our handler */

/* ---- the region table (host_internal.h) -------------------------------------------------- */

static bool regions_grow(struct hd_host_regions *r)
{
    struct hd_host_region_chunk *c = calloc(1, sizeof(*c)), **grown;

    if (!c)
        return false;
    grown = realloc(r->chunks, (r->chunk_count + 1) * sizeof(*grown));
    if (!grown) {
        free(c);
        return false;
    }
    r->chunks = grown;
    if (r->chunk_count)
        atomic_store_explicit(&r->chunks[r->chunk_count - 1]->next, c, memory_order_release);
    else
        atomic_store_explicit(&r->head, c, memory_order_release);
    r->chunks[r->chunk_count++] = c;
    return true;
}

static struct hd_host_region *region_slot(struct hd_host_regions *r, uint32_t slot)
{
    return &r->chunks[slot / HD_HOST_REGION_CHUNK]->slot[slot % HD_HOST_REGION_CHUNK];
}

uint32_t hd__host_region_add(struct hd_host *h, uintptr_t start, size_t size)
{
    struct hd_host_regions *r = &h->regions;
    struct hd_host_region *s;
    uint32_t slot;

    if (r->free_count) {
        slot = r->free[--r->free_count];
    } else {
        if (r->used == r->chunk_count * HD_HOST_REGION_CHUNK && !regions_grow(r))
            return UINT32_MAX;
        slot = r->used++;
    }
    s = region_slot(r, slot);
    atomic_store_explicit(&s->start, start, memory_order_relaxed);
    atomic_store_explicit(&s->end, start + size, memory_order_release);
    atomic_fetch_add_explicit(&h->code_regions, 1, memory_order_relaxed);
    return slot;
}

void hd__host_region_remove(struct hd_host *h, uint32_t slot)
{
    struct hd_host_regions *r = &h->regions;
    struct hd_host_region *s;

    if (slot == UINT32_MAX)
        return; /* never entered */
    s = region_slot(r, slot);
    atomic_store_explicit(&s->end, 0, memory_order_relaxed);
    atomic_store_explicit(&s->start, 0, memory_order_relaxed);
    atomic_fetch_sub_explicit(&h->code_regions, 1, memory_order_relaxed);
    if (r->free_count == r->free_cap) {
        uint32_t cap = r->free_cap ? 2 * r->free_cap : 64;
        uint32_t *grown = realloc(r->free, cap * sizeof(*grown));
        if (!grown)
            return; /* the slot is not reused: a leak of 16 bytes, not an error */
        r->free = grown;
        r->free_cap = cap;
    }
    r->free[r->free_count++] = slot;
}

void hd__host_regions_free(struct hd_host *h)
{
    for (uint32_t i = 0; i < h->regions.chunk_count; i++)
        free(h->regions.chunks[i]);
    free(h->regions.chunks);
    free(h->regions.free);
}

/* Does @rip lie in raw code of @h? Lock-free: the timer's handler asks. */
static HD_HOST_SIGNAL_SAFE bool in_code(struct hd_host *h, uintptr_t rip)
{
    const struct hd_host_region_chunk *c =
        atomic_load_explicit(&h->regions.head, memory_order_acquire);

    for (; c; c = atomic_load_explicit(&c->next, memory_order_acquire))
        for (uint32_t i = 0; i < HD_HOST_REGION_CHUNK; i++) {
            uintptr_t end = atomic_load_explicit(&c->slot[i].end, memory_order_acquire);
            if (end && rip < end &&
                rip >= atomic_load_explicit(&c->slot[i].start, memory_order_relaxed))
                return true;
        }
    return false;
}

/* ---- the handler ------------------------------------------------------------------------- */

static void on_signal(int sig, siginfo_t *si, void *ucontext);

/*
 * Where a stopped hook's thread resumes: ordinary context, on its own stack. Under ASan the
 * abandoned exit's frames never returned, so their redzones are still poisoned, and the
 * deepest of them lie below escape_sp, where ASan's own no-return handling (a sigaltstack
 * call whose result lands on this stack) writes before the siglongjmp: clear that poison
 * first, from well below this frame up to it.
 */
#define HD_HOST_ESCAPE_UNPOISON (16u * 1024u)
static __attribute__((noreturn, noinline)) void escape(void)
{
#if defined(__SANITIZE_ADDRESS__)
    uintptr_t frame = (uintptr_t)__builtin_frame_address(0);
    __asan_unpoison_memory_region((void *)(frame - HD_HOST_ESCAPE_UNPOISON),
                                  HD_HOST_ESCAPE_UNPOISON);
#endif
    siglongjmp(tls_window.cur.jump, 1);
}

/* Outside a window: what would have happened without us. */
static HD_HOST_SIGNAL_SAFE void chain(int sig, siginfo_t *si, void *ucontext)
{
    struct sigaction old = chained[sig], dfl;
    bool fault = si->si_code > 0; /* raised by the CPU or the kernel, not sent */

    if ((void *)old.sa_handler == (void *)on_signal) {
        old.sa_handler = SIG_DFL;
        old.sa_flags = 0;
    }
    if ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction) {
        old.sa_sigaction(sig, si, ucontext);
        return;
    }
    if (old.sa_handler == SIG_IGN && !fault)
        return;
    if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) {
        old.sa_handler(sig);
        return;
    }
    /* The default action: put it back; a fault happens again on return, a sent signal is
     * sent again and arrives once the handler returns (it is blocked until then). */
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
    if (!fault)
        raise(sig);
}

/* Point the interrupted context at escape(), with a clean state for C code. */
static HD_HOST_SIGNAL_SAFE void leave(ucontext_t *uc, const struct frame *f)
{
    greg_t *g = uc->uc_mcontext.gregs;

    *(uintptr_t *)f->escape_sp = 0; /* escape()'s return address: none, unwinders stop */
    g[REG_RIP] = (greg_t)(uintptr_t)escape;
    g[REG_RSP] = (greg_t)f->escape_sp;
    g[REG_EFL] &= ~(greg_t)(EFLAGS_TF | EFLAGS_DF | EFLAGS_AC);
    if (uc->uc_mcontext.fpregs) { /* raw code may have changed rounding or masked nothing */
        uc->uc_mcontext.fpregs->cwd = 0x037F;
        uc->uc_mcontext.fpregs->swd = 0;
        uc->uc_mcontext.fpregs->ftw = 0;
        uc->uc_mcontext.fpregs->mxcsr = 0x1F80;
    }
}

static void timer_set(struct window *w, uint32_t first_ms, uint32_t every_ms);

/*
 * A tick of the thread's timer. Outside a window it only notices idleness; inside, past the
 * limit, it says whether to stop the hook (the thread is in raw code).
 */
static HD_HOST_SIGNAL_SAFE bool tick_stops(struct window *w, const siginfo_t *si, uintptr_t rip,
                                          bool inside)
{
    w->ticks += 1u + (uint64_t)(si->si_overrun > 0 ? si->si_overrun : 0);
    if (!inside) {
        if (w->windows != w->windows_seen)
            w->idle = 0;
        else if (++w->idle >= HD_HOST_IDLE_TICKS) {
            w->ticking = 0;
            timer_set(w, 0, 0); /* async-signal-safe (POSIX); the next window starts it */
        }
        w->windows_seen = w->windows;
        return false;
    }
    w->idle = 0;
    return w->cur.limit_ticks && w->ticks - w->cur.open_ticks > w->cur.limit_ticks &&
           in_code(w->cur.host, rip);
}

static HD_HOST_SIGNAL_SAFE void on_signal(int sig, siginfo_t *si, void *ucontext)
{
    struct window *w = &tls_window;
    ucontext_t *uc = ucontext;
    uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t rsp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    bool timer = sig == timer_signal;
    /* Inside: a window is open and the thread runs below its frame (a window left open by
     * a longjmp out of a hook is stale: the thread is back above it). */
    bool inside = w->cur.open && rsp < w->cur.top;

    if (timer) {
        if (si->si_code != SI_TIMER || !tick_stops(w, si, rip, inside))
            return;
    } else if (!inside || si->si_code <= 0) { /* outside, or sent by someone */
        chain(sig, si, ucontext);
        return;
    }
    w->cur.open = 0;
    w->status = timer ? HD_ERR_HOOK_TIMEOUT : HD_ERR_HOOK_FAULTED;
    w->signal = sig;
    w->code = si->si_code;
    w->syscall_nr = sig == SIGSYS ? si->si_syscall : -1;
    w->syscall_arch = sig == SIGSYS ? si->si_arch : 0;
    w->address = timer ? 0 : (uintptr_t)si->si_addr;
    w->rip = rip;
    leave(uc, &w->cur);
}

/* ---- setup: once per process, once per thread, at every window ------------------------ */

/* The kernel's struct sigaction, for rt_sigaction (see the top). */
struct kernel_sigaction {
    void (*handler)(int, siginfo_t *, void *);
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};

#define HD_SA_RESTORER 0x04000000ul

/* Return from a handler the kernel called: rt_sigreturn. These very bytes are what unwinders
 * (libgcc, gdb) recognise as a signal frame. */
void hd__host_restore_rt(void);
__asm__(".text\n"
        ".p2align 4\n"
        ".globl hd__host_restore_rt\n"
        ".hidden hd__host_restore_rt\n"
        ".type hd__host_restore_rt, @function\n"
        "hd__host_restore_rt:\n"
        "    movq $15, %rax\n"
        "    syscall\n"
        ".size hd__host_restore_rt, .-hd__host_restore_rt\n");

static void thread_gone(void *arg)
{
    struct window *w = arg;

    if (w->timer_made)
        timer_delete(w->timer);
    if (w->altstack) {
        stack_t off = {.ss_flags = SS_DISABLE};
        sigaltstack(&off, NULL);
        munmap(w->altstack, HD_HOST_ALTSTACK_BYTES);
    }
    memset(w, 0, sizeof(*w));
}

static void process_setup(void)
{
    struct kernel_sigaction ka = {
        .handler = on_signal,
        .flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART | HD_SA_RESTORER,
        .restorer = hd__host_restore_rt,
    };

    timer_signal = SIGRTMIN + HD_HOST_TIMER_SIGNAL_OFFSET;
    if (pthread_key_create(&thread_key, thread_gone) != 0)
        return;
    process_ready = syscall(SYS_rt_sigaction, timer_signal, &ka, NULL, sizeof(ka.mask)) == 0;
}

/* The calling thread's signal stack and timer. @return false when a piece is missing. */
static bool thread_prepare(struct window *w)
{
    stack_t cur;
    struct sigevent ev;

    if (w->prepared)
        return w->timer_made;
    pthread_once(&process_once, process_setup);
    if (!process_ready)
        return false;
    if (sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_DISABLE)) {
        void *p = mmap(NULL, HD_HOST_ALTSTACK_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        stack_t ss = {.ss_sp = p, .ss_size = HD_HOST_ALTSTACK_BYTES};
        if (p != MAP_FAILED && sigaltstack(&ss, NULL) == 0)
            w->altstack = p;
        else if (p != MAP_FAILED)
            munmap(p, HD_HOST_ALTSTACK_BYTES);
    }
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = timer_signal;
    ev._sigev_un._tid = gettid(); /* sigev_notify_thread_id: glibc 2.36 lacks the name */
    w->timer_made = timer_create(CLOCK_MONOTONIC, &ev, &w->timer) == 0;
    pthread_setspecific(thread_key, w);
    w->prepared = true;
    return w->timer_made;
}

/* Put our fault handler (back) in place; remember what it replaced. */
static void handlers_install(void)
{
    struct sigaction sa, old;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    for (size_t i = 0; i < sizeof(contained_signals) / sizeof(contained_signals[0]); i++) {
        int sig = contained_signals[i];
        if (sigaction(sig, &sa, &old) != 0 || (void *)old.sa_handler == (void *)on_signal)
            continue;
        pthread_mutex_lock(&chain_lock);
        chained[sig] = old;
        pthread_mutex_unlock(&chain_lock);
    }
}

enum hd_status hd_host_contain_prepare(struct hd_host *host)
{
    struct window *w = &tls_window;
    bool ready;

    if (!host || !host->contain)
        return HD_ERR_NOT_SUPPORTED;
    ready = thread_prepare(w);
    handlers_install();
    w->installed_for = host->serial;
    return ready && process_ready ? HD_OK : HD_ERR_NOT_SUPPORTED;
}

/* ---- the window ----------------------------------------------------------------------- */

static HD_HOST_SIGNAL_SAFE void timer_set(struct window *w, uint32_t first_ms, uint32_t every_ms)
{
    struct itimerspec its = {
        .it_value = {.tv_sec = first_ms / 1000, .tv_nsec = (long)(first_ms % 1000) * 1000000},
        .it_interval = {.tv_sec = every_ms / 1000,
                        .tv_nsec = (long)(every_ms % 1000) * 1000000},
    };
    timer_settime(w->timer, 0, &its, NULL);
}

/* Make sure the thread's timer ticks at @h's pace before a window that may run raw code. */
static void ticks_for(struct window *w, const struct hd_host *h)
{
    uint32_t tick = h->time_limit_ms / HD_HOST_TICKS_PER_LIMIT;

    tick = tick < 1 ? 1 : tick > HD_HOST_TICK_MAX_MS ? HD_HOST_TICK_MAX_MS : tick;
    w->cur.limit_ticks = (h->time_limit_ms + tick - 1) / tick;
    if (w->ticking && w->tick_ms == tick)
        return;
    w->tick_ms = tick;
    w->ticking = 1;
    timer_set(w, tick, tick);
}

/* The caller's stack pointer, give or take the frame of this call: every frame the exit
 * makes lies below it. */
static __attribute__((noinline)) uintptr_t caller_frame(void)
{
    return (uintptr_t)__builtin_frame_address(0);
}

/* The hook was stopped: record what happened, then end the exit's hold on its core. */
static enum hd_status stopped(struct hd_host *h, struct hd_engine *engine,
                              const struct hd_vcpu *vcpu)
{
    struct window *w = &tls_window;
    struct hd_host_fault f;

    memset(&f, 0, sizeof(f));
    f.status = (enum hd_status)w->status;
    f.signal = w->signal;
    f.code = w->code;
    f.syscall = w->syscall_nr;
    f.syscall_arch = w->syscall_arch;
    f.address = w->address;
    f.rip = w->rip;
    f.core = vcpu->core;
    f.pid = vcpu->pid;
    f.in_code = in_code(h, w->rip);
    f.named = f.in_code && hd_event_code_owner(engine, (const void *)w->rip, &f.owner) == HD_OK;
    hd_dispatch_vmcall_abandon(engine, vcpu->core);
    pthread_mutex_lock(&h->state_lock);
    if (vcpu->core < h->cores) {
        h->faults[vcpu->core] = f;
        h->faulted[vcpu->core] = true;
    }
    h->fault_count++;
    pthread_mutex_unlock(&h->state_lock);
    return f.status;
}

/* The exit inside its window; a stopped hook comes back through the sigsetjmp. */
static enum hd_status exit_in_window(struct window *w, struct hd_host *h,
                                     struct hd_engine *engine, struct hd_vcpu *vcpu,
                                     struct hd_exit *exit)
{
    enum hd_status st;

    w->cur.host = h;
    w->cur.top = caller_frame();
    /* escape() runs where the exit's frames were, once they are gone; as if just called. */
    w->cur.escape_sp = ((w->cur.top - HD_HOST_ESCAPE_GAP) & ~(uintptr_t)15) - 8;
    w->cur.limit_ticks = 0;
    if (sigsetjmp(w->cur.jump, 0))
        return stopped(h, engine, vcpu);
    w->windows++; /* first: a tick from now on does not find the thread idle and stop */
    if (w->timer_made && h->time_limit_ms &&
        atomic_load_explicit(&h->code_regions, memory_order_relaxed) != 0)
        ticks_for(w, h);
    w->cur.open_ticks = w->ticks;
    w->cur.open = 1;
    st = hd_dispatch_vmcall_exit(engine, vcpu, NULL, h->vmcall, h->vmcall_user, exit);
    w->cur.open = 0;
    return st;
}

enum hd_status hd__host_exit_contained(struct hd_host *h, struct hd_engine *engine,
                                       struct hd_vcpu *vcpu, struct hd_exit *exit)
{
    struct window *w = &tls_window;
    struct frame outer;
    enum hd_status st;

    if (w->installed_for != h->serial) { /* this host's first exit on this thread */
        thread_prepare(w);
        handlers_install();
        w->installed_for = h->serial;
    }
    if (!w->cur.open)
        return exit_in_window(w, h, engine, vcpu, exit);
    outer = w->cur; /* an exit from inside a hook (or a stale window): keep the caller's */
    w->cur.open = 0;
    st = exit_in_window(w, h, engine, vcpu, exit);
    w->cur = outer;
    return st;
}

/* ---- queries --------------------------------------------------------------------------- */

bool hd_host_fault_get(struct hd_host *host, uint32_t core, struct hd_host_fault *out)
{
    bool ok;

    if (!host || !out || core >= host->cores)
        return false;
    pthread_mutex_lock(&host->state_lock);
    ok = host->faulted[core];
    if (ok)
        *out = host->faults[core];
    pthread_mutex_unlock(&host->state_lock);
    return ok;
}

uint64_t hd_host_fault_count(struct hd_host *host)
{
    return hd__host_read_locked(host, &host->fault_count);
}
