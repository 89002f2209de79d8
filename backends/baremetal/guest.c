/* SPDX-License-Identifier: MIT */
/*
 * guest.c — the guest: VMCALLs with chosen registers, each checked against what the events
 * (events.list) and the default handling (bm.h) must have done. One line per case on 0xE9,
 * "case <name>: PASS" or "case <name>: FAIL" after "mismatch in <name>: <what> = <value>,
 * expected <value>" lines.
 */
#include "bm.h"

#include <hdevent/vmx.h>

#define HDBG 0x47424448ull /* 'HDBG', what the doc custom code looks for in r8 */
#define HDB2 0x32424448ull /* 'HDB2', what it writes */
#define TAG_CORE1 0x1000006ull
#define TAG_DISABLED 0x1000007ull
#define MODIFY_QUERY 0
#define MODIFY_ENABLE 1
#define MODIFY_DISABLE 2
#define WIRE_SUCCESS 0xFFFFFFFFull
#define WIRE_MODIFY_INVALID_TAG 0xC000000Eull

static unsigned failures;
static bool case_ok;
static const char *case_name;

static void case_begin(const char *name)
{
    case_name = name;
    case_ok = true;
}

static void expect(const char *what, uint64_t got, uint64_t want)
{
    if (got == want)
        return;
    bm_puts("mismatch in ");
    bm_puts(case_name);
    bm_puts(": ");
    bm_puts(what);
    bm_puts(" = ");
    bm_hex(got);
    bm_puts(", expected ");
    bm_hex(want);
    bm_putc('\n');
    case_ok = false;
}

static void case_end(void)
{
    bm_puts("case ");
    bm_puts(case_name);
    bm_puts(case_ok ? ": PASS\n" : ": FAIL\n");
    failures += !case_ok;
}

static void set_magic(struct hd_guest_regs *r)
{
    r->r10 = HD_HYPERDBG_MAGIC_R10;
    r->r11 = HD_HYPERDBG_MAGIC_R11;
    r->r12 = HD_HYPERDBG_MAGIC_R12;
}

/* An own hypercall of the image (CPL 0 only), made as pid 0 so that no case's event
 * (they filter on their own pids) sees it. */
static uint64_t hypercall(uint64_t number, uint64_t a1, uint64_t a2)
{
    struct hd_guest_regs r = {0};
    uint32_t pid = bm_current_pid;
    bm_current_pid = 0;
    set_magic(&r);
    r.rcx = number;
    r.rdx = a1;
    r.r8 = a2;
    bm_vmcall(&r);
    bm_current_pid = pid;
    return r.rax;
}

/* ---- CPL 3 ------------------------------------------------------------------------------- */

static struct hd_guest_regs user_plain, user_magic;
static uint8_t user_stack[8192] __attribute__((aligned(16)));

static void user_main(void)
{
    bm_vmcall(&user_plain);
    bm_vmcall(&user_magic);
    bm_user_exit();
}

/* ---- the unexpected-exit image ------------------------------------------------------------ */

/* build-image.sh links a second image with fatal_mode.c, which defines this: the guest then
 * triple-faults on purpose, an exit the layer must report through glue.fatal, not resume.
 * Undefined (weak) in the normal image, so its address is NULL there. */
extern const int bm_fatal_mode __attribute__((weak));

static void provoke_triple_fault(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) empty = {0, 0};
    bm_puts("guest: empty IDT, then int3: a triple fault (exit reason 2)\n");
    __asm__ volatile("lidt %0; int3" : : "m"(empty) : "memory");
    bm_puts("guest: still running after the triple fault\n");
}

/* ---- the cases: events and default handling ---------------------------------------------- */

/*
 * Each case runs between case_begin() and case_end(), in the order of guest_cases[] below,
 * which is the order of tests/e2e/bochs/expected.txt: the exit numbers printed there count
 * every VMCALL of the cases before, so cases are never reordered, only appended.
 */

