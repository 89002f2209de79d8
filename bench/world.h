/* SPDX-License-Identifier: MIT */
/*
 * A benchmark world: the events both implementations register, in registration order, and the
 * exit they are measured on. Built once per measurement and handed to hd and hdbg alike, so
 * both see identical inputs.
 */
#ifndef HDEVENT_BENCH_WORLD_H
#define HDEVENT_BENCH_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#define BENCH_ALL 0xFFFFFFFFu
/* Simulated cores of the engine; exits of single-thread scenarios come from core 0. */
#define BENCH_CORES 8u
/* The pid of the measured exits (HyperDbg's docs use pid 0x490). */
#define BENCH_PID 0x490u
/* The hypercall number of the measured exits of PN_nr (rcx; 0 elsewhere: no `nr` event). */
#define BENCH_NR 0x100u

enum bench_cond {
    BENCH_COND_NONE,  /* no condition */
    BENCH_COND_TRUE,  /* mov eax, 1; ret */
    BENCH_COND_FALSE, /* xor eax, eax; ret */
};

enum bench_action {
    BENCH_ACTION_BREAK,  /* HyperDbg's default action; only on events that never match */
    BENCH_ACTION_CODE,   /* custom code: ret */
    BENCH_ACTION_SCRIPT, /* the world's script (struct bench_script) */
};

/* A script action: one program in each implementation's form (script.c makes them). */
struct bench_script {
    const uint8_t *hd_code;  /* hdevent bytecode (hd_script_compile) */
    uint32_t hd_size;
    const void *hdbg_code;   /* the re-created HyperDbg symbol stream (hdbg_script.h) */
    uint32_t hdbg_bytes;
    uint32_t hdbg_count;     /* symbols in it */
    int prints;              /* it prints: queued messages are drained between samples */
};

struct bench_event {
    uint32_t core;
    uint32_t pid;
    uint8_t cond;   /* enum bench_cond */
    uint8_t action; /* enum bench_action */
    uint8_t has_nr; /* hdevent's `nr`: runs only when rcx is nr. HyperDbg has no such filter:
                     * its event gets a condition that holds only then (hdbg_sim.c) */
    uint64_t nr;
};

struct world {
    struct bench_event *events; /* registration order */
    uint32_t count;
    uint32_t cores;     /* simulated cores of the engine */
    uint32_t exit_core;
    uint32_t exit_pid;
    uint64_t exit_rax, exit_rbx;       /* the measured exit's registers (others are 0) */
    uint64_t exit_rcx;                 /* the hypercall number (`nr` events) */
    const struct bench_script *script; /* what BENCH_ACTION_SCRIPT runs; NULL: none */
};

/* The machine code both implementations run: the same bytes, each in its own W^X memory. */
extern const uint8_t bench_code_cond_true[6];
extern const uint8_t bench_code_cond_false[3];
extern const uint8_t bench_code_ret[1];

/* The simulated OS both implementations ask for the core and the pid (never inlined). */
uint32_t bench_os_core(void);
uint32_t bench_os_pid(void);
/* Set the calling thread's simulated core and process. */
void bench_os_enter(uint32_t core, uint32_t pid);

/*
 * --entry exit: hd times the one-call form (hd_dispatch_vmcall_exit() with the default
 * handling, what the in-tree backends call), and hdbg runs the same default handling after
 * its trigger unless short-circuited, as HyperDbg handles the VMCALL after its pre events.
 * Default (false): the two-call form's pre pass beside hdbg's trigger alone. The
 * single-thread scenarios (P0, P1, PN, PK) and the script ones (S) take it; MC and W time the
 * pre pass always.
 */
extern bool bench_one_call;

#endif /* HDEVENT_BENCH_WORLD_H */
