/* SPDX-License-Identifier: MIT */
/*
 * ioctl_probe: malformed requests to a loaded hdevent.ko, each with the answer it must get
 * (a wire code in the result, or an errno). Runs inside the QEMU guest, statically linked.
 * Prints "ok - NAME" or "FAIL - NAME: ..." per check; exit status = number of failures.
 * Needs at least one registered event with tag 0x1000000 (the guest script adds it first).
 */
#define _GNU_SOURCE
#include <hdevent/device_linux.h>
#include <hdevent/wire.h>
#include <hdevent/wire_device.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int fd, failures;

static void check(const char *name, int ok, const char *detail)
{
    if (ok)
        printf("ok - probe: %s\n", name);
    else
        printf("FAIL - probe: %s: %s\n", name, detail), failures++;
}

/* One request; @return ioctl's result (-errno on failure), *got = bytes returned. */
static int send(uint32_t code, const void *in, uint32_t in_len, void *out, uint32_t out_len,
                uint32_t reserved, uint32_t *got)
{
    struct hd_linux_ioctl a = {.in_ptr = (uintptr_t)in, .out_ptr = (uintptr_t)out,
                               .in_len = in_len, .out_len = out_len, .reserved = reserved};
    int r = ioctl(fd, code, &a);
    if (got)
        *got = a.returned;
    return r < 0 ? -errno : r;
}

/* A request whose result is hd_wire_result: expect wire code @want. */
static void expect_result(const char *name, uint32_t code, const void *in, uint32_t len,
                          uint32_t want)
{
    struct hd_wire_result r;
    uint32_t got = 0;
    char d[128];
    int rc;

    memset(&r, 0xAA, sizeof(r));
    rc = send(code, in, len, &r, sizeof(r), 0, &got);
    snprintf(d, sizeof(d), "rc %d, returned %u, is_successful %u, error 0x%08X, want 0x%08X", rc,
             got, r.is_successful, r.error, want);
    check(name, rc == 0 && got == 8 && r.error == want && r.is_successful == (want == 0), d);
}

static void expect_errno(const char *name, int rc, int want)
{
    char d[96];
    snprintf(d, sizeof(d), "got %d (%s), want -%d (%s)", rc, strerror(-rc), want,
             strerror(want));
    check(name, rc == -want, d);
}

static struct hd_wire_event vmcall_event(uint64_t tag)
{
    struct hd_wire_event e;
    memset(&e, 0, sizeof(e));
    e.core_id = HD_ALL;
    e.process_id = HD_ALL;
    e.is_enabled = 1;
    e.event_stage = 1;
    e.tag = tag;
    e.event_type = HD_WIRE_EVENT_VMCALL;
    return e;
}

static void selftest_status(const char *name, const void *in, uint32_t len,
                            uint32_t want)
{
    struct hd_wire_selftest_result r;
    uint32_t got = 0;
    char d[128];
    int rc;

    memset(&r, 0, sizeof(r));
    rc = send(HD_IOCTL_SELFTEST_VMCALL, in, len, &r, sizeof(r), 0, &got);
    snprintf(d, sizeof(d), "rc %d, returned %u, status 0x%08X, want 0x%08X, fired %u", rc, got,
             r.status, want, r.fired_pre);
    check(name, rc == 0 && got == sizeof(r) && r.status == want && r.fired_pre == 0, d);
}

