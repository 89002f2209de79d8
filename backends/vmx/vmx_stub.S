/* SPDX-License-Identifier: MIT */
/*
 * vmx_stub.S — VMLAUNCH from the current context, and the VM-exit entry point (HOST_RIP).
 *
 * Both ABIs: System V (Linux, bare metal) passes arguments in rdi/rsi, Windows x64 in rcx/rdx
 * and wants 32 bytes of shadow space. Nothing here needs unwind data: the exit stub runs on
 * the layer's own host stack, which no unwinder walks.
 */
#if defined(__KERNEL__) && defined(__linux__)
/* Kbuild (objtool): the launch is an ordinary function returning with RET (rethunk builds);
 * the exit stub is entered by the CPU, not called: SYM_CODE with an unwind hint. */
#include <linux/linkage.h>
#include <asm/linkage.h>
#include <asm/unwind_hints.h>
#define HD_FUNC_START(name) SYM_FUNC_START(name)
#define HD_FUNC_END(name) SYM_FUNC_END(name)
#define HD_CODE_START(name) SYM_CODE_START(name)
#define HD_CODE_END(name) SYM_CODE_END(name)
#define HD_UNWIND UNWIND_HINT_EMPTY
#define HD_RET RET
#elif defined(_WIN32)
#define HD_FUNC_START(name) .globl name; .def name; .scl 2; .type 32; .endef; name:
#define HD_FUNC_END(name)
#define HD_CODE_START(name) HD_FUNC_START(name)
#define HD_CODE_END(name)
#define HD_UNWIND
#define HD_RET ret
#else
#define HD_FUNC_START(name) .globl name; .type name, @function; .hidden name; name:
#define HD_FUNC_END(name) .size name, .-name
#define HD_CODE_START(name) HD_FUNC_START(name)
#define HD_CODE_END(name) HD_FUNC_END(name)
#define HD_UNWIND
#define HD_RET ret
#endif

#if defined(_WIN32)
#define ARG1 rcx
#define ARG2 rdx
#else
#define ARG1 rdi
#define ARG2 rsi
#endif

    .intel_syntax noprefix
    .text

/*
 * int hd_vmx_arch_launch(void): VMLAUNCH with guest RSP/RIP/RFLAGS = this function's own
 * state (RIP = the instruction after VMLAUNCH), so a successful launch "returns" 0 as the
 * guest; 1 = VMfailInvalid, 2 = VMfailValid (read VM_INSTRUCTION_ERROR). Saves the
 * callee-saved GPRs of both ABIs: VM entry keeps every GPR but RSP/RIP/RFLAGS, so they are
 * intact on either path.
 */
HD_FUNC_START(hd_vmx_arch_launch)
    push    rbp
    push    rbx
    push    rsi
    push    rdi
    push    r12
    push    r13
    push    r14
    push    r15
    pushfq
    pop     rax
    and     rax, ~0x41              /* the guest starts with CF = ZF = 0: "VMsucceed" below */
    mov     edx, 0x6820             /* GUEST_RFLAGS */
    vmwrite rdx, rax
    mov     edx, 0x681C             /* GUEST_RSP */
    vmwrite rdx, rsp
    lea     rax, [rip + 1f]
    mov     edx, 0x681E             /* GUEST_RIP: right after VMLAUNCH */
    vmwrite rdx, rax
    vmlaunch
    /* Both paths arrive here (so objtool sees one flow): a failed launch with CF
     * (VMfailInvalid) or ZF (VMfailValid) set, or the guest's first instruction with both
     * clear. */
1:  mov     eax, 1
    jc      2f
    mov     eax, 2
    jz      2f
    xor     eax, eax
2:  pop     r15
    pop     r14
    pop     r13
    pop     r12
    pop     rdi
    pop     rsi
    pop     rbx
    pop     rbp
    HD_RET
HD_FUNC_END(hd_vmx_arch_launch)

/*
 * VM exit lands here with RSP = HOST_RSP (the hd_vmx_cpu pointer at [rsp]). Push the guest
 * GPRs so that rax ends lowest: struct hd_guest_regs (GUEST_REGS order), rsp slot filled
 * by the C handler from the VMCS. 16 pushes keep the 16-byte alignment of HOST_RSP.
 */
HD_CODE_START(hd_vmx_arch_exit_stub)
    HD_UNWIND
    push    r15
    push    r14
    push    r13
    push    r12
    push    r11
    push    r10
    push    r9
    push    r8
    push    rdi
    push    rsi
    push    rbp
    push    rax                     /* rsp slot */
    push    rbx
    push    rdx
    push    rcx
    push    rax
    mov     ARG1, rsp               /* struct hd_guest_regs * */
    mov     ARG2, [rsp + 128]       /* struct hd_vmx_cpu * */
    cld
    sub     rsp, 32                 /* Windows shadow space; harmless for System V */
    call    hd_vmx_exit_handler
    add     rsp, 32
    mov     r15d, eax               /* r15 is restored last: keep the verdict there */
    pop     rax
    pop     rcx
    pop     rdx
    pop     rbx
    add     rsp, 8                  /* the rsp slot: the VMCS holds the real one */
    pop     rbp
    pop     rsi
    pop     rdi
    pop     r8
    pop     r9
    pop     r10
    pop     r11
    pop     r12
    pop     r13
    pop     r14
    test    r15d, r15d
    jnz     3f
    pop     r15
    vmresume
    /* VMRESUME failed: report it; never returns. rsp = HOST_RSP again. */
    mov     ARG1, [rsp]
    sub     rsp, 32
    call    hd_vmx_resume_failed
    ud2
3:  /* VMX operation ended (hd_vmx_cpu_stop): back to the guest's context, natively. */
    pop     r15
    add     rsp, 8                  /* the hd_vmx_cpu pointer; the IRETQ frame follows */
    iretq
HD_CODE_END(hd_vmx_arch_exit_stub)
