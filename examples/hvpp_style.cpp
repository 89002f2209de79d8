/* SPDX-License-Identifier: MIT */
// hvpp_style.cpp — hdevent in an hvpp-style C++ exit handler, with the two-call form.
//
// hvpp (wbenny/hvpp) writes exit handlers as C++ classes: vmexit_handler::handle(vcpu_t&)
// switches on the exit reason to virtual handle_* members; vcpu_t gives the registers the
// exit stub saved (exit_context()), the guest's RIP/RSP/RFLAGS through VMCS accessors, and
// suppress_rip_adjust() for a handler that must not complete the instruction. This file is
// that shape with hdevent in handle_execute_vmcall(), following docs/c-api.md ("Embedding in
// your hypervisor"):
//
//   - hd_vmcall_armed() first: with no event enabled the handler answers alone;
//   - the pre pass (hd_dispatch_vmcall), then the hypervisor's own VMCALL handling unless a
//     hook short-circuited, then the post pass when asked;
//   - a VMCALL from CPL 3 that no hook short-circuits is refused with #UD, as KVM does: then
//     RIP stays on the VMCALL (the fault is the VMCALL's), RF, interruptibility and pending
//     debug exceptions are left alone, and the post pass is not run (hd_dispatch_vmcall_end):
//     post hooks see only VMCALLs that completed;
//   - every exit ends with the post pass or hd_dispatch_vmcall_end(), so a flight recording
//     has each exit's registers after the handling;
//   - the guest's rsp goes in and comes back through the VMCS.
//
// No VMX here: the VMCS is in memory, and the host backend serves the engine. ctest
// example.hvpp_style runs it.
#include <hdevent/host.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace hv {

enum class exit_reason : std::uint16_t { execute_cpuid = 10, execute_vmcall = 18 };

// The GPRs hvpp's stub saves, in GUEST_REGS order: hdevent reads them in place.
struct context_t {
    std::uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
    std::uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};
static_assert(sizeof(context_t) == sizeof(hd_guest_regs), "GUEST_REGS layout");

constexpr std::uint64_t rflags_tf = 1ull << 8, rflags_rf = 1ull << 16;
constexpr std::uint64_t blocking_sti = 1, blocking_mov_ss = 2, pending_bs = 1ull << 14;

// One logical processor; the VMCS is a struct here.
class vcpu_t {
public:
    vcpu_t(std::uint32_t index, std::uint32_t pid) : index_(index), pid_(pid) {}

    context_t &exit_context() { return ctx_; }
    exit_reason exit_reason_() const { return reason_; }
    std::uint32_t exit_instruction_length() const { return 3; }
    std::uint32_t index() const { return index_; }
    std::uint32_t current_pid() const { return pid_; }
    std::uint8_t guest_cpl() const { return cpl_; }
    std::uint64_t guest_rip() const { return rip_; }
    void guest_rip(std::uint64_t v) { rip_ = v; }
    std::uint64_t guest_rsp() const { return rsp_; }
    void guest_rsp(std::uint64_t v) { rsp_ = v; }
    std::uint64_t guest_rflags() const { return rflags_; }
    void guest_rflags(std::uint64_t v) { rflags_ = v; }
    std::uint64_t interruptibility() const { return intr_; }
    void interruptibility(std::uint64_t v) { intr_ = v; }
    std::uint64_t pending_debug() const { return pending_; }
    void pending_debug(std::uint64_t v) { pending_ = v; }
    void inject_ud() { injected_ = 6; }
    int injected() const { return injected_; }
    void suppress_rip_adjust() { suppress_ = true; }
    bool rip_adjust_suppressed() const { return suppress_; }

