/* SPDX-License-Identifier: MIT */
/*
 * entry.S — real mode to long mode, the 64-bit GDT/IDT stubs, CPL 3 entry and exit, and the
 * guest's VMCALL helper. Page tables: 1 GiB identity map with 2 MiB pages at 0x1000-0x3FFF,
 * user-accessible (U/S) so the CPL 3 part of the guest can run in the same address space.
 */
    .intel_syntax noprefix

    .section .entry16, "ax"
    .code16
    .globl bm_entry16
bm_entry16:
    cli
    xor     ax, ax
    mov     ds, ax
    mov     es, ax
    in      al, 0x92                    /* A20 through the fast gate */
    or      al, 2
    and     al, 0xFE
    out     0x92, al
    mov     edi, 0x1000                 /* zero PML4, PDPT, PD */
    mov     ecx, 3 * 4096 / 4
    xor     eax, eax
    cld
    rep     stosd
    mov     dword ptr [0x1000], 0x2007  /* PML4[0] -> PDPT, P|RW|US */
    mov     dword ptr [0x2000], 0x3007  /* PDPT[0] -> PD */
    mov     edi, 0x3000
    mov     eax, 0x87                   /* P|RW|US|PS (2 MiB) */
    mov     ecx, 512
1:  mov     [di], eax
    add     eax, 0x200000
    add     di, 8
    loop    1b
    lgdt    [bm_gdt_ptr]
    mov     eax, 0x20                   /* CR4.PAE */
    mov     cr4, eax
    mov     eax, 0x1000
    mov     cr3, eax
    mov     ecx, 0xC0000080             /* EFER.LME */
    rdmsr
    or      eax, 0x100
    wrmsr
    mov     eax, 0x80000023             /* CR0.PG | NE | MP | PE (NE: a VMX fixed bit) */
    mov     cr0, eax
    .byte   0x66, 0xEA                  /* ljmp 0x08:bm_entry64 (32-bit offset) */
    .long   bm_entry64
    .word   0x08

    .text
    .code64
bm_entry64:
    mov     ax, 0x10
    mov     ds, ax
    mov     es, ax
    mov     ss, ax
    xor     eax, eax
    mov     fs, ax
    mov     gs, ax
    lea     rsp, [rip + bm_stack_top]
    lea     rdi, [rip + __bss_start]    /* .bss is not in the image */
    lea     rcx, [rip + __bss_end]
    sub     rcx, rdi
    xor     eax, eax
    rep     stosb
    call    bm_main
2:  cli
    hlt
    jmp     2b

/* ---- GDT: null, kernel code 0x08, kernel data 0x10, user data 0x1B, user code 0x23,
 *      TSS 0x28 (16 bytes, filled by bm_cpu_init). In .entry16: real mode's LGDT needs a
 *      16-bit address (memory is writable whatever the section flags say). ----------------- */
    .section .entry16, "ax"
    .balign 16
    .globl bm_gdt
bm_gdt:
    .quad   0
    .quad   0x00AF9A000000FFFF
    .quad   0x00CF92000000FFFF
    .quad   0x00CFF2000000FFFF
    .quad   0x00AFFA000000FFFF
    .quad   0, 0
bm_gdt_end:
    .globl bm_gdt_ptr
bm_gdt_ptr:
    .word   bm_gdt_end - bm_gdt - 1
    .quad   bm_gdt

/* ---- IDT stubs: push the vector, hand the frame to C ------------------------------------ */
    .text
    .altmacro
    .macro BM_VEC n
bm_vec_\n:
    push    \n
    jmp     bm_vec_common
    .endm
    .macro BM_VEC_ADDR n
    .quad   bm_vec_\n
    .endm

    .set i, 0
    .rept 32
    BM_VEC %i
    .set i, i + 1
    .endr

/* Saves the scratch GPRs (an exception the guest expects returns to it), calls
 * bm_exception(vector, frame), which returns how many bytes to drop above the scratch
 * registers (8 for the vector, 16 with an error code) or does not return at all. */
