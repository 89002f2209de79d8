/* SPDX-License-Identifier: MIT */
/*
 * `hdevent run`: the flight recorder on the host (recorder.h). With --record FILE every exit
 * the engine recorded becomes two scenario lines — `vmcall` with the registers before, and
 * `expect` with what the exit did — after a copy of the scenario's commands and memory lines,
 * so that `hdevent run FILE` replays the recording and checks it. An `expect` line checks the
 * exit line before it: each word that differs is reported (a "difference" record) and the
 * line fails.
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r, fileno */
#include "cli.h"
#include "record_scenario.h"
#include "run.h"

#include <hdevent/command.h>
#include <hdevent/recorder.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool run_record_open(struct run_sim *s, const char *path)
{
    char msg[600];

    s->record_out = fopen(path, "w");
    if (s->record_out) {
        fprintf(s->record_out, "# recorded by hdevent run --record: replay with "
                               "hdevent run --cores 0n%" PRIu32 "%s%s FILE\n", s->cores,
                s->nr_register ? " --nr-reg " : "",
                s->nr_register ? hd_guest_reg_name(s->nr_register - 1u) : "");
        return true;
    }
    snprintf(msg, sizeof(msg), "--record %s: cannot create the file", path);
    cli_fail("io", msg);
    return false;
}

bool run_record_close(struct run_sim *s)
{
    bool ok = true;

    if (s->record_out) {
        ok = fflush(s->record_out) == 0 && !ferror(s->record_out);
        ok = fclose(s->record_out) == 0 && ok;
        s->record_out = NULL;
        if (!ok)
            cli_fail("io", "--record: writing the recording failed");
    }
    return ok;
}

void run_record_line(struct run_sim *s, const char *line)
{
    if (s->record_out)
        fprintf(s->record_out, "%s\n", line);
}

void run_record_exit(struct run_sim *s, const struct hd_vcpu *vcpu,
                     const struct hd_guest_regs *before, const struct hd_exit *exit)
{
    struct hd_exit_record r;

    s->have_last = false;
    while (hd_recorder_read(s->engine, &r) == HD_OK) {
        s->last = r; /* one exit at a time: the last record is this exit's */
        s->have_last = true;
    }
    if (!s->have_last && exit) {
        /* The engine records the exits of an armed engine only (recorder.h); with no event
         * enabled nothing ran but the default handling, which the replay must see too. */
        memset(&r, 0, sizeof(r));
        r.before = *before;
        r.after = *vcpu->regs;
        r.core = vcpu->core;
        r.pid = vcpu->pid;
        r.cpl = vcpu->cpl;
        r.flags = exit->default_handled ? HD_RECORD_DEFAULT_HANDLED : 0;
        s->last = r;
        s->have_last = true;
    }
    if (s->have_last && s->record_out)
        record_write_exit(s->record_out, &s->last);
}

/* Report one word of an expect line that differs from the exit; @return false. */
static bool differs(const struct run_sim *s, const char *name, const char *expected,
                    const char *actual)
{
    if (s->text) {
        fprintf(cli_diag("error"), "expect %s=", name);
        cli_text_safe_str(stderr, expected);
        fprintf(stderr, ", the exit gave %s\n", actual);
        return false;
    }
    printf("{\"type\":\"difference\",");
    cli_json_where();
    printf("\"word\":");
    cli_json_string(stdout, name);
    printf(",\"expected\":");
    cli_json_string(stdout, expected);
    printf(",\"actual\":");
    cli_json_string(stdout, actual);
    printf("}\n");
    return false;
}

/* The fired list of @r as an expect line writes it, "[1,3]". */
static void fired_text(const struct hd_exit_record *r, char *buf, size_t size)
{
    uint32_t kept = r->fired_count < HD_RECORD_FIRED_MAX ? r->fired_count : HD_RECORD_FIRED_MAX;
    size_t n = (size_t)snprintf(buf, size, "[");

    for (uint32_t i = 0; i < kept && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%" PRIu64, i ? "," : "",
                              HD_EVENT_ID(r->fired[i]));
    if (n < size)
        snprintf(buf + n, size - n, "]");
}

/* fired=[a,b,...]: the IDs, decimal as `events` shows them, no blanks. */
static bool fired_matches(const char *want, const struct hd_exit_record *r, bool *valid)
{
    char have[HD_RECORD_FIRED_MAX * 24 + 4];
    size_t len = strlen(want);

    *valid = len >= 2 && want[0] == '[' && want[len - 1] == ']' &&
             strspn(want + 1, "0123456789,") == len - 2;
    fired_text(r, have, sizeof(have));
    return *valid && !strcmp(want, have);
}

bool run_expect(struct run_sim *s, char *args)
{
    const struct hd_exit_record *r = &s->last;
    bool ok = true;
    char *save = NULL;
    char got[HD_RECORD_FIRED_MAX * 24 + 112];

    if (!s->have_last)
        return run_line_error("%s", "an expect line checks the exit line before it, and there "
                                    "is none (or its hook was stopped)"), false;
    for (char *w = strtok_r(args, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
        char *eq = strchr(w, '=');
        const char *v;
        uint64_t n;
        bool valid;

        if (!eq || eq == w)
            return run_line_error("'%s': expect words are key=value (fired=, fired_count=, "
                                  "short_circuit=, after=unknown, rax= ... r15=)", w), false;
        *eq = 0;
        v = eq + 1;
        if (!strcmp(w, "after")) {
            /* a recorded two-call exit whose registers after were not known: none to check */
            if (strcmp(v, "unknown"))
                return run_line_error("after=%s: only after=unknown (the registers after the "
                                      "exit were not recorded)", v), false;
        } else if (!strcmp(w, "fired")) {
            if (!fired_matches(v, r, &valid)) {
                if (!valid)
                    return run_line_error("fired=%s: the IDs of the events that fired, as "
                                          "[0,2] (decimal, no blanks)", v), false;
                fired_text(r, got, sizeof(got));
                ok = differs(s, w, v, got);
            }
        } else if (!strcmp(w, "short_circuit")) {
            bool want = !strcmp(v, "true"), have = (r->flags & HD_RECORD_SHORT_CIRCUIT) != 0;
            if (!want && strcmp(v, "false"))
                return run_line_error("short_circuit=%s: true or false", v), false;
            if (want != have)
                ok = differs(s, w, v, have ? "true" : "false");
        } else {
            const uint64_t *have = NULL;
            uint64_t count = r->fired_count;
            if (!strcmp(w, "fired_count"))
                have = &count;
            int reg = hd_guest_reg_index(w, strlen(w));
            if (!have && reg >= 0)
                have = hd_guest_reg((struct hd_guest_regs *)&r->after, (unsigned)reg);
            if (!have)
                return run_line_error("unknown expect word '%s': use fired=, fired_count=, "
                                      "short_circuit=, after=unknown or a register rax= ... "
                                      "r15=", w), false;
            if (hd_command_number(v, strlen(v), UINT64_MAX, &n) != HD_OK) {
                snprintf(got, sizeof(got), "%.40s=%.60s", w, v);
                return run_line_error("%s: a 64-bit hex number (prefix 0n for decimal)", got),
                       false;
            }
            if (n != *have) {
                snprintf(got, sizeof(got), "0x%" PRIx64, *have);
                ok = differs(s, w, v, got);
            }
        }
    }
    return ok;
}
