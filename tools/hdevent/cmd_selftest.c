/* SPDX-License-Identifier: MIT */
/*
 * hdevent selftest-vmcall core=N [pid=N] [cpl=N] [rip=N] [len=N] [rax=N ... r15=N]: a
 * synthetic VMCALL exit on core N through the device's self-test IOCTL (docs/cli.md).
 */
#include "cli.h"
#include "device_cli.h"

#include <hdevent/command.h>
#include <hdevent/dispatch.h>
#include <hdevent/wire.h>
#include <hdevent/wire_device.h>
#include <hdevent/wire_encode.h>

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* key=value words into @p in; @return 0, or 2 (a usage error printed). */
static int parse_exit_words(char **words, int count, struct hd_wire_selftest *in)
{
    uint32_t seen = 0;

    memset(in, 0, sizeof(*in));
    in->core = HD_ALL;
    for (int i = 0; i < count; i++) {
        char *w = words[i], *eq = strchr(w, '=');
        unsigned key = 99;
        uint64_t v, max = UINT64_MAX;
        size_t klen = eq ? (size_t)(eq - w) : 0;
        static const char *const extra[] = {"core", "pid", "cpl", "rip", "len"};
        const uint64_t extra_max[] = {device_core_count_max() - 1u, UINT32_MAX, 3, UINT64_MAX,
                                      15};

        if (!eq || !klen)
            return cli_usage_error("'%s': exit words are key=value (core=, pid=, cpl=, rip=, "
                                   "len=, rax= ... r15=)", w);
        int reg = hd_guest_reg_index(w, klen);
        if (reg >= 0)
            key = (unsigned)reg;
        for (unsigned k = 0; k < 5 && key == 99; k++)
            if (strlen(extra[k]) == klen && !strncmp(w, extra[k], klen))
                key = 16 + k, max = extra_max[k];
        if (key == 99)
            return cli_usage_error("unknown exit word '%.*s': use core=, pid=, cpl=, rip=, "
                                   "len= or a register rax= ... r15=", (int)klen, w);
        if (seen & (1u << key))
            return cli_usage_error("'%.*s' given twice", (int)klen, w);
        seen |= 1u << key;
        if (hd_command_number(eq + 1, strlen(eq + 1), max, &v) != HD_OK)
            return cli_usage_error("%s: not a number up to 0x%" PRIx64 " (hex by default, "
                                   "prefix 0n for decimal)", w, max);
        if (key < 16)
            *hd_guest_reg(&in->regs, key) = v;
        else if (key == 16)
            in->core = (uint32_t)v;
        else if (key == 17)
            in->pid = (uint32_t)v, in->flags |= HD_WIRE_SELFTEST_PID_GIVEN;
        else if (key == 18)
            in->cpl = (uint8_t)v;
        else if (key == 19)
            in->rip = v;
        else
            in->insn_len = (uint32_t)v;
    }
    if (!(seen & (1u << 16)))
        return cli_usage_error("needs core=<hex>: the core the exit runs on");
    return 0;
}