bm_vec_common:
    push    rax
    push    rcx
    push    rdx
    push    rsi
    push    rdi
    push    r8
    push    r9
    push    r10
    push    r11
    push    rbx
    mov     rbx, rsp
    mov     rdi, [rbx + 80]             /* vector */
    lea     rsi, [rbx + 88]             /* error code or RIP, ... */
    and     rsp, -16
    cld
    call    bm_exception
    mov     rsp, rbx
    mov     [rbx + 80], rax             /* the vector slot now holds the bytes to drop */
    pop     rbx
    pop     r11
    pop     r10
    pop     r9
    pop     r8
    pop     rdi
    pop     rsi
    pop     rdx
    pop     rcx
    pop     rax
    add     rsp, [rsp]
    iretq

    .section .rodata
    .balign 8
    .globl bm_vec_table
bm_vec_table:
    .set i, 0
    .rept 32
    BM_VEC_ADDR %i
    .set i, i + 1
    .endr

/* ---- CPL 3: void bm_user_run(void (*fn)(void), uint64_t user_stack_top) ------------------
 * IRETQ to fn at CPL 3 (IOPL 3, so it may write port 0xE9; IF stays off). fn ends with
 * `int 0x80` (bm_user_exit), whose gate (DPL 3) lands on the TSS RSP0 stack at
 * bm_user_return, which restores the saved kernel stack and returns to our caller. */
    .text
    .globl bm_user_run
bm_user_run:
    push    rbp
    push    rbx
    push    r12
    push    r13
    push    r14
    push    r15
    mov     [rip + bm_user_saved_rsp], rsp
    push    0x1B                        /* SS: user data, RPL 3 */
    push    rsi                         /* RSP */
    push    0x3002                      /* RFLAGS: IOPL 3, IF off */
    push    0x23                        /* CS: user code, RPL 3 */
    push    rdi                         /* RIP */
    iretq

    .globl bm_user_exit
bm_user_exit:
    int     0x80
    ud2

    .globl bm_user_return
bm_user_return:
    mov     rsp, [rip + bm_user_saved_rsp]
    pop     r15
    pop     r14
    pop     r13
    pop     r12
    pop     rbx
    pop     rbp
    ret

/* ---- void bm_vmcall(struct hd_guest_regs *r): VMCALL with every GPR but rsp from *r, and
 * every GPR but rsp written back, so the guest sees exactly what hooks left. */
    .globl bm_vmcall
bm_vmcall:
    push    rbp
    push    rbx
    push    r12
    push    r13
    push    r14
    push    r15
    push    rdi
    mov     rax, [rdi + 0x00]
    mov     rcx, [rdi + 0x08]
    mov     rdx, [rdi + 0x10]
    mov     rbx, [rdi + 0x18]
    mov     rbp, [rdi + 0x28]
    mov     rsi, [rdi + 0x30]
    mov     r8,  [rdi + 0x40]
    mov     r9,  [rdi + 0x48]
    mov     r10, [rdi + 0x50]
    mov     r11, [rdi + 0x58]
    mov     r12, [rdi + 0x60]
    mov     r13, [rdi + 0x68]
    mov     r14, [rdi + 0x70]
    mov     r15, [rdi + 0x78]
    mov     rdi, [rdi + 0x38]
    vmcall
    push    rdi
    mov     rdi, [rsp + 8]
    mov     [rdi + 0x00], rax
    mov     [rdi + 0x08], rcx
    mov     [rdi + 0x10], rdx
    mov     [rdi + 0x18], rbx
    mov     [rdi + 0x28], rbp
    mov     [rdi + 0x30], rsi
    mov     [rdi + 0x40], r8
    mov     [rdi + 0x48], r9
    mov     [rdi + 0x50], r10
    mov     [rdi + 0x58], r11
    mov     [rdi + 0x60], r12
    mov     [rdi + 0x68], r13
    mov     [rdi + 0x70], r14
    mov     [rdi + 0x78], r15
    pop     rax
    mov     [rdi + 0x38], rax
    pop     rdi
    pop     r15
    pop     r14
    pop     r13
    pop     r12
    pop     rbx
    pop     rbp
    ret

    .bss
    .balign 16
bm_user_saved_rsp:
    .quad   0
    .balign 16
    .space  32768
    .globl bm_stack_top
bm_stack_top:
