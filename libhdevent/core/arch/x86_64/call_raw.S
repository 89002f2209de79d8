/* SPDX-License-Identifier: MIT */
/*
 * hd__arch_call_raw(code, a1, a2, a3) — run raw condition / custom-code bytes with HyperDbg's
 * register convention (Windows x64): rcx = a1, rdx = a2, r8 = a3, result in rax.
 *
 * HyperDbg's own stub gives no shadow space, misaligns the stack and saves only 8 registers;
 * code written for it must still run here, and code that follows the Windows ABI fully (uses
 * its 32-byte shadow space, relies on an aligned stack) must run too. So this stub:
 *   - saves every GPR either ABI calls callee-saved: rbx, rbp, rsi, rdi, r12-r15;
 *   - calls with rsp 16-byte aligned, whatever the caller's alignment (a Linux kernel keeps
 *     only 8), and 32 bytes of shadow space above the return address;
 *   - keeps nothing in a register across the call: the code may clobber any GPR, rbp
 *     included (HyperDbg's doc condition clobbers rbx). The price: the code must return
 *     with RET on a balanced stack, as both ABIs require, for there is no register left
 *     to keep rsp in;
 *   - clears DF, which both ABIs require to be clear at a call or return (user-mode builds;
 *     the kernel build leaves it to the code, see below).
 * It does not save XMM6-15: the core never touches SIMD state (ring 0 forbids it without
 * kernel_fpu_begin), and code that uses SIMD is reported by the validator.
 *
 * Entry arguments: System V (code rdi, a1 rsi, a2 rdx, a3 rcx) or, for Windows builds,
 * Windows x64 (code rcx, a1 rdx, a2 r8, a3 r9).
 *
 * call_raw.asm is the MASM twin of the _WIN32 branch for MSVC toolchains: tests/msvc checks
 * that both assemble to the same instructions and unwind data and behave alike under Wine.
 */
#if defined(__KERNEL__) && defined(__linux__)
#include <linux/linkage.h>
#include <asm/linkage.h>
#include <asm/nospec-branch.h>
#define HD_FUNC_START(name) SYM_FUNC_START(name)
#define HD_FUNC_END(name) SYM_FUNC_END(name)
#define HD_RET RET
#else
#if defined(_WIN32)
/* Windows x64 needs unwind data for every function that pushes and calls (.pdata/.xdata):
 * debuggers, bugchecks and exception dispatch walk the stack through us. */
#define HD_FUNC_START(name) .globl name; .def name; .scl 2; .type 32; .endef; .seh_proc name; name:
#define HD_FUNC_END(name) .seh_endproc
#define HD_SEH(directive) directive
#else
#define HD_FUNC_START(name) .globl name; .type name, @function; .hidden name; name:
#define HD_FUNC_END(name) .size name, .-name
#endif
#define HD_RET ret
#endif
#ifndef HD_SEH
#define HD_SEH(directive)
#endif

#if defined(__KERNEL__) && defined(__linux__)
/*
 * Linux builds with retpolines: an indirect call must go through the kernel's thunk (objtool
 * refuses a bare `call rax`). CALL_NOSPEC is written in AT&T syntax. No CLD after it: objtool
 * knows DF is clear across every call in the kernel and rejects it as redundant; raw code that
 * leaves DF set breaks the kernel's own ABI like any other code.
 */
#define HD_CALL_RAX .att_syntax prefix; CALL_NOSPEC rax; .intel_syntax noprefix
#else
#define HD_CALL_RAX call rax; cld
#endif

    .intel_syntax noprefix
    .text

HD_FUNC_START(hd__arch_call_raw)
    push    rbp
    HD_SEH(.seh_pushreg rbp)
    push    rbx
    HD_SEH(.seh_pushreg rbx)
    push    rsi
    HD_SEH(.seh_pushreg rsi)
    push    rdi
    HD_SEH(.seh_pushreg rdi)
    push    r12
    HD_SEH(.seh_pushreg r12)
    push    r13
    HD_SEH(.seh_pushreg r13)
    push    r14
    HD_SEH(.seh_pushreg r14)
    push    r15
    HD_SEH(.seh_pushreg r15)
#if defined(_WIN32)
    /*
     * The Windows x64 ABI keeps rsp 16-byte aligned at every call, and its unwind data needs a
     * fixed prologue: 8 pushes after the return address leave rsp 8 mod 16; 40 = 32 shadow + 8.
     */
    sub     rsp, 40
    HD_SEH(.seh_stackalloc 40)
    HD_SEH(.seh_endprologue)
    mov     rax, rcx
    mov     rcx, rdx
    mov     rdx, r8
    mov     r8, r9
    call    rax
    cld
    add     rsp, 40
#else
    mov     rax, rdi
    mov     r8, rcx
    mov     rcx, rsi
    /* rdx already holds a2 */
    /*
     * The caller's alignment is not trusted: Linux builds the kernel with an 8-byte stack
     * boundary (-mpreferred-stack-boundary=3), so rsp may be 0 or 8 mod 16 here. Two fixed
     * frames, 32 bytes of shadow space with or without 8 bytes of padding, both give the code
     * a 16-byte aligned rsp at the call; each tail undoes its own frame, so the paths join with
     * the same stack state (what objtool checks) and no register must survive the call.
     */
    test    rsp, 8
    jnz     1f
    sub     rsp, 32
    HD_CALL_RAX
    add     rsp, 32
    jmp     2f
1:
    sub     rsp, 40
    HD_CALL_RAX
    add     rsp, 40
2:
#endif
    pop     r15
    pop     r14
    pop     r13
    pop     r12
    pop     rdi
    pop     rsi
    pop     rbx
    pop     rbp
    HD_RET
HD_FUNC_END(hd__arch_call_raw)

#if !defined(_WIN32) && !defined(__KERNEL__)
    .section .note.GNU-stack, "", @progbits
#endif
