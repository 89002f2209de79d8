/* SPDX-License-Identifier: MIT */
/*
 * boot.S — the 512-byte boot sector (BIOS loads it at 0x7C00, real mode). It reads the rest
 * of the floppy image, sector by sector with INT 13h (CHS: 18 sectors, 2 heads), to 0x7E00,
 * which puts the kernel's first byte (linked at 0x8000) at 0x8000, and jumps there.
 * One sector per read keeps every transfer inside a 64 KiB DMA page.
 */
    .code16
    .section .boot, "ax"
    .globl bm_boot
bm_boot:
    cli
    xor     %ax, %ax
    mov     %ax, %ds
    mov     %ax, %ss
    mov     $0x7C00, %sp
    mov     %dl, boot_drive
    mov     $1, %si                     /* LBA of the next sector */
1:  cmp     $bm_image_sectors, %si
    ja      3f
    mov     %si, %ax                    /* ES = 0x7E0 + (lba - 1) * 0x20, BX = 0 */
    dec     %ax
    shl     $5, %ax
    add     $0x7E0, %ax
    mov     %ax, %es
    xor     %bx, %bx
    mov     %si, %ax                    /* sector = lba % 18 + 1; t = lba / 18 */
    xor     %dx, %dx
    mov     $18, %cx
    div     %cx
    mov     %dl, %cl
    inc     %cl
    xor     %dx, %dx                    /* head = t % 2; cylinder = t / 2 */
    mov     $2, %di
    div     %di
    mov     %al, %ch
    mov     %dl, %dh
    mov     boot_drive, %dl
    mov     $0x0201, %ax                /* read 1 sector */
    mov     $3, %di                     /* retries (floppy motor spin-up) */
2:  pusha
    int     $0x13
    popa
    jnc     4f
    pusha
    xor     %ax, %ax
    int     $0x13                       /* reset, then retry */
    popa
    dec     %di
    jnz     2b
    mov     $'E', %al
    outb    %al, $0xE9
    hlt
4:  inc     %si
    jmp     1b
3:  ljmp    $0, $bm_entry16
boot_drive:
    .byte   0
    .org    510
    .byte   0x55, 0xAA
