/* SPDX-License-Identifier: MIT */
/* Defaults of the public descriptors, and small facts about them. */
#include <hdevent/backend.h>
#include <hdevent/engine.h>
#include <hdevent/event.h>
#include <hdevent/regs.h>

#include "internal/compiler.h"

void hd_event_desc_init(struct hd_event_desc *desc)
{
    hd_memset(desc, 0, sizeof(*desc));
    desc->pid = HD_ALL;
    desc->core = HD_ALL;
    desc->stage = HD_STAGE_PRE;
    desc->enabled = true;
}

void hd_action_desc_init(struct hd_action_desc *desc, enum hd_action_type type)
{
    hd_memset(desc, 0, sizeof(*desc));
    desc->type = type;
    desc->immediate = true;
}

void hd_engine_config_init(struct hd_engine_config *config)
{
    hd_memset(config, 0, sizeof(*config));
    config->message_slots = HD_MESSAGE_SLOTS_DEFAULT;
    config->message_max_bytes = HD_MESSAGE_BYTES_DEFAULT;
    config->max_events = HD_BUDGET_EVENTS_DEFAULT;
    config->max_actions = HD_BUDGET_ACTIONS_DEFAULT;
    config->max_code_bytes = HD_BUDGET_CODE_BYTES_DEFAULT;
    config->max_buffer_bytes = HD_BUDGET_BUFFER_BYTES_DEFAULT;
}

void hd_backend_ops_init(struct hd_backend_ops *ops)
{
    hd_memset(ops, 0, sizeof(*ops));
    ops->size = sizeof(*ops);
    ops->version = HD_BACKEND_OPS_VERSION;
}

const char *hd_guest_reg_name(unsigned index)
{
    static const char *const names[HD_GUEST_REG_COUNT] = {
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
    };
    return index < HD_GUEST_REG_COUNT ? names[index] : (const char *)0;
}
