/* SPDX-License-Identifier: MIT */
/*
 * tools/hdevent/record_scenario.h — the flight recorder's scenario lines, written in one place
 * for `hdevent run --record` (run_record.c) and `hdevent record` (cmd_record.c), read back by
 * `hdevent run` (a `vmcall` line, then its `expect` line: docs/cli.md).
 */
#ifndef HDEVENT_CLI_RECORD_SCENARIO_H
#define HDEVENT_CLI_RECORD_SCENARIO_H

#include <hdevent/recorder.h>

#include <stdio.h>

/**
 * @p r as two scenario lines: `vmcall core=… pid=… cpl=… rax=… … r15=…` (the registers
 * before) and `expect fired=[IDs] short_circuit=… rax=… … r15=…` (after); IDs are the fired
 * tags less HD_TAG_BASE, fired_count=0nN added when more fired than a record keeps.
 */
void record_write_exit(FILE *out, const struct hd_exit_record *r);

/**
 * A command text as one scenario line: newlines inside {…} bodies kept (a scenario's body may
 * span lines), every other control byte and a newline outside braces written as a blank, so
 * a text from a device can neither end its line early nor reach a terminal raw.
 */
void record_write_command(FILE *out, const char *text);

#endif /* HDEVENT_CLI_RECORD_SCENARIO_H */
