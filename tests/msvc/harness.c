/* SPDX-License-Identifier: MIT */
/*
 * The MSVC-toolchain core under Wine (tests/msvc/run.sh): one program, linked once with the
 * core's .lib holding the MASM trampoline (call_raw.asm) and once with the one holding the GAS
 * trampoline (call_raw.S), whose outputs must be byte-identical. It checks the trampoline
 * directly — the arguments arrive in rcx/rdx/r8, rax comes back, every callee-saved register
 * survives code that clobbers them all and writes its shadow space, rsp is 16-byte aligned at
 * the call, DF is clear afterwards, a stack walk from inside raw code passes through the
 * trampoline's frame — and then takes VMCALL exits through the clang-cl-built core with
 * HyperDbg's documented condition and custom code in W^X memory from VirtualAlloc and
 * VirtualProtect. Prints one line per check; exits 1 if any failed.
 */
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include <hdevent/hdevent.h>

/* probe.S */
uint64_t probe_call(const void *tramp, const void *code, uint64_t a1, uint64_t a2, uint64_t a3,
                    uint64_t out[10]);
void raw_probe(void);
void raw_unwind(void);

/* The trampoline under test: the core's internal entry, global in a COFF library. */
uint64_t hd__arch_call_raw(const void *code, uint64_t a1, uint64_t a2, uint64_t a3);

static int failures;

static void check(int ok, const char *what)
{
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    failures += !ok;
}

/* ---- the trampoline ----------------------------------------------------------------------- */

struct probe_record {
    uint64_t rcx, rdx, r8, rsp;
};

static void trampoline_checks(void)
{
    static const char *const names[8] = {"rbx", "rbp", "rsi", "rdi", "r12", "r13", "r14", "r15"};
    struct probe_record rec = {0};
    uint64_t out[10] = {0};
    char line[160];
    int saved = 1;

    probe_call((const void *)hd__arch_call_raw, (const void *)raw_probe, 0xA1A1A1A1A1A1A1A1ull,
               (uint64_t)(uintptr_t)&rec, 0xA3A3A3A3A3A3A3A3ull, out);
    check(rec.rcx == 0xA1A1A1A1A1A1A1A1ull, "argument 1 in rcx");
    check(rec.rdx == (uint64_t)(uintptr_t)&rec, "argument 2 in rdx");
    check(rec.r8 == 0xA3A3A3A3A3A3A3A3ull, "argument 3 in r8");
    check(out[9] == 0x600DC0DE600DC0DEull, "the code's rax is the result");
    snprintf(line, sizeof(line), "rsp at the code's entry is 8 mod 16 (16-byte aligned at the call): %llu",
             (unsigned long long)(rec.rsp % 16));
    check(rec.rsp % 16 == 8, line);
    for (int i = 0; i < 8; i++) {
        uint64_t want = 0xB1B1B1B1B1B1B1B1ull + (uint64_t)i * 0x0101010101010101ull;
        snprintf(line, sizeof(line), "%s kept across code that clobbers it and writes 32 bytes of shadow space",
                 names[i]);
        check(out[i] == want, line);
        saved &= out[i] == want;
    }
    check(!(out[8] & 0x400), "DF clear after code that set it");
    (void)saved;
}

/* ---- unwinding through the trampoline ---------------------------------------------------- */

struct unwind_record {
    int frames;
    int trampoline_frame; /* index of the frame inside hd__arch_call_raw, -1: none */
    int probe_frame;      /* index of the frame inside probe_call, -1: none */
};

static DWORD64 function_start(void *pc)
{
    DWORD64 base = 0;
    PRUNTIME_FUNCTION f = RtlLookupFunctionEntry((DWORD64)(uintptr_t)pc, &base, NULL);
    return f ? base + f->BeginAddress : 0;
}

