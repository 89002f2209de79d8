/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/script_fuzz.h — what the script harnesses share (static functions: each harness
 * is one translation unit). Define FUZZ_NAME before including it.
 *
 *   CHECK(cond): abort with the harness's name and the line when an invariant fails.
 *   run_program(code, size, ...): register the bytecode as a script action on a fresh engine
 *     over the host backend (2 cores, a 16-byte buffer per core, 4 KiB of simulated guest
 *     memory at 0x1000, 5000 steps a run) and take two exits (cores 0 and 1, pids 4 and 5,
 *     rax 0x1000 + core: an address scripts can read); every message left must be a print or
 *     a run error a run may report (HD_ERR_SCRIPT_STEPS, _DIVIDE_BY_ZERO, _MEMORY,
 *     _EVENT_QUEUE); after the engine is destroyed the host holds no allocation. Returns what
 *     registration returned (nothing ran when it is not HD_OK).
 */
#ifndef HDEVENT_TESTS_FUZZ_SCRIPT_FUZZ_H
#define HDEVENT_TESTS_FUZZ_SCRIPT_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdevent/host.h>
#include <hdevent/script.h>

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, FUZZ_NAME ": invariant failed: %s (line %d)\n", #cond,           \
                    __LINE__);                                                               \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

static bool run_error_kind(enum hd_status st)
{
    return st == HD_ERR_SCRIPT_STEPS || st == HD_ERR_SCRIPT_DIVIDE_BY_ZERO ||
           st == HD_ERR_SCRIPT_MEMORY || st == HD_ERR_SCRIPT_EVENT_QUEUE;
}

static enum hd_status run_program(const void *code, uint32_t size)
{
    struct hd_host_config cfg = {.cores = 2, .log_to_stderr = false};
    /* Small queues: a fresh engine per input, and the default's 135 KiB of rings would cost
     * more than the run (a full queue drops messages, which is checked elsewhere). */
    struct hd_engine_config ecfg = {.message_slots = 16, .message_max_bytes = 256};
    /* One host for every input: it holds no event state between engines (its allocation
     * count must be back at 0 after each), and making one costs more than the run. */
    static struct hd_host *host;
    struct hd_engine *engine = NULL;
    struct hd_action_desc a;
    struct hd_event_desc d;
    struct hd_message_info info;
    char data[512];
    uint64_t tag = 0;
    enum hd_status st;

    if (!host) {
        CHECK(hd_host_create(&cfg, &host) == HD_OK);
        CHECK(hd_host_memory_map(host, 0x1000, 0x1000, NULL) == HD_OK);
    }
    CHECK(hd_engine_create(hd_host_ops(host), &ecfg, &engine) == HD_OK);
    hd_action_desc_init(&a, HD_ACTION_SCRIPT);
    a.script = code;
    a.script_size = size;
    a.buffer_size = 16;
    hd_event_desc_init(&d);
    d.actions = &a;
    d.action_count = 1;
    d.script_steps = 5000;
    st = hd_event_register(engine, &d, &tag);
    for (uint32_t core = 0; st == HD_OK && core < 2; core++) {
        struct hd_guest_regs regs;
        struct hd_vcpu vcpu;
        struct hd_exit x;
        memset(&regs, 0, sizeof(regs));
        regs.rax = 0x1000 + core;
        regs.rcx = 7;
        hd_host_vcpu_init(&vcpu, &regs, core, 4 + core);
        CHECK(hd_host_vmcall(host, engine, &vcpu, &x) == HD_OK);
    }
    while (hd_message_read(engine, &info, data, sizeof(data)) == HD_OK) {
        CHECK(info.kind == HD_MESSAGE_PRINT ||
              (info.kind == HD_MESSAGE_SCRIPT_ERROR && run_error_kind(info.status)));
    }
    hd_engine_destroy(engine);
    CHECK(hd_host_live_allocations(host) == 0);
    return st;
}

#endif /* HDEVENT_TESTS_FUZZ_SCRIPT_FUZZ_H */
