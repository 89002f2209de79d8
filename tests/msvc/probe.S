/* SPDX-License-Identifier: MIT */
/*
 * The trampoline's caller and two pieces of raw code, for tests/msvc/harness.c (Windows x64,
 * assembled by the mingw-w64 toolchain). Each function with a frame has unwind data, so a
 * stack walk from inside raw code can pass through the trampoline only if the trampoline's
 * own unwind data is right.
 */
    .intel_syntax noprefix
    .text

/*
 * uint64_t probe_call(tramp, code, a1, a2, a3, uint64_t out[10])
 *
 * Calls tramp(code, a1, a2, a3) as MSVC-compiled C would, with a known value in every
 * callee-saved register, and stores what comes back: out[0..7] = rbx, rbp, rsi, rdi, r12,
 * r13, r14, r15 after the call, out[8] = RFLAGS after the call, out[9] = rax.
 */
    .globl probe_call
    .def probe_call; .scl 2; .type 32; .endef
    .seh_proc probe_call
probe_call:
    push    rbp
    .seh_pushreg rbp
    push    rbx
    .seh_pushreg rbx
    push    rsi
    .seh_pushreg rsi
    push    rdi
    .seh_pushreg rdi
    push    r12
    .seh_pushreg r12
    push    r13
    .seh_pushreg r13
    push    r14
    .seh_pushreg r14
    push    r15
    .seh_pushreg r15
    sub     rsp, 40                 /* 32 shadow + the out pointer; rsp 0 mod 16 */
    .seh_stackalloc 40
    .seh_endprologue
    mov     rax, [rsp + 152]        /* out: 6th argument, 40 + 64 + 8 + 40 above */
    mov     [rsp + 32], rax
    mov     rax, rcx                /* tramp */
    mov     rcx, rdx                /* code */
    mov     rdx, r8                 /* a1 */
    mov     r8, r9                  /* a2 */
    mov     r9, [rsp + 144]         /* a3: 5th argument */
    movabs  rbx, 0xB1B1B1B1B1B1B1B1
    movabs  rbp, 0xB2B2B2B2B2B2B2B2
    movabs  rsi, 0xB3B3B3B3B3B3B3B3
    movabs  rdi, 0xB4B4B4B4B4B4B4B4
    movabs  r12, 0xB5B5B5B5B5B5B5B5
    movabs  r13, 0xB6B6B6B6B6B6B6B6
    movabs  r14, 0xB7B7B7B7B7B7B7B7
    movabs  r15, 0xB8B8B8B8B8B8B8B8
    call    rax
    mov     r10, [rsp + 32]
    mov     [r10 + 0], rbx
    mov     [r10 + 8], rbp
    mov     [r10 + 16], rsi
    mov     [r10 + 24], rdi
    mov     [r10 + 32], r12
    mov     [r10 + 40], r13
    mov     [r10 + 48], r14
    mov     [r10 + 56], r15
    pushfq
    pop     r11
    mov     [r10 + 64], r11
    mov     [r10 + 72], rax
    cld                             /* our own caller's DF rule, whatever came back */
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
    .seh_endproc

/*
 * Raw code (HyperDbg's convention: rcx, rdx, r8): records its three arguments and rsp at
 * entry into the record rdx points at, fills the 32 bytes of shadow space above its return
 * address, clobbers every callee-saved register, sets DF, returns 0x600DC0DE600DC0DE. A leaf
 * that never moves rsp: it needs no unwind data.
 */
    .globl raw_probe
    .def raw_probe; .scl 2; .type 32; .endef
raw_probe:
    mov     [rdx + 0], rcx
    mov     [rdx + 8], rdx
    mov     [rdx + 16], r8
    mov     [rdx + 24], rsp
    movabs  rax, 0x5348414430573535
    mov     [rsp + 8], rax
    mov     [rsp + 16], rax
    mov     [rsp + 24], rax
    mov     [rsp + 32], rax
    mov     rbx, -1
    mov     rbp, -1
    mov     rsi, -1
    mov     rdi, -1
    mov     r12, -1
    mov     r13, -1
    mov     r14, -1
    mov     r15, -1
    std
    movabs  rax, 0x600DC0DE600DC0DE
    ret

/* Raw code that walks the stack: unwind_walk(rdx) from a frame with unwind data. */
    .globl raw_unwind
    .def raw_unwind; .scl 2; .type 32; .endef
    .seh_proc raw_unwind
raw_unwind:
    sub     rsp, 40
    .seh_stackalloc 40
    .seh_endprologue
    mov     rcx, rdx
    call    unwind_walk
    add     rsp, 40
    ret
    .seh_endproc
