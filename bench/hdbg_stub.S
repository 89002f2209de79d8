/* SPDX-License-Identifier: MIT */
/*
 * hdbg_call(code, a1, a2, a3): the re-created HyperDbg stub around condition and custom code.
 * Like HyperDbg's, it pushes and pops 8 registers around the call, gives no shadow space and
 * leaves the stack 16-byte aligned at the call's target (8 off what the ABI wants): the
 * baseline pays what HyperDbg pays. The 8 are the callee-saved registers of System V (rbx,
 * rbp, r12-r15) plus rsi/rdi (callee-saved on Windows), so code that clobbers any of them is
 * safe here. Arguments (System V in): code rdi, a1 rsi, a2 rdx, a3 rcx; the code gets
 * HyperDbg's convention rcx = a1, rdx = a2, r8 = a3.
 */
    .intel_syntax noprefix
    .text
    .globl hdbg_call
    .type hdbg_call, @function
hdbg_call:
    push    rbx
    push    rbp
    push    rsi
    push    rdi
    push    r12
    push    r13
    push    r14
    push    r15
    mov     rax, rdi
    mov     r8, rcx
    mov     rcx, rsi
    call    rax
    pop     r15
    pop     r14
    pop     r13
    pop     r12
    pop     rdi
    pop     rsi
    pop     rbp
    pop     rbx
    ret
    .size hdbg_call, .-hdbg_call

    .section .note.GNU-stack, "", @progbits
