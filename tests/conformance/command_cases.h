/* SPDX-License-Identifier: MIT */
/*
 * tests/conformance/command_cases.h — the command-language conformance table: one row per
 * command text, with every field the parse must give, or the exact error it must get.
 *
 * An accepted row (no `message`) names what the command is: kind, filters, options, the
 * condition and code bytes (RET included), the actions in order, the carried asm / script
 * texts, the outputs, the events fields, what hd_command_check_supported() says, and the
 * canonical text hd_command_format() must print. A refused row names the error: message
 * (exact), column, token, length. The runner (command_conformance.c) checks each row, the
 * round trip parse → format → parse of every accepted row, and that a refused row leaves
 * nothing allocated.
 *
 * Fields left out take the command's default, so a row spells out only what it is about.
 *
 * Long texts: in `text`, `canonical`, `condition` and `code`, `<<N*UNIT>>` stands for UNIT
 * repeated N times (N decimal), e.g. `code {<<65535*90>>}`. No other row uses `<<`.
 */
#ifndef HDEVENT_TESTS_CONFORMANCE_COMMAND_CASES_H
#define HDEVENT_TESTS_CONFORMANCE_COMMAND_CASES_H

#include <hdevent/command.h>

/** A pid or core value in a row (0 in a row means the default, HD_ALL). */
#define CC_NUM(v) ((uint64_t)(uint32_t)(v) | (1ull << 32))

/** Actions of an accepted `!vmcall` row, in order (0 in a row means CC_BREAK). */
enum cc_actions {
    CC_BREAK = 1,       /* one HD_ACTION_BREAK: neither code nor script */
    CC_CODE,            /* one HD_ACTION_CODE */
    CC_SCRIPT,          /* one HD_ACTION_SCRIPT */
    CC_CODE_SCRIPT,     /* code, then script */
    CC_SCRIPT_CODE,     /* script, then code */
    CC_NONE,            /* no action: `deny` without code or script */
};

struct command_case {
    const char *name;
    const char *text;

    /* ---- a refused row: message is set ---- */

    /** The exact hd_command_error.message. */
    const char *message;
    uint32_t column;
    /** The exact hd_command_error.token. */
    const char *token;
    /** hd_command_error.length; 0 means strlen(token). */
    uint32_t length;
    /** What hd_command_parse() returns; 0 means HD_ERR_INVALID_ARGUMENT (HD_ERR_SCRIPT_COMPILE
     *  for a script that does not compile). */
    enum hd_status error;

    /* ---- an accepted row ---- */

    enum hd_command_kind kind;
    /** CC_NUM(x) for x; 0 for the default (HD_ALL). */
    uint64_t pid, core;
    /** 0 for the default (pre). */
    enum hd_stage stage;
    bool sc;
    bool imm_no;
    uint32_t buffer;
    /** `steps N`: the script step budget (also event.script_steps). */
    uint32_t steps;
    /** Condition bytes as spaced hex ("90 C3"), hex or assembled; NULL: no condition. */
    const char *condition;
    enum cc_actions actions;
    /** Code action bytes as spaced hex, hex or assembled; NULL: no code action. */
    const char *code;
    /** HD_COMMAND_* flags. */
    uint32_t flags;
    /** Carried texts, exactly; NULL: none. */
    const char *asm_condition, *asm_code, *script;
    /** Output names joined by "," ("a,b"); NULL: none. */
    const char *outputs;
    /** hdevent's extension: `nr` (CC_NUM(first), last; last 0: = first), deny, max_hits. */
    uint64_t nr_first, nr_last;
    enum hd_deny deny;
    uint64_t deny_rax, max_hits;
    /** events e/d/c: the ID and the tag. */
    uint64_t id, tag;
    /** events sc on. */
    bool sc_on;
    /** What hd_command_check_supported() returns (HD_OK unless a script file not read, or asm
     *  in a build without Zydis). */
    enum hd_status supported;
    /** The exact output of hd_command_format(). */
    const char *canonical;
};

extern const struct command_case command_cases[];
extern const unsigned command_case_count;

#endif /* HDEVENT_TESTS_CONFORMANCE_COMMAND_CASES_H */
