/* SPDX-License-Identifier: MIT */
/*
 * hdevent.ko: module load and unload, the vmx= parameter, and the entries a hypervisor module
 * calls from its own exit handler (hdevent_kmod.h).
 *
 *   vmx=off   no hypervisor: /dev/hdevent serves the IOCTLs and the self-test VMCALL, which
 *             runs a synthetic exit on the calling CPU through the same dispatcher; another
 *             hypervisor module may dispatch real exits through hd_kmod_vmcall().
 *   vmx=on    virtualize every online CPU with the shared VMX layer (backends/vmx, through
 *             kmod_vmx.c). Run under Bochs' software VMX by tests/e2e/bochs-linux.
 *   vmx=auto  (default) on where the CPU has VMX and this build has the VMX layer, else off.
 *
 * Every mode and every refusal gets one dmesg line starting "hdevent: ".
 */
#include <linux/cpufeature.h>
#include <linux/errno.h>
#include <linux/bug.h>
#include <linux/init.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/smp.h>
#include <linux/string.h>

#include "hdevent_kmod.h"
#include "kmod_internal.h"

struct hd_engine *hd_kmod_engine;

static char *vmx = "auto";
module_param(vmx, charp, 0444);
MODULE_PARM_DESC(vmx, "on: virtualize every CPU with the VMX layer; off: no hypervisor, "
                      "IOCTLs and the self-test VMCALL only; auto (default): on where possible");

/*
 * The engine's budget and message queues (struct hd_engine_config, docs/c-api.md): 0, the
 * default, takes the library's defaults, sized for a small machine. A value past the
 * library's limit refuses the load (EINVAL).
 */
static uint max_events, max_actions, message_slots, message_max_bytes;
static ulong max_code_bytes, max_buffer_bytes;
module_param(max_events, uint, 0444);
MODULE_PARM_DESC(max_events, "events held at once (0: 65536)");
module_param(max_actions, uint, 0444);
MODULE_PARM_DESC(max_actions, "actions over every event (0: 262144)");
module_param(max_code_bytes, ulong, 0444);
MODULE_PARM_DESC(max_code_bytes, "bytes of raw code over every event (0: 16 MiB)");
module_param(max_buffer_bytes, ulong, 0444);
MODULE_PARM_DESC(max_buffer_bytes, "bytes of per-core buffers and script slots (0: 64 MiB)");
module_param(message_slots, uint, 0444);
MODULE_PARM_DESC(message_slots, "messages each CPU's queue holds (0: 64; at most 65536)");
module_param(message_max_bytes, uint, 0444);
MODULE_PARM_DESC(message_max_bytes, "largest message (0: 512; at most 65536)");

/*
 * The guest register holding the hypercall number that `!vmcall nr` events route by
 * (hd_backend_ops.nr_register): rcx, as HyperDbg's own hypercalls, unless the guests put it
 * elsewhere (rax for KVM-style hypercalls). Any name of struct hd_guest_regs.
 */
static char *nr_reg = "rcx";
module_param(nr_reg, charp, 0444);
MODULE_PARM_DESC(nr_reg, "the register `!vmcall nr` events read the hypercall number from: "
                         "rcx (default, as HyperDbg), rax (KVM-style guests) or any of rax..r15");

/* nr_reg as hd_backend_ops.nr_register; -EINVAL (said in the log) for a name of no register. */
static int nr_register(uint32_t *out)
{
    int i = hd_guest_reg_index(nr_reg, strlen(nr_reg));

    if (i >= 0) {
        *out = (unsigned)i == HD_GUEST_REG_RCX ? HD_NR_REGISTER_DEFAULT : HD_NR_REGISTER(i);
        return 0;
    }
    pr_err("hdevent: nr_reg=%.16s refused: give a register, rax rcx rdx rbx rsp rbp rsi rdi "
           "or r8 to r15\n", nr_reg);
    return -EINVAL;
}

/* Set by build.sh when it compiles backends/vmx into the module (kmod_vmx.c). */
#ifndef HD_KMOD_HAVE_VMX_LAYER
#define HD_KMOD_HAVE_VMX_LAYER 0
#endif
static bool hd_kmod_vmx_running;

/* ---- entries for a hypervisor module's own exit handler ------------------------------------ */

/*
 * Interrupts off is a memory-safety rule here, not a courtesy: this engine runs on every core
 * (run_on_every_core), so the dispatcher skips the per-core sequence counter and relies on a
 * call not being preempted or interrupted by a writer's grace period; with interrupts on it
 * could read a snapshot a concurrent writer has already freed. Refuse (HD_ERR_INVALID_ARGUMENT,
 * nothing dispatched) and warn once.
 */