    // A guest executing VMCALL at rip/rsp from ring cpl (test scaffolding).
    void vmcall(std::uint8_t cpl, std::uint64_t rflags)
    {
        reason_ = exit_reason::execute_vmcall;
        cpl_ = cpl;
        rip_ = 0x401000;
        rsp_ = 0x7FF000;
        rflags_ = rflags;
        intr_ = blocking_mov_ss;
        pending_ = 0;
        injected_ = -1;
        suppress_ = false;
    }

private:
    context_t ctx_{};
    exit_reason reason_ = exit_reason::execute_cpuid;
    std::uint32_t index_, pid_;
    std::uint8_t cpl_ = 0;
    std::uint64_t rip_ = 0, rsp_ = 0, rflags_ = 0x2, intr_ = 0, pending_ = 0;
    int injected_ = -1;
    bool suppress_ = false;
};

class vmexit_handler {
public:
    virtual ~vmexit_handler() = default;

    void handle(vcpu_t &vp)
    {
        switch (vp.exit_reason_()) {
        case exit_reason::execute_vmcall:
            handle_execute_vmcall(vp);
            break;
        default:
            break;
        }
        if (!vp.rip_adjust_suppressed())
            complete_instruction(vp);
    }

protected:
    // The hypervisor's own VMCALL handling: ring 3 may not call it (#UD, the instruction
    // does not complete, as KVM does); anything else gets KVM's -ENOSYS.
    virtual void handle_execute_vmcall(vcpu_t &vp)
    {
        if (vp.guest_cpl() == 3) {
            vp.inject_ud();
            vp.suppress_rip_adjust();
            return;
        }
        vp.exit_context().rax = HD_VMCALL_ENOSYS;
    }

private:
    // RIP past the instruction, RF and STI/MOV-SS blocking cleared, the single-step #DB owed
    // to a TF guest (what hd_vmx_rip_advance() does for the VMX layer).
    static void complete_instruction(vcpu_t &vp)
    {
        vp.guest_rip(vp.guest_rip() + vp.exit_instruction_length());
        vp.guest_rflags(vp.guest_rflags() & ~rflags_rf);
        vp.interruptibility(vp.interruptibility() & ~(blocking_sti | blocking_mov_ss));
        if (vp.guest_rflags() & rflags_tf)
            vp.pending_debug(vp.pending_debug() | pending_bs);
    }
};

} // namespace hv

// The hypervisor's VMCALL handler with hdevent in front of it.
class hdevent_handler : public hv::vmexit_handler {
public:
    explicit hdevent_handler(hd_engine *engine) : engine_(engine) {}

protected:
    void handle_execute_vmcall(hv::vcpu_t &vp) override
    {
        if (!hd_vmcall_armed(engine_)) {
            // No event enabled: no hook could run (S1). Answer the VMCALL as if hdevent were
            // not there, without filling the record: what HyperDbg's handler does after its
            // flag test. (This handler's own answer does not depend on S14's decision.)
            vmexit_handler::handle_execute_vmcall(vp);
            return;
        }
        hv::context_t &c = vp.exit_context();
        c.rsp = vp.guest_rsp(); // the guest's rsp is in the VMCS, not in the stub's frame
        hd_vcpu v;
        std::memset(&v, 0, sizeof(v));
        v.regs = reinterpret_cast<hd_guest_regs *>(&c);
        v.rip = vp.guest_rip();
        v.insn_len = vp.exit_instruction_length();
        v.core = vp.index();
        v.pid = vp.current_pid();
        v.cpl = vp.guest_cpl();
        v.backend_data = &vp;

        hd_verdict pre, post;
        if (HD_FAILED(hd_dispatch_vmcall(engine_, &v, nullptr, &pre))) {
            vmexit_handler::handle_execute_vmcall(vp); // refused record: nothing ran
            return;
        }
        if (!(pre.flags & HD_VERDICT_SHORT_CIRCUIT))
            vmexit_handler::handle_execute_vmcall(vp);
        if (vp.injected() >= 0) {
            // The VMCALL faulted instead of completing: no post pass, RIP stays.
            hd_dispatch_vmcall_end(engine_, &v);
            return;
        }
        if (pre.flags & HD_VERDICT_POST)
            hd_dispatch_vmcall_post(engine_, &v, nullptr, &post);
        else
            hd_dispatch_vmcall_end(engine_, &v); // ends a recorded exit with its registers

        vp.guest_rsp(c.rsp); // hooks' rsp writes reach the guest
    }

private:
    hd_engine *engine_;
};

