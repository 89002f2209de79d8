/* SPDX-License-Identifier: MIT */
/*
 * Scripts through the kernel's door: a `!vmcall script {…}` command encoded to HyperDbg's
 * buffers and handed to hd_wire_ioctl() (as every kernel backend does) registers and runs; its
 * printf and its run errors come back as message records (HD_WIRE_MESSAGE_PRINT,
 * HD_WIRE_MESSAGE_SCRIPT_ERROR) from hd_wire_read_messages(); and the event requests scripts
 * make are applied by the next request to the device (hd_wire_device_ioctl), since a kernel
 * has no host backend to apply them after each exit.
 */
#include "script_helpers.h"

#include <hdevent/command.h>
#include <hdevent/wire.h>
#include <hdevent/wire_device.h>
#include <hdevent/wire_encode.h>

/* Register @text through the IOCTLs; @return its tag. */
static uint64_t add_through_the_wire(struct fx *f, const char *text, uint64_t tag)
{
    struct hd_command cmd;
    uint8_t out[HD_WIRE_RESULT_SIZE], *buf;
    size_t len;

    assert_int_equal(hd_command_parse(text, &cmd, NULL), HD_OK);
    assert_int_equal(hd_wire_encode_event(&cmd.event, tag, &buf, &len), HD_OK);
    assert_int_equal(hd_wire_ioctl(f->engine, HD_IOCTL_REGISTER_EVENT, buf, len, out,
                                   sizeof(out), NULL), HD_OK);
    assert_int_equal(out[0], 1);
    free(buf);
    for (uint32_t i = 0; i < cmd.event.action_count; i++) {
        assert_int_equal(hd_wire_encode_action(&cmd.event.actions[i], tag, &buf, &len), HD_OK);
        assert_int_equal(hd_wire_ioctl(f->engine, HD_IOCTL_ADD_ACTION, buf, len, out,
                                       sizeof(out), NULL), HD_OK);
        assert_int_equal(out[0], 1);
        free(buf);
    }
    hd_command_free(&cmd);
    return tag;
}

/* One exit as a kernel takes it: the engine's entry, no host backend around it. */
static void kernel_exit(struct fx *f, uint32_t core, uint32_t pid)
{
    struct hd_guest_regs regs = sx_regs();
    struct hd_vcpu vcpu;
    struct hd_exit x;
    hd_host_vcpu_init(&vcpu, &regs, core, pid);
    assert_int_equal(hd_dispatch_vmcall_exit(f->engine, &vcpu, NULL, NULL, NULL, &x), HD_OK);
}

static void the_hyperdbg_doc_example_prints_through_the_device(void **state)
{
    struct fx *f = *state;
    uint8_t buf[256];
    struct hd_wire_message m;
    const uint8_t *text;
    size_t n, rec;

    add_through_the_wire(f, "!vmcall script { printf(\"VMCALL executed with context: %llx\\n\", "
                            "$context); }",
                         HD_TAG_BASE);
    kernel_exit(f, 2, 0x490);
    assert_int_equal(hd_wire_read_messages(f->engine, buf, sizeof(buf), &n), HD_OK);
    assert_int_equal(hd_wire_decode_message(buf, n, &m, &text, &rec), HD_WIRE_OK);
    assert_int_equal(rec, n);
    assert_int_equal(m.tag, HD_TAG_BASE);
    assert_int_equal(m.core, 2);
    assert_int_equal(m.flags, HD_WIRE_MESSAGE_IMMEDIATE | HD_WIRE_MESSAGE_PRINT);
    assert_int_equal(m.length, 32);
    assert_memory_equal(text, "VMCALL executed with context: 0\n", 32);
}

static void run_errors_come_back_as_records(void **state)
{
    struct fx *f = *state;
    uint8_t buf[256];
    struct hd_wire_message m;
    const uint8_t *text;
    size_t n, rec;
    const char *want = "HD_ERR_SCRIPT_STEPS: step budget used up (instruction 1)";

    add_through_the_wire(f, "!vmcall imm no steps 1 script { x = 1; y = 2; }", HD_TAG_BASE);
    kernel_exit(f, 0, 4);
    assert_int_equal(hd_wire_read_messages(f->engine, buf, sizeof(buf), &n), HD_OK);
    assert_int_equal(hd_wire_decode_message(buf, n, &m, &text, &rec), HD_WIRE_OK);
    assert_int_equal(m.flags, HD_WIRE_MESSAGE_SCRIPT_ERROR); /* imm no: not immediate */
    assert_int_equal(m.length, strlen(want));
    assert_memory_equal(text, want, strlen(want));
}

static void event_requests_wait_for_the_next_device_request(void **state)
{
    struct fx *f = *state;
    uint8_t req[HD_WIRE_LIST_REQUEST_SIZE] = {0}, out[256];
    struct hd_event_info info;

    add_through_the_wire(f, "!vmcall script { event_disable($event_id); }", HD_TAG_BASE);
    kernel_exit(f, 1, 4);
    assert_int_equal(hd_event_query(f->engine, HD_TAG_BASE, &info), HD_OK);
    assert_true(info.enabled); /* queued on core 1: nothing applies it in a kernel's exit */
    assert_int_equal(hd_wire_device_ioctl(f->engine, NULL, HD_IOCTL_LIST_EVENTS, req,
                                          sizeof(req), out, sizeof(out), NULL), HD_OK);
    assert_int_equal(hd_event_query(f->engine, HD_TAG_BASE, &info), HD_OK);
    assert_false(info.enabled);
    assert_int_equal(out[40 + 20], 0); /* and the list already says so: entry 0, IsEnabled */
    assert_int_equal(hd_engine_run_deferred(f->engine), 0);
    assert_int_equal(hd_engine_run_deferred(NULL), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(the_hyperdbg_doc_example_prints_through_the_device),
        T(run_errors_come_back_as_records),
        T(event_requests_wait_for_the_next_device_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
