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

/* ---- the cases ---------------------------------------------------------------------------- */

unsigned bm_guest_main(void)
{
    struct hd_guest_regs r;
    uint32_t cpuid[4];

    if (&bm_fatal_mode && bm_fatal_mode) {
        provoke_triple_fault();
        return 1;
    }

    /* HyperDbg's doc condition (rdx == 0x1000) + doc custom code (r8 'HDBG' -> 'HDB2'). */
    case_begin("condition-true");
    bm_current_pid = 0x100;
    r = (struct hd_guest_regs){.rdx = 0x1000, .r8 = HDBG, .rbx = 0x1234};
    bm_vmcall(&r);
    expect("r8", r.r8, HDB2);
    expect("rbx", r.rbx, 0x1234); /* the condition clobbers rbx: the host's, never the guest's */
    expect("rax", r.rax, BM_DEFAULT_RAX);
    case_end();

    case_begin("condition-false");
    r = (struct hd_guest_regs){.rdx = 0x2000, .r8 = HDBG};
    bm_vmcall(&r);
    expect("r8", r.r8, HDBG);
    expect("rax", r.rax, BM_DEFAULT_RAX);
    case_end();

    case_begin("pid-filter");
    bm_current_pid = 0x101;
    r = (struct hd_guest_regs){.rdx = 0x1000, .r8 = HDBG};
    bm_vmcall(&r);
    expect("r8", r.r8, HDBG);
    case_end();

    case_begin("break");
    bm_current_pid = 0x200;
    r = (struct hd_guest_regs){0};
    bm_vmcall(&r);
    expect("rax", r.rax, BM_DEFAULT_RAX);
    expect("breaks", hypercall(BM_HC_BREAKS, 0, 0), 1);
    case_end();

    case_begin("short-circuit");
    bm_current_pid = 0x300;
    r = (struct hd_guest_regs){.rax = 0x1111};
    bm_vmcall(&r);
    expect("rax", r.rax, 0x1111); /* default handling skipped */
    expect("r9", r.r9, 0x5C);
    case_end();

    case_begin("pre-default-post");
    bm_current_pid = 0x400;
    r = (struct hd_guest_regs){0};
    bm_vmcall(&r);
    expect("r13 (pre)", r.r13, 0x7E);
    expect("r14 (default saw pre)", r.r14, 0x7E);
    expect("r15 (post saw default)", r.r15, 0x7E);
    expect("rax", r.rax, BM_DEFAULT_RAX);
    case_end();

    case_begin("core-filter");
    bm_current_pid = 0x500;
    r = (struct hd_guest_regs){0};
    bm_vmcall(&r);
    expect("r9", r.r9, 0xC0);
    expect("core-1 event", hypercall(BM_HC_MODIFY, TAG_CORE1, MODIFY_QUERY), WIRE_MODIFY_INVALID_TAG);
    case_end();

    case_begin("disabled-event");
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
    case_end();

    case_begin("protected-hypercall");
    bm_current_pid = 0x700;
    r = (struct hd_guest_regs){.rcx = BM_HC_PING};
    set_magic(&r);
    bm_vmcall(&r);
    expect("r9 (hook's write discarded)", r.r9, 0);
    expect("rax (not short-circuited)", r.rax, BM_PING_REPLY);
    case_end();

    case_begin("cpl3-plain");
    bm_current_pid = 0x800;
    user_plain = (struct hd_guest_regs){0};
    user_magic = (struct hd_guest_regs){.rcx = BM_HC_PING};
    set_magic(&user_magic);
    bm_user_run(user_main, (uint64_t)(uintptr_t)(user_stack + sizeof(user_stack)));
    expect("r9", user_plain.r9, 0x33);
    expect("rax", user_plain.rax, BM_DEFAULT_RAX);
    case_end();

    case_begin("cpl3-magic-not-own");
    expect("r9 (hook's write kept)", user_magic.r9, 0x33);
    expect("rax (plain default handling)", user_magic.rax, BM_DEFAULT_RAX);
    case_end();

    case_begin("cpuid-exit");
    __asm__ volatile("cpuid" : "=a"(cpuid[0]), "=b"(cpuid[1]), "=c"(cpuid[2]), "=d"(cpuid[3]) : "a"(1), "c"(0));
    expect("CPUID.1:ECX.VMX", (cpuid[2] >> 5) & 1, 0);
    __asm__ volatile("invd" : : : "memory");
    expect("CPUID exits", hd_vmx_cpu_exits(bm_cpu, 10), 1);
    expect("INVD exits", hd_vmx_cpu_exits(bm_cpu, 13), 1);
    case_end();

    /* RDMSR of an MSR outside both MSR-bitmap ranges exits; the layer injects #GP(0). */
    case_begin("msr-outside-bitmap-gp");
    bm_trap = (struct bm_trap){.armed = true, .vector = 13, .skip = 2};
    {
        uint32_t lo, hi;
        __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x40000000u));
    }
    hd_vmx_cpu_log_flush(bm_cpu); /* the layer buffered its line in VMX root: print it here */
    expect("#GP taken", bm_trap.seen, 1);
    expect("error code", bm_trap.error, 0);
    expect("RDMSR exits", hd_vmx_cpu_exits(bm_cpu, 31), 1);
    case_end();

    /* XSETBV always exits: the layer checks XCR0 as the CPU would, then sets it. */
    case_begin("xsetbv");
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
    case_end();

    /* A single-stepped VMCALL: hd_vmx_rip_advance() owes the guest a #DB right after it. */
    case_begin("single-step-vmcall");
    bm_current_pid = 0;
    bm_trap = (struct bm_trap){.armed = true, .vector = 1};
    {
        uint64_t after;
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
    case_end();

    /* CR4.VMXE is the host's: the guest reads its own view (shadow), and a write that
     * changes it exits and only moves the shadow. */
    case_begin("cr4-vmxe-shadow");
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
    case_end();

    case_begin("vmxoff");
    bm_current_pid = 0;
    expect("hd_vmx_cpu_stop", (uint64_t)(int64_t)hd_vmx_cpu_stop(), HD_OK);
    {
        uint64_t cr4;
        __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
        expect("CR4.VMXE", (cr4 >> 13) & 1, 0);
    }
    case_end();

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
    return failures;
}
