/* SPDX-License-Identifier: MIT */
/*
 * hdevent/event.h — what an event and its actions are made of.
 *
 * A descriptor is plain data the caller owns; hd_event_register() copies everything it needs
 * (code into executable memory, the command text, native callbacks by value), so descriptors
 * can live on the stack. Start from hd_event_desc_init() / hd_action_desc_init(): they set
 * HyperDbg's defaults (all pids, all cores, stage pre, enabled, immediate messages).
 */
#ifndef HDEVENT_EVENT_H
#define HDEVENT_EVENT_H

#include "regs.h"
#include "types.h"
#include "vcpu.h"

HD_EXTERN_C_BEGIN

/* ---------------------------------------------------------------------------------------- */
/* Tags and limits                                                                          */
/* ---------------------------------------------------------------------------------------- */

/** First tag handed out; tags count up from here in registration order (S19). */
#define HD_TAG_BASE ((uint64_t)0x1000000)
/** Tag meaning "every event" in enable/disable/clear (HyperDbg's all-ones tag). */
#define HD_TAG_ALL ((uint64_t)0xFFFFFFFFFFFFFFFF)
/**
 * Highest tag an event may have: HyperDbg numbers events in 32 bits. With HD_TAG_SKIP_MAX it
 * keeps the numbering from being used up by one request (a tag of 2^64 - 2 once did that).
 */
#define HD_TAG_MAX ((uint64_t)0xFFFFFFFF)
/** Most a caller-chosen tag may lie above the next free tag (S19; HyperDbg clients skip tags
 *  their failed registrations used). */
#define HD_TAG_SKIP_MAX ((uint64_t)0x10000)
/** Event ID as `events` shows it: tag − 0x1000000. */
#define HD_EVENT_ID(tag) ((uint64_t)(tag) - HD_TAG_BASE)
/** Tag of the event `events` shows as @p id. */
#define HD_EVENT_TAG(id) ((uint64_t)(id) + HD_TAG_BASE)

/** Largest raw condition or custom-code buffer accepted, in bytes (RET included). */
#define HD_CODE_MAX_BYTES (64u * 1024u)
/** Largest pre-allocated buffer an action may ask for, in bytes. */
#define HD_BUFFER_MAX_BYTES (1024u * 1024u)
/** Most actions one event may hold. */
#define HD_EVENT_MAX_ACTIONS 256u
/** Longest command text kept for listing; longer text is truncated. */
#define HD_COMMAND_MAX_BYTES 4096u

/** When an event runs relative to the backend's own handling of the VMCALL (wire values). */
enum hd_stage {
    HD_STAGE_PRE = 1,  /**< before the default handling (the default stage) */
    HD_STAGE_POST = 2, /**< after the default handling */
    HD_STAGE_ALL = 3,  /**< in both passes; hooks see which in hd_hook.stage */
};

/* ---------------------------------------------------------------------------------------- */
/* Native hooks                                                                             */
/* ---------------------------------------------------------------------------------------- */

/**
 * What a native condition or action receives. Valid only during the call.
 * Native hooks run in VMX root with interrupts off: they must not block or sleep.
 */
struct hd_hook {
    /** Guest registers; writes change the guest (on a protected call, a discarded copy). */
    struct hd_guest_regs *regs;
    /** The event's context: always NULL for VMCALL (HyperDbg's rule). */
    void *context;
    /** The exit being handled (core, pid, CPL, RIP, HD_VCPU_PROTECTED). */
    const struct hd_vcpu *vcpu;
    /** Tag of the event this hook belongs to. */
    uint64_t tag;
    /** The pass running now: HD_STAGE_PRE or HD_STAGE_POST (never ALL). */
    enum hd_stage stage;
    /** Bytes in `buffer`; 0 when the action asked for none. */
    uint32_t buffer_size;
    /** This core's pre-allocated, zero-initialised buffer of the action, or NULL. */
    void *buffer;
    /** The `user` pointer given in the descriptor. */
    void *user;
    /**
     * Set to true to short-circuit the VMCALL (like a script's event_sc(1)). Honoured in
     * the pre pass only, and never for the hypervisor's own hypercalls.
     */
    bool short_circuit;
};

/** Native condition: return 0 to skip the event's actions, anything else to run them. */
typedef uint64_t (*hd_condition_fn)(struct hd_hook *hook);

/**
 * Native action: may return a pointer inside hook->buffer; the bytes from there to the end
 * of the buffer become a message of the event (S18). Return NULL for no message.
 */
typedef void *(*hd_action_fn)(struct hd_hook *hook);

/* ---------------------------------------------------------------------------------------- */
/* Descriptors                                                                              */
/* ---------------------------------------------------------------------------------------- */

/** How an event's condition is given. */
enum hd_condition_kind {
    HD_CONDITION_NONE = 0,   /**< always true */
    HD_CONDITION_RAW = 1,    /**< x86-64 bytes, HyperDbg convention: rcx = regs, rdx = context */
    HD_CONDITION_NATIVE = 2, /**< a C function */
};

/** An event's optional condition. */
struct hd_condition_desc {
    enum hd_condition_kind kind;
    /** HD_CONDITION_RAW: the code; a RET (0xC3) is appended if it does not end in one. */
    const uint8_t *code;
    uint32_t code_size;
    /** HD_CONDITION_NATIVE: the function and its user pointer. */
    hd_condition_fn fn;
    void *user;
};