/* Called by raw_unwind, itself called by the trampoline: walk the stack from here. */
__attribute__((noinline)) void unwind_walk(struct unwind_record *r)
{
    void *frames[32];
    USHORT n = RtlCaptureStackBackTrace(0, 32, frames, NULL);

    r->frames = n;
    r->trampoline_frame = -1;
    r->probe_frame = -1;
    for (int i = 0; i < n; i++) {
        DWORD64 start = function_start(frames[i]);
        if (start == (DWORD64)(uintptr_t)hd__arch_call_raw && r->trampoline_frame < 0)
            r->trampoline_frame = i;
        if (start == (DWORD64)(uintptr_t)probe_call && r->probe_frame < 0)
            r->probe_frame = i;
    }
}

static void unwind_checks(void)
{
    struct unwind_record r = {0, -1, -1};
    uint64_t out[10];
    char line[160];

    probe_call((const void *)hd__arch_call_raw, (const void *)raw_unwind, 0,
               (uint64_t)(uintptr_t)&r, 0, out);
    snprintf(line, sizeof(line), "a stack walk from raw code finds the trampoline's frame (frame %d) by its unwind data",
             r.trampoline_frame);
    check(r.trampoline_frame == 2, line);
    snprintf(line, sizeof(line), "and unwinds through it to its caller (frame %d)", r.probe_frame);
    check(r.probe_frame == 3, line);
}

/* ---- a backend over Win32, and exits through the clang-cl core --------------------------- */

static void *last_code;

static void *w_alloc(void *user, size_t size)
{
    (void)user;
    return _aligned_malloc(size ? size : 1, 16);
}

static void w_free(void *user, void *ptr)
{
    (void)user;
    _aligned_free(ptr);
}

/* W^X: written while read+write, then read+execute only, never both. */
static bool w_exec_alloc(void *user, const void *code, size_t size, void **out)
{
    DWORD old;
    void *p = VirtualAlloc(NULL, size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);

    (void)user;
    if (!p)
        return false;
    memcpy(p, code, size);
    if (!VirtualProtect(p, size, PAGE_EXECUTE_READ, &old)) {
        VirtualFree(p, 0, MEM_RELEASE);
        return false;
    }
    FlushInstructionCache(GetCurrentProcess(), p, size);
    *out = last_code = p;
    return true;
}

static void w_exec_free(void *user, void *code, size_t size)
{
    (void)user;
    (void)size;
    VirtualFree(code, 0, MEM_RELEASE);
}

static uint32_t w_cores(void *user)
{
    (void)user;
    return 2;
}

/* HyperDbg's documented condition (rdx == 0x1000) and custom code (r8 'HDBG' -> 'HDB2'). */
static const uint8_t doc_condition[] = {0x48, 0x8B, 0x59, 0x10, 0x48, 0x81, 0xFB, 0x00, 0x10,
                                        0x00, 0x00, 0x74, 0x05, 0x48, 0x31, 0xC0, 0xEB, 0x07,
                                        0x48, 0xC7, 0xC0, 0x01, 0x00, 0x00, 0x00, 0xC3};
static const uint8_t doc_code[] = {0x48, 0x8B, 0x5A, 0x40, 0x48, 0x81, 0xFB, 0x48,
                                   0x44, 0x42, 0x47, 0x74, 0x02, 0xEB, 0x08, 0x48,
                                   0xC7, 0x42, 0x40, 0x48, 0x44, 0x42, 0x32, 0xC3};
/* *(uint32_t *)buffer = 'HDEV'; return buffer: a message. */
static const uint8_t msg_code[] = {0xC7, 0x01, 0x48, 0x44, 0x45, 0x56, 0x48, 0x89, 0xC8, 0xC3};

static void exit_on(struct hd_engine *engine, uint32_t core, uint32_t pid, uint64_t rdx,
                    struct hd_guest_regs *regs, struct hd_exit *x)
{
    struct hd_vcpu v;

    memset(regs, 0, sizeof(*regs));
    regs->rdx = rdx;
    regs->rbx = 0x1234;
    regs->r8 = 0x47424448; /* 'HDBG' */
    memset(&v, 0, sizeof(v));
    v.regs = regs;
    v.insn_len = 3;
    v.core = core;
    v.pid = pid;
    if (hd_dispatch_vmcall_exit(engine, &v, NULL, NULL, NULL, x) != HD_OK)
        check(0, "hd_dispatch_vmcall_exit refused the exit");
}

