/* SPDX-License-Identifier: MIT */
/*
 * vmx_arch.h — private to backends/vmx: VMCS field encodings, MSR numbers and the few
 * privileged instructions the layer needs, as inline assembly (GCC/Clang syntax, which both
 * Kbuild and mingw-w64 accept; MSVC's __vmx_* intrinsics are not used so the same file serves
 * every backend). Field names follow the SDM, Vol. 3D, Appendix B.
 */
#ifndef HD_VMX_ARCH_H
#define HD_VMX_ARCH_H

#include <hdevent/types.h>

/* ---- MSRs (SDM Vol. 4) ------------------------------------------------------------------ */
#define MSR_IA32_FEATURE_CONTROL 0x3Au
#define MSR_IA32_DEBUGCTL 0x1D9u
#define MSR_IA32_SYSENTER_CS 0x174u
#define MSR_IA32_SYSENTER_ESP 0x175u
#define MSR_IA32_SYSENTER_EIP 0x176u
#define MSR_IA32_VMX_BASIC 0x480u
#define MSR_IA32_VMX_PINBASED_CTLS 0x481u
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482u
#define MSR_IA32_VMX_EXIT_CTLS 0x483u
#define MSR_IA32_VMX_ENTRY_CTLS 0x484u
#define MSR_IA32_VMX_CR0_FIXED0 0x486u
#define MSR_IA32_VMX_CR0_FIXED1 0x487u
#define MSR_IA32_VMX_CR4_FIXED0 0x488u
#define MSR_IA32_VMX_CR4_FIXED1 0x489u
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48Bu
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48Du
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48Eu
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48Fu
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490u
#define MSR_IA32_EFER 0xC0000080u
#define MSR_IA32_FS_BASE 0xC0000100u
#define MSR_IA32_GS_BASE 0xC0000101u

#define FEATURE_CONTROL_LOCKED 0x1ull
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX 0x4ull
#define VMX_BASIC_TRUE_CTLS (1ull << 55)
#define CR4_VMXE (1ull << 13)
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_RF (1ull << 16)

/* ---- controls (SDM 24.6, 24.7, 24.8) ---------------------------------------------------- */
#define PROC_USE_MSR_BITMAPS (1u << 28)
#define PROC_ACTIVATE_SECONDARY (1u << 31)
#define PROC2_ENABLE_RDTSCP (1u << 3)
#define PROC2_ENABLE_INVPCID (1u << 12)
#define PROC2_ENABLE_XSAVES (1u << 20)
#define EXIT_SAVE_DEBUG_CONTROLS (1u << 2)
#define EXIT_HOST_ADDR_SPACE_SIZE (1u << 9)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define ENTRY_LOAD_DEBUG_CONTROLS (1u << 2)
#define ENTRY_IA32E_MODE_GUEST (1u << 9)
#define ENTRY_LOAD_EFER (1u << 15)

