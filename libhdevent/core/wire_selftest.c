/* SPDX-License-Identifier: MIT */
/*
 * HD_IOCTL_SELFTEST_VMCALL: a synthetic VMCALL exit, built from the caller's registers and
 * run on the calling core exactly as a VMX exit handler runs one (pre pass, default handling
 * unless short-circuited, post pass when asked, RIP advanced). It lets every kernel path but
 * the VM exit itself be tested on machines without VMX (QEMU's TCG, a CI runner).
 *
 * The backend's run_here disables preemption and interrupts around the exit, so the core index
 * cannot change under it and no other exit of this core can interleave (dispatch's one rule).
 */
#include "internal/engine.h"
#include "internal/wire.h"

#include <hdevent/wire.h>

/* Offsets of struct hd_wire_selftest and _result (static asserts in wire.h). */
enum {
    ST_RIP = 128, ST_CORE = 136, ST_PID = 140, ST_INSN_LEN = 144, ST_CPL = 148,
    ST_RESERVED0 = 149, ST_FLAGS = 152, ST_RESERVED1 = 156,
    SR_RIP = 128, SR_STATUS = 136, SR_CORE = 140, SR_PID = 144, SR_VERDICT = 148,
    SR_FIRED_PRE = 152, SR_FIRED_POST = 156, SR_FLAGS = 160,
};

struct selftest_run {
    struct hd_engine *e;
    struct hd_guest_regs regs;
    uint64_t rip;
    uint32_t want_core, pid, insn_len;
    uint8_t cpl;
    /* results */
    uint32_t status, core, verdict, fired_pre, fired_post, result_flags;
};

static uint32_t selftest_decode(const uint8_t *b, size_t len, uint32_t caller_pid,
                                struct selftest_run *r)
{
    uint32_t flags, insn_len;

    if (!b || len < HD_WIRE_SELFTEST_SIZE)
        return HD_WIRE_ERR_TRUNCATED;
    if (len > HD_WIRE_SELFTEST_SIZE)
        return HD_WIRE_ERR_TRAILING_BYTES;
    flags = hd__le_rd32(b, ST_FLAGS);
    if ((flags & ~HD_WIRE_SELFTEST_PID_GIVEN) || b[ST_RESERVED0] || b[ST_RESERVED0 + 1] ||
        b[ST_RESERVED0 + 2] || hd__le_rd32(b, ST_RESERVED1))
        return HD_WIRE_ERR_SELFTEST_BAD_FLAGS;
    if (b[ST_CPL] > 3)
        return HD_WIRE_ERR_SELFTEST_BAD_CPL;
    insn_len = hd__le_rd32(b, ST_INSN_LEN);
    if (insn_len > 15)
        return HD_WIRE_ERR_SELFTEST_BAD_INSN_LEN;
    r->want_core = hd__le_rd32(b, ST_CORE);
    if (r->want_core != HD_ALL && r->want_core >= hd_engine_core_count(r->e))
        return HD_WIRE_ERR_INVALID_CORE_ID;
    for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++)
        *hd_guest_reg(&r->regs, i) = hd__le_rd64(b, 8u * i);
    r->rip = hd__le_rd64(b, ST_RIP);
    r->pid = (flags & HD_WIRE_SELFTEST_PID_GIVEN) ? hd__le_rd32(b, ST_PID) : caller_pid;
    r->insn_len = insn_len ? insn_len : 3; /* VMCALL is 0F 01 C1 */
    r->cpl = b[ST_CPL];
    return HD_WIRE_SUCCESS;
}

/* Runs inside the backend's run_here: preemption and interrupts off, on core @core. */
static void selftest_exit(void *arg, uint32_t core)
{
    struct selftest_run *r = arg;
    struct hd_exit x;
    struct hd_vcpu v;

    r->core = core;
    if (r->want_core != HD_ALL && r->want_core != core) {
        r->status = HD_WIRE_ERR_SELFTEST_WRONG_CORE;
        return;
    }
    hd_memset(&v, 0, sizeof(v));
    v.regs = &r->regs;
    v.rip = r->rip;
    v.insn_len = r->insn_len;
    v.core = core;
    v.pid = r->pid;
    v.cpl = r->cpl;
    if (HD_FAILED(hd_dispatch_vmcall_exit(r->e, &v, NULL, NULL, NULL, &x))) {
        r->status = HD_WIRE_ERR_INVALID_CORE_ID; /* the only cause: core >= core count */
        return;
    }
    if (x.default_handled)
        r->result_flags |= HD_WIRE_SELFTEST_DEFAULT_RAN;
    if (x.post_ran)
        r->result_flags |= HD_WIRE_SELFTEST_POST_RAN;
    /* Short-circuited or not, the VMCALL retires — unless `deny ud` made it fault. */
    r->rip = x.pre.flags & HD_VERDICT_DENY_UD ? v.rip : v.rip + v.insn_len;
    r->verdict = x.pre.flags | x.post.flags;
    r->fired_pre = x.pre.fired;
    r->fired_post = x.post.fired;
    r->status = HD_WIRE_SUCCESS;
}

size_t hd__wire_selftest_run(struct hd_engine *e, const struct hd_wire_caller *caller,
                        const void *in, size_t in_len, void *out)
{
    uint8_t res[HD_WIRE_SELFTEST_RESULT_SIZE] = {0};
    struct selftest_run r;
    uint32_t code;

    hd_memset(&r, 0, sizeof(r));
    r.e = e;
    r.core = HD_ALL;
    code = selftest_decode(in, in_len, caller ? caller->pid : 0, &r);
    if (code == (uint32_t)HD_WIRE_SUCCESS && (!caller || !caller->run_here))
        code = HD_WIRE_ERR_SELFTEST_UNAVAILABLE;
    if (code == (uint32_t)HD_WIRE_SUCCESS) {
        r.status = HD_WIRE_ERR_INTERNAL; /* overwritten by selftest_exit when it runs */
        caller->run_here(caller->user, selftest_exit, &r);
        code = r.status;
    }
    if (code != (uint32_t)HD_WIRE_SUCCESS)
        hd__wire_log_rejection(e, "self-test VMCALL", code);
    /* On a rejection regs and rip echo the input (r holds what was decoded, else zeros). */
    if (code != (uint32_t)HD_WIRE_SUCCESS && in && in_len >= HD_WIRE_SELFTEST_SIZE)
        hd_memcpy(res, in, SR_STATUS);
    else
        for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++)
            hd__le_wr64(res, 8u * i, *hd_guest_reg(&r.regs, i));
    if (code == (uint32_t)HD_WIRE_SUCCESS)
        hd__le_wr64(res, SR_RIP, r.rip);
    hd__le_wr32(res, SR_STATUS, code);
    hd__le_wr32(res, SR_CORE, r.core);
    hd__le_wr32(res, SR_PID, r.pid);
    hd__le_wr32(res, SR_VERDICT, r.verdict);
    hd__le_wr32(res, SR_FIRED_PRE, r.fired_pre);
    hd__le_wr32(res, SR_FIRED_POST, r.fired_post);
    hd__le_wr32(res, SR_FLAGS, r.result_flags);
    hd_memcpy(out, res, sizeof(res));
    return sizeof(res);
}
