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

#endif /* HDEVENT_INTERNAL_ARCH_H */