/* HyperDbg's doc condition (rdx == 0x1000) + doc custom code (r8 'HDBG' -> 'HDB2'). */
static void case_condition_true(void)
{
    struct hd_guest_regs r = {.rdx = 0x1000, .r8 = HDBG, .rbx = 0x1234};
    bm_current_pid = 0x100;
    bm_vmcall(&r);
    expect("r8", r.r8, HDB2);
    expect("rbx", r.rbx, 0x1234); /* the condition clobbers rbx: the host's, never the guest's */
    expect("rax", r.rax, BM_DEFAULT_RAX);
}

static void case_condition_false(void)
{
    struct hd_guest_regs r = {.rdx = 0x2000, .r8 = HDBG};
    bm_current_pid = 0x100; /* condition-true's event: only the condition's input differs */
    bm_vmcall(&r);
    expect("r8", r.r8, HDBG);
    expect("rax", r.rax, BM_DEFAULT_RAX);
}

static void case_pid_filter(void)
{
    struct hd_guest_regs r = {.rdx = 0x1000, .r8 = HDBG};
    bm_current_pid = 0x101;
    bm_vmcall(&r);
    expect("r8", r.r8, HDBG);
}

static void case_break(void)
{
    struct hd_guest_regs r = {0};
    bm_current_pid = 0x200;
    bm_vmcall(&r);
    expect("rax", r.rax, BM_DEFAULT_RAX);
    expect("breaks", hypercall(BM_HC_BREAKS, 0, 0), 1);
}

static void case_short_circuit(void)
{
    struct hd_guest_regs r = {.rax = 0x1111};
    bm_current_pid = 0x300;
    bm_vmcall(&r);
    expect("rax", r.rax, 0x1111); /* default handling skipped */
    expect("r9", r.r9, 0x5C);
}

static void case_pre_default_post(void)
{
    struct hd_guest_regs r = {0};
    bm_current_pid = 0x400;
    bm_vmcall(&r);
    expect("r13 (pre)", r.r13, 0x7E);
    expect("r14 (default saw pre)", r.r14, 0x7E);
    expect("r15 (post saw default)", r.r15, 0x7E);
    expect("rax", r.rax, BM_DEFAULT_RAX);
}

static void case_core_filter(void)
{
    struct hd_guest_regs r = {0};
    bm_current_pid = 0x500;
    bm_vmcall(&r);
    expect("r9", r.r9, 0xC0);
    expect("core-1 event", hypercall(BM_HC_MODIFY, TAG_CORE1, MODIFY_QUERY), WIRE_MODIFY_INVALID_TAG);
}

static void case_disabled_event(void)
{
    struct hd_guest_regs r;
    expect("disable", hypercall(BM_HC_MODIFY, TAG_DISABLED, MODIFY_DISABLE), WIRE_SUCCESS);
    bm_current_pid = 0x600;
    r = (struct hd_guest_regs){0};
    bm_vmcall(&r);
    expect("r9 while disabled", r.r9, 0);
    expect("enable", hypercall(BM_HC_MODIFY, TAG_DISABLED, MODIFY_ENABLE), WIRE_SUCCESS);
    bm_current_pid = 0x600;
    r = (struct hd_guest_regs){0};
    bm_vmcall(&r);
    expect("r9 enabled again", r.r9, 0xD1);
}

static void case_protected_hypercall(void)
{
    struct hd_guest_regs r = {.rcx = BM_HC_PING};
    bm_current_pid = 0x700;
    set_magic(&r);
    bm_vmcall(&r);
    expect("r9 (hook's write discarded)", r.r9, 0);
    expect("rax (not short-circuited)", r.rax, BM_PING_REPLY);
}

/* Both VMCALLs of user_main() at CPL 3; this case checks the plain one. */
static void case_cpl3_plain(void)
{
    bm_current_pid = 0x800;
    user_plain = (struct hd_guest_regs){0};
    user_magic = (struct hd_guest_regs){.rcx = BM_HC_PING};
    set_magic(&user_magic);
    bm_user_run(user_main, (uint64_t)(uintptr_t)(user_stack + sizeof(user_stack)));
    expect("r9", user_plain.r9, 0x33);
    expect("rax", user_plain.rax, BM_DEFAULT_RAX);
}

