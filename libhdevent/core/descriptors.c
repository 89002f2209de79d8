/* Defaults of the public descriptors, and small facts about them. */
#include <hdevent/backend.h>
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
