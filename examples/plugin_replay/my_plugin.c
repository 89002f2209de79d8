/* SPDX-License-Identifier: MIT */
/* The plugin of docs/host-backend.md: a native hook, so it has no command text; on a kernel
 * backend its twin is the script in recorded.scenario's first line. */
#include "my_plugin.h"

static void *answer(struct hd_hook *hook)
{
    if (hook->regs->rcx == 0x7001) {
        hook->regs->rax = 42;
        hook->short_circuit = true;
    }
    return NULL;
}

enum hd_status my_plugin_register(struct hd_engine *engine, uint32_t pid, uint64_t *tag)
{
    struct hd_event_desc event;
    struct hd_action_desc action;

    hd_event_desc_init(&event);
    event.pid = pid;
    hd_action_desc_init(&action, HD_ACTION_NATIVE);
    action.fn = answer;
    event.actions = &action;
    event.action_count = 1;
    event.command = "!vmcall (my_plugin)";
    return hd_event_register(engine, &event, tag);
}
