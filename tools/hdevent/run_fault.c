/* SPDX-License-Identifier: MIT */
/*
 * `hdevent run`: the report of a hook the host backend stopped (run.h). The error record
 * names the line (cli_json_where, cli_diag), the status, what stopped the hook and whose code
 * it was:
 *
 *   {"type":"error","line":N,"error":"HD_ERR_HOOK_FAULTED","signal":"SIGSEGV","event":0,
 *    "buffer":"code","action":0,"offset":0,"address":"0x0","message":"..."}
 *
 * Only what is the same from run to run goes into its fields: offsets into the event's
 * buffer, not the addresses the code was mapped at.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "run.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV";
    case SIGBUS:
        return "SIGBUS";
    case SIGILL:
        return "SIGILL";
    case SIGFPE:
        return "SIGFPE";
    case SIGTRAP:
        return "SIGTRAP";
    case SIGSYS:
        return "SIGSYS";
    default:
        return "?";
    }
}

/*
 * The offset of the instruction that stopped the hook. A refused system call stops it after
 * its instruction, and every instruction that makes one (syscall, sysenter, int 0x80) is two
 * bytes long; everything else stops it at the instruction (int3: after it, as the CPU says).
 */
static uint32_t offset_of(const struct hd_host_fault *f)
{
    return f->signal == SIGSYS && f->owner.offset >= 2 ? f->owner.offset - 2 : f->owner.offset;
}

/* "event 0's code (action 1) at +0x4" or "code outside any event's buffers (rip 0x0)". */
static void where(const struct hd_host_fault *f, char *out, size_t size)
{
    if (!f->named)
        snprintf(out, size, "code outside every event's buffers (rip 0x%" PRIx64 ")", f->rip);
    else if (f->owner.action < 0)
        snprintf(out, size, "event %" PRIu64 "'s condition at +0x%" PRIx32,
                 HD_EVENT_ID(f->owner.tag), offset_of(f));
    else
        snprintf(out, size, "event %" PRIu64 "'s code (action %" PRId32 ") at +0x%" PRIx32,
                 HD_EVENT_ID(f->owner.tag), f->owner.action, offset_of(f));
}

static void message(const struct hd_host_fault *f, uint32_t limit_ms, char *out, size_t size)
{
    char at[128], name[64];

    where(f, at, sizeof(at));
    if (f->status == HD_ERR_HOOK_TIMEOUT)
        snprintf(out, size, "%s was still running after the time limit of %" PRIu32 " ms: it "
                 "was stopped and the exit abandoned", at, limit_ms);
    else if (f->signal == SIGSYS)
        snprintf(out, size, "%s made system call %d (%s), which the scenario's seccomp filter "
                 "refuses: the hook was stopped and the exit abandoned", at, f->syscall,
                 run_syscall_name(f->syscall_arch, f->syscall, name, sizeof(name)));
    else if (f->signal == SIGSEGV || f->signal == SIGBUS)
        snprintf(out, size, "%s faulted with %s on address 0x%" PRIx64 ": the hook was stopped "
                 "and the exit abandoned", at, signal_name(f->signal), f->address);
    else
        snprintf(out, size, "%s faulted with %s: the hook was stopped and the exit abandoned",
                 at, signal_name(f->signal));
}

void run_fault_report(struct hd_host *host, uint32_t core, enum hd_status st,
                      uint32_t limit_ms, bool text_out)
{
    struct hd_host_fault f;
    char msg[512];

    if (!hd_host_fault_get(host, core, &f) || f.status != st) {
        cli_fail(hd_status_name(st), hd_status_str(st)); /* cannot happen: say what we know */
        return;
    }
    message(&f, limit_ms, msg, sizeof(msg));
    if (text_out) {
        fprintf(cli_diag("error"), "%s\n", msg);
        return;
    }
    printf("{\"type\":\"error\",");
    cli_json_where();
    printf("\"error\":\"%s\"", hd_status_name(st));
    if (st == HD_ERR_HOOK_TIMEOUT)
        printf(",\"limit_ms\":%" PRIu32, limit_ms);
    else
        printf(",\"signal\":\"%s\"", signal_name(f.signal));
    if (f.named) {
        printf(",\"event\":%" PRIu64 ",\"buffer\":\"%s\"", HD_EVENT_ID(f.owner.tag),
               f.owner.action < 0 ? "condition" : "code");
        if (f.owner.action >= 0)
            printf(",\"action\":%" PRId32, f.owner.action);
        printf(",\"offset\":%" PRIu32, offset_of(&f));
    } else {
        printf(",\"rip\":\"0x%" PRIx64 "\"", f.rip);
    }
    if (f.signal == SIGSYS)
        printf(",\"syscall\":%d", f.syscall);
    else if (f.signal == SIGSEGV || f.signal == SIGBUS)
        printf(",\"address\":\"0x%" PRIx64 "\"", f.address);
    printf(",\"message\":");
    cli_json_string(stdout, msg);
    printf("}\n");
}
