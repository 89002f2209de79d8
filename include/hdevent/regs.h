/* SPDX-License-Identifier: MIT */
/*
 * hdevent/regs.h — the guest's general-purpose registers, in HyperDbg's GUEST_REGS order.
 *
 * Raw conditions and custom code written for HyperDbg address registers by offset from the
 * pointer they receive (`mov rbx, [rcx+0x10]` reads rdx), so this layout is ABI: 16 u64s,
 * 128 bytes, no padding. The exit stub of a VMX backend saves the guest's GPRs in exactly
 * this order; rsp is a slot here but the guest's real rsp lives in the VMCS.
 */
#ifndef HDEVENT_REGS_H
#define HDEVENT_REGS_H

#include "types.h"

HD_EXTERN_C_BEGIN

/** Guest GPRs as HyperDbg's GUEST_REGS. Hooks may change them (except on protected calls). */
struct hd_guest_regs {
    uint64_t rax; /* 0x00 */
    uint64_t rcx; /* 0x08 */
    uint64_t rdx; /* 0x10 */
    uint64_t rbx; /* 0x18 */
    uint64_t rsp; /* 0x20 */
    uint64_t rbp; /* 0x28 */
    uint64_t rsi; /* 0x30 */
    uint64_t rdi; /* 0x38 */
    uint64_t r8;  /* 0x40 */
    uint64_t r9;  /* 0x48 */
    uint64_t r10; /* 0x50 */
    uint64_t r11; /* 0x58 */
    uint64_t r12; /* 0x60 */
    uint64_t r13; /* 0x68 */
    uint64_t r14; /* 0x70 */
    uint64_t r15; /* 0x78 */
};

HD__STATIC_ASSERT(sizeof(struct hd_guest_regs) == 128, "GUEST_REGS is 128 bytes");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, rax) == 0x00, "GUEST_REGS.rax");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, rcx) == 0x08, "GUEST_REGS.rcx");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, rdx) == 0x10, "GUEST_REGS.rdx");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, rbx) == 0x18, "GUEST_REGS.rbx");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, rsp) == 0x20, "GUEST_REGS.rsp");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, rbp) == 0x28, "GUEST_REGS.rbp");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, rsi) == 0x30, "GUEST_REGS.rsi");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, rdi) == 0x38, "GUEST_REGS.rdi");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, r8) == 0x40, "GUEST_REGS.r8");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, r9) == 0x48, "GUEST_REGS.r9");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, r10) == 0x50, "GUEST_REGS.r10");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, r11) == 0x58, "GUEST_REGS.r11");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, r12) == 0x60, "GUEST_REGS.r12");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, r13) == 0x68, "GUEST_REGS.r13");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, r14) == 0x70, "GUEST_REGS.r14");
HD__STATIC_ASSERT(offsetof(struct hd_guest_regs, r15) == 0x78, "GUEST_REGS.r15");

/** Number of registers in struct hd_guest_regs. */
#define HD_GUEST_REG_COUNT 16

/**
 * Pointer to register @p index (0 = rax … 15 = r15, GUEST_REGS order), or NULL past the end,
 * so tools can walk the registers with hd_guest_reg_name() and no offsets of their own.
 */
static inline uint64_t *hd_guest_reg(struct hd_guest_regs *regs, unsigned index)
{
    return index < HD_GUEST_REG_COUNT ? &((uint64_t *)(void *)regs)[index] : (uint64_t *)0;
}

/**
 * Name of register @p index in GUEST_REGS order ("rax" … "r15"); NULL past the end.
 */
HD_API const char *hd_guest_reg_name(unsigned index);

/**
 * Index of the register called @p name in GUEST_REGS order (0 = rax … 15 = r15): the inverse
 * of hd_guest_reg_name(). @p name is @p len bytes and needs no NUL, so a word inside a longer
 * line can be passed as pointer and length (a C string: strlen(name)). The match is exact and
 * case-sensitive, "rax" … "r15" as hd_guest_reg_name() spells them ("RAX" and "eax" are not
 * registers here).
 *
 * @return the index, or -1 when the bytes name no register (also for NULL or @p len 0).
 */
HD_API int hd_guest_reg_index(const char *name, size_t len);

HD_EXTERN_C_END

#endif /* HDEVENT_REGS_H */
