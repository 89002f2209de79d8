/* SPDX-License-Identifier: MIT */
/*
 * tests/conformance/command_api.h — cmocka tests of the parser's API around the table
 * (command_api.c): NULL arguments and the error each gives; hd_command_format() never prints a
 * text longer than hd_command_parse() takes; hd_command_number()'s forms and bounds.
 */
#ifndef HDEVENT_TESTS_CONFORMANCE_COMMAND_API_H
#define HDEVENT_TESTS_CONFORMANCE_COMMAND_API_H

void command_api_null_arguments(void **state);
void command_api_format_stays_within_the_text_limit(void **state);
void command_api_number_forms(void **state);

#endif /* HDEVENT_TESTS_CONFORMANCE_COMMAND_API_H */
