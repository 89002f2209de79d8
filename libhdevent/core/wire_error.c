/* Wire error codes: sentences and names from the one list in wire.h, and the status mapping. */
#include <hdevent/wire.h>

const char *hd_wire_error_str(uint32_t code)
{
    switch (code) {
#define HD_WIRE_STR_(name, value, text) \
    case value:                         \
        return text;
        HD_WIRE_ERROR_LIST(HD_WIRE_STR_)
#undef HD_WIRE_STR_
    }
    return "unknown wire error code";
}

const char *hd_wire_error_name(uint32_t code)
{
    switch (code) {
#define HD_WIRE_NAME_(name, value, text) \
    case value:                          \
        return #name;
        HD_WIRE_ERROR_LIST(HD_WIRE_NAME_)
#undef HD_WIRE_NAME_
    }
    return "HD_WIRE_UNKNOWN";
}

uint32_t hd_wire_error_from_status(enum hd_status status)
{
    if (HD_SUCCESS(status))
        return HD_WIRE_OK;
    switch (status) {
    case HD_ERR_INVALID_ARGUMENT:
        return HD_WIRE_ERR_INVALID_ARGUMENT;
    case HD_ERR_NO_MEMORY:
        return HD_WIRE_ERR_UNABLE_TO_CREATE_EVENT;
    case HD_ERR_NOT_SUPPORTED:
        return HD_WIRE_ERR_EVENT_NOT_APPLIED;
    case HD_ERR_INVALID_STAGE:
        return HD_WIRE_ERR_BAD_STAGE;
    case HD_ERR_SC_WITH_POST:
        return HD_WIRE_ERR_SC_WITH_POST;
    case HD_ERR_INVALID_CORE:
        return HD_WIRE_ERR_INVALID_CORE_ID;
    case HD_ERR_INVALID_ACTION_TYPE:
        return HD_WIRE_ERR_INVALID_ACTION_TYPE;
    case HD_ERR_EMPTY_CODE:
        return HD_WIRE_ERR_ACTION_BUFFER_SIZE_IS_ZERO;
    case HD_ERR_TOO_LARGE:
        return HD_WIRE_ERR_CODE_TOO_LARGE;
    case HD_ERR_NO_SUCH_EVENT:
        return HD_WIRE_ERR_TAG_NOT_EXISTS;
    case HD_ERR_SCRIPT_NOT_SUPPORTED:
        return HD_WIRE_ERR_SCRIPT_UNSUPPORTED;
    case HD_ERR_TOO_MANY_ACTIONS:
        return HD_WIRE_ERR_TOO_MANY_ACTIONS;
    case HD_ERR_TAG_IN_USE:
        return HD_WIRE_ERR_TAG_IN_USE;
    case HD_ERR_INVALID_TAG:
    case HD_ERR_TAGS_EXHAUSTED: /* only the all-ones tag exhausts them, and it is invalid */
        return HD_WIRE_ERR_TAG_INVALID;
    case HD_ERR_BUFFER_TOO_SMALL:
        return HD_WIRE_ERR_OUTPUT_TOO_SMALL;
    case HD_ERR_UNKNOWN_IOCTL:
        return HD_WIRE_ERR_UNKNOWN_IOCTL;
    default: /* HD_ERR_INVALID_CONDITION, _BAD_OPS, _BAD_VCPU, _NO_PRE_PASS, … */
        return HD_WIRE_ERR_INTERNAL;
    }
}
