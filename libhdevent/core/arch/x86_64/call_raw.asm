; SPDX-License-Identifier: MIT
; hd__arch_call_raw(code, a1, a2, a3) for MSVC toolchains (ml64, llvm-ml): the MASM twin of
; call_raw.S, instruction for instruction its _WIN32 branch, with the same unwind data. Runs
; raw condition / custom-code bytes with HyperDbg's register convention: rcx = a1, rdx = a2,
; r8 = a3, result in rax. Entry (Windows x64): rcx = code, rdx = a1, r8 = a2, r9 = a3.
;
; What it guarantees the code, as call_raw.S explains:
;   - every GPR either ABI calls callee-saved (rbx, rbp, rsi, rdi, r12-r15) is saved here, so
;     the code may clobber any of them (HyperDbg's doc condition clobbers rbx); nothing is kept
;     in a register across the call, so the code must return with RET on a balanced stack;
;   - rsp is 16-byte aligned at the call, with 32 bytes of shadow space above the return
;     address: the caller's rsp is 8 mod 16 (the Windows x64 ABI), 8 pushes keep it so, and
;     40 = 32 shadow + 8 restores the alignment;
;   - DF is clear on return (CLD), as both ABIs require;
;   - XMM6-15 are not saved: the core never touches SIMD state and the validator reports code
;     that does.
; The prologue is fixed and described by the unwind codes below (PROC FRAME, .pushreg,
; .allocstack, .endprolog): debuggers, bugchecks and exception dispatch walk the stack through
; this frame while raw code runs. The test (tests/msvc) checks that it unwinds, that its unwind
; codes and instructions equal those of call_raw.S, and that both trampolines behave alike.
;
; The name keeps its case: PROC makes it public, and MASM preserves the case of public names
; (OPTION CASEMAP:NOTPUBLIC, the default).

.code

hd__arch_call_raw PROC FRAME
    push    rbp
    .pushreg rbp
    push    rbx
    .pushreg rbx
    push    rsi
    .pushreg rsi
    push    rdi
    .pushreg rdi
    push    r12
    .pushreg r12
    push    r13
    .pushreg r13
    push    r14
    .pushreg r14
    push    r15
    .pushreg r15
    sub     rsp, 40
    .allocstack 40
    .endprolog

    mov     rax, rcx
    mov     rcx, rdx
    mov     rdx, r8
    mov     r8, r9
    call    rax
    cld
    add     rsp, 40

    pop     r15
    pop     r14
    pop     r13
    pop     r12
    pop     rdi
    pop     rsi
    pop     rbx
    pop     rbp
    ret
hd__arch_call_raw ENDP

END
