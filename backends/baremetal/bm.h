/* SPDX-License-Identifier: MIT */
/*
 * bm.h — the bare-metal image's own pieces: console on port 0xE9, the static arena, the
 * CPU tables, and what the guest and the host side share (hypercall numbers, counters).
 */
#ifndef HD_BM_H
#define HD_BM_H

#include <hdevent/hdevent.h>

/* Own hypercalls of this image's "hypervisor" (HyperDbg magic in r10/r11/r12, CPL 0). */
#define BM_HC_PING 0x48440001ull   /* rax = BM_PING_REPLY */
#define BM_HC_MODIFY 0x48440002ull /* rdx = tag, r8 = type: the modify IOCTL; rax = status */
#define BM_HC_BREAKS 0x48440003ull /* rax = break actions counted so far */
#define BM_HC_MESSAGES 0x48440004ull /* print every queued message; rax = how many */
/* rdx = 1: open the recording window (record.c), rax = HD_WIRE_SUCCESS; rdx = 0: close it and
 * write the recorder dump on 0xE9, rax = records dumped; ~0 when the recorder refused. */
#define BM_HC_RECORD 0x48440005ull
#define BM_PING_REPLY 0x600Dull
/* What the default handling does with a plain VMCALL: rax = BM_DEFAULT_RAX, r14 = r13
 * (so a post hook can show it ran after the default handling, which ran after pre). */
#define BM_DEFAULT_RAX 0xD0D0ull

/* lib.c */
void bm_putc(char c);
void bm_puts(const char *s);
void bm_hex(uint64_t v);
void bm_dec(uint64_t v);
void bm_hex_bytes(const void *p, size_t n);
void *bm_arena_alloc(size_t size, size_t align);
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void bm_shutdown(void) __attribute__((noreturn));

/* main.c */
extern struct hd_engine *bm_engine;
extern volatile uint32_t bm_current_pid;
extern volatile uint64_t bm_breaks;
extern struct hd_vmx_cpu *bm_cpu;
/* An exception the guest provokes on purpose: armed before, checked after. */
struct bm_trap {
    volatile bool armed;
    volatile uint32_t vector; /* expected vector */
    volatile uint32_t skip;   /* bytes to advance RIP by (a fault re-executes otherwise) */
    volatile uint64_t seen;   /* times it was taken */
    volatile uint64_t rip;    /* RIP in the exception frame */
    volatile uint64_t error;  /* error code, for vectors that push one */
};
extern struct bm_trap bm_trap;
uint64_t bm_exception(uint64_t vector, uint64_t *frame);

/* record.c: the recording window (BM_HC_RECORD). While it is open, plain VMCALLs get the
 * shared hd_vmcall_default(), the handling the host's replay runs, not the image's own. */
extern bool bm_shared_default;
uint64_t bm_record_window(bool open);

/* entry.S */
void bm_vmcall(struct hd_guest_regs *regs);
void bm_user_run(void (*fn)(void), uint64_t user_stack_top);
void bm_user_exit(void) __attribute__((noreturn));
void bm_user_return(void);
extern const uint64_t bm_vec_table[32];
extern uint64_t bm_gdt[7];

/* guest.c: runs as the guest after VMLAUNCH; returns the number of failed cases. */
unsigned bm_guest_main(void);

#endif /* HD_BM_H */
