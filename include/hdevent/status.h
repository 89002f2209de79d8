/* SPDX-License-Identifier: MIT */
/*
 * hdevent/status.h — one status type for the whole library.
 *
 * The list below is the only place a status is defined: it generates `enum hd_status`,
 * hd_status_str() and hd_status_name(). Values are ABI: append, never renumber.
 * 0 is success, negative values are errors, positive values are informational results
 * that are not failures (e.g. "no message queued").
 */
#ifndef HDEVENT_STATUS_H
#define HDEVENT_STATUS_H

#include "types.h"

HD_EXTERN_C_BEGIN

/*
 * X(name, value, wire, description). `wire` names the IOCTL wire code, HD_WIRE_<wire> in
 * wire.h, that hd_wire_error_from_status() gives the status: a new status gets its wire code
 * in its own line, and the build fails without one.
 */
#define HD_STATUS_LIST(X)                                                                          \
    X(HD_OK, 0, OK, "success")                                                                     \
    X(HD_EMPTY, 1, OK, "nothing to return: no message is queued, or no further event")             \
    X(HD_ERR_INVALID_ARGUMENT, -1, ERR_INVALID_ARGUMENT,                                           \
      "invalid argument: a required pointer is NULL or a size is 0")                               \
    X(HD_ERR_NO_MEMORY, -2, ERR_UNABLE_TO_CREATE_EVENT,                                            \
      "out of memory: the backend could not allocate")                                             \
    X(HD_ERR_NOT_SUPPORTED, -3, ERR_EVENT_NOT_APPLIED,                                             \
      "not supported by this backend (a needed backend op is NULL)")                               \
    X(HD_ERR_BAD_OPS, -4, ERR_INTERNAL,                                                            \
      "backend ops: unknown version, size too small or a required op missing")                     \
    X(HD_ERR_INVALID_STAGE, -5, ERR_BAD_STAGE,                                                     \
      "event stage must be pre (1), post (2) or all (3)")                                          \
    X(HD_ERR_SC_WITH_POST, -6, ERR_SC_WITH_POST,                                                   \
      "short-circuiting is only allowed with stage pre")                                           \
    X(HD_ERR_INVALID_CORE, -7, ERR_INVALID_CORE_ID,                                                \
      "core is not below the core count and is not 0xFFFFFFFF (all)")                              \
    X(HD_ERR_INVALID_CONDITION, -8, ERR_INTERNAL,                                                  \
      "condition: unknown kind, or raw bytes / callback missing")                                  \
    X(HD_ERR_INVALID_ACTION_TYPE, -9, ERR_INVALID_ACTION_TYPE,                                     \
      "action type must be break, script, code or native")                                         \
    X(HD_ERR_EMPTY_CODE, -10, ERR_ACTION_BUFFER_SIZE_IS_ZERO,                                      \
      "custom code action without code bytes or callback, or script action without bytecode")      \
    X(HD_ERR_TOO_LARGE, -11, ERR_CODE_TOO_LARGE,                                                   \
      "code or pre-allocated buffer larger than the documented maximum")                           \
    X(HD_ERR_NO_SUCH_EVENT, -12, ERR_TAG_NOT_EXISTS, "no registered event has this tag")           \
    X(HD_ERR_SCRIPT_NOT_SUPPORTED, -13, ERR_SCRIPT_UNSUPPORTED,                                    \
      "script actions are not supported here (no longer returned since the script engine "         \
      "landed; kept because values are ABI)")                                                      \
    X(HD_ERR_TAGS_EXHAUSTED, -14, ERR_TAG_INVALID, "every event tag has been given out")           \
    X(HD_ERR_BAD_VCPU, -15, ERR_INTERNAL,                                                          \
      "vCPU record: regs is NULL or core is not below the core count")                             \
    X(HD_ERR_NO_PRE_PASS, -16, ERR_INTERNAL,                                                       \
      "post pass without a pre pass on this core that asked for it")                               \
    X(HD_ERR_TOO_MANY_ACTIONS, -17, ERR_TOO_MANY_ACTIONS,                                          \
      "an event holds at most HD_EVENT_MAX_ACTIONS actions")                                       \
    X(HD_ERR_TAG_IN_USE, -18, ERR_TAG_IN_USE,                                                      \
      "tag already given out: tags are used once, in ascending order, and never reused")           \
    X(HD_ERR_INVALID_TAG, -19, ERR_TAG_INVALID,                                                    \
      "tag is outside 0x1000000..0xFFFFFFFF, or more than 0x10000 above the next free tag")        \
    X(HD_ERR_BUFFER_TOO_SMALL, -20, ERR_OUTPUT_TOO_SMALL,                                          \
      "output buffer too small for the result: nothing was done")                                  \
    X(HD_ERR_UNKNOWN_IOCTL, -21, ERR_UNKNOWN_IOCTL,                                                \
      "IOCTL code is not one of hdevent's wire requests")                                          \
    X(HD_ERR_NOT_ENCODABLE, -22, ERR_INTERNAL,                                                     \
      "native conditions and actions are C function pointers: they have no wire form")             \
    X(HD_ERR_INVALID_CODE, -23, ERR_INTERNAL,                                                      \
      "raw code rejected: it does not decode fully, can run off its end, or branches outside "     \
      "itself (hd_code_validate's report says where)")                                             \
    X(HD_ERR_BUDGET_EXCEEDED, -24, ERR_BUDGET_EXCEEDED,                                            \
      "the engine's budget (events, actions, code or buffer bytes: hd_engine_config) is used "     \
      "up: clear events first")                                                                    \
    X(HD_ERR_SCRIPT_HEADER, -25, ERR_SCRIPT_HEADER,                                                \
      "script bytecode: shorter than its 32-byte header, or not HDSC version 1 (magic, "           \
      "version, header size, reserved bytes)")                                                     \
    X(HD_ERR_SCRIPT_SIZE, -26, ERR_SCRIPT_SIZE,                                                    \
      "script bytecode: a count above its limit, no instruction, sections that do not add up "     \
      "to the buffer's length, or a string pool that does not end in a NUL")                       \
    X(HD_ERR_SCRIPT_STACK, -27, ERR_SCRIPT_STACK,                                                  \
      "script bytecode: its register file (locals and temporaries, the VM's stack) is above "      \
      "1024 slots or smaller than its locals, or printf arguments run past it")                    \
    X(HD_ERR_SCRIPT_GLOBALS, -28, ERR_SCRIPT_GLOBALS,                                              \
      "script: a global name is not 1-31 characters of [A-Za-z0-9_] or is listed twice, or "       \
      "the engine's table of globals is full (hd_engine_config.script_globals)")                   \
    X(HD_ERR_SCRIPT_OPCODE, -29, ERR_SCRIPT_OPCODE,                                                \
      "script bytecode: an unknown opcode, a flag the opcode does not take, or an operand it "     \
      "does not use that is not 0")                                                                \
    X(HD_ERR_SCRIPT_OPERAND, -30, ERR_SCRIPT_OPERAND,                                              \
      "script bytecode: a slot, register, view, pseudo-register, constant, global, width or "      \
      "string operand out of range")                                                               \
    X(HD_ERR_SCRIPT_JUMP, -31, ERR_SCRIPT_JUMP,                                                    \
      "script bytecode: a jump past the last instruction, or a last instruction that is not "      \
      "END or JMP (a run could fall off the end)")                                                 \
    X(HD_ERR_SCRIPT_PRINTF, -32, ERR_SCRIPT_PRINTF,                                                \
      "script bytecode: a printf format with a conversion other than %llx %llX %llu %lld %x "      \
      "%X %u %d %c %p %%, more than 8 of them, or not as many as its arguments")                   \
    X(HD_ERR_SCRIPT_BUDGET, -33, ERR_SCRIPT_BUDGET,                                                \
      "script step budget (steps N) above 0x1000000")                                              \
    X(HD_ERR_SCRIPT_COMPILE, -34, ERR_INTERNAL,                                                    \
      "the script does not compile (the error says what and where)")                               \
    X(HD_ERR_SCRIPT_STEPS, -35, ERR_INTERNAL,                                                      \
      "script run stopped: it used up its step budget (steps N; default 100000 instructions)")     \
    X(HD_ERR_SCRIPT_DIVIDE_BY_ZERO, -36, ERR_INTERNAL,                                             \
      "script run stopped: division or modulo by zero")                                            \
    X(HD_ERR_SCRIPT_MEMORY, -37, ERR_INTERNAL,                                                     \
      "script run stopped: the backend refused a memory access, or has no safe accessor for it")   \
    X(HD_ERR_SCRIPT_EVENT_QUEUE, -38, ERR_INTERNAL,                                                \
      "script run stopped: event_enable/disable/clear: this core already holds 16 requests "       \
      "waiting to be applied")                                                                 \
    X(HD_ERR_HOOK_FAULTED, -39, ERR_INTERNAL,                                                      \
      "a hook faulted (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, or SIGSYS for a refused system "  \
      "call): the host backend stopped it and abandoned the exit (hd_host_fault_get says where)")  \
    X(HD_ERR_HOOK_TIMEOUT, -40, ERR_INTERNAL,                                                      \
      "a hook's raw code ran past the host backend's time limit (hd_host_config.time_limit_ms): "  \
      "it was stopped and the exit abandoned")

