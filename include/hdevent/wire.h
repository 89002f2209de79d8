/* SPDX-License-Identifier: MIT */
/*
 * hdevent/wire.h — HyperDbg's IOCTL wire format: layouts, codes, and the one kernel entry point.
 *
 * User mode sends an event as DEBUGGER_GENERAL_EVENT_DETAIL + condition bytes, then each action
 * as DEBUGGER_GENERAL_ACTION + payload, one IOCTL each; it enables, disables, clears and
 * queries events with DEBUGGER_MODIFY_EVENTS. The layouts below are HyperDbg's x86-64 ones,
 * little-endian, written with fixed-width fields only (the two list pointers and the command
 * pointer are uint64_t, padding is explicit), so 32-bit and 64-bit user mode and every kernel
 * agree on every offset. The static asserts pin each offset.
 *
 * Kernel side: a backend's IOCTL handler passes the code and its buffers to hd_wire_ioctl(),
 * which decodes, validates and applies them. No backend parses a buffer itself. Buffers are
 * untrusted: every size field is checked against the real length, every enum and flag against
 * its range, and a rejected buffer changes nothing. docs/wire.md has the tables and examples.
 *
 * Freestanding-safe. The user-mode encoder is in wire_encode.h.
 */
#ifndef HDEVENT_WIRE_H
#define HDEVENT_WIRE_H

#include "dispatch.h"
#include "engine.h"
#include "event.h"
#include "script_bytecode.h"
#include "status.h"
#include "types.h"

HD_EXTERN_C_BEGIN

/* ---------------------------------------------------------------------------------------- */
/* IOCTL codes (device type 0x22, METHOD_BUFFERED, FILE_ANY_ACCESS)                          */
/* ---------------------------------------------------------------------------------------- */

/** Register an event: in hd_wire_event + condition, out hd_wire_result. */
#define HD_IOCTL_REGISTER_EVENT 0x222814u
/** Add one action to a registered event: in hd_wire_action + payload, out hd_wire_result. */
#define HD_IOCTL_ADD_ACTION 0x222818u
/** Query, enable, disable or clear events: in and out hd_wire_modify. */
#define HD_IOCTL_MODIFY_EVENTS 0x22282Cu
/** Discard every queued message: in ignored, out hd_wire_flush. */
#define HD_IOCTL_FLUSH_BUFFERS 0x222830u

/* ---------------------------------------------------------------------------------------- */
/* Enumerations (HyperDbg's wire values)                                                    */
/* ---------------------------------------------------------------------------------------- */

/** EventType values. hdevent implements VMCALL only; every other value is refused. */
enum hd_wire_event_type {
    HD_WIRE_EVENT_HIDDEN_HOOK_FIRST = 0, /**< hidden hooks (EPT) are 0..6 */
    HD_WIRE_EVENT_HIDDEN_HOOK_LAST = 6,
    HD_WIRE_EVENT_EXEC_DETOURS = 7,
    HD_WIRE_EVENT_EXEC_CC = 8,
    HD_WIRE_EVENT_SYSCALL = 9,
    HD_WIRE_EVENT_SYSRET = 10,
    HD_WIRE_EVENT_CPUID = 11,
    HD_WIRE_EVENT_RDMSR = 12,
    HD_WIRE_EVENT_WRMSR = 13,
    HD_WIRE_EVENT_IN = 14,
    HD_WIRE_EVENT_OUT = 15,
    HD_WIRE_EVENT_EXCEPTION = 16,
    HD_WIRE_EVENT_EXTERNAL_INTERRUPT = 17,
    HD_WIRE_EVENT_DEBUG_REGISTERS = 18,
    HD_WIRE_EVENT_TSC = 19,
    HD_WIRE_EVENT_PMC = 20,
    HD_WIRE_EVENT_VMCALL = 21, /**< VMCALL_INSTRUCTION_EXECUTION: the one hdevent implements */
    HD_WIRE_EVENT_CR_MODIFIED = 22,
    HD_WIRE_EVENT_CR_READ = 23,
    HD_WIRE_EVENT_CR3_MODIFIED = 24,
    HD_WIRE_EVENT_TRAP_MODE_CHANGED = 25,
    HD_WIRE_EVENT_INSTRUCTION_TRACE = 26,
    HD_WIRE_EVENT_XSETBV = 27,
    HD_WIRE_EVENT_TYPE_LAST = 27, /**< highest event type HyperDbg defines */
};