/* The second VMCALL of cpl3-plain's run: the magic registers from CPL 3 are no own hypercall. */
static void case_cpl3_magic_not_own(void)
{
    expect("r9 (hook's write kept)", user_magic.r9, 0x33);
    expect("rax (plain default handling)", user_magic.rax, BM_DEFAULT_RAX);
}

/* ---- the cases: the VMX layer's other exits ------------------------------------------------ */

static void case_cpuid_exit(void)
{
    uint32_t cpuid[4];
    __asm__ volatile("cpuid" : "=a"(cpuid[0]), "=b"(cpuid[1]), "=c"(cpuid[2]), "=d"(cpuid[3]) : "a"(1), "c"(0));
    expect("CPUID.1:ECX.VMX", (cpuid[2] >> 5) & 1, 0);
    __asm__ volatile("invd" : : : "memory");
    expect("CPUID exits", hd_vmx_cpu_exits(bm_cpu, 10), 1);
    expect("INVD exits", hd_vmx_cpu_exits(bm_cpu, 13), 1);
}

/* RDMSR of an MSR outside both MSR-bitmap ranges exits; the layer injects #GP(0). */
static void case_msr_outside_bitmap_gp(void)
{
    uint32_t lo, hi;
    bm_trap = (struct bm_trap){.armed = true, .vector = 13, .skip = 2};
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x40000000u));
    hd_vmx_cpu_log_flush(bm_cpu); /* the layer buffered its line in VMX root: print it here */
    expect("#GP taken", bm_trap.seen, 1);
    expect("error code", bm_trap.error, 0);
    expect("RDMSR exits", hd_vmx_cpu_exits(bm_cpu, 31), 1);
}

/* XSETBV always exits: the layer checks XCR0 as the CPU would, then sets it. */
static void case_xsetbv(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xsetbv" : : "c"(0), "a"(3), "d"(0));
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    expect("XCR0 after XSETBV 3", ((uint64_t)hi << 32) | lo, 3);
    bm_trap = (struct bm_trap){.armed = true, .vector = 13, .skip = 3};
    __asm__ volatile("xsetbv" : : "c"(0), "a"(4), "d"(0)); /* AVX without x87/SSE */
    expect("#GP for XCR0 = 4", bm_trap.seen, 1);
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    expect("XCR0 unchanged", ((uint64_t)hi << 32) | lo, 3);
    expect("XSETBV exits", hd_vmx_cpu_exits(bm_cpu, 55), 2);
}

/* A single-stepped VMCALL: hd_vmx_rip_advance() owes the guest a #DB right after it. */
static void case_single_step_vmcall(void)
{
    uint64_t after;
    bm_current_pid = 0;
    bm_trap = (struct bm_trap){.armed = true, .vector = 1};
    __asm__ volatile("lea 1f(%%rip), %0\n\t"
                     "pushfq\n\t"
                     "orq $0x100, (%%rsp)\n\t"
                     "popfq\n\t"
                     "vmcall\n"
                     "1:\tnop"
                     : "=&r"(after)
                     :
                     : "rax", "r14", "memory", "cc");
    expect("#DB taken", bm_trap.seen, 1);
    expect("#DB RIP (after the VMCALL)", bm_trap.rip, after);
}

/* CR4.VMXE is the host's: the guest reads its own view (shadow), and a write that
 * changes it exits and only moves the shadow. */
static void case_cr4_vmxe_shadow(void)
{
    uint64_t cr4, seen;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    expect("CR4.VMXE as the guest sees it", (cr4 >> 13) & 1, 0);
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | (1ull << 13)));
    __asm__ volatile("mov %%cr4, %0" : "=r"(seen));
    expect("CR4.VMXE after the guest set it", (seen >> 13) & 1, 1);
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
    __asm__ volatile("mov %%cr4, %0" : "=r"(seen));
    expect("CR4 after the guest restored it", seen, cr4);
    expect("CR access exits", hd_vmx_cpu_exits(bm_cpu, 28), 2);
}

/* HyperDbg's doc script (events.list "script"): one VMCALL, then the image reads the message
 * queue and prints "message script: VMCALL executed with context: 0". */
static void case_script_printf(void)
{
    struct hd_guest_regs r = {.rax = 0x5C};
    bm_current_pid = 0x900;
    bm_vmcall(&r);
    expect("default handling after the script", r.rax, BM_DEFAULT_RAX);
    expect("messages", hypercall(BM_HC_MESSAGES, 0, 0), 1);
}