/* ---- VMCS fields (SDM Vol. 3D, Appendix B) ---------------------------------------------- */
enum vmcs_field {
    GUEST_ES_SELECTOR = 0x0800, GUEST_CS_SELECTOR = 0x0802, GUEST_SS_SELECTOR = 0x0804,
    GUEST_DS_SELECTOR = 0x0806, GUEST_FS_SELECTOR = 0x0808, GUEST_GS_SELECTOR = 0x080A,
    GUEST_LDTR_SELECTOR = 0x080C, GUEST_TR_SELECTOR = 0x080E,
    HOST_ES_SELECTOR = 0x0C00, HOST_CS_SELECTOR = 0x0C02, HOST_SS_SELECTOR = 0x0C04,
    HOST_DS_SELECTOR = 0x0C06, HOST_FS_SELECTOR = 0x0C08, HOST_GS_SELECTOR = 0x0C0A,
    HOST_TR_SELECTOR = 0x0C0C,
    MSR_BITMAP = 0x2004, VMCS_LINK_POINTER = 0x2800, GUEST_IA32_DEBUGCTL = 0x2802,
    XSS_EXIT_BITMAP = 0x202C, GUEST_IA32_EFER = 0x2806, HOST_IA32_EFER = 0x2C02,
    PIN_BASED_VM_EXEC_CONTROL = 0x4000, CPU_BASED_VM_EXEC_CONTROL = 0x4002,
    EXCEPTION_BITMAP = 0x4004, CR3_TARGET_COUNT = 0x400A, VM_EXIT_CONTROLS = 0x400C,
    VM_EXIT_MSR_STORE_COUNT = 0x400E, VM_EXIT_MSR_LOAD_COUNT = 0x4010,
    VM_ENTRY_CONTROLS = 0x4012, VM_ENTRY_MSR_LOAD_COUNT = 0x4014,
    VM_ENTRY_INTR_INFO = 0x4016, VM_ENTRY_EXCEPTION_ERROR_CODE = 0x4018,
    VM_ENTRY_INSTRUCTION_LEN = 0x401A, SECONDARY_VM_EXEC_CONTROL = 0x401E,
    VM_INSTRUCTION_ERROR = 0x4400, VM_EXIT_REASON = 0x4402, VM_EXIT_INTR_INFO = 0x4404,
    VM_EXIT_INSTRUCTION_LEN = 0x440C,
    GUEST_ES_LIMIT = 0x4800, GUEST_CS_LIMIT = 0x4802, GUEST_SS_LIMIT = 0x4804,
    GUEST_DS_LIMIT = 0x4806, GUEST_FS_LIMIT = 0x4808, GUEST_GS_LIMIT = 0x480A,
    GUEST_LDTR_LIMIT = 0x480C, GUEST_TR_LIMIT = 0x480E, GUEST_GDTR_LIMIT = 0x4810,
    GUEST_IDTR_LIMIT = 0x4812, GUEST_ES_AR = 0x4814, GUEST_CS_AR = 0x4816, GUEST_SS_AR = 0x4818,
    GUEST_DS_AR = 0x481A, GUEST_FS_AR = 0x481C, GUEST_GS_AR = 0x481E, GUEST_LDTR_AR = 0x4820,
    GUEST_TR_AR = 0x4822, GUEST_INTERRUPTIBILITY = 0x4824, GUEST_ACTIVITY_STATE = 0x4826,
    GUEST_SYSENTER_CS = 0x482A, HOST_SYSENTER_CS = 0x4C00,
    CR0_GUEST_HOST_MASK = 0x6000, CR4_GUEST_HOST_MASK = 0x6002, CR0_READ_SHADOW = 0x6004,
    CR4_READ_SHADOW = 0x6006, EXIT_QUALIFICATION = 0x6400,
    GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804, GUEST_ES_BASE = 0x6806,
    GUEST_CS_BASE = 0x6808, GUEST_SS_BASE = 0x680A, GUEST_DS_BASE = 0x680C,
    GUEST_FS_BASE = 0x680E, GUEST_GS_BASE = 0x6810, GUEST_LDTR_BASE = 0x6812,
    GUEST_TR_BASE = 0x6814, GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818,
    GUEST_DR7 = 0x681A, GUEST_RSP = 0x681C, GUEST_RIP = 0x681E, GUEST_RFLAGS = 0x6820,
    GUEST_PENDING_DBG_EXCEPTIONS = 0x6822, GUEST_SYSENTER_ESP = 0x6824,
    GUEST_SYSENTER_EIP = 0x6826,
    HOST_CR0 = 0x6C00, HOST_CR3 = 0x6C02, HOST_CR4 = 0x6C04, HOST_FS_BASE = 0x6C06,
    HOST_GS_BASE = 0x6C08, HOST_TR_BASE = 0x6C0A, HOST_GDTR_BASE = 0x6C0C,
    HOST_IDTR_BASE = 0x6C0E, HOST_SYSENTER_ESP = 0x6C10, HOST_SYSENTER_EIP = 0x6C12,
    HOST_RSP = 0x6C14, HOST_RIP = 0x6C16,
};

/* Interruptibility state bits (SDM 24.4.2) and the pending-#DB BS bit. */
#define INTR_BLOCKING_STI 0x1u
#define INTR_BLOCKING_MOV_SS 0x2u
#define PENDING_DBG_BS (1ull << 14)

/* VM-entry interruption information (SDM 24.8.3). */
#define INTR_INFO_VALID (1u << 31)
#define INTR_INFO_DELIVER_CODE (1u << 11)
#define INTR_TYPE_HW_EXCEPTION (3u << 8)
#define VECTOR_UD 6u
#define VECTOR_GP 13u

/* ---- instructions ----------------------------------------------------------------------- */

static inline uint64_t hd_rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void hd_wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void hd_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

