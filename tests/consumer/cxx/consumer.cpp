/* SPDX-License-Identifier: MIT */
// The installed hdevent from C++17: every public header in one translation unit (their
// declarations have C linkage, so these calls link against the C library), RAII around the
// host backend, a native hook, HyperDbg's documented custom code, and the command parser.
#include <hdevent/code.h>
#include <hdevent/command.h>
#include <hdevent/device_linux.h>
#include <hdevent/hdevent.h>
#include <hdevent/host.h>
#include <hdevent/version.h>
#include <hdevent/vmx.h>
#include <hdevent/wire.h>
#include <hdevent/wire_device.h>
#include <hdevent/wire_encode.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

struct host_deleter {
    void operator()(hd_host *h) const { hd_host_destroy(h); }
};
struct engine_deleter {
    void operator()(hd_engine *e) const { hd_engine_destroy(e); }
};
using host_ptr = std::unique_ptr<hd_host, host_deleter>;
using engine_ptr = std::unique_ptr<hd_engine, engine_deleter>;

void check(hd_status st, const char *what)
{
    if (HD_FAILED(st))
        throw std::runtime_error(std::string(what) + ": " + hd_status_name(st));
}

// A plugin as a C++ class: the hook is a static member with C-compatible arguments, the
// object travels in `user`.
class counter_plugin {
public:
    static void *hook(hd_hook *h)
    {
        auto *self = static_cast<counter_plugin *>(h->user);
        self->calls_++;
        if (h->regs->rcx == 0x7001) {
            h->regs->rax = 42;
            h->short_circuit = true;
        }
        return nullptr;
    }
    unsigned calls() const { return calls_; }

private:
    unsigned calls_ = 0;
};

// HyperDbg's documented custom code: r8 'HDBG' becomes 'HDB2'.
const std::uint8_t doc_code[] = {0x48, 0x8B, 0x5A, 0x40, 0x48, 0x81, 0xFB, 0x48,
                                 0x44, 0x42, 0x47, 0x74, 0x02, 0xEB, 0x08, 0x48,
                                 0xC7, 0x42, 0x40, 0x48, 0x44, 0x42, 0x32, 0xC3};

} // namespace

int main()
try {
    hd_host_config config;
    hd_host_config_init(&config);
    config.cores = 2;
    hd_host *raw_host = nullptr;
    check(hd_host_create(&config, &raw_host), "hd_host_create");
    host_ptr host(raw_host);
    hd_engine *raw_engine = nullptr;
    check(hd_engine_create(hd_host_ops(host.get()), nullptr, &raw_engine), "hd_engine_create");
    engine_ptr engine(raw_engine);

    // A native hook, registered through the C API.
    counter_plugin plugin;
    hd_event_desc ev;
    hd_action_desc act;
    hd_event_desc_init(&ev);
    ev.pid = 0x490;
    hd_action_desc_init(&act, HD_ACTION_NATIVE);
    act.fn = &counter_plugin::hook;
    act.user = &plugin;
    ev.actions = &act;
    ev.action_count = 1;
    std::uint64_t native_tag = 0;
    check(hd_event_register(engine.get(), &ev, &native_tag), "hd_event_register (native)");

    // Raw code from a command, parsed and validated as the hdevent tool does.
    const char *text = "!vmcall pid 491 code {48 8B 5A 40 48 81 FB 48 44 42 47 74 02 EB 08 "
                       "48 C7 42 40 48 44 42 32 C3}";
    hd_command cmd;
    hd_command_error err;
    check(hd_command_parse(text, &cmd, &err), "hd_command_parse");
    hd_code_report report;
    check(hd_code_validate(doc_code, sizeof(doc_code), 0, &report), "hd_code_validate");
    check(hd_event_register(engine.get(), &cmd.event, nullptr), "hd_event_register (command)");
    hd_command_free(&cmd);

    hd_guest_regs regs{};
    regs.rcx = 0x7001;
    hd_vcpu vcpu;
    hd_exit exit_info;
    hd_host_vcpu_init(&vcpu, &regs, 1, 0x490);
    check(hd_host_vmcall(host.get(), engine.get(), &vcpu, &exit_info), "hd_host_vmcall");
    const bool native_ok = regs.rax == 42 && (exit_info.pre.flags & HD_VERDICT_SHORT_CIRCUIT) &&
                           plugin.calls() == 1;

    hd_guest_regs regs2{};
    regs2.r8 = 0x47424448; // 'HDBG'
    hd_host_vcpu_init(&vcpu, &regs2, 0, 0x491);
    check(hd_host_vmcall(host.get(), engine.get(), &vcpu, &exit_info), "hd_host_vmcall");
    const bool raw_ok = regs2.r8 == 0x32424448 && exit_info.pre.fired == 1;

    std::printf("C++%ld, hdevent %s: native hook rax=%llu calls=%u (%s); doc code r8=%#llx (%s); "
                "event %llu\n",
                static_cast<long>(__cplusplus / 100 % 100), HD_VERSION_STRING,
                static_cast<unsigned long long>(regs.rax), plugin.calls(),
                native_ok ? "ok" : "WRONG", static_cast<unsigned long long>(regs2.r8),
                raw_ok ? "ok" : "WRONG",
                static_cast<unsigned long long>(HD_EVENT_ID(native_tag)));
    return native_ok && raw_ok ? 0 : 1;
} catch (const std::exception &e) {
    std::fprintf(stderr, "FAIL: %s\n", e.what());
    return 1;
}
