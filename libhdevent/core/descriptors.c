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

static const char *const guest_reg_names[HD_GUEST_REG_COUNT] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};

const char *hd_guest_reg_name(unsigned index)
{
    return index < HD_GUEST_REG_COUNT ? guest_reg_names[index] : (const char *)0;
}

/*
 * Exact bytes, lower case only: every caller but `hdevent run --nr-reg` took only these, and
 * a name that matched here and printed differently from hd_guest_reg_name() would not
 * round-trip. Reads at most len bytes of @p name and never past a table name's NUL, so a word
 * inside a longer line needs no terminator.
 */
int hd_guest_reg_index(const char *name, size_t len)
{
    if (!name)
        return -1;
    for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++) {
        const char *n = guest_reg_names[i];
        size_t k = 0;

        while (k < len && n[k] != '\0' && n[k] == name[k])
            k++;
        if (k == len && n[k] == '\0')
            return (int)i;
    }
    return -1;
}