namespace {

unsigned pre_runs, post_runs;

// One native hook for both passes of a stage-all event.
void *count_runs(hd_hook *hook)
{
    if (hook->stage == HD_STAGE_PRE) {
        pre_runs++;
    } else {
        post_runs++;
        hook->regs->r15 = hook->regs->rax; // the handler's answer, seen after it
    }
    return nullptr;
}

int failures;

void expect(bool ok, const char *what)
{
    std::printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    failures += !ok;
}

} // namespace

int main()
{
    hd_host *host = nullptr;
    hd_engine *engine = nullptr;
    if (hd_host_create(nullptr, &host) != HD_OK ||
        hd_engine_create(hd_host_ops(host), nullptr, &engine) != HD_OK)
        return 1;

    // A stage-all event with a native hook in each pass.
    hd_event_desc ev;
    hd_action_desc act;
    hd_event_desc_init(&ev);
    ev.pid = 0x490;
    ev.stage = HD_STAGE_ALL;
    hd_action_desc_init(&act, HD_ACTION_NATIVE);
    act.fn = count_runs;
    ev.actions = &act;
    ev.action_count = 1;
    std::uint64_t tag = 0;
    if (hd_event_register(engine, &ev, &tag) != HD_OK)
        return 1;

    hdevent_handler handler(engine);
    hv::vcpu_t vp(2, 0x490);

    vp.vmcall(0, 0x202 | hv::rflags_tf | hv::rflags_rf);
    handler.handle(vp);
    expect(pre_runs == 1 && post_runs == 1, "ring 0: pre hook, handling, post hook");
    expect(vp.exit_context().r15 == HD_VMCALL_ENOSYS, "the post hook saw the handler's rax");
    expect(vp.guest_rip() == 0x401003 && !(vp.guest_rflags() & hv::rflags_rf) &&
               vp.interruptibility() == 0 && (vp.pending_debug() & hv::pending_bs),
           "completed: RIP +3, RF and MOV-SS blocking cleared, single-step #DB pending");

    expect(hd_recorder_set(engine, true) == HD_OK, "flight recorder on");
    vp.vmcall(3, 0x202 | hv::rflags_tf | hv::rflags_rf);
    handler.handle(vp);
    expect(vp.injected() == 6, "ring 3: the hypervisor injects #UD");
    expect(pre_runs == 2 && post_runs == 1, "the pre hook ran, the post pass did not");
    hd_exit_record rec;
    expect(hd_recorder_read(engine, &rec) == HD_OK && rec.cpl == 3 && rec.fired_count == 1 &&
               !(rec.flags & (HD_RECORD_AFTER_UNKNOWN | HD_RECORD_POST_RAN)),
           "recorded, with its registers after (ended by hd_dispatch_vmcall_end)");
    expect(hd_recorder_set(engine, false) == HD_OK, "flight recorder off");
    expect(vp.guest_rip() == 0x401000 && (vp.guest_rflags() & hv::rflags_rf) &&
               vp.interruptibility() == hv::blocking_mov_ss && vp.pending_debug() == 0,
           "faulted: RIP on the VMCALL, RF, blocking and pending #DB untouched");

    // No event enabled: the armed test answers before the record is filled; no hook runs.
    expect(hd_event_disable(engine, tag) == HD_OK, "the event disabled");
    vp.vmcall(0, 0x202);
    handler.handle(vp);
    expect(pre_runs == 2 && post_runs == 1 && vp.guest_rip() == 0x401003 &&
               vp.exit_context().rax == HD_VMCALL_ENOSYS,
           "disarmed: no hook, the handler answered, RIP +3");

    hd_engine_destroy(engine);
    hd_host_destroy(host);
    std::printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
