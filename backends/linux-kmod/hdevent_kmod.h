/* SPDX-License-Identifier: MIT */
/*
 * backends/linux-kmod/hdevent_kmod.h — the Linux kernel module's exported entries, for a
 * hypervisor module that has its own VMX exit handler and wants hdevent's VMCALL hooks.
 *
 * Load hdevent.ko first (vmx=off: it then runs no hypervisor of its own), declare a dependency
 * on it (the symbols below are EXPORT_SYMBOL_GPL), take its engine once at your init
 * (hd = hd_kmod_engine_get()), and call from the exit handler on exit reason 18, in VMX root
 * with interrupts off, exactly as dispatch.h describes:
 *
 *     if (!hd_vmcall_armed(hd)) {                 // one load: no event is enabled
 *         my_vmcall_handler(...);                 // nothing of hdevent's could run
 *         advance_rip(...);
 *         return;
 *     }
 *     struct hd_vcpu v = { .regs = saved_gprs, .rip = rip, .insn_len = len,
 *                          .core = smp_processor_id(), .pid = task_tgid_nr(current),
 *                          .cpl = ss_dpl };
 *     struct hd_verdict verdict;
 *     if (hd_kmod_vmcall(&v, &verdict) == HD_OK) {
 *         if (!(verdict.flags & HD_VERDICT_SHORT_CIRCUIT))
 *             my_vmcall_handler(&v);
 *         if (verdict.flags & HD_VERDICT_POST)
 *             hd_kmod_vmcall_post(&v, &verdict);
 *     }
 *     advance_rip(&v);
 *
 * HARD RULE: call these only with interrupts disabled (as a VMX exit handler runs), on the
 * core named in vcpu->core, without sleeping. hdevent.ko's engine runs on every core, so the
 * dispatcher does not take the per-core sequence counter: with interrupts on, a concurrent
 * `hdevent add/remove` could free the event snapshot the call is reading (use after free).
 * The entries check it: with interrupts on they return HD_ERR_INVALID_ARGUMENT, dispatch
 * nothing, and WARN once in dmesg.
 *
 * Events are registered from user mode through /dev/hdevent (`hdevent add ...`).
 * docs/backends/linux.md has the whole story.
 */
#ifndef HDEVENT_KMOD_H
#define HDEVENT_KMOD_H

#include <hdevent/dispatch.h>

/** hdevent.ko's engine, for the inline hd_vmcall_armed() test in your exit handler (and
 *  nothing else: no other core function is exported). Never NULL for a module that depends
 *  on hdevent.ko; valid until hdevent.ko unloads, which that dependency prevents. */
struct hd_engine *hd_kmod_engine_get(void);

/** hd_dispatch_vmcall() on hdevent.ko's engine. Interrupts off (see above).
 *  @return its status; HD_ERR_BAD_VCPU; HD_ERR_INVALID_ARGUMENT with interrupts on. */
enum hd_status hd_kmod_vmcall(struct hd_vcpu *vcpu, struct hd_verdict *verdict);

/** hd_dispatch_vmcall_post() on hdevent.ko's engine, when the pre pass set HD_VERDICT_POST. */
enum hd_status hd_kmod_vmcall_post(struct hd_vcpu *vcpu, struct hd_verdict *verdict);

/** hd_dispatch_vmcall_end() on hdevent.ko's engine (an error path skipping the post pass). */
enum hd_status hd_kmod_vmcall_end(const struct hd_vcpu *vcpu);

#endif /* HDEVENT_KMOD_H */
