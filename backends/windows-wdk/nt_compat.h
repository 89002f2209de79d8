/* SPDX-License-Identifier: MIT */
/*
 * nt_compat.h — the one header of the Windows driver that knows which toolchain builds it.
 *
 * The WDK (MSVC or clang-cl) and mingw-w64's DDK headers differ in what they declare:
 * mingw-w64 lacks KeGenericCallDpc and its two signal calls (they are in libntoskrnl.a),
 * ExAllocatePool2 (neither header nor import library), the DbgPrintEx component ids and
 * POOL_FLAG_*. Everything the driver needs beyond <ntddk.h> is declared here, once.
 */
#ifndef HDEVENT_WIN_NT_COMPAT_H
#define HDEVENT_WIN_NT_COMPAT_H

#include <ntddk.h> /* mingw-w64: include/ddk/ is on the include path (mingw.mk) */

#include <hdevent/engine.h>
#include <hdevent/wire.h>
#include <hdevent/wire_device.h>

#if defined(__MINGW32__)
/* Undocumented but exported since Windows Vista; the WDK does not declare them either. */
NTKERNELAPI VOID NTAPI KeGenericCallDpc(PKDEFERRED_ROUTINE Routine, PVOID Context);
NTKERNELAPI VOID NTAPI KeSignalCallDpcDone(PVOID SystemArgument1);
NTKERNELAPI LOGICAL NTAPI KeSignalCallDpcSynchronize(PVOID SystemArgument2);
#else
NTKERNELAPI VOID KeGenericCallDpc(PKDEFERRED_ROUTINE Routine, PVOID Context);
NTKERNELAPI VOID KeSignalCallDpcDone(PVOID SystemArgument1);
NTKERNELAPI LOGICAL KeSignalCallDpcSynchronize(PVOID SystemArgument2);
#endif

/* Interrupts off/on: mingw-w64 declares _disable/_enable but does not provide them. */
#if defined(__GNUC__)
#define hd_nt_irq_disable() __asm__ __volatile__("cli" ::: "memory")
#define hd_nt_irq_enable() __asm__ __volatile__("sti" ::: "memory")
#else
#define hd_nt_irq_disable() _disable()
#define hd_nt_irq_enable() _enable()
#endif

/* CR3 of the calling context (mingw-w64's __readcr3 is not in every version). */
#if defined(__GNUC__)
static __inline unsigned __int64 hd_nt_read_cr3(void)
{
    unsigned __int64 v;
    __asm__ __volatile__("mov %%cr3, %0" : "=r"(v));
    return v;
}
#else
#define hd_nt_read_cr3() __readcr3()
#endif

#ifndef DPFLTR_IHVDRIVER_ID
#define DPFLTR_IHVDRIVER_ID 77
#endif
#ifndef DPFLTR_ERROR_LEVEL
#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#endif

/* ExAllocatePool2's flags (Windows 10 2004+), for the pointer resolved at run time. */
#define HD_NT_POOL_FLAG_NON_PAGED 0x0000000000000040ull
/* NonPagedPoolNx is 512 in every header; mingw-w64's enum has it, older WDKs may not. */
#define HD_NT_POOL_NX ((POOL_TYPE)512)
/* mingw-w64 defines NonPagedPoolExecute as NonPagedPool (0): the executable pool. */
#define HD_NT_POOL_EXECUTE ((POOL_TYPE)0)
/* MmMapLockedPagesSpecifyCache priority flag (Windows 8+): map no-execute. */
#define HD_NT_MDL_NO_EXECUTE 0x40000000u

/** Pool tag 'hdev' as it reads in a pool dump. */
#define HD_NT_POOL_TAG 0x76656468u /* bytes 'h' 'd' 'e' 'v' */

/* ---- ops.c: the backend ops and the self-test's run-here service ------------------------ */

/** Resolve optional kernel routines (ExAllocatePool2). Call once from DriverEntry. */
void hd_nt_init(void);

/** IRP_MJ_CREATE: does the requester hold an administrator's token? */
bool hd_nt_caller_is_admin(PIO_STACK_LOCATION sl);

/** IRP_MJ_DEVICE_CONTROL, in the requester's thread: the same question. */
bool hd_nt_requester_is_admin(void);

/** Non-paged, non-executable pool (NULL on failure); @p size > 0. */
void *hd_nt_pool_alloc(SIZE_T size);

/** Free memory from either pool function. */
void hd_nt_pool_free(void *p);

/** Fill @p ops with the Windows services (struct hd_backend_ops). */
void hd_nt_ops_fill(struct hd_backend_ops *ops);

/** Fill @p caller for the current IOCTL: the caller's pid and the run-here service. */
void hd_nt_caller_fill(struct hd_wire_caller *caller);

/** Processors the engine serves: every active processor in every group. */
uint32_t hd_nt_core_count(void);

/* ---- vmx_glue.c (VMX builds only): virtualize every core, and back ---------------------- */

#ifndef HDEVENT_NO_VMX
/** Put every core under the shared VMX layer. @return STATUS_SUCCESS or why not. */
NTSTATUS hd_nt_vmx_start(struct hd_engine *engine);
/** Leave VMX on every core that entered it, free the layer's memory. */
void hd_nt_vmx_stop(void);
#endif

#endif /* HDEVENT_WIN_NT_COMPAT_H */
