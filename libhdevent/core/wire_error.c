/* SPDX-License-Identifier: MIT */
/* Wire error codes: sentences and names from the one list in wire.h, statuses mapped by the
 * wire column of the status list in status.h, and the one logger of wire rejections. */
#include "internal/engine.h"
#include "internal/wire.h"

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

/* The wire column of the status list (status.h): one line per status, no second list. */
uint32_t hd_wire_error_from_status(enum hd_status status)
{
    switch (status) {
#define HD_WIRE_FROM_STATUS_(name, value, wire, text) \
    case name:                                        \
        return HD_WIRE_##wire;
        HD_STATUS_LIST(HD_WIRE_FROM_STATUS_)
#undef HD_WIRE_FROM_STATUS_
    }
    return HD_SUCCESS(status) ? HD_WIRE_OK : HD_WIRE_ERR_INTERNAL; /* not a listed status */
}

void hd__wire_log_rejection(struct hd_engine *e, const char *what, uint32_t code)
{
    char hex[19];
    const char *parts[] = {"wire: ", what, " rejected: ", hd__format_hex(hex, code, 8), " ",
                           hd_wire_error_str(code), NULL};
    hd__log_parts(e, HD_LOG_WARN, parts);
}
