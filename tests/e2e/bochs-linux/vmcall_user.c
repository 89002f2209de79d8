/* SPDX-License-Identifier: MIT */
/*
 * vmcall_user: executes VMCALL from ring 3 inside the Bochs guest (statically linked), so the
 * exit reaches hdevent.ko's VMX layer (vmx=on) from user mode, as a real guest process's would.
 *
 *   vmcall_user [--cpu N] [--count N [--signal-after K] [--stop-after-unfired M]]
 *               [--expect-ud] [--ioperm] [--compat] [REG=HEX ...]
 *
 * --cpu N          pin to CPU N first (sched_setaffinity); the line says where it ran
 * REG=HEX          rax rcx rdx rbx rbp rsi rdi r8..r15 before the VMCALL (others 0; rsp is
 *                  the stack and cannot be set)
 * one VMCALL (default): prints
 *     {"type":"vmcall","cpu":N,"pid":P,"at":"0x...","regs":{"rax":"0x...",...,"r15":"0x..."}}
 *   with the VMCALL's address (the RIP the exit record must show) and every register after
 *   the VMCALL, exactly as the exit handler left them.
 * --count N        N VMCALLs with the same registers in, for the concurrent clear: counts how
 *                  many came back with r8 changed ("fired") and whether any changed one came
 *                  after an unchanged one ("late": an event ran after its clear returned):
 *     {"type":"loop","cpu":N,"count":C,"fired":F,"unfired":U,"late":L,"first_unfired":I,"other":O}
 *   where C is the number of VMCALLs made.
 *   "other" counts VMCALLs whose rax or r8 came back as neither expected value.
 * --signal-after K with --count: write "started\n" to fd 3 after K VMCALLs (the guest script
 *                  waits on it through a FIFO: no sleeping, no timer)
 * --stop-after-unfired M  with --count: stop early once M VMCALLs in a row came back unfired
 *                  (the clear has taken effect; N stays the upper bound)
 * --expect-ud      the VMCALL must raise #UD (SIGILL, ILL_ILLOPN at the VMCALL): prints
 *     {"type":"ud","cpu":N,"at_vmcall":true}   or, when it did not fault, the vmcall line
 *   and exits 1. Outside VMX operation VMCALL is an invalid opcode (SDM Vol. 2B, VMCALL).
 * --compat         the VMCALL from 32-bit compatibility mode (CS 0x23, as a 32-bit process
 *                  runs): eax ecx edx ebx esi edi from the REG values (low halves), printed as
 *     {"type":"vmcall32","cpu":N,"pid":P,"at":"0x...","eax":"0x...",...,"edi":"0x...","resumed":true}
 *   The exit handler must advance EIP as a 32-bit address (CS.L = 0) and resume there.
 * --ioperm         no VMCALL: ioperm(0x80) and an OUT to port 0x80, which needs the TSS's I/O
 *                  bitmap, i.e. TR's real limit (a VM exit leaves it at 0x67, SDM 27.5.2):
 *     {"type":"ioperm","cpu":N,"out":true}   (a #GP would kill the program with SIGSEGV)
 *
 * Exit status 0, 1 (the expectation failed), 2 (usage).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <unistd.h>

/* GUEST_REGS order (include/hdevent/regs.h); the rsp slot is never set from here. */
static const char *const names[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                      "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

/*
 * One VMCALL with all fifteen settable GPRs loaded from r[] and stored back into it. rax
 * carries the array pointer (it is loaded last and swapped with the result right after the
 * VMCALL); rbx and rbp are saved by the block itself (frame pointer, PIC register); the red
 * zone is stepped over, since the block pushes.
 */
static void vmcall_regs(uint64_t r[16])
{
    uint64_t *p = r;

    __asm__ volatile(
        "lea -128(%%rsp), %%rsp\n\t"
        "push %%rbp\n\t"
        "push %%rbx\n\t"
        "push %%rax\n\t"
        "mov 0x08(%%rax), %%rcx\n\t"
        "mov 0x10(%%rax), %%rdx\n\t"
        "mov 0x18(%%rax), %%rbx\n\t"
        "mov 0x28(%%rax), %%rbp\n\t"
        "mov 0x30(%%rax), %%rsi\n\t"
        "mov 0x38(%%rax), %%rdi\n\t"
        "mov 0x40(%%rax), %%r8\n\t"
        "mov 0x48(%%rax), %%r9\n\t"
        "mov 0x50(%%rax), %%r10\n\t"
        "mov 0x58(%%rax), %%r11\n\t"
        "mov 0x60(%%rax), %%r12\n\t"
        "mov 0x68(%%rax), %%r13\n\t"
        "mov 0x70(%%rax), %%r14\n\t"
        "mov 0x78(%%rax), %%r15\n\t"
        "mov 0x00(%%rax), %%rax\n\t"
        ".globl vmcall_insn\n"
        "vmcall_insn:\n\t"
        "vmcall\n\t"
        "xchg (%%rsp), %%rax\n\t" /* rax = the array again; the VMCALL's rax on the stack */
        "mov %%rcx, 0x08(%%rax)\n\t"
        "mov %%rdx, 0x10(%%rax)\n\t"
        "mov %%rbx, 0x18(%%rax)\n\t"
        "mov %%rbp, 0x28(%%rax)\n\t"
        "mov %%rsi, 0x30(%%rax)\n\t"
        "mov %%rdi, 0x38(%%rax)\n\t"
        "mov %%r8, 0x40(%%rax)\n\t"
        "mov %%r9, 0x48(%%rax)\n\t"
        "mov %%r10, 0x50(%%rax)\n\t"
        "mov %%r11, 0x58(%%rax)\n\t"
        "mov %%r12, 0x60(%%rax)\n\t"
        "mov %%r13, 0x68(%%rax)\n\t"
        "mov %%r14, 0x70(%%rax)\n\t"
        "mov %%r15, 0x78(%%rax)\n\t"
        "pop %%rcx\n\t"
        "mov %%rcx, 0x00(%%rax)\n\t"
        "pop %%rbx\n\t"
        "pop %%rbp\n\t"
        "lea 128(%%rsp), %%rsp\n\t"
        : "+a"(p)
        :
        : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
          "memory", "cc");
}

/*
 * The VMCALL from compatibility mode. The binary is static and not PIE, so its code and data
 * sit below 4 GiB, where 32-bit code can address them: DS and ES loaded with __USER_DS (0x2b;
 * a null DS, usual in 64-bit mode, faults in compatibility mode), lretq to CS 0x23
 * (__USER32_CS) on a stack in .bss, VMCALL with the six 32-bit registers of compat_regs[], a
 * far jump back to CS 0x33 (__USER_CS), the 64-bit stack and the old DS/ES again. compat_resumed is set by the instruction after
 * the VMCALL: it proves the exit handler resumed at the right 32-bit EIP.
 */
uint32_t compat_regs[6]; /* eax ecx edx ebx esi edi */
uint32_t compat_resumed;
uint64_t compat_saved_rsp;
uint32_t compat_stack[1024] __attribute__((aligned(16)));

static void vmcall_compat(void)
{
    __asm__ volatile(
        "lea -128(%%rsp), %%rsp\n\t"
        "push %%rbx\n\t"
        "push %%rbp\n\t"
        "mov %%ds, %%eax\n\t"
        "push %%rax\n\t"
        "mov %%es, %%eax\n\t"
        "push %%rax\n\t"
        "mov $0x2b, %%eax\n\t"
        "mov %%eax, %%ds\n\t"
        "mov %%eax, %%es\n\t"
        "mov %%rsp, compat_saved_rsp(%%rip)\n\t"
        "lea compat_stack+4096(%%rip), %%rsp\n\t"
        "pushq $0x23\n\t"
        "lea 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n\t"
        ".code32\n"
        "1:\n\t"
        "mov compat_regs+4, %%ecx\n\t"
        "mov compat_regs+8, %%edx\n\t"
        "mov compat_regs+12, %%ebx\n\t"
        "mov compat_regs+16, %%esi\n\t"
        "mov compat_regs+20, %%edi\n\t"
        "mov compat_regs, %%eax\n\t"
        ".globl compat_vmcall_insn\n"
        "compat_vmcall_insn:\n\t"
        "vmcall\n\t"
        "movl $1, compat_resumed\n\t"
        "mov %%eax, compat_regs\n\t"
        "mov %%ecx, compat_regs+4\n\t"
        "mov %%edx, compat_regs+8\n\t"
        "mov %%ebx, compat_regs+12\n\t"
        "mov %%esi, compat_regs+16\n\t"
        "mov %%edi, compat_regs+20\n\t"
        "ljmp $0x33, $2f\n\t"
        ".code64\n"
        "2:\n\t"
        "mov compat_saved_rsp(%%rip), %%rsp\n\t"
        "pop %%rax\n\t"
        "mov %%eax, %%es\n\t"
        "pop %%rax\n\t"
        "mov %%eax, %%ds\n\t"
        "pop %%rbp\n\t"
        "pop %%rbx\n\t"
        "lea 128(%%rsp), %%rsp\n\t"
        :
        :
        : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
          "r15", "memory", "cc");
}

extern const char vmcall_insn[], compat_vmcall_insn[];
static sigjmp_buf ud_jump;
static volatile sig_atomic_t ud_at_vmcall;

static void on_sigill(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    ud_at_vmcall = si->si_addr == (void *)vmcall_insn;
    siglongjmp(ud_jump, 1);
}

static int usage(void)
{
    fprintf(stderr, "usage: vmcall_user [--cpu N] [--count N [--signal-after K]] "
                    "[--expect-ud] [REG=HEX ...]\n");
    return 2;
}

static void print_regs(int cpu, const uint64_t r[16])
{
    printf("{\"type\":\"vmcall\",\"cpu\":%d,\"pid\":%d,\"at\":\"%p\",\"regs\":{", cpu,
           (int)getpid(), (const void *)vmcall_insn);
    for (int i = 0; i < 16; i++)
        printf("%s\"%s\":\"0x%llx\"", i ? "," : "", names[i], (unsigned long long)r[i]);
    printf("}}\n");
}

int main(int argc, char **argv)
{
    uint64_t in[16] = {0}, r[16];
    long cpu = -1, count = 0, signal_after = -1, stop_after = -1;
    int expect_ud = 0, io = 0, compat = 0;

    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '='), *end;
        if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
            cpu = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--count") && i + 1 < argc)
            count = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--signal-after") && i + 1 < argc)
            signal_after = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--stop-after-unfired") && i + 1 < argc)
            stop_after = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--expect-ud"))
            expect_ud = 1;
        else if (!strcmp(argv[i], "--ioperm"))
            io = 1;
        else if (!strcmp(argv[i], "--compat"))
            compat = 1;
        else if (eq) {
            int k = -1;
            for (int n = 0; n < 16; n++)
                if (n != 4 && (size_t)(eq - argv[i]) == strlen(names[n]) &&
                    !strncmp(argv[i], names[n], strlen(names[n])))
                    k = n;
            if (k < 0)
                return usage();
            in[k] = strtoull(eq + 1, &end, 16);
            if (*end || end == eq + 1)
                return usage();
        } else
            return usage();
    }
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((int)cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0)
            return perror("sched_setaffinity"), 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (io) {
        if (ioperm(0x80, 1, 1) != 0)
            return perror("ioperm"), 1;
        outb(0, 0x80); /* the POST code port: harmless */
        printf("{\"type\":\"ioperm\",\"cpu\":%d,\"out\":true}\n", sched_getcpu());
        return 0;
    }

    if (compat) {
        static const int map[6] = {0, 1, 2, 3, 6, 7}; /* rax rcx rdx rbx rsi rdi */
        static const char *const n32[6] = {"eax", "ecx", "edx", "ebx", "esi", "edi"};
        for (int i = 0; i < 6; i++)
            compat_regs[i] = (uint32_t)in[map[i]];
        vmcall_compat();
        printf("{\"type\":\"vmcall32\",\"cpu\":%d,\"pid\":%d,\"at\":\"%p\"", sched_getcpu(),
               (int)getpid(), (const void *)compat_vmcall_insn);
        for (int i = 0; i < 6; i++)
            printf(",\"%s\":\"0x%x\"", n32[i], compat_regs[i]);
        printf(",\"resumed\":%s}\n", compat_resumed ? "true" : "false");
        return compat_resumed ? 0 : 1;
    }
    if (expect_ud) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = on_sigill;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGILL, &sa, NULL);
        if (sigsetjmp(ud_jump, 1)) {
            printf("{\"type\":\"ud\",\"cpu\":%d,\"at_vmcall\":%s}\n", sched_getcpu(),
                   ud_at_vmcall ? "true" : "false");
            return ud_at_vmcall ? 0 : 1;
        }
        memcpy(r, in, sizeof(r));
        vmcall_regs(r);
        print_regs(sched_getcpu(), r);
        return 1;
    }
    if (count > 0) {
        long fired = 0, unfired = 0, late = 0, other = 0, first_unfired = -1, run = 0, n;
        for (n = 0; n < count && run != stop_after; n++) {
            memcpy(r, in, sizeof(r));
            vmcall_regs(r);
            if (r[8] != in[8]) {
                fired++;
                run = 0;
                if (first_unfired >= 0)
                    late++;
            } else {
                unfired++;
                run++;
                if (first_unfired < 0)
                    first_unfired = n;
            }
            /* Default handling gives rax = -1000 (KVM's -ENOSYS); r8 is the doc code's 'HDB2'. */
            if (r[0] != (uint64_t)-1000 || (r[8] != in[8] && r[8] != 0x32424448))
                other++;
            if (n + 1 == signal_after && write(3, "started\n", 8) != 8)
                return perror("write fd 3"), 1;
        }
        printf("{\"type\":\"loop\",\"cpu\":%d,\"count\":%ld,\"fired\":%ld,\"unfired\":%ld,"
               "\"late\":%ld,\"first_unfired\":%ld,\"other\":%ld}\n",
               sched_getcpu(), n, fired, unfired, late, first_unfired, other);
        return 0;
    }
    memcpy(r, in, sizeof(r));
    vmcall_regs(r);
    print_regs(sched_getcpu(), r);
    return 0;
}