/* Raw code is called on a 16-byte aligned stack in VMX root (events.list "stack"). */
static void case_raw_code_stack(void)
{
    struct hd_guest_regs r = {.r9 = 0xFF};
    bm_current_pid = 0xA00;
    bm_vmcall(&r);
    expect("rsp & 15 at the call to raw code", r.r9, 0);
}

/* hdevent's `nr` and `deny ud` (events.list "denyud"): rcx 0x77 faults with #UD on the
 * VMCALL itself (RIP not advanced; the trap skips its 3 bytes), rcx 0x78 does not. */
static void case_nr_deny_ud(void)
{
    struct hd_guest_regs r = {.rcx = 0x77, .rax = 0x5A};
    const uint8_t *at;
    bm_current_pid = 0xB00;
    bm_trap = (struct bm_trap){.armed = true, .vector = 6, .skip = 3};
    bm_vmcall(&r);
    at = (const uint8_t *)(uintptr_t)bm_trap.rip;
    expect("#UD taken", bm_trap.seen, 1);
    expect("#UD RIP at the VMCALL (0F 01 C1)",
           bm_trap.seen ? (uint64_t)at[0] << 16 | at[1] << 8 | at[2] : 0, 0x0F01C1);
    expect("rax (no handling)", r.rax, 0x5A);
    bm_trap.armed = false;
    r = (struct hd_guest_regs){.rcx = 0x78, .rax = 0x5A};
    bm_vmcall(&r);
    expect("another number: default handling", r.rax, BM_DEFAULT_RAX);
}

/* hdevent's `max_hits 2` (events.list "maxhits"): two runs, then spent; its message. */
static void case_max_hits(void)
{
    for (unsigned i = 0; i < 3; i++) {
        struct hd_guest_regs r = {0};
        bm_current_pid = 0xC00;
        bm_vmcall(&r);
        expect(i < 2 ? "r9 (a run)" : "r9 (spent)", r.r9, i < 2 ? 0x4D : 0);
    }
    expect("messages", hypercall(BM_HC_MESSAGES, 0, 0), 1);
}

/*
 * The recording window (BM_HC_RECORD, record.c): the recorder on, VMCALLs that fire raw code
 * (a condition true and false), a short-circuit, pre and post stages, a break, a script,
 * `deny ud` and no event at all, then the recorder dump on 0xE9. tests/e2e/bochs/check.sh replays the dump on
 * the host with `hdevent run`. In the window plain VMCALLs get the shared default handling
 * (rax = HD_VMCALL_ENOSYS, r14 kept), which is what the replay runs.
 */
static void case_record_window(void)
{
    static const struct {
        uint32_t pid;
        struct hd_guest_regs in;
    } calls[] = {
        {0x100, {.rdx = 0x1000, .r8 = HDBG, .rbx = 0x1234}}, /* cond: condition true */
        {0x100, {.rdx = 0x2000, .r8 = HDBG}},                /* cond: condition false */
        {0x300, {.rax = 0x1111}},                            /* sc: short-circuit */
        {0x400, {.r14 = 0x14}},                              /* pre, default, post */
        {0x200, {.rsi = 0x5}},                               /* break */
        {0x900, {.rdi = 0x9}},                               /* script: printf */
        {0xB00, {.rcx = 0x77, .rax = 0x5A}},                 /* denyud: #UD on the VMCALL */
        {0x1234, {.rcx = 0x42}},                             /* no event */
    };
    struct hd_guest_regs r[sizeof(calls) / sizeof(calls[0])];

    expect("recorder on", hypercall(BM_HC_RECORD, 1, 0), WIRE_SUCCESS);
    for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        r[i] = calls[i].in;
        bm_current_pid = calls[i].pid;
        if (calls[i].pid == 0xB00) /* denyud's #UD: RIP on the VMCALL, skip its 3 bytes */
            bm_trap = (struct bm_trap){.armed = true, .vector = 6, .skip = 3};
        bm_vmcall(&r[i]);
    }
    bm_trap.armed = false;
    expect("records dumped", hypercall(BM_HC_RECORD, 0, 0), sizeof(calls) / sizeof(calls[0]));
    expect("condition true: r8", r[0].r8, HDB2);
    expect("condition true: rax (shared default)", r[0].rax, HD_VMCALL_ENOSYS);
    expect("condition false: r8", r[1].r8, HDBG);
    expect("short-circuit: rax", r[2].rax, 0x1111);
    expect("short-circuit: r9", r[2].r9, 0x5C);
    expect("pre: r13", r[3].r13, 0x7E);
    expect("post: r15 (r14, kept by the shared default)", r[3].r15, 0x14);
    expect("break: rax", r[4].rax, HD_VMCALL_ENOSYS);
    expect("deny ud: #UD taken", bm_trap.seen, 1);
    expect("deny ud: rax (no handling)", r[6].rax, 0x5A);
    expect("no event: rax", r[7].rax, HD_VMCALL_ENOSYS);
    expect("messages", hypercall(BM_HC_MESSAGES, 0, 0), 1);
    /* The window is closed: the image's own handling again. */
    r[0] = (struct hd_guest_regs){.r13 = 0x13};
    bm_current_pid = 0x1234;
    bm_vmcall(&r[0]);
    expect("after the window: rax", r[0].rax, BM_DEFAULT_RAX);
    expect("after the window: r14", r[0].r14, 0x13);
}

