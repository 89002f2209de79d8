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
 * rcx = a1, rdx = a2, r8 = a3, 32 bytes of shadow space. The compiler keeps its own values
 * in registers that convention preserves, which the code provably does not write, and
 * saves nothing else. The code uses no stack but its return address, so the alignment a
 * kernel build leaves (8 bytes) does not matter, and it never sets DF.
 */
typedef uint64_t(__attribute__((__ms_abi__)) * hd__leaf_fn)(uint64_t a1, uint64_t a2,
                                                              uint64_t a3);

static inline uint64_t hd__arch_call_leaf(const void *code, uint64_t a1, uint64_t a2,
                                          uint64_t a3)
{
    return ((hd__leaf_fn)(uintptr_t)code)(a1, a2, a3);
}

/*
 * Is @code (@size bytes, RET included) a leaf that hd__arch_call_leaf() may call? Writer
 * context (registration). Conservative: false for anything it is not sure of.
 */
bool hd__code_is_leaf(const uint8_t *code, uint32_t size);

#endif /* HDEVENT_INTERNAL_ARCH_H */
