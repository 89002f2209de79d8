/* SPDX-License-Identifier: MIT */
/*
 * hd_host_recording_next: a recording's exits back as records for a plugin's test
 * (docs/host-backend.md); commands and comments skipped; a malformed exit is refused with
 * its line and what is wrong.
 */
#include "helpers.h"

#include <hdevent/host.h>

#define REGS0 "rcx=0x0 rdx=0x0 rbx=0x0 rsp=0x0 rbp=0x0 rsi=0x0 rdi=0x0 r8=0x0 r9=0x0 " \
              "r10=0x0 r11=0x0 r12=0x0 r13=0x0 r14=0x0 r15=0x0"

static const char RECORDING[] =
    "# recorded by hdevent record: replay with hdevent run --cores 0n2 FILE\n"
    "!vmcall pid 490 script { if (@rcx == 7001) {\n"
    "  @rax = 0n42; event_sc(1); } }\n"
    "events d 0n0\n"
    "vmcall core=0x1 pid=0x490 cpl=3 rax=0x5 " REGS0 "\n"
    "expect fired=[0,12] short_circuit=true rax=0x2a " REGS0 "\r\n"
    "\n"
    "vmcall core=0x0 pid=0x491 cpl=0 rax=0x0 " REGS0 "\n"
    "# a comment between the two lines\n"
    "expect fired=[] fired_count=0n9 short_circuit=false rax=0xfffffffffffffc18 " REGS0 "\n"
    "vmcall core=0x2 pid=0x492 rax=0x7 " REGS0 "\n"
    "expect fired=[3] short_circuit=false after=unknown\n";

static void reads_each_exit(void **state)
{
    struct hd_exit_record r;
    size_t pos = 0;
    uint32_t line = 0;
    char why[160];

    (void)state;
    assert_int_equal(hd_host_recording_next(RECORDING, &pos, &line, &r, why, sizeof(why)),
                     HD_OK);
    assert_int_equal(line, 6);
    assert_int_equal(r.core, 1);
    assert_int_equal(r.pid, 0x490);
    assert_int_equal(r.cpl, 3);
    assert_int_equal(r.before.rax, 5);
    assert_int_equal(r.after.rax, 42);
    assert_int_equal(r.flags, HD_RECORD_SHORT_CIRCUIT);
    assert_int_equal(r.fired_count, 2);
    assert_true(r.fired[0] == HD_TAG_BASE && r.fired[1] == HD_TAG_BASE + 12);
    assert_int_equal(r.insn_len, 3);

    assert_int_equal(hd_host_recording_next(RECORDING, &pos, &line, &r, why, sizeof(why)),
                     HD_OK);
    assert_int_equal(r.pid, 0x491);
    assert_int_equal(r.flags, 0);
    assert_int_equal(r.fired_count, 9);
    assert_true(r.after.rax == 0xfffffffffffffc18ull);
    /* a two-call exit nothing ended (recorder.h): no registers after, and none made up */
    assert_int_equal(hd_host_recording_next(RECORDING, &pos, &line, &r, why, sizeof(why)),
                     HD_OK);
    assert_int_equal(r.pid, 0x492);
    assert_int_equal(r.flags, HD_RECORD_AFTER_UNKNOWN);
    assert_int_equal(r.before.rax, 7);
    assert_int_equal(r.after.rax, 0);
    assert_int_equal(hd_host_recording_next(RECORDING, &pos, &line, &r, why, sizeof(why)),
                     HD_EMPTY);
    assert_int_equal(hd_host_recording_next(RECORDING, NULL, &line, &r, why, sizeof(why)),
                     HD_ERR_INVALID_ARGUMENT);
}

/* One malformed exit: refused, and @why names its line and @what. */
static void refused(const char *text, uint32_t want_line, const char *what)
{
    struct hd_exit_record r;
    size_t pos = 0;
    uint32_t line = 0;
    char why[160];

    assert_int_equal(hd_host_recording_next(text, &pos, &line, &r, why, sizeof(why)),
                     HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(line, want_line);
    if (!strstr(why, what))
        fail_msg("why = \"%s\", wanted \"%s\" in it", why, what);
}

static void refuses_malformed_exits(void **state)
{
    (void)state;
    refused("!vmcall\nexpect rax=0x0\n", 2, "without the vmcall line");
    refused("vmcall core=0\n", 1, "without its expect line");
    refused("vmcall core=0\n!vmcall\n", 2, "followed by its expect line");
    refused("vmcall core=0\nexpect fired=[] short_circuit=false rax=0x0\n", 2,
            "names every register");
    refused("vmcall core=0\nexpect after=unknown rax=0x0\n", 2, "names none");
    refused("vmcall core=0\nexpect after=known\n", 2, "after= is unknown");
    refused("vmcall core=zz\n", 1, "not a number");
    refused("vmcall cpl=4\n", 1, "out of range");
    refused("vmcall bogus=1\n", 1, "unknown word");
    refused("vmcall rax\n", 1, "key=value");
    refused("vmcall core=0\nexpect fired=[0x1] rax=0\n", 2, "decimal event IDs");
    refused("vmcall core=0\nexpect fired=[1,] rax=0\n", 2, "decimal event IDs");
    refused("vmcall core=0\nexpect fired=1 rax=0\n", 2, "[ID,ID,...]");
    refused("vmcall core=0\nexpect short_circuit=yes rax=0\n", 2, "true or false");
    refused("vmcall core=0\nexpect fired=[1,2] fired_count=1 " REGS0 " rax=0\n", 2,
            "below the IDs listed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_each_exit),
        cmocka_unit_test(refuses_malformed_exits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