/** Status of every hdevent call. */
enum hd_status {
#define HD_STATUS_ENUM_(name, value, wire, text) name = value,
    HD_STATUS_LIST(HD_STATUS_ENUM_)
#undef HD_STATUS_ENUM_
};

/** True when @p s is not an error (success or an informational status). */
#define HD_SUCCESS(s) ((int)(s) >= 0)
/** True when @p s is an error. */
#define HD_FAILED(s) ((int)(s) < 0)
/** Evaluate @p expr; return its status from the calling function if it is an error. */
#define HD_CHECK(expr)                                                                          \
    do {                                                                                        \
        enum hd_status hd_check_status_ = (expr);                                               \
        if (HD_FAILED(hd_check_status_))                                                        \
            return hd_check_status_;                                                            \
    } while (0)

/**
 * A sentence describing @p s, for messages to people.
 * @return a static string; "unknown status" for values not in the list. Never NULL.
 */
HD_API const char *hd_status_str(enum hd_status s);

/**
 * The enumerator's name ("HD_ERR_NO_MEMORY"), for logs and JSON.
 * @return a static string; "HD_UNKNOWN" for values not in the list. Never NULL.
 */
HD_API const char *hd_status_name(enum hd_status s);

HD_EXTERN_C_END

#endif /* HDEVENT_STATUS_H */