#define HD_KMOD_REQUIRE_IRQS_OFF()                                                             \
    do {                                                                                       \
        if (WARN_ON_ONCE(!irqs_disabled()))                                                    \
            return HD_ERR_INVALID_ARGUMENT;                                                    \
    } while (0)

/*
 * The exit must be dispatched on the CPU it names: per-core state (the snapshot the exit
 * holds, messages, counters) is written by that core alone, with no lock.
 */
#define HD_KMOD_REQUIRE_THIS_CPU(vcpu)                                                      \
    do {                                                                                    \
        if (WARN_ON_ONCE((vcpu)->core != smp_processor_id()))                              \
            return HD_ERR_BAD_VCPU;                                                         \
    } while (0)

/*
 * Set before this module's init returns, and a module that calls this depends on hdevent.ko,
 * so it is never NULL for one: no module can resolve the symbol before init succeeded, and
 * hdevent.ko cannot unload while a dependent module is loaded.
 */
struct hd_engine *hd_kmod_engine_get(void)
{
    return READ_ONCE(hd_kmod_engine);
}
EXPORT_SYMBOL_GPL(hd_kmod_engine_get);

enum hd_status hd_kmod_vmcall(struct hd_vcpu *vcpu, struct hd_verdict *verdict)
{
    HD_KMOD_REQUIRE_IRQS_OFF();
    HD_KMOD_REQUIRE_THIS_CPU(vcpu);
    return hd_dispatch_vmcall(READ_ONCE(hd_kmod_engine), vcpu, NULL, verdict);
}
EXPORT_SYMBOL_GPL(hd_kmod_vmcall);

enum hd_status hd_kmod_vmcall_post(struct hd_vcpu *vcpu, struct hd_verdict *verdict)
{
    HD_KMOD_REQUIRE_IRQS_OFF();
    HD_KMOD_REQUIRE_THIS_CPU(vcpu);
    return hd_dispatch_vmcall_post(READ_ONCE(hd_kmod_engine), vcpu, NULL, verdict);
}
EXPORT_SYMBOL_GPL(hd_kmod_vmcall_post);

enum hd_status hd_kmod_vmcall_end(const struct hd_vcpu *vcpu)
{
    HD_KMOD_REQUIRE_IRQS_OFF();
    HD_KMOD_REQUIRE_THIS_CPU(vcpu);
    return hd_dispatch_vmcall_end(READ_ONCE(hd_kmod_engine), vcpu);
}
EXPORT_SYMBOL_GPL(hd_kmod_vmcall_end);

/* ---- load / unload ------------------------------------------------------------------------- */

/* @return 1 for on, 0 for off, -EINVAL (logged) for anything else. */
static int vmx_mode(void)
{
    bool cpu_vmx = boot_cpu_has(X86_FEATURE_VMX);

    if (!strcmp(vmx, "off"))
        return 0;
    if (!strcmp(vmx, "on")) {
        if (!cpu_vmx) {
            pr_err("hdevent: vmx=on refused: this CPU has no VMX (CPUID.1:ECX.VMX is clear, "
                   "or VMX is disabled by the firmware); load with vmx=off\n");
            return -ENODEV;
        }
        if (!HD_KMOD_HAVE_VMX_LAYER) {
            pr_err("hdevent: vmx=on refused: this build of hdevent.ko has no VMX layer "
                   "(backends/vmx was missing when it was built); load with vmx=off\n");
            return -EOPNOTSUPP;
        }
        return 1;
    }
    if (!strcmp(vmx, "auto")) {
        if (cpu_vmx && HD_KMOD_HAVE_VMX_LAYER)
            return 1;
        pr_info("hdevent: vmx=auto: %s: running with vmx=off\n",
                cpu_vmx ? "this build has no VMX layer" : "this CPU has no VMX");
        return 0;
    }
    pr_err("hdevent: vmx=%s refused: use vmx=on, vmx=off or vmx=auto\n", vmx);
    return -EINVAL;
}

