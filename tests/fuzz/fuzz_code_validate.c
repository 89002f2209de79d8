/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_code_validate.c — libFuzzer harness for raw-code validation.
 *
 * Input: up to 64 KiB (HD_CODE_MAX_BYTES) of bytes, validated by hd_code_validate() with and
 * without HD_CODE_STRICT. Built from libhdevent/user/code_*.c and the core's trampoline
 * (call_raw.S) with ASan and UBSan, linked to Debian's Zydis. Invariants (abort on failure):
 *
 *   report: the status says "error" exactly when errors > 0; counts add up (finding_count is
 *     min(errors + warnings, HD_CODE_FINDINGS_MAX)); every kept finding has a known kind, an
 *     offset inside the buffer, NUL-terminated texts and a message; the strict run has the
 *     same findings, every one an error; a second run gives the same report, byte for byte.
 *   execution: a buffer strict mode accepts (no error, hence no warning in the default mode)
 *     is run the way the engine runs raw code — copied to fresh memory that is written, then
 *     made read+exec (W^X), and called through hd__arch_call_raw() with the custom-code
 *     convention: rcx = a zeroed 4 KiB buffer, rdx = a zeroed 128-byte register block (in a
 *     zeroed page; guard pages around both), r8 = NULL context — in a forked child with every
 *     other register zeroed, under a 2 s alarm and a seccomp filter that allows only exit.
 *     It must return. A finding
 *     (the harness aborts): the child hangs, makes a system call, traps (int3, TF), or faults
 *     at an address that is not an instruction start of the buffer (control left the checked
 *     code), or raises #UD on a base x86-64 instruction. Not a finding, since validation does
 *     not claim it (docs/commands.md, "What validation proves"): a memory fault (#PF, #GP,
 *     #AC), a division fault (#DE) or #UD on an instruction of an ISA extension this CPU lacks,
 *     raised by an instruction of the buffer; those are counted.
 *
 * At exit it prints how many buffers ran, returned and faulted.
 */
#define _GNU_SOURCE /* REG_RIP */

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <Zydis/Zydis.h>

#include <hdevent/code.h>

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_code_validate: invariant failed: %s (line %d)\n", #cond,   \
                    __LINE__);                                                               \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

/* ---- the report ------------------------------------------------------------------------- */

static void check_report(const struct hd_code_report *r, enum hd_status st, size_t size)
{
    uint32_t total = r->errors + r->warnings, errors = 0;

    CHECK(st == (r->errors ? HD_ERR_INVALID_CODE : HD_OK));
    CHECK(r->finding_count == (total < HD_CODE_FINDINGS_MAX ? total : HD_CODE_FINDINGS_MAX));
    CHECK(r->instructions <= size);
    for (uint32_t i = 0; i < r->finding_count; i++) {
        const struct hd_code_finding *f = &r->findings[i];
        CHECK(strcmp(hd_code_finding_name(f->kind), "unknown") != 0);
        CHECK(f->kind != HD_CODE_EMPTY && f->offset < size);
        CHECK(memchr(f->instruction, 0, sizeof(f->instruction)) != NULL);
        CHECK(memchr(f->message, 0, sizeof(f->message)) != NULL && f->message[0] != 0);
        errors += f->error;
    }
    CHECK(errors <= r->errors && r->finding_count - errors <= r->warnings);
}

static void check_strict(const struct hd_code_report *n, const struct hd_code_report *s)
{
    CHECK(s->warnings == 0 && s->errors == n->errors + n->warnings);
    CHECK(s->finding_count == n->finding_count && s->instructions == n->instructions);
    for (uint32_t i = 0; i < n->finding_count; i++) {
        CHECK(s->findings[i].kind == n->findings[i].kind);
        CHECK(s->findings[i].offset == n->findings[i].offset);
        CHECK(s->findings[i].error);
        CHECK(strcmp(s->findings[i].message, n->findings[i].message) == 0);
    }
}

/* ---- running accepted code ------------------------------------------------------------------ */

/* hd__arch_call_raw(code, a1, a2, a3) with every other register zero, then exit_group(0):
 * the code sees rax = its own address, rcx = buffer, rdx = registers, r8 = 0, rsi = buffer,
 * rdi = its address and zero elsewhere, so a stray pointer is its own memory or near NULL. */
/* Not declared noreturn: ASan would call __asan_handle_no_return() before it, which makes a
 * system call (sigaltstack) after the seccomp filter is in place. */
void fuzz_enter(const void *code, void *buffer, void *regs);
__asm__(".text\n"
        ".globl fuzz_enter\n"
        ".type fuzz_enter, @function\n"
        "fuzz_enter:\n"
        "  xor %ecx, %ecx\n" /* a3: context NULL; a1 = buffer (rsi), a2 = regs (rdx) */
        "  xor %eax, %eax\n"
        "  xor %ebx, %ebx\n"
        "  xor %ebp, %ebp\n"
        "  xor %r8d, %r8d\n"
        "  xor %r9d, %r9d\n"
        "  xor %r10d, %r10d\n"
        "  xor %r11d, %r11d\n"
        "  xor %r12d, %r12d\n"
        "  xor %r13d, %r13d\n"
        "  xor %r14d, %r14d\n"
        "  xor %r15d, %r15d\n"
        "  call hd__arch_call_raw\n"
        "  mov $231, %eax\n" /* exit_group(0) */
        "  xor %edi, %edi\n"
        "  syscall\n"
        "  ud2\n"
        ".size fuzz_enter, .-fuzz_enter\n");

/* What the child saw, written by its signal handler into memory shared with the parent. */
struct child_fault {
    int sig;
    int code;
    uint64_t rip;
    uint64_t addr;
};

#define EXIT_FAULT 3

static struct child_fault *shared;
static uint8_t *data_pages; /* [0, 4096): register block; [4096, 8192): buffer */
static uint8_t alt_stack[64 * 1024];
static unsigned long runs, returned, faulted;

__attribute__((no_sanitize("address", "undefined"))) static void on_fault(int sig, siginfo_t *si,
                                                                           void *ctx)
{
    const ucontext_t *uc = ctx;
    shared->sig = sig;
    shared->code = si->si_code;
    shared->rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    shared->addr = (uint64_t)(uintptr_t)si->si_addr;
    __asm__ volatile("syscall" ::"a"(231), "D"(EXIT_FAULT) : "rcx", "r11", "memory");
    __builtin_unreachable();
}

/* Allow exit and exit_group of the x86-64 ABI; kill the process on anything else. */
static void only_exit(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
        _exit(2);
}

static void child(const void *code)
{
    stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof(alt_stack)};
    struct sigaction sa;
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigfillset(&sa.sa_mask);
    if (sigaltstack(&ss, NULL))
        _exit(2);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        if (sigaction(sigs[i], &sa, NULL))
            _exit(2);
    /* libFuzzer's own SIGALRM handler would make system calls: the default kills. */
    signal(SIGALRM, SIG_DFL);
    alarm(2);
    only_exit();
    fuzz_enter(code, data_pages + 4096, data_pages);
    __asm__ volatile("syscall" ::"a"(231), "D"(5) : "rcx", "r11", "memory"); /* never */
}