#define HD_READ_CR(n)                                                                          \
    static inline uint64_t hd_read_cr##n(void)                                                 \
    {                                                                                          \
        uint64_t v;                                                                            \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                     \
        return v;                                                                              \
    }                                                                                          \
    static inline void hd_write_cr##n(uint64_t v)                                              \
    {                                                                                          \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");                           \
    }
HD_READ_CR(0)
HD_READ_CR(3)
HD_READ_CR(4)
#undef HD_READ_CR

static inline uint64_t hd_read_dr7(void)
{
    uint64_t v;
    __asm__ volatile("mov %%dr7, %0" : "=r"(v));
    return v;
}

static inline void hd_write_dr7(uint64_t v) { __asm__ volatile("mov %0, %%dr7" : : "r"(v)); }

/* CS access rights bit 13: L, a 64-bit code segment (SDM 24.4.1). */
#define SEG_AR_L (1u << 13)

struct hd_dtr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static inline void hd_sgdt(struct hd_dtr *d) { __asm__ volatile("sgdt %0" : "=m"(*d)); }
static inline void hd_sidt(struct hd_dtr *d) { __asm__ volatile("sidt %0" : "=m"(*d)); }
static inline void hd_lgdt(const struct hd_dtr *d) { __asm__ volatile("lgdt %0" : : "m"(*d)); }
static inline void hd_lidt(const struct hd_dtr *d) { __asm__ volatile("lidt %0" : : "m"(*d)); }

#define HD_READ_SEG(name)                                                                      \
    static inline uint16_t hd_read_##name(void)                                                \
    {                                                                                          \
        uint16_t v;                                                                            \
        __asm__ volatile("mov %%" #name ", %0" : "=r"(v));                                    \
        return v;                                                                              \
    }
HD_READ_SEG(cs)
HD_READ_SEG(ss)
HD_READ_SEG(ds)
HD_READ_SEG(es)
HD_READ_SEG(fs)
HD_READ_SEG(gs)
#undef HD_READ_SEG

static inline uint16_t hd_read_tr(void)
{
    uint16_t v;
    __asm__ volatile("str %0" : "=r"(v));
    return v;
}

static inline uint16_t hd_read_ldtr(void)
{
    uint16_t v;
    __asm__ volatile("sldt %0" : "=r"(v));
    return v;
}

/* Segment limit (LSL) and access rights in the VMCS format (LAR bits 8..23, minus the limit
 * bits 16..19); a selector LAR refuses (null, or not loadable) is "unusable" (bit 16). */
static inline uint32_t hd_seg_limit(uint16_t sel)
{
    uint64_t v = 0;
    __asm__ volatile("lsl %1, %0" : "=r"(v) : "r"((uint64_t)sel) : "cc");
    return (uint32_t)v;
}

static inline uint32_t hd_seg_ar(uint16_t sel)
{
    uint64_t v = 0;
    uint8_t ok;
    if ((sel & ~3u) == 0)
        return 0x10000u;
    __asm__ volatile("lar %2, %0\n\tsetz %1" : "=r"(v), "=qm"(ok) : "r"((uint64_t)sel) : "cc");
    return ok ? (uint32_t)((v >> 8) & 0xF0FFu) : 0x10000u;
}

/* VMX instructions. Each returns 0 on success, 1 VMfailInvalid (CF), 2 VMfailValid (ZF). */
static inline int hd_vmx_op_status(uint8_t cf, uint8_t zf) { return cf ? 1 : zf ? 2 : 0; }

static inline int hd_vmxon(uint64_t pa)
{
    uint8_t cf, zf;
    __asm__ volatile("vmxon %2\n\tsetc %0\n\tsetz %1" : "=qm"(cf), "=qm"(zf) : "m"(pa) : "cc", "memory");
    return hd_vmx_op_status(cf, zf);
}

static inline int hd_vmclear(uint64_t pa)
{
    uint8_t cf, zf;
    __asm__ volatile("vmclear %2\n\tsetc %0\n\tsetz %1" : "=qm"(cf), "=qm"(zf) : "m"(pa) : "cc", "memory");
    return hd_vmx_op_status(cf, zf);
}

static inline int hd_vmptrld(uint64_t pa)
{
    uint8_t cf, zf;
    __asm__ volatile("vmptrld %2\n\tsetc %0\n\tsetz %1" : "=qm"(cf), "=qm"(zf) : "m"(pa) : "cc", "memory");
    return hd_vmx_op_status(cf, zf);
}

static inline void hd_vmxoff(void) { __asm__ volatile("vmxoff" : : : "cc", "memory"); }

static inline uint64_t hd_vmread(uint64_t field)
{
    uint64_t v;
    __asm__ volatile("vmread %1, %0" : "=rm"(v) : "r"(field) : "cc");
    return v;
}

static inline int hd_vmwrite(uint64_t field, uint64_t v)
{
    uint8_t cf, zf;
    __asm__ volatile("vmwrite %2, %3\n\tsetc %0\n\tsetz %1"
                     : "=qm"(cf), "=qm"(zf) : "rm"(v), "r"(field) : "cc");
    return hd_vmx_op_status(cf, zf);
}

#endif /* HD_VMX_ARCH_H */