/** ActionType values; the same numbers as HD_ACTION_BREAK, _SCRIPT and _CODE. */
enum hd_wire_action_type {
    HD_WIRE_ACTION_BREAK = 0,
    HD_WIRE_ACTION_SCRIPT = 1,
    HD_WIRE_ACTION_CODE = 2,
};

/** TypeOfAction of a modify request. */
enum hd_wire_modify_type {
    HD_WIRE_MODIFY_QUERY = 0,   /**< report IsEnabled of one event */
    HD_WIRE_MODIFY_ENABLE = 1,  /**< `events e ID|all` */
    HD_WIRE_MODIFY_DISABLE = 2, /**< `events d ID|all` */
    HD_WIRE_MODIFY_CLEAR = 3,   /**< `events c ID|all` */
};

/* ---------------------------------------------------------------------------------------- */
/* Error codes                                                                              */
/* ---------------------------------------------------------------------------------------- */

/** First code of hdevent's own range; 0xC0001000..0xC0001FFF is reserved to hdevent. */
#define HD_WIRE_OWN_FIRST 0xC0001000u
/** Last code of hdevent's own range. */
#define HD_WIRE_OWN_LAST 0xC0001FFFu

/*
 * X(name, u32 value, sentence). The first block is HyperDbg's codes with HyperDbg's meaning;
 * the second is hdevent's, for what HyperDbg does not check. The sentence names the field.
 * Values are ABI: append, never renumber.
 */
