/*
 * vmx=on: every online CPU virtualized with the shared VMX layer (backends/vmx/hd_vmx.h), which
 * does VMXON, the VMCS, the exit stub, the exit-reason switch and the RIP advance. This file is
 * only the Linux glue: pages, physical addresses, the pid, logging, the fatal path, and
 * starting and stopping the layer on each CPU from an IPI (interrupts off).
 *
 * COMPILE-TESTED ONLY: no machine this was written on has VMX (QEMU's TCG has none, KVM here
 * has no nested VMX); vmx=on has not been run. docs/backends/linux.md says so.
 *
 * Limit: CPU hotplug is not handled. A CPU that comes online after load runs unvirtualized;
 * do not take a CPU offline while vmx=on (its VMX state would be lost without VMXOFF).
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

#include <hd_vmx.h>
#include <hdevent/wire.h>

#include "kmod_internal.h"

static struct hd_vmx_cpu **vmx_cpus; /* [nr_cpu_ids] */
static int *vmx_result;              /* [nr_cpu_ids]: what each CPU's start returned */

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

/* The same default as the self-test: own hypercalls succeed, others get -KVM_ENOSYS. */
static void vmx_vmcall_default(void *user, struct hd_vmx_cpu *cpu, struct hd_vcpu *vcpu)
{
    (void)user;
    (void)cpu;
    vcpu->regs->rax = (vcpu->flags & HD_VCPU_PROTECTED) ? 0 : HD_WIRE_SELFTEST_ENOSYS;
}

/*
 * The layer may log in VMX root or with interrupts off in an IPI, where printk could spin on a
 * console lock held by the very context we interrupted. Lines go to a small per-CPU buffer,
 * written only by its CPU, and are printed from process context after each start or stop.
 */
#define VMX_LOG_LINES 4
#define VMX_LOG_BYTES 160
struct vmx_log_buf {
    unsigned int count; /* lines written; only the first VMX_LOG_LINES are kept */
    char line[VMX_LOG_LINES][VMX_LOG_BYTES];
};
static DEFINE_PER_CPU(struct vmx_log_buf, vmx_log_bufs);

static void vmx_log(void *user, const char *line)
{
    struct vmx_log_buf *b = this_cpu_ptr(&vmx_log_bufs);

    (void)user;
    if (b->count < VMX_LOG_LINES)
        strscpy(b->line[b->count], line, VMX_LOG_BYTES);
    b->count++;
}

static void vmx_log_flush(void)
{
    unsigned int cpu, i;

    for_each_possible_cpu(cpu) {
        struct vmx_log_buf *b = per_cpu_ptr(&vmx_log_bufs, cpu);
        for (i = 0; i < b->count && i < VMX_LOG_LINES; i++)
            pr_info("hdevent: CPU %u: %s\n", cpu, b->line[i]);
        if (b->count > VMX_LOG_LINES)
            pr_info("hdevent: CPU %u: %u more VMX log lines dropped\n", cpu,
                    b->count - VMX_LOG_LINES);
        b->count = 0;
    }
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
    st = hd_vmx_cpu_on(vmx_cpus[cpu]);
    if (st == HD_OK) {
        st = hd_vmx_cpu_start(vmx_cpus[cpu]);
        if (st != HD_OK)
            hd_vmx_cpu_off(vmx_cpus[cpu]);
    }
    vmx_result[cpu] = st;
}

static void vmx_stop_here(void *info)
{
    unsigned int cpu = smp_processor_id();

    (void)info;
    if (vmx_result[cpu] == HD_OK && hd_vmx_cpu_stop() == HD_OK)
        vmx_result[cpu] = HD_ERR_NOT_SUPPORTED; /* no longer virtualized */
}

static void vmx_free_all(void)
{
    unsigned int cpu;

    for (cpu = 0; vmx_cpus && cpu < nr_cpu_ids; cpu++)
        hd_vmx_cpu_destroy(vmx_cpus[cpu]);
    kfree(vmx_cpus);
    kfree(vmx_result);
    vmx_cpus = NULL;
    vmx_result = NULL;
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
    glue.vmcall_default = vmx_vmcall_default;
    glue.log = vmx_log;
    glue.fatal = vmx_fatal;
    vmx_cpus = kcalloc(nr_cpu_ids, sizeof(*vmx_cpus), GFP_KERNEL);
    vmx_result = kcalloc(nr_cpu_ids, sizeof(*vmx_result), GFP_KERNEL);
    if (!vmx_cpus || !vmx_result) {
        vmx_free_all();
        return -ENOMEM;
    }
    cpus_read_lock();
    for_each_online_cpu(cpu) {
        vmx_result[cpu] = HD_ERR_NOT_SUPPORTED;
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
