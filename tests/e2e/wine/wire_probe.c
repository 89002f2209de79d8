/* SPDX-License-Identifier: MIT */
/*
 * wire_probe.exe — sends malformed and hand-made IOCTL buffers to \\.\hdevent and checks the
 * driver's answer: the wire code in the result, or the Win32 error the NTSTATUS became. It
 * talks to the driver with raw DeviceIoControl calls, bytes at HyperDbg's offsets, so what
 * it checks is the driver's METHOD_BUFFERED plumbing and the core behind it, not the CLI.
 *
 * Prints "ok <name>" or "FAIL <name>: ..." per check and exits 1 if any failed. Every
 * rejection must change nothing: the event list is compared before and after.
 */
#include <hdevent/wire.h>
#include <hdevent/wire_device.h>

#include <stdio.h>
#include <string.h>
#include <windows.h>

static HANDLE dev;
static int failures;

static void put32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }
static void put64(uint8_t *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }
static uint32_t get32(const uint8_t *b, size_t off) { uint32_t v; memcpy(&v, b + off, 4); return v; }
static uint64_t get64(const uint8_t *b, size_t off) { uint64_t v; memcpy(&v, b + off, 8); return v; }

/* One DeviceIoControl; returns 0 (ok, *got set) or the Win32 error. */
static DWORD ioctl(uint32_t code, const void *in, DWORD in_len, void *out, DWORD out_len,
                   DWORD *got)
{
    *got = 0;
    if (DeviceIoControl(dev, code, (void *)(uintptr_t)in, in_len, out, out_len, got, NULL))
        return 0;
    return GetLastError();
}

static void check(const char *name, int ok, const char *fmt, unsigned long long a,
                  unsigned long long b)
{
    if (ok) {
        printf("ok %s\n", name);
        return;
    }
    printf("FAIL %s: ", name);
    printf(fmt, a, b);
    printf("\n");
    failures++;
}

/* A result-writing request (register, add action): expect this wire code in Error. */
static void expect_result(const char *name, uint32_t code, const uint8_t *in, DWORD in_len,
                          uint32_t want)
{
    uint8_t out[HD_WIRE_RESULT_SIZE] = {0xAA};
    DWORD got;
    DWORD err = ioctl(code, in, in_len, out, sizeof(out), &got);

    if (err) {
        check(name, 0, "DeviceIoControl failed with Win32 error %llu (wanted wire 0x%llX)", err,
              want);
        return;
    }
    check(name, got == 8 && get32(out, 4) == want && out[0] == (want == HD_WIRE_OK),
          "wire code 0x%llX, wanted 0x%llX", get32(out, 4), want);
}

/* A request the driver must fail as an IRP: expect this Win32 error (from the NTSTATUS). */
static void expect_win32(const char *name, uint32_t code, const void *in, DWORD in_len,
                         DWORD out_len, DWORD want)
{
    uint8_t out[256];
    DWORD got;
    DWORD err = ioctl(code, in, in_len, out_len ? out : NULL, out_len, &got);

    check(name, err == want && got == 0, "Win32 error %llu, wanted %llu", err, want);
}

/* The next free tag and the number of events, by HD_IOCTL_LIST_EVENTS. */
static int list_state(uint64_t *next_tag, uint32_t *count)
{
    uint8_t in[8], out[HD_WIRE_LIST_HEADER_SIZE + 64 * HD_WIRE_LIST_ENTRY_SIZE];
    DWORD got;

    put64(in, 0, 0);
    if (ioctl(HD_IOCTL_LIST_EVENTS, in, 8, out, sizeof(out), &got) || got < 32 ||
        get32(out, 0) != HD_WIRE_SUCCESS)
        return -1;
    *next_tag = get64(out, 8);
    *count = get32(out, 4);
    return 0;
}

/* A valid event detail: every core and pid, enabled, pre, VMCALL, no condition. */
static void event_base(uint8_t *b, uint64_t tag)
{
    memset(b, 0, HD_WIRE_EVENT_SIZE);
    put32(b, 16, HD_ALL);
    put32(b, 20, HD_ALL);
    b[24] = 1;
    put32(b, 28, 1);
    put64(b, 88, tag);
    put32(b, 96, HD_WIRE_EVENT_VMCALL);
}

