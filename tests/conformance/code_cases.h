/* SPDX-License-Identifier: MIT */
/*
 * tests/conformance/code_cases.h — the code-validation conformance table: one row per raw
 * buffer given to hd_code_validate(), and every finding it must get.
 *
 * A row names its bytes as hex and lists, in report order, every finding in the default mode
 * as "E <name>@0x<offset>" (an error) or "W <name>@0x<offset>" (a warning), separated by ", ";
 * "" is a clean buffer. The runner (code_conformance.c) checks the list and the status in the
 * default mode, then the same findings with HD_CODE_STRICT, where every one is an error.
 */
#ifndef HDEVENT_TESTS_CONFORMANCE_CODE_CASES_H
#define HDEVENT_TESTS_CONFORMANCE_CODE_CASES_H

struct code_case {
    const char *name;
    /** The bytes: hex pairs, blanks allowed. */
    const char *hex;
    /** Every finding in the default mode, in report order. */
    const char *findings;
};

extern const struct code_case code_cases[];
extern const unsigned code_case_count;

#endif /* HDEVENT_TESTS_CONFORMANCE_CODE_CASES_H */