#define HD_WIRE_ERROR_LIST(X)                                                                  \
    /* ---- success ---- */                                                                    \
    X(HD_WIRE_OK, 0x00000000u,                                                                  \
      "success (the Error of a successful register or add-action result)")                     \
    X(HD_WIRE_SUCCESS, 0xFFFFFFFFu,                                                             \
      "success (KernelStatus of a successful modify or flush request)")                        \
    /* ---- HyperDbg's codes ---- */                                                            \
    X(HD_WIRE_ERR_TAG_NOT_EXISTS, 0xC0000000u,                                                  \
      "EventTag: no registered event has this tag")                                             \
    X(HD_WIRE_ERR_INVALID_ACTION_TYPE, 0xC0000001u,                                             \
      "ActionType must be 0 (break), 1 (script) or 2 (custom code)")                           \
    X(HD_WIRE_ERR_ACTION_BUFFER_SIZE_IS_ZERO, 0xC0000002u,                                      \
      "CustomCodeBufferSize (code action) or ScriptBufferSize (script action) is 0: "           \
      "the action has no payload")                                                              \
    X(HD_WIRE_ERR_EVENT_TYPE_INVALID, 0xC0000003u,                                              \
      "EventType must be 21 (VMCALL_INSTRUCTION_EXECUTION), the only event hdevent implements") \
    X(HD_WIRE_ERR_UNABLE_TO_CREATE_EVENT, 0xC0000004u,                                          \
      "unable to create the event or action: the kernel ran out of memory; nothing changed")   \
    X(HD_WIRE_ERR_INVALID_CORE_ID, 0xC0000006u,                                                 \
      "CoreId is neither below the number of cores nor 0xFFFFFFFF (all cores)")                \
    X(HD_WIRE_ERR_MODIFY_INVALID_TAG, 0xC000000Eu,                                              \
      "modify: Tag is not a registered event (query takes one event, not all)")                \
    X(HD_WIRE_ERR_MODIFY_INVALID_TYPE, 0xC000000Fu,                                             \
      "modify: TypeOfAction must be 0 (query), 1 (enable), 2 (disable) or 3 (clear)")          \
    X(HD_WIRE_ERR_INVALID_PROCESS_ID, 0xC000001Eu,                                              \
      "ProcessId is invalid (HyperDbg's code; hdevent takes any pid as a filter)")             \
    X(HD_WIRE_ERR_EVENT_NOT_APPLIED, 0xC000001Fu,                                               \
      "event not applied: the backend cannot run raw code (it has no executable memory)")      \
    X(HD_WIRE_ERR_SC_WITH_POST, 0xC000003Au,                                                    \
      "EnableShortCircuiting is allowed only with EventStage 1 (pre), not 2 (post) or 3 (all)") \
    /* ---- hdevent's codes: what HyperDbg does not check ---- */                               \
    X(HD_WIRE_ERR_TRUNCATED, 0xC0001000u,                                                       \
      "input is shorter than its structure (event 168, action 32, modify 24 bytes)")           \
    X(HD_WIRE_ERR_CONDITION_PAST_END, 0xC0001001u,                                              \
      "ConditionBufferSize runs past the end of the input")                                    \
    X(HD_WIRE_ERR_PAYLOAD_PAST_END, 0xC0001002u,                                                \
      "CustomCodeBufferSize or ScriptBufferSize runs past the end of the input")               \
    X(HD_WIRE_ERR_SIZE_OVERFLOW, 0xC0001003u,                                                   \
      "the structure plus its size fields exceeds 0xFFFFFFFF bytes (a 32-bit sum would wrap)") \
    X(HD_WIRE_ERR_TRAILING_BYTES, 0xC0001004u,                                                  \
      "input is longer than the structure plus its size fields")                               \
    X(HD_WIRE_ERR_BAD_IS_ENABLED, 0xC0001005u, "IsEnabled must be 0 or 1")                     \
    X(HD_WIRE_ERR_BAD_SHORT_CIRCUIT, 0xC0001006u, "EnableShortCircuiting must be 0 or 1")      \
    X(HD_WIRE_ERR_BAD_CUSTOM_OUTPUT, 0xC0001007u, "HasCustomOutput must be 0 or 1")            \
    X(HD_WIRE_ERR_BAD_IMMEDIATE, 0xC0001008u, "ImmediateMessagePassing must be 0 or 1")        \
    X(HD_WIRE_ERR_BAD_STAGE, 0xC0001009u, "EventStage must be 1 (pre), 2 (post) or 3 (all)")   \
    X(HD_WIRE_ERR_CUSTOM_OUTPUT_UNSUPPORTED, 0xC000100Au,                                       \
      "HasCustomOutput is 1: output forwarding is not supported (no longer returned: it is)")  \
    X(HD_WIRE_ERR_TAG_INVALID, 0xC000100Bu,                                                     \
      "Tag is outside 0x1000000..0xFFFFFFFF or more than 0x10000 above the next free tag: "     \
      "user mode numbers events from 0x1000000, one after another")                            \
    X(HD_WIRE_ERR_TAG_IN_USE, 0xC000100Cu,                                                      \
      "Tag is not above every tag given out: tags are used once, ascending, never reused")     \
    X(HD_WIRE_ERR_TOO_MANY_ACTIONS, 0xC000100Du,                                                \
      "CountOfActions is above 256, or the event already holds 256 actions")                   \
    X(HD_WIRE_ERR_CODE_TOO_LARGE, 0xC000100Eu,                                                  \
      "ConditionBufferSize or CustomCodeBufferSize is above 65536 bytes (RET included)")       \
    X(HD_WIRE_ERR_BUFFER_TOO_LARGE, 0xC000100Fu,                                                \
      "PreAllocatedBuffer is above 1048576 bytes (1 MiB)")                                      \
    X(HD_WIRE_ERR_SCRIPT_UNSUPPORTED, 0xC0001010u,                                                 \
      "ActionType 1 (script) is not supported here (no longer returned: scripts are)")             \
    X(HD_WIRE_ERR_UNEXPECTED_PAYLOAD, 0xC0001011u,                                              \
      "a size field the ActionType does not use is set (break: both payload sizes 0; "          \
      "code: ScriptBufferSize 0; script: CustomCodeBufferSize 0)")                              \
    X(HD_WIRE_ERR_OUTPUT_TOO_SMALL, 0xC0001012u,                                                \
      "output buffer too small for the result (register/add 8, modify 24, flush 12 bytes); "    \
      "nothing was done")                                                                       \
    X(HD_WIRE_ERR_UNKNOWN_IOCTL, 0xC0001013u,                                                   \
      "IOCTL code is not register (0x222814), add action (0x222818), modify (0x22282C) "        \
      "or flush (0x222830)")                                                                    \
    X(HD_WIRE_ERR_ACTION_COUNT_MISMATCH, 0xC0001014u,                                           \
      "file: the number of action buffers differs from the event's CountOfActions")            \
    X(HD_WIRE_ERR_INVALID_ARGUMENT, 0xC0001015u,                                                \
      "invalid argument: a NULL buffer with a non-zero length, or no engine")                  \
    X(HD_WIRE_ERR_INTERNAL, 0xC0001016u,                                                        \
      "the engine refused for a reason that has no wire code (see the kernel log)")             \
    /* ---- hdevent's own IOCTLs (self-test, messages, event list) ---- */                      \
    X(HD_WIRE_ERR_SELFTEST_BAD_CPL, 0xC0001017u, "self-test: Cpl must be 0, 1, 2 or 3")        \
    X(HD_WIRE_ERR_SELFTEST_BAD_INSN_LEN, 0xC0001018u,                                           \
      "self-test: InsnLen must be 0 (meaning 3, VMCALL) or 1..15")                             \
    X(HD_WIRE_ERR_SELFTEST_BAD_FLAGS, 0xC0001019u,                                              \
      "self-test: Flags has a bit other than 0x1 (pid given) set, or a reserved field is not 0") \
    X(HD_WIRE_ERR_SELFTEST_WRONG_CORE, 0xC000101Au,                                             \
      "self-test: Core is not the core the request ran on (pin the caller to that core); "      \
      "nothing was dispatched")                                                                 \
    X(HD_WIRE_ERR_SELFTEST_UNAVAILABLE, 0xC000101Bu,                                            \
      "self-test: this backend cannot run a synthetic exit (no run-on-this-core service)")     \
    X(HD_WIRE_ERR_MESSAGE_BUFFER_TOO_SMALL, 0xC000101Cu,                                        \
      "read messages: the output buffer is smaller than 32 bytes (one record header and "       \
      "8 bytes of text)")                                                                       \
    /* ---- replies a user-mode decoder refuses (wire_encode.h) ---- */                          \
    X(HD_WIRE_ERR_REPLY_MALFORMED, 0xC000101Du,                                                 \
      "reply from the device: a field is out of range (a flag other than 0 or 1, a length "     \
      "above its size, an unknown stage or kind, a success flag that contradicts the code)")   \
    X(HD_WIRE_ERR_BUDGET_EXCEEDED, 0xC000101Eu,                                                 \
      "the kernel's budget for events, actions, code or buffer bytes is used up: clear "           \
      "events first")                                                                              \
    /* ---- script bytecode (script_bytecode.h: what hd_script_verify() refuses) ---- */           \
    X(HD_WIRE_ERR_SCRIPT_HEADER, 0xC000101Fu,                                                      \
      "script: the payload is shorter than its 32-byte header, or not HDSC bytecode version 1")    \
    X(HD_WIRE_ERR_SCRIPT_SIZE, 0xC0001020u,                                                        \
      "script: a count above its limit, no instruction, sections that do not add up to "           \
      "ScriptBufferSize, or a string pool that does not end in a NUL")                             \
    X(HD_WIRE_ERR_SCRIPT_STACK, 0xC0001021u,                                                       \
      "script: more than 1024 slots, fewer slots than locals, or printf arguments past the "       \
      "last slot")                                                                                 \
    X(HD_WIRE_ERR_SCRIPT_GLOBALS, 0xC0001022u,                                                     \
      "script: a global name is not 1-31 characters of [A-Za-z0-9_] or is listed twice, or "       \
      "the kernel's table of globals is full")                                                     \
    X(HD_WIRE_ERR_SCRIPT_OPCODE, 0xC0001023u,                                                      \
      "script: an unknown opcode, a flag the opcode does not take, or an unused operand not 0")    \
    X(HD_WIRE_ERR_SCRIPT_OPERAND, 0xC0001024u,                                                     \
      "script: an operand (slot, register, view, pseudo-register, constant, global, width, "       \
      "string) out of range")                                                                      \
    X(HD_WIRE_ERR_SCRIPT_JUMP, 0xC0001025u,                                                        \
      "script: a jump past the last instruction, or a last instruction that is not END or JMP")    \
    X(HD_WIRE_ERR_SCRIPT_PRINTF, 0xC0001026u,                                                      \
      "script: a printf format with an unknown conversion, more than 8 conversions, or not as "    \
      "many conversions as arguments")                                                             \
    X(HD_WIRE_ERR_SCRIPT_BUDGET, 0xC0001027u,                                                      \
      "Options[0] (the event's script step budget) is above 0x1000000")                            \
    X(HD_WIRE_ERR_SCRIPT_INSN_COUNT, 0xC0001028u,                                                  \
      "ScriptBufferPointer is not the bytecode's instruction count (header offset 8)")          \
    X(HD_WIRE_ERR_BAD_OUTPUT_TAGS, 0xC0001029u,                                                    \
      "HasCustomOutput is 1 but OutputSourceTags is not 1 to 5 distinct non-zero tags "            \
      "followed by zeros")                                                                         \
    X(HD_WIRE_ERR_COMMAND_OP, 0xC000102Au,                                                         \
      "event command: Op is not 0 (get) or 1 (set), or a get carries a Length")                    \
    X(HD_WIRE_ERR_COMMAND_TEXT, 0xC000102Bu,                                                       \
      "event command: Length is above 4096 bytes, or the text holds a NUL byte")                   \
    /* ---- hdevent's extension of the event (Options[1..5]: nr, deny, max_hits) ---- */          \
    X(HD_WIRE_ERR_BAD_EXTENSION, 0xC0001040u,                                                      \
      "Options[1] (hdevent's extension flags) has a bit other than 0x1 (nr) and 0x6 (deny: 2 ud, " \
      "4 rax) set, the nr range Options[2..3] ends below its start or is set without the nr "      \
      "flag, or deny comes with EventStage 2 or 3")

