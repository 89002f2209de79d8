/* SPDX-License-Identifier: MIT */
/*
 * The shared VMX layer's Windows glue (include/hdevent/vmx.h): contiguous memory, physical
 * addresses, the pid in VMX root, a bugcheck for exits the layer cannot resume from, and the
 * start and stop of every core through generic-call DPCs. Not part of the VMX-off build
 * (HDEVENT_NO_VMX), which is the one Wine can load.
 */
#include "nt_compat.h"

#include <hdevent/vmx.h>

/* HYPERVISOR_ERROR: the documented bugcheck code for a hypervisor's fatal error. */
#define HD_NT_BUGCHECK_HYPERVISOR_ERROR 0x20001u

static struct hd_vmx_cpu **hd_nt_cpus;
static uint32_t hd_nt_cpu_count;
/* Per core: 2 after a successful hd_vmx_cpu_enter (the core is then a guest), 0 when the
 * core is out of VMX operation (never entered, or left). */
static volatile LONG *hd_nt_cpu_state;
static volatile LONG hd_nt_start_failures;
/* HOST_CR3 of every core: the System process's page tables, read in hd_nt_vmx_start (called
 * only from DriverEntry, which runs in the System process). The DPCs run in whatever process
 * the core was in, whose CR3 would be freed when that process exits; System never exits. */
static uint64_t hd_nt_host_cr3;

static void *glue_page_alloc(void *user, size_t pages)
{
    PHYSICAL_ADDRESS low, high, boundary;
    void *p;

    (void)user;
    low.QuadPart = 0;
    high.QuadPart = -1;
    boundary.QuadPart = 0;
    p = MmAllocateContiguousMemorySpecifyCache(pages * PAGE_SIZE, low, high, boundary, MmCached);
    if (p)
        RtlZeroMemory(p, pages * PAGE_SIZE);
    return p;
}

static void glue_page_free(void *user, void *va, size_t pages)
{
    (void)user;
    (void)pages;
    MmFreeContiguousMemory(va);
}

static uint64_t glue_virt_to_phys(void *user, const void *va)
{
    (void)user;
    return (uint64_t)MmGetPhysicalAddress((PVOID)(uintptr_t)va).QuadPart;
}

/* VMX root: the host GS base is the core's KPCR (taken at start), whose current thread is
 * the guest's whatever its CPL, so PsGetCurrentProcessId reads the right process. */
static uint32_t glue_current_pid(void *user, struct hd_vmx_cpu *cpu)
{
    (void)user;
    (void)cpu;
    return (uint32_t)(ULONG_PTR)PsGetCurrentProcessId();
}

/* Called only by hd_vmx_cpu_log_flush() at PASSIVE_LEVEL (after the start and stop DPCs):
 * the layer buffers what it logs in VMX root and in the DPCs, where DbgPrintEx could wait on
 * a lock the interrupted guest code holds. */
static void glue_log(void *user, const char *line)
{
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "hdevent: core %lu: %s\n",
               (unsigned long)(ULONG_PTR)user, line);
}

/* PCID bits 0: the layer enables no VPID, so VM exits and entries flush every PCID's
 * mappings (SDM 28.3.3.1) and no stale host translation survives. */
static uint64_t glue_host_cr3(void *user)
{
    (void)user;
    return hd_nt_host_cr3;
}

static void hd_nt_vmx_log_flush(void)
{
    for (uint32_t i = 0; hd_nt_cpus && i < hd_nt_cpu_count; i++)
        hd_vmx_cpu_log_flush(hd_nt_cpus[i]);
}

static void glue_fatal(void *user, struct hd_vmx_cpu *cpu, const struct hd_vmx_exit *exit)
{
    (void)user;
    KeBugCheckEx(HD_NT_BUGCHECK_HYPERVISOR_ERROR, exit->reason, exit->qualification,
                 exit->guest_rip, hd_vmx_cpu_core(cpu));
}

static VOID NTAPI hd_nt_vmx_start_dpc(PKDPC dpc, PVOID context, PVOID sys1, PVOID sys2)
{
    uint32_t core = KeGetCurrentProcessorNumberEx(NULL);
    struct hd_vmx_cpu *cpu = core < hd_nt_cpu_count ? hd_nt_cpus[core] : NULL;

    (void)dpc;
    (void)context;
    if (cpu) {
        hd_nt_irq_disable(); /* the layer's rule: VMXON and VMLAUNCH with interrupts off */
        if (hd_vmx_cpu_enter(cpu) == HD_OK)
            hd_nt_cpu_state[core] = 2; /* from here on this core runs as the guest */
        hd_nt_irq_enable();
    }
    if (!cpu || hd_nt_cpu_state[core] != 2)
        InterlockedIncrement(&hd_nt_start_failures);
    KeSignalCallDpcSynchronize(sys2);
    KeSignalCallDpcDone(sys1);
}