static void dispatch_checks(void)
{
    struct hd_backend_ops ops;
    struct hd_engine *engine;
    struct hd_event_desc ev;
    struct hd_action_desc act[2];
    struct hd_guest_regs regs;
    struct hd_exit x;
    struct hd_event_counters counters;
    struct hd_message_info info;
    MEMORY_BASIC_INFORMATION mbi;
    uint8_t data[64];
    uint64_t tag;
    char line[160];

    hd_backend_ops_init(&ops);
    ops.alloc = w_alloc;
    ops.free = w_free;
    ops.exec_alloc = w_exec_alloc;
    ops.exec_free = w_exec_free;
    ops.core_count = w_cores;
    check(hd_engine_create(&ops, NULL, &engine) == HD_OK, "hd_engine_create with a Win32 backend");

    /* !vmcall pid 490 condition {doc condition} buffer 10 code {doc code} code {message} */
    hd_event_desc_init(&ev);
    ev.pid = 0x490;
    ev.condition.kind = HD_CONDITION_RAW;
    ev.condition.code = doc_condition;
    ev.condition.code_size = sizeof(doc_condition);
    hd_action_desc_init(&act[0], HD_ACTION_CODE);
    act[0].code = doc_code;
    act[0].code_size = sizeof(doc_code);
    hd_action_desc_init(&act[1], HD_ACTION_CODE);
    act[1].code = msg_code;
    act[1].code_size = sizeof(msg_code);
    act[1].buffer_size = 16;
    ev.actions = act;
    ev.action_count = 2;
    check(hd_event_register(engine, &ev, &tag) == HD_OK,
          "register HyperDbg's doc condition and custom code (raw code in exec memory)");
    check(last_code && VirtualQuery(last_code, &mbi, sizeof(mbi)) &&
              mbi.Protect == PAGE_EXECUTE_READ,
          "raw code memory is read+execute, not writable");

    exit_on(engine, 1, 0x490, 0x1000, &regs, &x);
    snprintf(line, sizeof(line), "condition true: fired %u, r8 0x%llx ('HDB2'), rbx 0x%llx, rax 0x%llx",
             x.pre.fired, (unsigned long long)regs.r8, (unsigned long long)regs.rbx,
             (unsigned long long)regs.rax);
    check(x.pre.fired == 1 && regs.r8 == 0x32424448 && regs.rbx == 0x1234 &&
              regs.rax == HD_VMCALL_ENOSYS && x.default_handled,
          line);
    exit_on(engine, 0, 0x490, 0x2000, &regs, &x);
    snprintf(line, sizeof(line), "condition false: fired %u, r8 0x%llx", x.pre.fired,
             (unsigned long long)regs.r8);
    check(x.pre.fired == 0 && regs.r8 == 0x47424448, line);
    exit_on(engine, 0, 0x491, 0x1000, &regs, &x);
    check(x.pre.fired == 0 && regs.r8 == 0x47424448, "pid filter: pid 0x491 does not fire");
    check(hd_event_counters(engine, tag, HD_ALL, &counters) == HD_OK && counters.hits == 2 &&
              counters.condition_false == 1,
          "counters: 2 hits, 1 condition false");
    check(hd_message_read(engine, &info, data, sizeof(data)) == HD_OK && info.core == 1 &&
              info.size == 16 && memcmp(data, "HDEV", 4) == 0,
          "the custom code's buffer came back as a message from core 1");
    check(hd_message_read(engine, &info, data, sizeof(data)) == HD_EMPTY, "and only one");
    hd_engine_destroy(engine);
}

int main(void)
{
    trampoline_checks();
    unwind_checks();
    dispatch_checks();
    printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
    fflush(stdout);
    return failures ? 1 : 0;
}