/*
 * The codes as names. HyperDbg's values are above INT_MAX, which ISO C (before C23) does not
 * allow an enumerator; GCC and Clang accept it and give the enum an unsigned type, and the
 * pragma keeps -Wpedantic builds of includers quiet. The MSVC ABI (cl, clang-cl) makes every
 * enum an int, so there HD_WIRE_SUCCESS is -1. Carry codes in uint32_t, as every function here
 * does, use the enum for the names, and compare as (uint32_t)HD_WIRE_SUCCESS.
 */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
/** Every wire code by name (values from HD_WIRE_ERROR_LIST). */
enum hd_wire_error {
#define HD_WIRE_ERROR_ENUM_(name, value, text) name = value,
    HD_WIRE_ERROR_LIST(HD_WIRE_ERROR_ENUM_)
#undef HD_WIRE_ERROR_ENUM_
};
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/**
 * The sentence for wire code @p code: which field is wrong and what it must be.
 * @return a static string; "unknown wire error code" for codes not in the list. Never NULL.
 */
HD_API const char *hd_wire_error_str(uint32_t code);

/**
 * The enumerator's name ("HD_WIRE_ERR_TRUNCATED"), for logs and JSON.
 * @return a static string; "HD_WIRE_UNKNOWN" for codes not in the list. Never NULL.
 */
