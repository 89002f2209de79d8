/* SPDX-License-Identifier: MIT */
/*
 * vmx=on: every online CPU virtualized with the shared VMX layer (include/hdevent/vmx.h), which
 * does VMXON, the VMCS, the exit stub, the exit-reason switch and the RIP advance. This file is
 * only the Linux glue: pages, physical addresses, the pid, logging, the fatal path, and
 * starting and stopping the layer on each CPU from an IPI (interrupts off).
 *
 * Run under Bochs' software VMX with Debian's kernel by tests/e2e/bochs-linux (2 CPUs): real
 * VMCALLs from ring 3 and ring 0, load and unload (docs/backends/linux.md, "verified under
 * Bochs").
 *
 * /sys/kernel/debug/hdevent/vmx shows, per CPU, what its VMCALL exits were (count, CPL, own
 * hypercalls, short-circuits, post passes, breaks, events fired, the last exit's record) and
 * its exits by reason: the glue's vmcall_done fills it in VMX root, on that CPU only.
 *
 * Limit: CPU hotplug is not handled. A CPU that comes online after load runs unvirtualized
 * (its vmx_result stays HD_ERR_NOT_SUPPORTED, so rmmod sends it no VMXOFF hypercall, which
 * would #UD outside VMX operation); do not take a CPU offline while vmx=on (its VMX state
 * would be lost without VMXOFF).
 */
#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/panic.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
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
/* Pages the layer holds (regions, stacks, per-CPU state) plus vmx_host_pgd: rmmod reports
 * it, and it must be 0 once every CPU is devirtualized (nothing leaked). */
static atomic_long_t vmx_pages_in_use = ATOMIC_LONG_INIT(0);

/*
 * What one CPU's real VMCALL exits were. Written only by that CPU, in VMX root, with plain
 * stores (the exit path takes no lock and runs no locked instruction); read without a lock
 * by the debugfs file, so a reader racing an exit may see a count one behind. One cache line
 * per CPU: no CPU writes another's line.
 */
struct vmx_stats {
    u64 vmcalls;
    u64 by_cpl[4];
    u64 own_calls; /* HD_VERDICT_PROTECTED: the hypervisor's own hypercall (CPL 0 + magic) */
    u64 short_circuits;
    u64 post_passes;
    u64 breaks;
    u64 fired; /* events fired, both passes */
    /* The last exit's record as the layer built it for the dispatcher. */
    u64 last_rip;
    u32 last_pid;
    u32 last_flags;
    u32 last_fired;
    u32 last_cpl;
} ____cacheline_aligned;
static struct vmx_stats *vmx_stats; /* [nr_cpu_ids] */
static struct dentry *vmx_debugfs;

/* ---- glue --------------------------------------------------------------------------------- */

static void *vmx_page_alloc(void *user, size_t pages)
{
    void *va = alloc_pages_exact(pages * PAGE_SIZE, GFP_KERNEL | __GFP_ZERO);

    (void)user;
    if (va)
        atomic_long_add(pages, &vmx_pages_in_use);
    return va;
}