static int __init hd_kmod_init(void)
{
    struct hd_backend_ops ops;
    struct hd_engine_config config;
    struct hd_engine *engine;
    enum hd_status st;
    int mode = vmx_mode(), err;

    if (mode < 0)
        return mode;
    hd_kmod_ops_init(&ops);
    err = nr_register(&ops.nr_register);
    if (err)
        return err;
    err = hd_kmod_exec_init();
    if (err) {
        pr_err("hdevent: load refused: cannot map the executable arena (error %d)\n", err);
        return err;
    }
    hd_engine_config_init(&config);
    config.max_events = max_events ? max_events : config.max_events;
    config.max_actions = max_actions ? max_actions : config.max_actions;
    config.max_code_bytes = max_code_bytes ? max_code_bytes : config.max_code_bytes;
    config.max_buffer_bytes = max_buffer_bytes ? max_buffer_bytes : config.max_buffer_bytes;
    config.message_slots = message_slots ? message_slots : config.message_slots;
    config.message_max_bytes = message_max_bytes ? message_max_bytes : config.message_max_bytes;
    st = hd_engine_create(&ops, &config, &engine);
    if (st == HD_ERR_INVALID_ARGUMENT) /* ops and out are ours: the config was refused */
        pr_err("hdevent: load refused: a module parameter is past its limit (max_events at "
               "most %u, message_slots %u, message_max_bytes %u)\n",
               HD_BUDGET_EVENTS_MAX, HD_MESSAGE_SLOTS_MAX, HD_MESSAGE_BYTES_MAX);
    else if (st != HD_OK)
        pr_err("hdevent: load refused: engine creation failed: %s\n", hd_status_str(st));
    if (st != HD_OK) {
        hd_kmod_exec_exit();
        return st == HD_ERR_NO_MEMORY ? -ENOMEM : -EINVAL;
    }
    WRITE_ONCE(hd_kmod_engine, engine);
#if HD_KMOD_HAVE_VMX_LAYER
    if (mode == 1) {
        err = hd_kmod_vmx_start(engine);
        if (err)
            goto fail_engine;
        hd_kmod_vmx_running = true;
    }
#endif
    err = hd_kmod_device_init();
    if (err) {
        pr_err("hdevent: load refused: cannot register /dev/hdevent (error %d)\n", err);
        goto fail_vmx;
    }
    if (hd_kmod_vmx_running) {
        pr_info("hdevent: loaded, vmx=on: /dev/hdevent serves the IOCTLs; real VMCALL exits "
                "and the self-test VMCALL go through the dispatcher (%zu KiB for raw code)\n",
                hd_kmod_exec_arena_bytes() / 1024);
        return 0;
    }
    pr_info("hdevent: loaded, vmx=off: no hypervisor of our own; /dev/hdevent serves the "
            "IOCTLs and the self-test VMCALL on %u possible CPUs (%zu KiB for raw code); "
            "hd_kmod_vmcall() is exported for a hypervisor module's exit handler\n",
            hd_engine_core_count(engine), hd_kmod_exec_arena_bytes() / 1024);
    return 0;

fail_vmx:
#if HD_KMOD_HAVE_VMX_LAYER
    if (hd_kmod_vmx_running)
        hd_kmod_vmx_stop();
    hd_kmod_vmx_running = false;
fail_engine:
#endif
    WRITE_ONCE(hd_kmod_engine, NULL);
    hd_engine_destroy(engine);
    hd_kmod_exec_exit();
    return err;
}

/*
 * Unload: the device goes first (no new IOCTL; an open descriptor holds a module reference, so
 * none is in flight), then the engine clears every event. A hypervisor module using our
 * exports depends on this module and is unloaded before it, so no core is dispatching.
 */
static void __exit hd_kmod_exit(void)
{
    struct hd_engine *engine = hd_kmod_engine;

    hd_kmod_device_exit();
#if HD_KMOD_HAVE_VMX_LAYER
    if (hd_kmod_vmx_running)
        hd_kmod_vmx_stop(); /* every CPU leaves VMX operation before the engine goes */
#endif
    WRITE_ONCE(hd_kmod_engine, NULL);
    hd_engine_destroy(engine);
    pr_info("hdevent: unloaded: every event cleared; executable arena: %zu bytes still in use\n",
            hd_kmod_exec_used_bytes());
    hd_kmod_exec_exit();
}

module_init(hd_kmod_init);
module_exit(hd_kmod_exit);

/* The tree is MIT (LICENSE); "Dual MIT/GPL" is the kernel's GPL-compatible name for it, which
 * the EXPORT_SYMBOL_GPL symbols this module uses (gdt_page, ...) require. */
MODULE_LICENSE("Dual MIT/GPL");
MODULE_DESCRIPTION("hdevent: HyperDbg-style VMCALL event hooks (/dev/hdevent)");
MODULE_AUTHOR("hdevent");