int main(void)
{
    struct hd_wire_event ev;
    struct hd_wire_action ac;
    struct hd_wire_modify m;
    struct hd_wire_selftest st;
    uint8_t big[HD_WIRE_SELFTEST_SIZE + 8], small[16];
    cpu_set_t cpu0;

    fd = open(HD_LINUX_DEVICE_PATH, O_RDWR | O_NONBLOCK);
    if (fd < 0)
        return printf("FAIL - probe: open %s: %s\n", HD_LINUX_DEVICE_PATH, strerror(errno)), 1;

    /* Register: HyperDbg's and hdevent's codes. */
    ev = vmcall_event(HD_TAG_BASE + 0x100);
    expect_result("event shorter than 168 bytes", HD_IOCTL_REGISTER_EVENT, &ev, 100,
                  HD_WIRE_ERR_TRUNCATED);
    ev.condition_buffer_size = 64;
    expect_result("condition size past the end", HD_IOCTL_REGISTER_EVENT, &ev, sizeof(ev),
                  HD_WIRE_ERR_CONDITION_PAST_END);
    ev = vmcall_event(HD_TAG_BASE + 0x100);
    ev.event_stage = 5;
    expect_result("stage 5", HD_IOCTL_REGISTER_EVENT, &ev, sizeof(ev), HD_WIRE_ERR_BAD_STAGE);
    ev = vmcall_event(HD_TAG_BASE + 0x100);
    ev.event_type = HD_WIRE_EVENT_CPUID;
    expect_result("event type cpuid", HD_IOCTL_REGISTER_EVENT, &ev, sizeof(ev),
                  HD_WIRE_ERR_EVENT_TYPE_INVALID);
    ev = vmcall_event(HD_TAG_BASE + 0x100);
    ev.core_id = 7; /* the guest has 2 CPUs (nr_cpu_ids 2) */
    expect_result("core 7 of 2", HD_IOCTL_REGISTER_EVENT, &ev, sizeof(ev),
                  HD_WIRE_ERR_INVALID_CORE_ID);
    ev = vmcall_event(HD_TAG_BASE + 0x100);
    ev.enable_short_circuiting = 1;
    ev.event_stage = 3;
    expect_result("sc with stage all", HD_IOCTL_REGISTER_EVENT, &ev, sizeof(ev),
                  HD_WIRE_ERR_SC_WITH_POST);
    ev = vmcall_event(HD_TAG_BASE); /* given out already */
    expect_result("tag in use", HD_IOCTL_REGISTER_EVENT, &ev, sizeof(ev), HD_WIRE_ERR_TAG_IN_USE);

    /* Add action. */
    memset(&ac, 0, sizeof(ac));
    ac.event_tag = HD_TAG_BASE + 0x5000;
    expect_result("action for no event", HD_IOCTL_ADD_ACTION, &ac, sizeof(ac),
                  HD_WIRE_ERR_TAG_NOT_EXISTS);
    ac.event_tag = HD_TAG_BASE;
    ac.action_type = 2;
    ac.custom_code_buffer_size = 10;
    expect_result("code past the end", HD_IOCTL_ADD_ACTION, &ac, sizeof(ac),
                  HD_WIRE_ERR_PAYLOAD_PAST_END);
    ac.custom_code_buffer_size = 0;
    expect_result("code action without code", HD_IOCTL_ADD_ACTION, &ac, sizeof(ac),
                  HD_WIRE_ERR_ACTION_BUFFER_SIZE_IS_ZERO);
    ac.action_type = 9;
    expect_result("action type 9", HD_IOCTL_ADD_ACTION, &ac, sizeof(ac),
                  HD_WIRE_ERR_INVALID_ACTION_TYPE);

    /* Modify. */
    memset(&m, 0, sizeof(m));
    m.tag = HD_TAG_BASE;
    m.type_of_action = 7;
    {
        uint32_t got = 0;
        int rc = send(HD_IOCTL_MODIFY_EVENTS, &m, sizeof(m), &m, sizeof(m), 0, &got);
        char d[96];
        snprintf(d, sizeof(d), "rc %d, kernel_status 0x%llX", rc, (unsigned long long)m.kernel_status);
        check("modify type 7", rc == 0 && m.kernel_status == HD_WIRE_ERR_MODIFY_INVALID_TYPE, d);
    }

    /* Self-test: bad buffers dispatch nothing and say why. */
    CPU_ZERO(&cpu0);
    CPU_SET(0, &cpu0);
    if (sched_setaffinity(0, sizeof(cpu0), &cpu0) != 0)
        check("pin to CPU 0", 0, strerror(errno));
    memset(&st, 0, sizeof(st));
    st.core = 0;
    st.cpl = 4;
    selftest_status("self-test cpl 4", &st, sizeof(st), HD_WIRE_ERR_SELFTEST_BAD_CPL);
    st.cpl = 0;
    st.insn_len = 99;
    selftest_status("self-test insn_len 99", &st, sizeof(st), HD_WIRE_ERR_SELFTEST_BAD_INSN_LEN);
    st.insn_len = 0;
    st.flags = 0x80;
    selftest_status("self-test unknown flag", &st, sizeof(st), HD_WIRE_ERR_SELFTEST_BAD_FLAGS);
    st.flags = 0;
    selftest_status("self-test 159 bytes", &st, sizeof(st) - 1, HD_WIRE_ERR_TRUNCATED);
    memset(big, 0, sizeof(big));
    selftest_status("self-test 168 bytes", big, sizeof(big), HD_WIRE_ERR_TRAILING_BYTES);
    st.core = 1; /* pinned to CPU 0 */
    selftest_status("self-test on the wrong core", &st, sizeof(st),
                    HD_WIRE_ERR_SELFTEST_WRONG_CORE);
    st.core = 9;
    selftest_status("self-test core 9 of 2", &st, sizeof(st), HD_WIRE_ERR_INVALID_CORE_ID);

    /* What the device itself refuses, before any wire decoding. */
    st.core = 0;
    expect_errno("unknown IOCTL code", send(0x222FFC, &st, sizeof(st), big, sizeof(big), 0, NULL),
                 ENOTTY);
    expect_errno("self-test output too small",
                 send(HD_IOCTL_SELFTEST_VMCALL, &st, sizeof(st), small, sizeof(small), 0, NULL),
                 EINVAL);
    expect_errno("input above 1 MiB",
                 send(HD_IOCTL_REGISTER_EVENT, &ev, HD_LINUX_IOCTL_MAX + 1, big, 8, 0, NULL),
                 E2BIG);
    expect_errno("reserved field set",
                 send(HD_IOCTL_REGISTER_EVENT, &ev, sizeof(ev), big, 8, 1, NULL), EINVAL);
    expect_errno("input pointer unmapped",
                 send(HD_IOCTL_REGISTER_EVENT, (void *)16, sizeof(ev), big, 8, 0, NULL), EFAULT);
    expect_errno("argument pointer unmapped", ioctl(fd, HD_IOCTL_REGISTER_EVENT, (void *)16) < 0
                                                  ? -errno : 0, EFAULT);
    expect_errno("read with 16 bytes", read(fd, small, sizeof(small)) < 0 ? -errno : 0, EINVAL);
    expect_errno("read with nothing queued", read(fd, big, sizeof(big)) < 0 ? -errno : 0, EAGAIN);
    {
        /* 1 MiB of input (the maximum): copied with vmemdup_user (kvmalloc), no -ENOMEM. The
         * event has stage 5, so whatever the decoder says, nothing is registered. */
        static uint8_t mib[HD_LINUX_IOCTL_MAX];
        int r;
        ev = vmcall_event(HD_TAG_BASE + 0x100);
        ev.event_stage = 5;
        memcpy(mib, &ev, sizeof(ev));
        r = send(HD_IOCTL_REGISTER_EVENT, mib, sizeof(mib), big, 8, 0, NULL);
        check("1 MiB input is copied in (no errno)", r >= 0, strerror(-r));
    }
    {
        /* Opening needs CAP_SYS_ADMIN: root (the node is 0600 root's, so the VFS lets it
         * through) without that one capability gets EPERM from the driver's open. */
        pid_t child = fork();
        int wst = 0;
        if (child == 0) {
            struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
            struct __user_cap_data_struct data[2];
            int nfd;
            if (syscall(SYS_capget, &hdr, data) != 0)
                _exit(2);
            data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
            data[CAP_SYS_ADMIN / 32].permitted &= ~(1u << (CAP_SYS_ADMIN % 32));
            if (syscall(SYS_capset, &hdr, data) != 0)
                _exit(2);
            nfd = open(HD_LINUX_DEVICE_PATH, O_RDWR);
            _exit(nfd < 0 && errno == EPERM ? 0 : 1);
        }
        check("open without CAP_SYS_ADMIN: EPERM",
              child > 0 && waitpid(child, &wst, 0) == child && WIFEXITED(wst) &&
                  WEXITSTATUS(wst) == 0,
              WIFEXITED(wst) && WEXITSTATUS(wst) == 2 ? "capset failed" : "open did not fail with EPERM");
    }
    close(fd);
    printf("probe: %d failure(s)\n", failures);
    return failures;
}
