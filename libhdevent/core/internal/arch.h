/* SPDX-License-Identifier: MIT */
/*
 * The architecture layer: calling raw condition / custom-code bytes.
 */
#ifndef HDEVENT_INTERNAL_ARCH_H
#define HDEVENT_INTERNAL_ARCH_H

#include <hdevent/types.h>

/*
 * Call @code with HyperDbg's convention, whatever ABI we were compiled for:
 * rcx = a1, rdx = a2, r8 = a3; returns rax. Implemented in arch/x86_64/call_raw.S: it saves
 * every callee-saved GPR of both the System V and the Windows x64 ABI, gives the code 32
 * bytes of shadow space on a 16-byte aligned stack, keeps nothing in a register across the
 * call (the code may clobber any GPR) and clears DF afterwards. The code must return with
 * RET on a balanced stack: with every register fair game there is nowhere safe to keep rsp.
 */
uint64_t hd__arch_call_raw(const void *code, uint64_t a1, uint64_t a2, uint64_t a3);

/*
 * Call a leaf (code_leaf.c: hd__code_is_leaf said yes) directly, as a Windows x64 function:
 * rcx = a1, rdx = a2, r8 = a3. The code writes rax, rcx, rdx, r8-r11 and flags at most, uses
 * no stack but its return address (so the alignment a kernel build leaves, 8 bytes, does not
 * matter) and never sets DF.
 *
 * Where the System V ABI is ours, the call is inline assembly that names exactly those
 * registers as clobbered: GCC would otherwise treat it as a call in our own convention and
 * keep nothing in rsi and rdi, which both conventions' leaf code leaves alone — the walks'
 * frames then saved two registers more and reserved the 32 bytes of shadow space a leaf never
 * reads (issue 16: 7 instructions of P1_cond_false's 94.5). The compiler cannot see that call,
 * so it must not keep anything below rsp: only code built without a red zone takes this way,
 * which the build says by defining HDEVENT_NO_RED_ZONE beside -mno-red-zone (the library's
 * builds do, Kbuild included: docs/c-api.md); the code model alone proves nothing. The
 * stack pointer is an operand, so a function with a frame pointer sets it up before the call
 * (objtool checks that in kernels built with frame pointers). Linux kernels built with
 * retpolines get the call through the kernel's thunk, as the compiler would have emitted it.
 * Elsewhere (Windows x64, where the convention is ours anyway; a build with a red zone) the
 * compiler makes the call.
 */
typedef uint64_t(__attribute__((__ms_abi__)) * hd__leaf_fn)(uint64_t a1, uint64_t a2,
                                                              uint64_t a3);

#if defined(__x86_64__) && !defined(_WIN64) && defined(HDEVENT_NO_RED_ZONE)
#define HD_LEAF_CALL_INLINE 1
#if defined(__KERNEL__) && (defined(CONFIG_RETPOLINE) || defined(CONFIG_MITIGATION_RETPOLINE))
#define HD__LEAF_CALL "call __x86_indirect_thunk_%V[code]"
#else
#define HD__LEAF_CALL "call *%[code]"
#endif
#endif

static inline uint64_t hd__arch_call_leaf(const void *code, uint64_t a1, uint64_t a2,
                                          uint64_t a3)
{
#if defined(HD_LEAF_CALL_INLINE)
    register uint64_t r8 __asm__("r8") = a3;
    register uintptr_t rsp __asm__("rsp"); /* Linux's ASM_CALL_CONSTRAINT: a frame first */
    uint64_t rax;

    __asm__ __volatile__(HD__LEAF_CALL
                         : "=a"(rax), "+c"(a1), "+d"(a2), "+r"(r8), "+r"(rsp)
                         : [code] "r"(code)
                         : "r9", "r10", "r11", "memory", "cc");
    return rax;
#else
    return ((hd__leaf_fn)(uintptr_t)code)(a1, a2, a3);
#endif
}

/*
 * Is @code (@size bytes, RET included) a leaf that hd__arch_call_leaf() may call? Writer
 * context (registration). Conservative: false for anything it is not sure of.
 */
bool hd__code_is_leaf(const uint8_t *code, uint32_t size);

#endif /* HDEVENT_INTERNAL_ARCH_H */