HD_API const char *hd_wire_error_name(uint32_t code);

/**
 * The wire code for an engine status, as hd_wire_ioctl() reports engine-side refusals.
 * HD_OK and informational statuses give HD_WIRE_OK; HD_ERR_NO_SUCH_EVENT gives
 * HD_WIRE_ERR_TAG_NOT_EXISTS (modify requests use HD_WIRE_ERR_MODIFY_INVALID_TAG instead);
 * HD_ERR_TOO_LARGE gives HD_WIRE_ERR_CODE_TOO_LARGE (the decoder has already refused a
 * pre-allocated buffer above the maximum); statuses no buffer can cause give
 * HD_WIRE_ERR_INTERNAL. Never returns 0 for an error.
 */
HD_API uint32_t hd_wire_error_from_status(enum hd_status status);

/* ---------------------------------------------------------------------------------------- */
/* Structures                                                                               */
/* ---------------------------------------------------------------------------------------- */

/** Bytes of each structure on the wire. */
#define HD_WIRE_EVENT_SIZE 168u
#define HD_WIRE_ACTION_SIZE 32u
#define HD_WIRE_RESULT_SIZE 8u
#define HD_WIRE_MODIFY_SIZE 24u
#define HD_WIRE_FLUSH_SIZE 12u
/**
 * Longest input any valid request has: a script action with the largest bytecode (an event
 * with the largest condition is shorter). A backend that must copy the input first (Linux
 * copy_from_user) may refuse longer input before copying.
 */
#define HD_WIRE_INPUT_MAX (HD_WIRE_ACTION_SIZE + HD_SCRIPT_MAX_BYTES)
HD__STATIC_ASSERT(HD_WIRE_INPUT_MAX >= HD_WIRE_EVENT_SIZE + HD_CODE_MAX_BYTES,
                 "the longest request is a script action");

/**
 * DEBUGGER_GENERAL_EVENT_DETAIL, followed by condition_buffer_size bytes of condition code.
 * Ignored by the kernel (as by HyperDbg): the list link, command_string_buffer, options (unused
 * for VMCALL), output_source_tags while has_custom_output is 0, and the reserved bytes. With
 * has_custom_output 1 the event keeps its tags (hd_event_outputs(), HD_IOCTL_EVENT_OUTPUTS):
 * user mode routes the event's messages by them (docs/output.md).
 */