static void print_exit(const struct hd_wire_selftest *in, const struct hd_wire_selftest_result *r,
                       bool text)
{
    bool sc = r->verdict & HD_VERDICT_SHORT_CIRCUIT, prot = r->verdict & HD_VERDICT_PROTECTED;
    bool brk = r->verdict & HD_VERDICT_BREAK, ud = r->verdict & HD_VERDICT_DENY_UD;
    bool dflt = r->result_flags & HD_WIRE_SELFTEST_DEFAULT_RAN;
    bool post = r->result_flags & HD_WIRE_SELFTEST_POST_RAN;

    if (text) {
        printf("exit core %" PRIu32 " pid 0x%" PRIx32 " cpl %u: fired %" PRIu32 " pre, %" PRIu32
               " post%s%s%s%s%s\n",
               r->core, r->pid, in->cpl, r->fired_pre, r->fired_post,
               sc ? ", short-circuited" : "", ud ? ", #UD injected" : "", prot ? ", protected" : "",
               brk ? ", break" : "", dflt ? ", default handling ran" : "");
        for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++) {
            uint64_t a = *hd_guest_reg((struct hd_guest_regs *)&in->regs, i);
            uint64_t b = *hd_guest_reg((struct hd_guest_regs *)&r->regs, i);
            if (a != b)
                printf("  %s: 0x%" PRIx64 " -> 0x%" PRIx64 "\n", hd_guest_reg_name(i), a, b);
        }
        return;
    }
    printf("{\"type\":\"exit\",\"core\":\"0x%" PRIx32 "\",\"pid\":\"0x%" PRIx32 "\",\"cpl\":%u,"
           "\"fired_pre\":%" PRIu32 ",\"fired_post\":%" PRIu32 ",\"short_circuit\":%s,"
           "\"protected\":%s,\"break\":%s,\"default_handled\":%s,\"post_ran\":%s%s,\"regs\":{",
           r->core, r->pid, in->cpl, r->fired_pre, r->fired_post, sc ? "true" : "false",
           prot ? "true" : "false", brk ? "true" : "false", dflt ? "true" : "false",
           post ? "true" : "false", ud ? ",\"deny_ud\":true" : "");
    for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++)
        printf("%s\"%s\":\"0x%" PRIx64 "\"", i ? "," : "", hd_guest_reg_name(i),
               *hd_guest_reg((struct hd_guest_regs *)&r->regs, i));
    printf("},\"rip\":\"0x%" PRIx64 "\"}\n", r->rip);
}

static int selftest_main(int argc, char **argv);

const struct cli_spec cli_selftest_vmcall = {
    .name = "selftest-vmcall",
    .summary = "fire one synthetic VMCALL exit on a core of a loaded kernel backend",
    .synopsis = "[-t] [-d PATH] core=N [pid=N] [cpl=N] [rip=N] [len=N] [rax=N ... r15=N]",
    .description =
        "Pin to CPU N and fire one synthetic VMCALL exit there through the device's self-test\n"
        "IOCTL: the pre pass, the default handling (rax = -1000 unless short-circuited), the\n"
        "post pass. Unset registers are 0; without pid= the exit carries the caller's pid.\n"
        "Numbers are hex unless prefixed 0n.",
    .options = DEV_COMMON_HELP,
    .examples = "  hdevent selftest-vmcall core=1 pid=490 rdx=1000 r8=47424448\n"
                "  hdevent selftest-vmcall --text core=0 pid=490\n",
    .shortopts = DEV_COMMON_SHORT,
    .longopts = (const struct option[]){DEV_COMMON_LONG, {0}},
    .main = selftest_main,
};

static int selftest_main(int argc, char **argv)
{
    struct dev_opts o;
    struct cli_device *dev = NULL;
    struct cli_getopt g;
    struct hd_wire_selftest in;
    struct hd_wire_selftest_result r;
    uint8_t out[HD_WIRE_SELFTEST_RESULT_SIZE];
    size_t got = 0;
    uint32_t bad;
    char err[512];
    int c, rc = 0;

    dev_opts_init(&o);
    cli_getopt_init(&g, &cli_selftest_vmcall, argc, argv);
    while ((c = cli_getopt_next(&g)) != -1)
        if (!dev_common_option(c, &o))
            return g.status;
    if (parse_exit_words(argv + optind, argc - optind, &in))
        return 2;
    if (device_pin_core(in.core, err, sizeof(err)) != 0)
        return cli_fail("core", err);
    if (dev_open(&o, &dev))
        return 1;
    if (device_ioctl(dev, HD_IOCTL_SELFTEST_VMCALL, &in, sizeof(in), out, sizeof(out), &got, err,
                     sizeof(err)) != 0)
        rc = cli_fail("device", err);
    else if ((bad = hd_wire_decode_selftest_result(out, got, &r)) != HD_WIRE_OK)
        rc = dev_reply_fail("self-test", bad);
    else if (r.status != HD_WIRE_SUCCESS)
        rc = dev_wire_fail("self-test VMCALL", r.status);
    else
        print_exit(&in, &r, o.text);
    device_close(dev);
    return rc;
}
