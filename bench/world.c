/* SPDX-License-Identifier: MIT */
/*
 * What both implementations share: the machine code they run and the simulated OS they ask
 * for the current core and process.
 */
#include "world.h"

/* mov eax, 1; ret — the condition holds. */
const uint8_t bench_code_cond_true[6] = {0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3};
/* xor eax, eax; ret — the condition fails. */
const uint8_t bench_code_cond_false[3] = {0x31, 0xC0, 0xC3};
/* ret — custom code that does nothing. */
const uint8_t bench_code_ret[1] = {0xC3};

/*
 * A kernel finds the current process through the current thread (gs -> thread -> process ->
 * id): three dependent loads. The simulation keeps that shape in thread-local storage.
 */
struct bench_process {
    uint64_t pad_[5];
    uint32_t pid;
};
struct bench_thread {
    uint64_t pad_[9];
    const struct bench_process *process;
};

static _Thread_local uint32_t tls_core;
static _Thread_local const struct bench_thread *tls_thread;
static _Thread_local struct bench_thread tls_thread_store;
static _Thread_local struct bench_process tls_process_store;

__attribute__((noinline, noipa)) uint32_t bench_os_core(void)
{
    return tls_core;
}

__attribute__((noinline, noipa)) uint32_t bench_os_pid(void)
{
    return tls_thread->process->pid;
}

void bench_os_enter(uint32_t core, uint32_t pid)
{
    tls_core = core;
    tls_process_store.pid = pid;
    tls_thread_store.process = &tls_process_store;
    tls_thread = &tls_thread_store;
}