struct hd_wire_event {
    uint64_t list_flink;              /**< 0: user-mode list link, ignored */
    uint64_t list_blink;              /**< 8: user-mode list link, ignored */
    uint32_t core_id;                 /**< 16: HD_ALL = every core */
    uint32_t process_id;              /**< 20: HD_ALL = every pid */
    uint8_t is_enabled;               /**< 24: 0 or 1 */
    uint8_t enable_short_circuiting;  /**< 25: 0 or 1; 1 only with stage pre */
    uint8_t reserved0[2];             /**< 26 */
    uint32_t event_stage;             /**< 28: enum hd_stage (1 pre, 2 post, 3 all) */
    uint8_t has_custom_output;        /**< 32: 0 or 1: output_source_tags names the outputs */
    uint8_t reserved1[7];             /**< 33 */
    uint64_t output_source_tags[5];   /**< 40 */
    uint32_t count_of_actions;        /**< 80: actions that will follow, at most 256 */
    uint32_t reserved2;               /**< 84 */
    uint64_t tag;                     /**< 88: the event's tag (ID + 0x1000000) */
    uint32_t event_type;              /**< 96: HD_WIRE_EVENT_VMCALL */
    uint32_t reserved3;               /**< 100 */
    uint64_t options[6];              /**< 104: [0] the script step budget (0: default); [1..5]
                                       *   hdevent's extension (HD_WIRE_EXT_*: nr, deny,
                                       *   max_hits), all 0 from HyperDbg's user mode */
    uint64_t command_string_buffer;   /**< 152: user-mode pointer, ignored */
    uint32_t condition_buffer_size;   /**< 160: bytes of condition code at offset 168 */
    uint32_t reserved4;               /**< 164 */
};

/*
 * hdevent's extension of the event, in Options[1..5], which HyperDbg's user mode leaves 0 for
 * VMCALL (so its buffers mean what they always did): Options[1] flags, [2] and [3] the nr
 * range (first, last), [4] the deny rax value, [5] max_hits (0: no limit).
 */
#define HD_WIRE_EXT_NR 0x1u        /**< Options[1]: the event has `nr` (Options[2..3]) */
#define HD_WIRE_EXT_DENY_UD 0x2u   /**< Options[1]: `deny ud` */
#define HD_WIRE_EXT_DENY_RAX 0x4u  /**< Options[1]: `deny rax=Options[4]` */

/** DEBUGGER_GENERAL_ACTION, followed by the payload (code or script bytes). */
struct hd_wire_action {
    uint64_t event_tag;                /**< 0: the registered event to add to */
    uint32_t action_type;              /**< 8: enum hd_wire_action_type */
    uint8_t immediate_message_passing; /**< 12: 0 or 1 */
    uint8_t reserved0[3];              /**< 13 */
    uint32_t pre_allocated_buffer;     /**< 16: bytes, at most HD_BUFFER_MAX_BYTES */
    uint32_t custom_code_buffer_size;  /**< 20: code bytes at offset 32 (code actions) */
    uint32_t script_buffer_size;       /**< 24: script bytes at offset 32 (script actions) */
    uint32_t script_buffer_pointer;    /**< 28: script actions: the bytecode's instruction count */
};

/** DEBUGGER_EVENT_AND_ACTION_RESULT: the output of register and add-action. */
struct hd_wire_result {
    uint8_t is_successful; /**< 0: 1 on success */
    uint8_t reserved0[3];  /**< 1: written as 0 */
    uint32_t error;        /**< 4: 0 on success, else a wire error code */
};

/** DEBUGGER_MODIFY_EVENTS: input and output of the modify IOCTL. */
struct hd_wire_modify {
    uint64_t tag;           /**< 0: the event, or HD_TAG_ALL (enable, disable, clear) */
    uint64_t kernel_status; /**< 8: out: HD_WIRE_SUCCESS or a wire error code */
    uint32_t type_of_action; /**< 16: enum hd_wire_modify_type */
    uint8_t is_enabled;     /**< 20: out (query): 1 if the event is enabled; ignored on input */
    uint8_t reserved0[3];   /**< 21 */
};

/** DEBUGGER_FLUSH_LOGGING_BUFFERS: the output of flush. */
struct hd_wire_flush {
    uint32_t kernel_status;          /**< 0: HD_WIRE_SUCCESS */
    uint32_t messages_vmx_root;      /**< 4: messages discarded (all of hdevent's messages) */
    uint32_t messages_vmx_non_root;  /**< 8: always 0: hdevent has no non-root queue */
};

