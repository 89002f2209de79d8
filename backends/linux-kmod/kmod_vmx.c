/*
 * vmx=on: every online CPU virtualized with the shared VMX layer (include/hdevent/vmx.h), which
 * does VMXON, the VMCS, the exit stub, the exit-reason switch and the RIP advance. This file is
 * only the Linux glue: pages, physical addresses, the pid, logging, the fatal path, and
 * starting and stopping the layer on each CPU from an IPI (interrupts off).
 *
 * COMPILE-TESTED ONLY: no machine this was written on has VMX (QEMU's TCG has none, KVM here
 * has no nested VMX); vmx=on has not been run. docs/backends/linux.md says so.
 *
 * Limit: CPU hotplug is not handled. A CPU that comes online after load runs unvirtualized
 * (its vmx_result stays HD_ERR_NOT_SUPPORTED, so rmmod sends it no VMXOFF hypercall, which
 * would #UD outside VMX operation); do not take a CPU offline while vmx=on (its VMX state
 * would be lost without VMXOFF).
 */
#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/panic.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>

#include <asm/desc.h>
#include <asm/pgtable.h>
#include <asm/processor.h>

#include <hdevent/vmx.h>

#include "kmod_internal.h"

static struct hd_vmx_cpu **vmx_cpus; /* [nr_cpu_ids] */
static int *vmx_result;              /* [nr_cpu_ids]: what each CPU's start returned */
/* HOST_CR3 of every CPU: a page this module owns holding the kernel half of the page tables
 * (docs/backends/linux.md, "Host page tables"). insmod's own CR3 would be freed when insmod
 * exits, and every later VM exit would then run on freed page tables. */
static pgd_t *vmx_host_pgd;

/* ---- glue --------------------------------------------------------------------------------- */

static void *vmx_page_alloc(void *user, size_t pages)
{
    (void)user;
    return alloc_pages_exact(pages * PAGE_SIZE, GFP_KERNEL | __GFP_ZERO);
}

static void vmx_page_free(void *user, void *va, size_t pages)
{
    (void)user;
    free_pages_exact(va, pages * PAGE_SIZE);
}

static uint64_t vmx_virt_to_phys(void *user, const void *va)
{
    (void)user;
    return virt_to_phys((void *)va);
}

/* Host GS base is the kernel's per-CPU base at start, so `current` is this CPU's task. */
static uint32_t vmx_current_pid(void *user, struct hd_vmx_cpu *cpu)
{
    (void)user;
    (void)cpu;
    return task_tgid_nr(current);
}

/* Called only from hd_vmx_cpu_log_flush(), in process context: the layer buffers what it logs
 * in VMX root or in the start IPI, where printk could spin on a lock the interrupted context
 * holds, per CPU (backends/vmx), and we flush after each start and stop. */
static void vmx_log(void *user, const char *line)
{
    pr_info("hdevent: CPU %u: %s\n", (unsigned int)(uintptr_t)user, line);
}

static void vmx_log_flush(void)
{
    unsigned int cpu;

    for (cpu = 0; vmx_cpus && cpu < nr_cpu_ids; cpu++)
        hd_vmx_cpu_log_flush(vmx_cpus[cpu]);
}

/*
 * The kernel half (top-level entries KERNEL_PGD_BOUNDARY..511) of the page tables live now,
 * copied into a page of ours: what pgd_ctor() gives every new process. On x86-64 those
 * entries are allocated at boot (vmalloc/module space preallocated, direct map, per-CPU,
 * fixmap) and never replaced, so the copy maps what the kernel maps for as long as it lives.
 * In kernel mode with PTI, CR3 is the kernel PGD; CR3_ADDR_MASK drops the PCID bits.
 */
static int vmx_host_pgd_make(void)
{
    const pgd_t *live = __va(read_cr3_pa());

    vmx_host_pgd = (pgd_t *)get_zeroed_page(GFP_KERNEL);
    if (!vmx_host_pgd)
        return -ENOMEM;
    memcpy(vmx_host_pgd + KERNEL_PGD_BOUNDARY, live + KERNEL_PGD_BOUNDARY,
           KERNEL_PGD_PTRS * sizeof(pgd_t));
    return 0;
}

/* PCID 0: without "enable VPID" every VM exit and entry flushes VPID 0's mappings of every
 * PCID (SDM 28.3.3.1), so no stale host translation can survive. */
static uint64_t vmx_host_cr3(void *user)
{
    (void)user;
    return __pa(vmx_host_pgd);
}

static void vmx_fatal(void *user, struct hd_vmx_cpu *cpu, const struct hd_vmx_exit *exit)
{
    (void)user;
    panic("hdevent: VMX: %s on CPU %u (exit reason 0x%x, qualification 0x%llx, guest rip "
          "0x%llx, VM-instruction error %u)\n",
          exit->what, hd_vmx_cpu_core(cpu), exit->reason,
          (unsigned long long)exit->qualification, (unsigned long long)exit->guest_rip,
          exit->instruction_error);
}

/* ---- start / stop ------------------------------------------------------------------------- */