/* The instruction of @p code starting at @p off, if one does (the linear sweep's). */
static bool insn_at(const uint8_t *code, size_t size, uint64_t off, ZydisDecodedInstruction *out)
{
    ZydisDecoder dec;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (size_t at = 0; at < size;) {
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, NULL, code + at, size - at, out)))
            return false;
        if (at == off)
            return true;
        at += out->length;
    }
    return false;
}

static void report_escape(const uint8_t *data, size_t size, const char *what)
{
    fprintf(stderr, "fuzz_code_validate: strict-accepted code %s; %zu bytes:", what, size);
    for (size_t i = 0; i < size && i < 256; i++)
        fprintf(stderr, " %02X", data[i]);
    fprintf(stderr, "%s\n", size > 256 ? " ..." : "");
    abort();
}

/* A fault the code raised itself, on one of its instructions, of a kind validation does not
 * claim to prevent: fine. Anything else is a finding. */
static void judge_fault(const uint8_t *data, size_t size, const uint8_t *code)
{
    ZydisDecodedInstruction insn;
    uint64_t off = shared->rip - (uint64_t)(uintptr_t)code;
    char what[160];

    snprintf(what, sizeof(what), "took signal %d (si_code %d) at rip = buffer %+lld, address "
             "0x%llx", shared->sig, shared->code, (long long)off,
             (unsigned long long)shared->addr);
    if (shared->rip < (uint64_t)(uintptr_t)code || off >= size || !insn_at(data, size, off, &insn))
        report_escape(data, size, what); /* control left the checked instructions */
    if (shared->sig == SIGTRAP)
        report_escape(data, size, what);
    if (shared->sig == SIGILL && (insn.meta.isa_ext == ZYDIS_ISA_EXT_BASE ||
                                  insn.meta.isa_ext == ZYDIS_ISA_EXT_LONGMODE))
        report_escape(data, size, what);
    faulted++;
}

