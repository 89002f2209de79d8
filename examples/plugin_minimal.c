/* SPDX-License-Identifier: MIT */
/*
 * plugin_minimal.c — the smallest complete hdevent plugin: one native hook, its registration
 * on the host backend, and one simulated VMCALL exit. docs/c-api.md quotes this file.
 */
#include <stdio.h>
#include <stdlib.h>

#include <hdevent/host.h>

/* Answer hypercall 0x7001 with rax = 42; leave every other VMCALL to the hypervisor. */
static void *answer(struct hd_hook *hook)
{
    if (hook->regs->rcx == 0x7001) {
        hook->regs->rax = 42;
        hook->short_circuit = true; /* skip the default handling, which would overwrite rax */
    }
    return NULL; /* no message */
}

static void check(enum hd_status st, const char *what)
{
    if (HD_FAILED(st)) {
        fprintf(stderr, "%s: %s\n", what, hd_status_str(st));
        exit(EXIT_FAILURE);
    }
}

int main(void)
{
    struct hd_host *host;
    struct hd_engine *engine;
    struct hd_event_desc event;
    struct hd_action_desc action;
    struct hd_guest_regs regs = {.rcx = 0x7001};
    struct hd_vcpu vcpu;
    struct hd_exit exit_info;
    uint64_t tag;

    check(hd_host_create(NULL, &host), "hd_host_create"); /* 4 simulated cores */
    check(hd_engine_create(hd_host_ops(host), NULL, &engine), "hd_engine_create");

    hd_event_desc_init(&event); /* all cores, all pids, stage pre, enabled */
    event.pid = 0x490;
    hd_action_desc_init(&action, HD_ACTION_NATIVE);
    action.fn = answer;
    event.actions = &action;
    event.action_count = 1;
    event.command = "!vmcall pid 490 (native C: answer)";
    check(hd_event_register(engine, &event, &tag), "hd_event_register");

    hd_host_vcpu_init(&vcpu, &regs, 1, 0x490); /* core 1, pid 0x490, CPL 0 */
    check(hd_host_vmcall(host, engine, &vcpu, &exit_info), "hd_host_vmcall");
    printf("event %llu: rax = %llu, short-circuit = %s\n", (unsigned long long)HD_EVENT_ID(tag),
           (unsigned long long)regs.rax,
           exit_info.pre.flags & HD_VERDICT_SHORT_CIRCUIT ? "yes" : "no");

    hd_engine_destroy(engine);
    hd_host_destroy(host);
    return regs.rax == 42 ? EXIT_SUCCESS : EXIT_FAILURE;
}