/* Register-event requests the decoder must refuse, one rule each. */
static void probe_event_detail(uint64_t tag)
{
    uint8_t ev[HD_WIRE_EVENT_SIZE + 64];

    event_base(ev, tag);
    expect_result("event_truncated_167", HD_IOCTL_REGISTER_EVENT, ev, 167, HD_WIRE_ERR_TRUNCATED);
    event_base(ev, tag);
    put32(ev, 160, 27); /* 27 condition bytes announced, 26 sent */
    expect_result("event_condition_past_end", HD_IOCTL_REGISTER_EVENT, ev, 168 + 26,
                  HD_WIRE_ERR_CONDITION_PAST_END);
    event_base(ev, tag);
    expect_result("event_trailing_bytes", HD_IOCTL_REGISTER_EVENT, ev, 168 + 4,
                  HD_WIRE_ERR_TRAILING_BYTES);
    event_base(ev, tag);
    put32(ev, 96, HD_WIRE_EVENT_CPUID);
    expect_result("event_type_cpuid", HD_IOCTL_REGISTER_EVENT, ev, 168,
                  HD_WIRE_ERR_EVENT_TYPE_INVALID);
    event_base(ev, tag);
    ev[25] = 1;
    put32(ev, 28, 2);
    expect_result("event_sc_with_post", HD_IOCTL_REGISTER_EVENT, ev, 168, HD_WIRE_ERR_SC_WITH_POST);
    event_base(ev, tag);
    put32(ev, 16, 4096); /* no machine has core 4096: HD_CORES_MAX */
    expect_result("event_core_out_of_range", HD_IOCTL_REGISTER_EVENT, ev, 168,
                  HD_WIRE_ERR_INVALID_CORE_ID);
    event_base(ev, 0x42);
    expect_result("event_tag_below_base", HD_IOCTL_REGISTER_EVENT, ev, 168, HD_WIRE_ERR_TAG_INVALID);
    event_base(ev, tag);
    ev[24] = 2;
    expect_result("event_is_enabled_2", HD_IOCTL_REGISTER_EVENT, ev, 168, HD_WIRE_ERR_BAD_IS_ENABLED);
}

/* Add-action requests the decoder must refuse; each builds on the one before. */
static void probe_add_action(uint64_t tag)
{
    uint8_t act[HD_WIRE_ACTION_SIZE + 8];

    memset(act, 0, sizeof(act));
    put64(act, 0, tag + 100); /* no such event */
    act[12] = 1;
    expect_result("action_unknown_tag", HD_IOCTL_ADD_ACTION, act, 32, HD_WIRE_ERR_TAG_NOT_EXISTS);
    put32(act, 8, 7);
    expect_result("action_type_7", HD_IOCTL_ADD_ACTION, act, 32, HD_WIRE_ERR_INVALID_ACTION_TYPE);
    put32(act, 8, HD_WIRE_ACTION_CODE);
    expect_result("action_code_size_zero", HD_IOCTL_ADD_ACTION, act, 32,
                  HD_WIRE_ERR_ACTION_BUFFER_SIZE_IS_ZERO);
    put32(act, 20, 9);
    expect_result("action_code_past_end", HD_IOCTL_ADD_ACTION, act, 32 + 8,
                  HD_WIRE_ERR_PAYLOAD_PAST_END);
}

/* Modify is in/out: the code comes back in KernelStatus. */
static void probe_modify(uint64_t tag)
{
    uint8_t mod[HD_WIRE_MODIFY_SIZE];
    DWORD got, err;

    memset(mod, 0, sizeof(mod));
    put64(mod, 0, tag + 100);
    put32(mod, 16, 9);
    err = ioctl(HD_IOCTL_MODIFY_EVENTS, mod, 24, mod, 24, &got);
    check("modify_type_9", !err && got == 24 && get64(mod, 8) == HD_WIRE_ERR_MODIFY_INVALID_TYPE,
          "KernelStatus 0x%llX (Win32 error %llu)", get64(mod, 8), err);
    memset(mod, 0, sizeof(mod));
    put64(mod, 0, tag + 100);
    put32(mod, 16, HD_WIRE_MODIFY_DISABLE);
    err = ioctl(HD_IOCTL_MODIFY_EVENTS, mod, 24, mod, 24, &got);
    check("modify_unknown_tag", !err && get64(mod, 8) == HD_WIRE_ERR_MODIFY_INVALID_TAG,
          "KernelStatus 0x%llX (Win32 error %llu)", get64(mod, 8), err);
}

