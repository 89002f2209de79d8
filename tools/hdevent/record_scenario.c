/* SPDX-License-Identifier: MIT */
/*
 * The flight recorder's scenario lines (record_scenario.h): one writer for the host's
 * `run --record` and the device's `record`, so a recording from either replays the same way.
 */
#include "record_scenario.h"

#include <hdevent/event.h>
#include <hdevent/regs.h>

#include <inttypes.h>

/* The registers as an exit or expect line writes them: " rax=0x5 rcx=0x0 ...". */
static void write_regs(FILE *out, const struct hd_guest_regs *r)
{
    for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++)
        fprintf(out, " %s=0x%" PRIx64, hd_guest_reg_name(i),
                *hd_guest_reg((struct hd_guest_regs *)r, i));
}

static void write_fired(FILE *out, const struct hd_exit_record *r)
{
    uint32_t kept = r->fired_count < HD_RECORD_FIRED_MAX ? r->fired_count : HD_RECORD_FIRED_MAX;

    fprintf(out, " fired=[");
    for (uint32_t i = 0; i < kept; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", HD_EVENT_ID(r->fired[i]));
    fprintf(out, "]");
    if (r->fired_count > kept)
        fprintf(out, " fired_count=0n%" PRIu32, r->fired_count);
}

void record_write_exit(FILE *out, const struct hd_exit_record *r)
{
    fprintf(out, "vmcall core=0x%" PRIx32 " pid=0x%" PRIx32 " cpl=%u", r->core, r->pid, r->cpl);
    write_regs(out, &r->before);
    fprintf(out, "\nexpect");
    write_fired(out, r);
    fprintf(out, " short_circuit=%s", (r->flags & HD_RECORD_SHORT_CIRCUIT) ? "true" : "false");
    if (r->flags & HD_RECORD_AFTER_UNKNOWN) /* a two-call exit nothing ended (recorder.h) */
        fprintf(out, " after=unknown");
    else
        write_regs(out, &r->after);
    fprintf(out, "\n");
}

void record_write_command(FILE *out, const char *text)
{
    int depth = 0;

    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        depth += *p == '{' ? 1 : (*p == '}' && depth > 0) ? -1 : 0;
        if (*p == '\n' && depth > 0)
            fputc('\n', out);
        else
            fputc(*p < 0x20 || *p == 0x7F ? ' ' : *p, out);
    }
    fputc('\n', out);
}