static void run_accepted(const uint8_t *data, size_t size)
{
    size_t len = (size + 4095) & ~(size_t)4095;
    uint8_t *code = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int status;
    pid_t pid;

    CHECK(code != MAP_FAILED);
    memcpy(code, data, size);
    CHECK(mprotect(code, len, PROT_READ | PROT_EXEC) == 0);
    memset(data_pages, 0, 2 * 4096);
    memset(shared, 0, sizeof(*shared));
    runs++;
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        child(code);
    while (waitpid(pid, &status, 0) < 0)
        CHECK(errno == EINTR);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        returned++;
    else if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_FAULT)
        judge_fault(data, size, code);
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        report_escape(data, size, "did not return within 2 s");
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
        report_escape(data, size, "made a system call");
    else
        report_escape(data, size, "ended the child otherwise (status in the core dump, if any)");
    munmap(code, len);
}

static void print_counts(void)
{
    fprintf(stderr,
            "fuzz_code_validate: %lu strict-accepted buffers run: %lu returned, %lu faulted on "
            "their own instruction (memory, division, unsupported ISA)\n",
            runs, returned, faulted);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    /* A guard page on either side: a runaway rep stos through rdx or rcx faults at once
     * instead of running through whatever the fuzzer mapped next to them. */
    data_pages = mmap(NULL, 4 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED && data_pages != MAP_FAILED);
    data_pages += 4096;
    CHECK(mprotect(data_pages, 2 * 4096, PROT_READ | PROT_WRITE) == 0);
    atexit(print_counts);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hd_code_report normal, strict, again;
    enum hd_status sn, ss;

    if (size > HD_CODE_MAX_BYTES) {
        CHECK(hd_code_validate(data, size, 0, &normal) == HD_ERR_TOO_LARGE);
        return 0;
    }
    sn = hd_code_validate(data, size, 0, &normal);
    if (size == 0) {
        CHECK(sn == HD_ERR_INVALID_CODE && normal.findings[0].kind == HD_CODE_EMPTY);
        return 0;
    }
    check_report(&normal, sn, size);
    ss = hd_code_validate(data, size, HD_CODE_STRICT, &strict);
    check_report(&strict, ss, size);
    check_strict(&normal, &strict);
    CHECK(hd_code_validate(data, size, 0, &again) == sn);
    CHECK(memcmp(&normal, &again, sizeof(normal)) == 0);
    if (ss == HD_OK)
        run_accepted(data, size);
    return 0;
}