/* The IRP layer: requests failed before the core sees them, their NTSTATUS mapped to Win32
 * errors. The self-test request is refused for its output size; its bytes do not matter. */
static void probe_irp_layer(uint64_t tag)
{
    uint8_t ev[HD_WIRE_EVENT_SIZE + 64], st[HD_WIRE_SELFTEST_SIZE] = {0};

    event_base(ev, tag);
    expect_win32("register_output_too_small", HD_IOCTL_REGISTER_EVENT, ev, 168, 4,
                 ERROR_INSUFFICIENT_BUFFER);
    expect_win32("register_no_output", HD_IOCTL_REGISTER_EVENT, ev, 168, 0,
                 ERROR_INSUFFICIENT_BUFFER);
    expect_win32("unknown_ioctl", 0x222FFCu, ev, 168, 64, ERROR_INVALID_FUNCTION);
    /* METHOD_NEITHER (low bits 3): refused before any buffer is touched. */
    expect_win32("method_neither_refused", HD_IOCTL_REGISTER_EVENT | 3u, ev, 168, 64,
                 ERROR_INVALID_FUNCTION);
    expect_win32("read_messages_output_16", HD_IOCTL_READ_MESSAGES, NULL, 0, 16,
                 ERROR_INSUFFICIENT_BUFFER);
    expect_win32("selftest_output_too_small", HD_IOCTL_SELFTEST_VMCALL, st, sizeof(st), 100,
                 ERROR_INSUFFICIENT_BUFFER);
}

/* Self-test requests the core must refuse: the status comes back in the result. */
static void probe_selftest(void)
{
    uint8_t st[HD_WIRE_SELFTEST_SIZE], out[HD_WIRE_SELFTEST_RESULT_SIZE];
    DWORD got, err;

    memset(st, 0, sizeof(st));
    put32(st, 136, HD_ALL);
    st[148] = 4;
    err = ioctl(HD_IOCTL_SELFTEST_VMCALL, st, sizeof(st), out, sizeof(out), &got);
    check("selftest_cpl_4", !err && got == sizeof(out) &&
                                get32(out, 136) == HD_WIRE_ERR_SELFTEST_BAD_CPL,
          "status 0x%llX (Win32 error %llu)", get32(out, 136), err);
    st[148] = 0;
    put32(st, 152, 0x80);
    err = ioctl(HD_IOCTL_SELFTEST_VMCALL, st, sizeof(st), out, sizeof(out), &got);
    check("selftest_bad_flags", !err && get32(out, 136) == HD_WIRE_ERR_SELFTEST_BAD_FLAGS,
          "status 0x%llX (Win32 error %llu)", get32(out, 136), err);
    put32(st, 152, 0);
    err = ioctl(HD_IOCTL_SELFTEST_VMCALL, st, sizeof(st) - 1, out, sizeof(out), &got);
    check("selftest_truncated", !err && get32(out, 136) == HD_WIRE_ERR_TRUNCATED,
          "status 0x%llX (Win32 error %llu)", get32(out, 136), err);
}

int main(void)
{
    uint64_t tag, tag_after;
    uint32_t count, count_after;

    dev = CreateFileA("\\\\.\\hdevent", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                      FILE_ATTRIBUTE_NORMAL, NULL);
    if (dev == INVALID_HANDLE_VALUE) {
        printf("FAIL open: \\\\.\\hdevent: Win32 error %lu\n", (unsigned long)GetLastError());
        return 1;
    }
    if (list_state(&tag, &count)) {
        printf("FAIL list: HD_IOCTL_LIST_EVENTS did not answer\n");
        return 1;
    }

    probe_event_detail(tag);
    probe_add_action(tag);
    probe_modify(tag);
    probe_irp_layer(tag);
    probe_selftest();

    /* Nothing above changed anything. */
    if (list_state(&tag_after, &count_after)) {
        printf("FAIL list_after: HD_IOCTL_LIST_EVENTS did not answer\n");
        return 1;
    }
    check("rejections_changed_nothing", tag_after == tag && count_after == count,
          "next tag / event count moved: 0x%llX events %llu", tag_after, count_after);

    CloseHandle(dev);
    printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