#define HD_WIRE_ASSERT_(type, field, off) \
    HD__STATIC_ASSERT(offsetof(struct type, field) == (off), #type "." #field " offset")

HD__STATIC_ASSERT(sizeof(struct hd_wire_event) == HD_WIRE_EVENT_SIZE, "event detail size");
HD_WIRE_ASSERT_(hd_wire_event, list_flink, 0);
HD_WIRE_ASSERT_(hd_wire_event, list_blink, 8);
HD_WIRE_ASSERT_(hd_wire_event, core_id, 16);
HD_WIRE_ASSERT_(hd_wire_event, process_id, 20);
HD_WIRE_ASSERT_(hd_wire_event, is_enabled, 24);
HD_WIRE_ASSERT_(hd_wire_event, enable_short_circuiting, 25);
HD_WIRE_ASSERT_(hd_wire_event, reserved0, 26);
HD_WIRE_ASSERT_(hd_wire_event, event_stage, 28);
HD_WIRE_ASSERT_(hd_wire_event, has_custom_output, 32);
HD_WIRE_ASSERT_(hd_wire_event, reserved1, 33);
HD_WIRE_ASSERT_(hd_wire_event, output_source_tags, 40);
HD_WIRE_ASSERT_(hd_wire_event, count_of_actions, 80);
HD_WIRE_ASSERT_(hd_wire_event, reserved2, 84);
HD_WIRE_ASSERT_(hd_wire_event, tag, 88);
HD_WIRE_ASSERT_(hd_wire_event, event_type, 96);
HD_WIRE_ASSERT_(hd_wire_event, reserved3, 100);
HD_WIRE_ASSERT_(hd_wire_event, options, 104);
HD_WIRE_ASSERT_(hd_wire_event, command_string_buffer, 152);
HD_WIRE_ASSERT_(hd_wire_event, condition_buffer_size, 160);
HD_WIRE_ASSERT_(hd_wire_event, reserved4, 164);

HD__STATIC_ASSERT(sizeof(struct hd_wire_action) == HD_WIRE_ACTION_SIZE, "action size");
HD_WIRE_ASSERT_(hd_wire_action, event_tag, 0);
HD_WIRE_ASSERT_(hd_wire_action, action_type, 8);
HD_WIRE_ASSERT_(hd_wire_action, immediate_message_passing, 12);
HD_WIRE_ASSERT_(hd_wire_action, reserved0, 13);
HD_WIRE_ASSERT_(hd_wire_action, pre_allocated_buffer, 16);
HD_WIRE_ASSERT_(hd_wire_action, custom_code_buffer_size, 20);
HD_WIRE_ASSERT_(hd_wire_action, script_buffer_size, 24);
HD_WIRE_ASSERT_(hd_wire_action, script_buffer_pointer, 28);

HD__STATIC_ASSERT(sizeof(struct hd_wire_result) == HD_WIRE_RESULT_SIZE, "result size");
HD_WIRE_ASSERT_(hd_wire_result, is_successful, 0);
HD_WIRE_ASSERT_(hd_wire_result, reserved0, 1);
HD_WIRE_ASSERT_(hd_wire_result, error, 4);

HD__STATIC_ASSERT(sizeof(struct hd_wire_modify) == HD_WIRE_MODIFY_SIZE, "modify size");
HD_WIRE_ASSERT_(hd_wire_modify, tag, 0);
HD_WIRE_ASSERT_(hd_wire_modify, kernel_status, 8);
HD_WIRE_ASSERT_(hd_wire_modify, type_of_action, 16);
HD_WIRE_ASSERT_(hd_wire_modify, is_enabled, 20);
HD_WIRE_ASSERT_(hd_wire_modify, reserved0, 21);

HD__STATIC_ASSERT(sizeof(struct hd_wire_flush) == HD_WIRE_FLUSH_SIZE, "flush size");
HD_WIRE_ASSERT_(hd_wire_flush, kernel_status, 0);
HD_WIRE_ASSERT_(hd_wire_flush, messages_vmx_root, 4);
HD_WIRE_ASSERT_(hd_wire_flush, messages_vmx_non_root, 8);

#undef HD_WIRE_ASSERT_

/* ---------------------------------------------------------------------------------------- */
/* Decoders (untrusted input; they never read past len and never write into buf)            */
/* ---------------------------------------------------------------------------------------- */

/**
 * Decode and validate an event buffer (hd_wire_event + condition bytes).
 * @param core_count the backend's core count for the CoreId check; 0 skips that check (user
 *        mode decoding a file; registration checks the core again).
 * @param out filled on success only: HyperDbg's defaults plus the buffer's fields; tag = Tag;
 *        a RAW condition whose code points INTO @p buf (valid while buf is) when
 *        ConditionBufferSize > 0; script_steps = Options[0]; no actions (they come by
 *        add-action); no command text.
 * @return HD_WIRE_OK or the wire error code of the first problem found. Order: length and
 *         sizes, then EventType, the three flags, stage, short-circuit, core, tag,
 *         CountOfActions, condition size, custom output, script step budget.
 */
HD_API uint32_t hd_wire_decode_event(const void *buf, size_t len, uint32_t core_count,
                                     struct hd_event_desc *out);

/**
 * Decode and validate an action buffer (hd_wire_action + payload).
 * @param tag receives EventTag on success. The decoder does not look the tag up.
 * @param out filled on success only: type, immediate, buffer_size, and for a code or script
 *        action the payload pointing INTO @p buf.
 * @return HD_WIRE_OK or the wire error code of the first problem found. Order: length and
 *         sizes, ActionType, ImmediateMessagePassing, sizes the type does not use, empty
 *         payload, PreAllocatedBuffer, code size; for a script, hd_script_verify() (its
 *         HD_WIRE_ERR_SCRIPT_* code), then ScriptBufferPointer against the instruction count.
 */
HD_API uint32_t hd_wire_decode_action(const void *buf, size_t len, uint64_t *tag,
                                      struct hd_action_desc *out);

/**
 * Decode and validate a modify request (exactly HD_WIRE_MODIFY_SIZE bytes).
 * @param tag, type receive Tag and TypeOfAction on success. Whether the tag exists is the
 *        engine's answer (HD_WIRE_ERR_MODIFY_INVALID_TAG from hd_wire_ioctl()).
 * @return HD_WIRE_OK, HD_WIRE_ERR_TRUNCATED, HD_WIRE_ERR_TRAILING_BYTES,
 *         HD_WIRE_ERR_MODIFY_INVALID_TYPE, or HD_WIRE_ERR_MODIFY_INVALID_TAG for a query
 *         of HD_TAG_ALL.
 */
HD_API uint32_t hd_wire_decode_modify(const void *buf, size_t len, uint64_t *tag, uint32_t *type);

/* ---------------------------------------------------------------------------------------- */
/* The kernel entry point                                                                    */
/* ---------------------------------------------------------------------------------------- */

/**
 * Handle one IOCTL: decode, validate and apply it to @p engine, and write its result.
 * Every kernel backend's IOCTL handler calls this; none parses a buffer itself.
 *
 * @p in and @p out may be the same memory (METHOD_BUFFERED's SystemBuffer): every input byte
 * is read before the first output byte is written. A rejected request changes nothing in the
 * engine. Writer context (it calls the engine's writer functions).
 *
 * - HD_IOCTL_REGISTER_EVENT: registers the event with desc.tag = Tag, enabled = IsEnabled;
 *   out: hd_wire_result (is_successful, error = 0 or the code).
 * - HD_IOCTL_ADD_ACTION: appends the action to event EventTag (HD_WIRE_ERR_TAG_NOT_EXISTS
 *   if none); out: hd_wire_result.
 * - HD_IOCTL_MODIFY_EVENTS: query / enable / disable / clear; out: the input echoed with
 *   kernel_status (HD_WIRE_SUCCESS or the code) and, for a query, is_enabled.
 * - HD_IOCTL_FLUSH_BUFFERS: discards every message queued when it starts (what HyperDbg's
 *   flush does: mark all as read); input ignored; out: hd_wire_flush with the count.
 *
 * @param written receives the bytes written to @p out (0 when nothing was). May be NULL.
 * @return HD_OK when a result was written, including a rejection (the code is in the
 *         result); HD_ERR_BUFFER_TOO_SMALL when @p out cannot hold the result (checked
 *         first: nothing was done); HD_ERR_UNKNOWN_IOCTL for another code (nothing done or
 *         written: the backend answers it, e.g. STATUS_INVALID_DEVICE_REQUEST / -ENOTTY);
 *         HD_ERR_INVALID_ARGUMENT for a NULL engine.
 */
HD_API enum hd_status hd_wire_ioctl(struct hd_engine *engine, uint32_t code, const void *in,
                                    size_t in_len, void *out, size_t out_len, size_t *written);

HD_EXTERN_C_END

#endif /* HDEVENT_WIRE_H */