static VOID NTAPI hd_nt_vmx_stop_dpc(PKDPC dpc, PVOID context, PVOID sys1, PVOID sys2)
{
    uint32_t core = KeGetCurrentProcessorNumberEx(NULL);

    (void)dpc;
    (void)context;
    if (core < hd_nt_cpu_count && hd_nt_cpu_state[core] == 2 && hd_vmx_cpu_stop() == HD_OK)
        hd_nt_cpu_state[core] = 0;
    KeSignalCallDpcSynchronize(sys2);
    KeSignalCallDpcDone(sys1);
}

void hd_nt_vmx_stop(void)
{
    if (!hd_nt_cpus)
        return;
    KeGenericCallDpc(hd_nt_vmx_stop_dpc, NULL);
    hd_nt_vmx_log_flush();
    for (uint32_t i = 0; i < hd_nt_cpu_count; i++)
        if (hd_nt_cpu_state[i] == 0) /* a core still in VMX keeps its regions: leak, not crash */
            hd_vmx_cpu_destroy(hd_nt_cpus[i]);
    hd_nt_pool_free(hd_nt_cpus);
    hd_nt_pool_free((void *)hd_nt_cpu_state);
    hd_nt_cpus = NULL;
    hd_nt_cpu_state = NULL;
}

NTSTATUS hd_nt_vmx_start(struct hd_engine *engine)
{
    struct hd_vmx_glue glue;
    enum hd_status st;

    st = hd_vmx_supported();
    if (st != HD_OK) {
        DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "hdevent: vmx: %s\n",
                   hd_status_str(st));
        return STATUS_NOT_SUPPORTED;
    }
    hd_vmx_glue_init(&glue);
    glue.page_alloc = glue_page_alloc;
    glue.page_free = glue_page_free;
    glue.virt_to_phys = glue_virt_to_phys;
    glue.current_pid = glue_current_pid;
    glue.log = glue_log;
    glue.fatal = glue_fatal;
    /* vmcall_default stays NULL: the layer's default, shared with the self-test and the Linux
     * module (own hypercalls succeed, others get -KVM_ENOSYS: nothing underneath). */
    glue.host_cr3 = glue_host_cr3;
    /* Kernel-mode CR3 (with KVA shadowing: the kernel directory base); drop PCID and the
     * no-flush bit 63, keep the page-table address. */
    hd_nt_host_cr3 = hd_nt_read_cr3() & 0x000FFFFFFFFFF000ull;

    hd_nt_cpu_count = hd_engine_core_count(engine);
    hd_nt_cpus = hd_nt_pool_alloc(hd_nt_cpu_count * sizeof(*hd_nt_cpus));
    hd_nt_cpu_state = hd_nt_pool_alloc(hd_nt_cpu_count * sizeof(*hd_nt_cpu_state));
    if (!hd_nt_cpus || !hd_nt_cpu_state)
        goto no_memory;
    RtlZeroMemory(hd_nt_cpus, hd_nt_cpu_count * sizeof(*hd_nt_cpus));
    RtlZeroMemory((void *)hd_nt_cpu_state, hd_nt_cpu_count * sizeof(*hd_nt_cpu_state));
    for (uint32_t i = 0; i < hd_nt_cpu_count; i++) {
        glue.user = (void *)(ULONG_PTR)i; /* glue_log's "core n:" (the layer copies glue) */
        if (hd_vmx_cpu_create(&glue, engine, i, &hd_nt_cpus[i]) != HD_OK)
            goto no_memory;
    }

    hd_nt_start_failures = 0;
    KeGenericCallDpc(hd_nt_vmx_start_dpc, NULL);
    hd_nt_vmx_log_flush();
    if (hd_nt_start_failures) {
        DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL,
                   "hdevent: vmx: %ld core(s) could not enter VMX operation\n",
                   (long)hd_nt_start_failures);
        hd_nt_vmx_stop();
        return STATUS_NOT_SUPPORTED;
    }
    return STATUS_SUCCESS;

no_memory:
    if (hd_nt_cpus)
        for (uint32_t i = 0; i < hd_nt_cpu_count; i++)
            hd_vmx_cpu_destroy(hd_nt_cpus[i]);
    if (hd_nt_cpus)
        hd_nt_pool_free(hd_nt_cpus);
    if (hd_nt_cpu_state)
        hd_nt_pool_free((void *)hd_nt_cpu_state);
    hd_nt_cpus = NULL;
    hd_nt_cpu_state = NULL;
    return STATUS_INSUFFICIENT_RESOURCES;
}