/** Action types. The first three are HyperDbg's wire values. */
enum hd_action_type {
    HD_ACTION_BREAK = 0,  /**< call the backend's break op (S17) */
    HD_ACTION_SCRIPT = 1, /**< run a script: compiled bytecode (script.h, script_bytecode.h) */
    HD_ACTION_CODE = 2,   /**< raw x86-64 custom code: rcx = buffer, rdx = regs, r8 = context */
    HD_ACTION_NATIVE = 3, /**< a C function */
};

/** One action of an event. */
struct hd_action_desc {
    enum hd_action_type type;
    /** HyperDbg's `imm yes|no`; carried to each message as hd_message_info.immediate. */
    bool immediate;
    /**
     * Bytes of zeroed buffer handed to the code (rcx), native hook (hook->buffer) or script
     * ($buffer). hdevent gives each core its own buffer (HyperDbg shares one between cores,
     * a race).
     */
    uint32_t buffer_size;
    /** HD_ACTION_CODE: the code; a RET (0xC3) is appended if it does not end in one. */
    const uint8_t *code;
    uint32_t code_size;
    /** HD_ACTION_NATIVE: the function and its user pointer. */
    hd_action_fn fn;
    void *user;
    /**
     * HD_ACTION_SCRIPT: the bytecode hd_script_compile() made (or any bytes: registration
     * verifies them, hd_script_verify()) and its size. Copied at registration.
     */
    const void *script;
    uint32_t script_size;
};

/** `deny`: the verdict an event gives besides its actions (hd_event_desc.deny). */
enum hd_deny {
    HD_DENY_NONE = 0, /**< no verdict: the actions alone decide (sc on, event_sc) */
    HD_DENY_UD = 1,   /**< inject #UD into the guest, RIP not advanced (the VMCALL faults) */
    HD_DENY_RAX = 2,  /**< rax = deny_rax, default handling skipped, RIP advanced */
};

/** Most output sources an event may name (HyperDbg's OutputSourceTags[5]). */
#define HD_EVENT_MAX_OUTPUTS 5u

/** A VMCALL event to register. */
struct hd_event_desc {
    /** Process filter; HD_ALL = every pid (S3). */
    uint32_t pid;
    /** Core filter; HD_ALL = every core (S2). */
    uint32_t core;
    enum hd_stage stage;
    /** `sc on`: skip the backend's default handling when this event fires (pre only, S13). */
    bool short_circuit;
    /** Events from commands start enabled (the default). */
    bool enabled;
    struct hd_condition_desc condition;
    /** Actions, run in this order (S7). May be NULL with action_count 0. */
    const struct hd_action_desc *actions;
    uint32_t action_count;
    /** Optional command text shown when listing (copied; NULL for none). */
    const char *command;
    /**
     * 0: the engine gives the next tag (the usual case). Otherwise the tag to use, as when
     * HyperDbg's user mode numbers events itself and sends the tag in the IOCTL buffer: it
     * must be above every tag given out so far (tags stay ascending and are never reused).
     */
    uint64_t tag;
    /**
     * Instructions each run of this event's script actions may execute (`steps N`); 0 means
     * HD_SCRIPT_STEPS_DEFAULT (100000). At most HD_SCRIPT_STEPS_MAX, else registration fails
     * with HD_ERR_SCRIPT_BUDGET. A run that uses it up stops with HD_ERR_SCRIPT_STEPS.
     */
    uint32_t script_steps;
    /**
     * Output sources the event's messages go to (`output {a, b}`): 0 to HD_EVENT_MAX_OUTPUTS
     * distinct non-zero tags, kept with the event and handed back by hd_event_outputs(). The
     * engine only keeps them; user mode routes the messages (docs/output.md). HyperDbg's
     * OutputSourceTags; hdevent's tools make a tag from a name with hd_output_tag().
     */
    uint32_t output_count;
    uint64_t outputs[HD_EVENT_MAX_OUTPUTS];

    /* ---- hdevent's own extension (`nr`, `deny`, `max_hits`: docs/commands.md) ---- */

    /**
     * `nr N` / `nr N-M`: the event runs only on exits whose hypercall number — the register
     * hd_backend_ops.nr_register names, rcx by default — lies in [nr_first, nr_last]. Dispatch
     * finds such events by the number (a hash of the numbers, then the ranges), before the
     * core and pid filters, which still apply. false: every number, as HyperDbg.
     */
    bool nr_filter;
    uint64_t nr_first;
    uint64_t nr_last;
    /**
     * A verdict besides the actions, given when the event fires (its condition held), never
     * on the hypervisor's own hypercall (S14): HD_DENY_UD injects #UD (no RIP advance),
     * HD_DENY_RAX sets rax to deny_rax and skips the default handling (RIP advances).
     */
    enum hd_deny deny;
    uint64_t deny_rax;
    /**
     * `max_hits N`: the event runs at most N times, counted across all cores (one locked add
     * per exit the event's condition held on), and is spent after that; 0: no limit.
     */
    uint64_t max_hits;
};

/** Defaults: all pids, all cores, stage pre, no short-circuit, enabled, no condition. */
HD_API void hd_event_desc_init(struct hd_event_desc *desc);

/** Defaults for an action of @p type: immediate messages, no buffer, no code. */
HD_API void hd_action_desc_init(struct hd_action_desc *desc, enum hd_action_type type);

HD_EXTERN_C_END

#endif /* HDEVENT_EVENT_H */