/* Last: VMX operation ends here; main.c prints the verdict and shuts down. */
static void case_vmxoff(void)
{
    uint64_t cr4;
    bm_current_pid = 0;
    expect("hd_vmx_cpu_stop", (uint64_t)(int64_t)hd_vmx_cpu_stop(), HD_OK);
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    expect("CR4.VMXE", (cr4 >> 13) & 1, 0);
}

/* ---- the script ------------------------------------------------------------------------------ */

static const struct guest_case {
    const char *name; /* printed in "case <name>: PASS" */
    void (*run)(void);
} guest_cases[] = {
    {"condition-true", case_condition_true},
    {"condition-false", case_condition_false},
    {"pid-filter", case_pid_filter},
    {"break", case_break},
    {"short-circuit", case_short_circuit},
    {"pre-default-post", case_pre_default_post},
    {"core-filter", case_core_filter},
    {"disabled-event", case_disabled_event},
    {"protected-hypercall", case_protected_hypercall},
    {"cpl3-plain", case_cpl3_plain},
    {"cpl3-magic-not-own", case_cpl3_magic_not_own},
    {"cpuid-exit", case_cpuid_exit},
    {"msr-outside-bitmap-gp", case_msr_outside_bitmap_gp},
    {"xsetbv", case_xsetbv},
    {"single-step-vmcall", case_single_step_vmcall},
    {"cr4-vmxe-shadow", case_cr4_vmxe_shadow},
    {"script-printf", case_script_printf},
    {"raw-code-stack", case_raw_code_stack},
    {"nr-deny-ud", case_nr_deny_ud},
    {"max-hits", case_max_hits},
    {"record-window", case_record_window},
    {"vmxoff", case_vmxoff},
};

/* After the cases (last line of expected.txt): exit counts, breaks, failed cases. */
static void print_totals(void)
{
    bm_puts("exits: VMCALL=");
    bm_dec(hd_vmx_cpu_exits(bm_cpu, 18));
    bm_puts(" CPUID=");
    bm_dec(hd_vmx_cpu_exits(bm_cpu, 10));
    bm_puts(" INVD=");
    bm_dec(hd_vmx_cpu_exits(bm_cpu, 13));
    bm_puts(" breaks=");
    bm_dec(bm_breaks);
    bm_puts(" failed=");
    bm_dec(failures);
    bm_putc('\n');
}

unsigned bm_guest_main(void)
{
    if (&bm_fatal_mode && bm_fatal_mode) {
        provoke_triple_fault();
        return 1;
    }
    for (unsigned i = 0; i < sizeof(guest_cases) / sizeof(guest_cases[0]); i++) {
        case_begin(guest_cases[i].name);
        guest_cases[i].run();
        case_end();
    }
    print_totals();
    return failures;
}
