/* SPDX-License-Identifier: MIT */
/*
 * `hdevent run`: the words of an exit line (run.h), `vmcall core=<hex> pid=<hex> [cpl=<n>]
 * [rax=<hex> ... r15=<hex>]`. Numbers are HyperDbg's (hex, 0n for decimal); every mistake is
 * an error that names the word.
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include "cli.h"
#include "run.h"

#include <hdevent/command.h>

#include <stdio.h>
#include <string.h>

int run_line_error(const char *fmt, const char *detail)
{
    char msg[512];
    snprintf(msg, sizeof(msg), fmt, detail);
    return cli_fail("scenario", msg);
}

bool run_parse_exit(char *args, uint32_t cores, struct hd_vcpu *vcpu, struct hd_guest_regs *r)
{
    bool have_core = false, have_pid = false;
    uint32_t seen = 0; /* bit per register, bits 16..18 core, pid, cpl */
    char *save = NULL;

    memset(r, 0, sizeof(*r));
    hd_host_vcpu_init(vcpu, r, 0, 0);
    for (char *w = strtok_r(args, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
        char *eq = strchr(w, '=');
        unsigned key = 99;
        uint64_t v, max = UINT64_MAX;
        char what[96];

        if (!eq || eq == w)
            return run_line_error("'%s': exit words are key=value (core=, pid=, cpl=, rax= ... "
                              "r15=)", w), false;
        *eq = 0;
        if (!strcmp(w, "core")) {
            key = 16, max = cores - 1u;
        } else if (!strcmp(w, "pid")) {
            key = 17, max = UINT32_MAX;
        } else if (!strcmp(w, "cpl")) {
            key = 18, max = 3;
        } else {
            int reg = hd_guest_reg_index(w, strlen(w));
            if (reg >= 0)
                key = (unsigned)reg;
        }
        if (key == 99)
            return run_line_error("unknown exit word '%s': use core=, pid=, cpl= or a register "
                              "rax= ... r15=", w), false;
        if (seen & (1u << key))
            return run_line_error("'%s' given twice", w), false;
        seen |= 1u << key;
        enum hd_status st = hd_command_number(eq + 1, strlen(eq + 1), max, &v);
        if (st != HD_OK) {
            if (key == 16)
                snprintf(what, sizeof(what), "core=%s: a core is a hex number below %u "
                         "(--cores)", eq + 1, cores);
            else if (key == 17)
                snprintf(what, sizeof(what), "pid=%s: a pid is a 32-bit hex number (prefix 0n "
                         "for decimal)", eq + 1);
            else if (key == 18)
                snprintf(what, sizeof(what), "cpl=%s: the CPL is 0, 1, 2 or 3", eq + 1);
            else
                snprintf(what, sizeof(what), "%s=%s: a register value is a 64-bit hex number "
                         "(prefix 0n for decimal)", w, eq + 1);
            return run_line_error("%s", what), false;
        }
        if (key == 16)
            vcpu->core = (uint32_t)v, have_core = true;
        else if (key == 17)
            vcpu->pid = (uint32_t)v, have_pid = true;
        else if (key == 18)
            vcpu->cpl = (uint8_t)v;
        else
            *hd_guest_reg(r, key) = v;
    }
    if (!have_core || !have_pid)
        return run_line_error("%s", "an exit line needs core= and pid=: "
                                "vmcall core=<hex> pid=<hex> [cpl=<n>] [rax=<hex> ...]"),
               false;
    return true;
}