static void vmx_page_free(void *user, void *va, size_t pages)
{
    (void)user;
    free_pages_exact(va, pages * PAGE_SIZE);
    atomic_long_sub(pages, &vmx_pages_in_use);
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

/* VMX root, after both passes: this CPU's statistics and last exit record (see vmx_stats). */
static void vmx_vmcall_done(void *user, struct hd_vmx_cpu *cpu, const struct hd_vcpu *vcpu,
                            uint32_t flags, uint32_t fired)
{
    struct vmx_stats *s = &vmx_stats[hd_vmx_cpu_core(cpu)];

    (void)user;
    s->vmcalls++;
    s->by_cpl[vcpu->cpl & 3]++;
    s->own_calls += !!(flags & HD_VERDICT_PROTECTED);
    s->short_circuits += !!(flags & HD_VERDICT_SHORT_CIRCUIT);
    s->post_passes += !!(flags & HD_VERDICT_POST);
    s->breaks += !!(flags & HD_VERDICT_BREAK);
    s->fired += fired;
    s->last_rip = vcpu->rip;
    s->last_pid = vcpu->pid;
    s->last_flags = flags;
    s->last_fired = fired;
    s->last_cpl = vcpu->cpl;
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
    atomic_long_inc(&vmx_pages_in_use);
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

/* ---- /sys/kernel/debug/hdevent/vmx ------------------------------------------------------- */

static int vmx_debugfs_show(struct seq_file *m, void *unused)
{
    unsigned int cpu, r;

    (void)unused;
    for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
        const struct vmx_stats *s = &vmx_stats[cpu];

        if (!vmx_cpus[cpu] || vmx_result[cpu] != HD_OK)
            continue; /* never virtualized (offline at load) */
        seq_printf(m, "cpu %u: vmcalls %llu cpl0 %llu cpl3 %llu own %llu short_circuit %llu "
                   "post %llu break %llu fired %llu\n", cpu, READ_ONCE(s->vmcalls),
                   READ_ONCE(s->by_cpl[0]), READ_ONCE(s->by_cpl[3]), READ_ONCE(s->own_calls),
                   READ_ONCE(s->short_circuits), READ_ONCE(s->post_passes),
                   READ_ONCE(s->breaks), READ_ONCE(s->fired));
        seq_printf(m, "cpu %u: last vmcall: pid %u cpl %u rip 0x%llx flags 0x%x fired %u\n", cpu,
                   READ_ONCE(s->last_pid), READ_ONCE(s->last_cpl), READ_ONCE(s->last_rip),
                   READ_ONCE(s->last_flags), READ_ONCE(s->last_fired));
        seq_printf(m, "cpu %u: exits:", cpu);
        for (r = 0; r <= HD_VMX_EXIT_REASON_MAX; r++)
            if (hd_vmx_cpu_exits(vmx_cpus[cpu], r))
                seq_printf(m, " %s %llu,", hd_vmx_exit_reason_name(r),
                           (unsigned long long)hd_vmx_cpu_exits(vmx_cpus[cpu], r));
        seq_puts(m, "\n");
    }
    return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmx_debugfs);

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
    if (vmx_host_pgd && !in_use) { /* no HOST_CR3 refers to it any more */
        free_page((unsigned long)vmx_host_pgd);
        atomic_long_dec(&vmx_pages_in_use);
    }
    vmx_host_pgd = NULL;
    if (!in_use) { /* a CPU still in VMX operation writes its statistics at every VMCALL */
        kfree(vmx_stats);
        vmx_stats = NULL;
    }
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
    glue.vmcall_done = vmx_vmcall_done;
    vmx_cpus = kcalloc(nr_cpu_ids, sizeof(*vmx_cpus), GFP_KERNEL);
    vmx_result = kmalloc_array(nr_cpu_ids, sizeof(*vmx_result), GFP_KERNEL);
    vmx_stats = kcalloc(nr_cpu_ids, sizeof(*vmx_stats), GFP_KERNEL);
    if (vmx_result)
        /* Every entry, not only the online CPUs': 0 would be HD_OK, and rmmod would send a
         * CPU onlined after load (never virtualized) the VMXOFF hypercall: #UD outside VMX. */
        for (cpu = 0; cpu < nr_cpu_ids; cpu++)
            vmx_result[cpu] = HD_ERR_NOT_SUPPORTED;
    if (!vmx_cpus || !vmx_result || !vmx_stats || vmx_host_pgd_make() != 0) {
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
    /* Diagnostics only: without debugfs (or if it fails) the module runs the same. */
    vmx_debugfs = debugfs_create_dir("hdevent", NULL);
    debugfs_create_file("vmx", 0400, vmx_debugfs, NULL, &vmx_debugfs_fops);
    pr_info("hdevent: vmx=on: %u CPUs virtualized; VMCALL exits go through hd_dispatch_vmcall\n",
            num_online_cpus());
    return 0;
}

void hd_kmod_vmx_stop(void)
{
    if (!vmx_cpus)
        return;
    debugfs_remove(vmx_debugfs); /* waits for readers: they look at vmx_cpus and vmx_stats */
    vmx_debugfs = NULL;
    cpus_read_lock();
    on_each_cpu(vmx_stop_here, NULL, 1);
    cpus_read_unlock();
    vmx_log_flush();
    vmx_free_all();
    pr_info("hdevent: vmx=on: every CPU devirtualized; VMX pages still allocated: %ld\n",
            atomic_long_read(&vmx_pages_in_use));
}
