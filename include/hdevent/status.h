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

/* X(name, value, description) */
#define HD_STATUS_LIST(X)                                                                       \
    X(HD_OK, 0, "success")                                                                      \
    X(HD_EMPTY, 1, "nothing to return: no message is queued, or no further event")              \
    X(HD_ERR_INVALID_ARGUMENT, -1, "invalid argument: a required pointer is NULL or a size is 0") \
    X(HD_ERR_NO_MEMORY, -2, "out of memory: the backend could not allocate")                      \
    X(HD_ERR_NOT_SUPPORTED, -3, "not supported by this backend (a needed backend op is NULL)")    \
    X(HD_ERR_BAD_OPS, -4, "backend ops: unknown version, size too small or a required op missing") \
    X(HD_ERR_INVALID_STAGE, -5, "event stage must be pre (1), post (2) or all (3)")              \
    X(HD_ERR_SC_WITH_POST, -6, "short-circuiting is only allowed with stage pre")                \
    X(HD_ERR_INVALID_CORE, -7, "core is not below the core count and is not 0xFFFFFFFF (all)")   \
    X(HD_ERR_INVALID_CONDITION, -8, "condition: unknown kind, or raw bytes / callback missing")   \
    X(HD_ERR_INVALID_ACTION_TYPE, -9, "action type must be break, script, code or native")       \
    X(HD_ERR_EMPTY_CODE, -10, "custom code action without code bytes or callback")               \
    X(HD_ERR_TOO_LARGE, -11, "code or pre-allocated buffer larger than the documented maximum")  \
    X(HD_ERR_NO_SUCH_EVENT, -12, "no registered event has this tag")                              \
    X(HD_ERR_SCRIPT_NOT_SUPPORTED, -13,                                                          \
      "script actions are not supported yet: the script engine has not landed")                   \
    X(HD_ERR_TAGS_EXHAUSTED, -14, "every event tag has been given out")                          \
    X(HD_ERR_BAD_VCPU, -15, "vCPU record: regs is NULL or core is not below the core count")         \
    X(HD_ERR_NO_PRE_PASS, -16, "post pass without a pre pass on this core that asked for it")    \
    X(HD_ERR_TOO_MANY_ACTIONS, -17, "an event holds at most HD_EVENT_MAX_ACTIONS actions")      \
    X(HD_ERR_TAG_IN_USE, -18,                                                                    \
      "tag already given out: tags are used once, in ascending order, and never reused")         \
    X(HD_ERR_INVALID_TAG, -19, "tag is below 0x1000000 or is the all-events tag")               \
    X(HD_ERR_BUFFER_TOO_SMALL, -20,                                                             \
      "output buffer too small for the result: nothing was done")                               \
    X(HD_ERR_UNKNOWN_IOCTL, -21, "IOCTL code is not one of hdevent's wire requests")            \
    X(HD_ERR_NOT_ENCODABLE, -22,                                                                \
      "native conditions and actions are C function pointers: they have no wire form")       \
    X(HD_ERR_INVALID_CODE, -23,                                                                 \
      "raw code rejected: it does not decode fully, can run off its end, or branches outside "  \
      "itself (hd_code_validate's report says where)")

/** Status of every hdevent call. */
enum hd_status {
#define HD_STATUS_ENUM_(name, value, text) name = value,
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
