/* SPDX-License-Identifier: MIT */
/* Status strings, generated from the one list in status.h. */
#include <hdevent/status.h>

const char *hd_status_str(enum hd_status s)
{
    switch (s) {
#define HD_STATUS_STR_(name, value, wire, text) \
    case name:                            \
        return text;
        HD_STATUS_LIST(HD_STATUS_STR_)
#undef HD_STATUS_STR_
    }
    return "unknown status";
}

const char *hd_status_name(enum hd_status s)
{
    switch (s) {
#define HD_STATUS_NAME_(name, value, wire, text) \
    case name:                             \
        return #name;
        HD_STATUS_LIST(HD_STATUS_NAME_)
#undef HD_STATUS_NAME_
    }
    return "HD_UNKNOWN";
}