static void vmx_start_here(void *info)
{
    unsigned int cpu = smp_processor_id();
    enum hd_status st;

    (void)info;
    if (!vmx_cpus[cpu]) {
        vmx_result[cpu] = HD_ERR_INVALID_ARGUMENT;
        return;
    }
    /* The glue leaves vmcall_default NULL: the layer's default is the self-test's (own
     * hypercalls succeed, others get -KVM_ENOSYS). */
    st = hd_vmx_cpu_enter(vmx_cpus[cpu]);
    vmx_result[cpu] = st;
}

static void vmx_stop_here(void *info)
{
    unsigned int cpu = smp_processor_id();

    (void)info;
    if (vmx_result[cpu] == HD_OK && hd_vmx_cpu_stop() == HD_OK) {
        vmx_result[cpu] = HD_ERR_NOT_SUPPORTED; /* no longer virtualized */
        /* VM exits left TR's cached limit at 0x67 (SDM 27.5.2): reload the TSS descriptor
         * so the I/O bitmap works again (asm/desc.h, exported helpers on 6.1). */
        force_reload_TR();
    }
}

static void vmx_free_all(void)
{
    unsigned int cpu;
    bool in_use = false;

    for (cpu = 0; vmx_cpus && cpu < nr_cpu_ids; cpu++) {
        /* A CPU whose VMXOFF hypercall failed still runs on its regions and on
         * vmx_host_pgd: leak them rather than free memory a VM exit would use. */
        if (vmx_result && vmx_result[cpu] == HD_OK) {
            pr_err("hdevent: CPU %u is still in VMX operation: its VMX memory is leaked\n", cpu);
            in_use = true;
            continue;
        }
        hd_vmx_cpu_destroy(vmx_cpus[cpu]);
    }
    kfree(vmx_cpus);
    kfree(vmx_result);
    vmx_cpus = NULL;
    vmx_result = NULL;
    if (vmx_host_pgd && !in_use) /* no HOST_CR3 refers to it any more */
        free_page((unsigned long)vmx_host_pgd);
    vmx_host_pgd = NULL;
}

int hd_kmod_vmx_start(struct hd_engine *engine)
{
    struct hd_vmx_glue glue;
    unsigned int cpu;
    enum hd_status st;
    int failed = 0;

    st = hd_vmx_supported();
    if (st != HD_OK) {
        pr_err("hdevent: vmx=on refused: VMX is not usable (disabled and locked in "
               "IA32_FEATURE_CONTROL by the firmware?)\n");
        return -ENODEV;
    }
    hd_vmx_glue_init(&glue);
    glue.page_alloc = vmx_page_alloc;
    glue.page_free = vmx_page_free;
    glue.virt_to_phys = vmx_virt_to_phys;
    glue.current_pid = vmx_current_pid;
    glue.log = vmx_log;
    glue.fatal = vmx_fatal;
    glue.host_cr3 = vmx_host_cr3;
    vmx_cpus = kcalloc(nr_cpu_ids, sizeof(*vmx_cpus), GFP_KERNEL);
    vmx_result = kmalloc_array(nr_cpu_ids, sizeof(*vmx_result), GFP_KERNEL);
    if (vmx_result)
        /* Every entry, not only the online CPUs': 0 would be HD_OK, and rmmod would send a
         * CPU onlined after load (never virtualized) the VMXOFF hypercall: #UD outside VMX. */
        for (cpu = 0; cpu < nr_cpu_ids; cpu++)
            vmx_result[cpu] = HD_ERR_NOT_SUPPORTED;
    if (!vmx_cpus || !vmx_result || vmx_host_pgd_make() != 0) {
        vmx_free_all();
        return -ENOMEM;
    }
    cpus_read_lock();
    for_each_online_cpu(cpu) {
        glue.user = (void *)(uintptr_t)cpu; /* for vmx_log's "CPU n:" (the layer copies glue) */
        st = hd_vmx_cpu_create(&glue, engine, cpu, &vmx_cpus[cpu]);
        if (st != HD_OK) {
            pr_err("hdevent: vmx=on refused: CPU %u: %s\n", cpu, hd_status_str(st));
            cpus_read_unlock();
            vmx_free_all();
            return -ENOMEM;
        }
    }
    on_each_cpu(vmx_start_here, NULL, 1);
    vmx_log_flush();
    for_each_online_cpu(cpu)
        if (vmx_result[cpu] != HD_OK) {
            pr_err("hdevent: vmx=on refused: CPU %u could not be virtualized: %s (dmesg "
                   "above has the VMX instruction error)\n",
                   cpu, hd_status_str(vmx_result[cpu]));
            failed = 1;
        }
    if (failed) {
        on_each_cpu(vmx_stop_here, NULL, 1);
        vmx_log_flush();
        cpus_read_unlock();
        vmx_free_all();
        return -EIO;
    }
    cpus_read_unlock();
    pr_info("hdevent: vmx=on: %u CPUs virtualized; VMCALL exits go through hd_dispatch_vmcall\n",
            num_online_cpus());
    return 0;
}

void hd_kmod_vmx_stop(void)
{
    if (!vmx_cpus)
        return;
    cpus_read_lock();
    on_each_cpu(vmx_stop_here, NULL, 1);
    cpus_read_unlock();
    vmx_log_flush();
    vmx_free_all();
    pr_info("hdevent: vmx=on: every CPU devirtualized\n");
}
