/* SPDX-License-Identifier: MIT */
/*
 * command_events.c — `events`, `events e|d|c ID|all`, `events sc on|off`.
 * An ID is hex like every HyperDbg number; its tag is ID + 0x1000000 (S19).
 */
#include "command_internal.h"

#define EXPECT_EVENTS "events takes nothing (list), e|d|c ID|all, or sc on|off"
#define EXPECT_ID "an event ID is a hex number (prefix 0n for decimal) or 'all'"
#define EXPECT_EVENTS_SC "events sc takes 'on' or 'off'"

/* Nothing may follow the last word of an events command. */
static enum hd_status expect_end(struct cmd_lexer *lx, const char *form,
                                 struct hd_command_error *err)
{
    struct cmd_token t;
    enum hd_status st = hd__cmd_next(lx, &t, err);
    if (st == HD_EMPTY)
        return HD_OK;
    if (st != HD_OK)
        return st;
    return cmd_fail_tok(lx, err, &t, "unexpected text after the command: %s", form);
}

enum hd_status hd__cmd_parse_events(struct cmd_lexer *lx, struct hd_command *out,
                                struct hd_command_error *err)
{
    struct cmd_token sub, v;
    enum hd_status st;

    st = hd__cmd_next(lx, &sub, err);
    if (st == HD_EMPTY) {
        out->kind = HD_COMMAND_EVENTS_LIST;
        return HD_OK;
    }
    if (st != HD_OK)
        return st;

    if (hd__cmd_is(&sub, "sc")) {
        st = hd__cmd_next(lx, &v, err);
        if (st == HD_EMPTY)
            return cmd_fail_tok(lx, err, &sub, "missing value: %s", EXPECT_EVENTS_SC);
        if (st != HD_OK)
            return st;
        if (!hd__cmd_is(&v, "on") && !hd__cmd_is(&v, "off"))
            return cmd_fail_tok(lx, err, &v, "%s", EXPECT_EVENTS_SC);
        out->kind = HD_COMMAND_EVENTS_SC;
        out->sc_on = hd__cmd_is(&v, "on");
        return expect_end(lx, "events sc on|off", err);
    }

    if (hd__cmd_is(&sub, "e"))
        out->kind = HD_COMMAND_EVENTS_ENABLE;
    else if (hd__cmd_is(&sub, "d"))
        out->kind = HD_COMMAND_EVENTS_DISABLE;
    else if (hd__cmd_is(&sub, "c"))
        out->kind = HD_COMMAND_EVENTS_CLEAR;
    else
        return cmd_fail_tok(lx, err, &sub, "unknown events action: %s", EXPECT_EVENTS);

    st = hd__cmd_next(lx, &v, err);
    if (st == HD_EMPTY)
        return cmd_fail_tok(lx, err, &sub, "missing event ID: %s", EXPECT_ID);
    if (st != HD_OK)
        return st;
    if (hd__cmd_is(&v, "all")) {
        out->id = HD_TAG_ALL;
        out->tag = HD_TAG_ALL;
    } else {
        /* Largest ID whose tag is not the all-events tag. */
        const uint64_t max = HD_TAG_ALL - 1 - HD_TAG_BASE;
        enum cmd_num r = v.brace ? CMD_NUM_BAD : hd__cmd_number(v.p, v.len, max, &out->id);
        if (r != CMD_NUM_OK)
            return hd__cmd_fail_number(lx, err, &v, r, max, EXPECT_ID);
        out->tag = HD_EVENT_TAG(out->id);
    }
    return expect_end(lx, "events e|d|c takes one event ID or 'all'", err);
}
