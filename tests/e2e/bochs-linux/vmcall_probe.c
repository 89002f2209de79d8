/* SPDX-License-Identifier: MIT */
/*
 * hdevent_vmcall_probe.ko: a real VMCALL from ring 0 on every online CPU, for
 * tests/e2e/bochs-linux. Load it only while hdevent.ko runs with vmx=on: outside VMX operation
 * VMCALL raises #UD, which in the kernel is an oops.
 *
 *   insmod hdevent_vmcall_probe.ko rdx=0x1000 r8=0x47424448 [r10=... r11=... r12=...]
 *
 * Each register parameter (rax rcx rdx rbx rsi rdi r8..r15; rbp and rsp are the stack's) is
 * loaded before the VMCALL; the registers after it are printed, one dmesg line per CPU:
 *
 *   hdevent_vmcall_probe: cpu 0: rax=0x... rcx=0x... ... r15=0x...
 *
 * The VMCALL runs in an IPI (smp_call_function_single), interrupts off, CPL 0: with HyperDbg's
 * magic in r10/r11/r12 it is the hypervisor's own hypercall, which no hook may change. The
 * probe refuses rcx = HD_VMX_HYPERCALL_VMXOFF with the magic: that one ends VMX operation on
 * the CPU, which is rmmod hdevent's job. Unload it with rmmod; it keeps nothing.
 */
#include <linux/cpu.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/smp.h>

#include <hdevent/backend.h>
#include <hdevent/vmx.h>

/* GUEST_REGS order without rsp and rbp. */
enum { R_AX, R_CX, R_DX, R_BX, R_SI, R_DI, R_8, R_9, R_10, R_11, R_12, R_13, R_14, R_15, R_N };
static const char *const names[R_N] = {"rax", "rcx", "rdx", "rbx", "rsi", "rdi", "r8",
                                       "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
static unsigned long rax, rcx, rdx, rbx, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15;
#define PROBE_PARAM(r)                                                                         \
    module_param(r, ulong, 0444);                                                              \
    MODULE_PARM_DESC(r, #r " before the VMCALL")
PROBE_PARAM(rax);
PROBE_PARAM(rcx);
PROBE_PARAM(rdx);
PROBE_PARAM(rbx);
PROBE_PARAM(rsi);
PROBE_PARAM(rdi);
PROBE_PARAM(r8);
PROBE_PARAM(r9);
PROBE_PARAM(r10);
PROBE_PARAM(r11);
PROBE_PARAM(r12);
PROBE_PARAM(r13);
PROBE_PARAM(r14);
PROBE_PARAM(r15);

static void probe_here(void *info)
{
    unsigned long *r = info;
    register unsigned long x8 asm("r8") = r[R_8];
    register unsigned long x9 asm("r9") = r[R_9];
    register unsigned long x10 asm("r10") = r[R_10];
    register unsigned long x11 asm("r11") = r[R_11];
    register unsigned long x12 asm("r12") = r[R_12];
    register unsigned long x13 asm("r13") = r[R_13];
    register unsigned long x14 asm("r14") = r[R_14];
    register unsigned long x15 asm("r15") = r[R_15];

    asm volatile("vmcall"
                 : "+a"(r[R_AX]), "+c"(r[R_CX]), "+d"(r[R_DX]), "+b"(r[R_BX]), "+S"(r[R_SI]),
                   "+D"(r[R_DI]), "+r"(x8), "+r"(x9), "+r"(x10), "+r"(x11), "+r"(x12),
                   "+r"(x13), "+r"(x14), "+r"(x15)
                 :
                 : "memory", "cc");
    r[R_8] = x8;
    r[R_9] = x9;
    r[R_10] = x10;
    r[R_11] = x11;
    r[R_12] = x12;
    r[R_13] = x13;
    r[R_14] = x14;
    r[R_15] = x15;
}

static int __init probe_init(void)
{
    const unsigned long in[R_N] = {rax, rcx, rdx, rbx, rsi, rdi, r8, r9,
                                   r10, r11, r12, r13, r14, r15};
    unsigned long r[R_N];
    char line[R_N * 26];
    unsigned int cpu;
    int i, n;

    if (rcx == HD_VMX_HYPERCALL_VMXOFF && r10 == HD_HYPERDBG_MAGIC_R10 &&
        r11 == HD_HYPERDBG_MAGIC_R11 && r12 == HD_HYPERDBG_MAGIC_R12) {
        pr_err("hdevent_vmcall_probe: refused: rcx and r10-r12 ask to end VMX operation\n");
        return -EINVAL;
    }
    cpus_read_lock();
    for_each_online_cpu(cpu) {
        memcpy(r, in, sizeof(r));
        smp_call_function_single(cpu, probe_here, r, 1);
        for (i = 0, n = 0; i < R_N; i++)
            n += scnprintf(line + n, sizeof(line) - n, " %s=0x%lx", names[i], r[i]);
        pr_info("hdevent_vmcall_probe: cpu %u:%s\n", cpu, line);
    }
    cpus_read_unlock();
    return 0;
}

static void __exit probe_exit(void)
{
}

module_init(probe_init);
module_exit(probe_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hdevent e2e: a VMCALL from ring 0 on every CPU (tests/e2e/bochs-linux)");
