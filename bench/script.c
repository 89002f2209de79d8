/* SPDX-License-Identifier: MIT */
/*
 * The script scenarios: one event on every core and process whose one action is a script,
 * measured like the single-thread scenarios (single.c) for hd, hd_ipi, hdbg and hdbg_shuf.
 * hd runs hdevent's bytecode (compiled here from the text); hdbg runs the same script as the
 * re-created HyperDbg symbol stream (hdbg_script.c).
 *
 *   S_bare         the same event with custom code `ret` and no script: the reference, measured
 *                  in the same rounds as the others (P1_bare's event, with these registers)
 *   S_filter       if (@rax == 1234 && $pid == 4) { event_sc(1); }  — rax 1234, pid 4: the
 *                  condition holds and the VMCALL is short-circuited (issue 14's scenario)
 *   S_filter_miss  the same script on pid 5: both compares run, the condition fails
 *   S_empty        an empty script: the cost of a script action with nothing in it
 *   S_printf       printf("%llx %llx\n", @rax, @rbx);  — one message, "1234 abc\n"
 *
 * S_filter_miss - S_bare is what the fast-path filter costs beyond an action that does
 * nothing (custom code `ret`); S_empty is a script action that enters the VM only to end.
 * Before timing, one exit of each side is checked to do the same thing: the same verdict, the
 * same printed text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdevent/script.h>

#include "bench.h"
#include "hd_side.h"
#include "hdbg_script.h"
#include "hdbg_sim.h"
#include "timing.h"

struct script_scenario {
    const char *name;
    const char *text;   /* NULL: no script, custom code `ret` (the reference) */
    enum hdbg_script_kind kind;
    uint32_t pid;
    bool short_circuits; /* the exit is short-circuited */
    const char *prints;  /* what the exit prints, or NULL */
};

static const struct script_scenario scenarios[] = {
    {"S_bare", NULL, HDBG_SCRIPT_EMPTY, 4, false, NULL},
    {"S_filter", "if (@rax == 1234 && $pid == 4) { event_sc(1); }", HDBG_SCRIPT_FILTER, 4, true,
     NULL},
    {"S_filter_miss", "if (@rax == 1234 && $pid == 4) { event_sc(1); }", HDBG_SCRIPT_FILTER, 5,
     false, NULL},
    {"S_empty", "", HDBG_SCRIPT_EMPTY, 4, false, NULL},
    {"S_printf", "printf(\"%llx %llx\\n\", @rax, @rbx);", HDBG_SCRIPT_PRINTF, 4, false,
     "1234 abc\n"},
};
#define SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

#define EXIT_RAX 0x1234u /* 1234 in the script language's hexadecimal */
#define EXIT_RBX 0xABCu

/* hd: one exit, its verdict and the text it printed (checked against the scenario). */
static bool check_hd(const struct script_scenario *sc, const struct world *w)
{
    struct hd_side side;
    struct hd_guest_regs regs = {.rax = EXIT_RAX, .rbx = EXIT_RBX};
    struct hd_vcpu vcpu = {0};
    struct hd_verdict verdict;
    struct hd_message_info info;
    char text[128] = "";
    bool ok;

    if (!hd_side_build(w, NULL, NULL, &side))
        return false;
    vcpu.regs = &regs;
    vcpu.rip = HD_HOST_VCPU_RIP;
    vcpu.insn_len = 3;
    vcpu.core = bench_os_core();
    vcpu.pid = bench_os_pid();
    hd_dispatch_vmcall(side.engine, &vcpu, NULL, &verdict);
    if (hd_message_read(side.engine, &info, text, sizeof(text) - 1) == HD_OK)
        text[info.size < sizeof(text) - 1 ? info.size : sizeof(text) - 1] = '\0';
    ok = verdict.fired == 1 &&
         !!(verdict.flags & HD_VERDICT_SHORT_CIRCUIT) == sc->short_circuits &&
         (sc->prints ? strcmp(text, sc->prints) == 0 : text[0] == '\0');
    if (!ok)
        fprintf(stderr, "hdevent-bench: %s: hd fired %u, flags %#x, printed '%s'\n", sc->name,
                verdict.fired, verdict.flags, text);
    hd_side_destroy(&side);
    return ok;
}

/* hdbg: one exit, whether it short-circuited and what it logged. */
static bool check_hdbg(const struct script_scenario *sc, const struct world *w)
{
    struct hdbg_set set;
    struct hd_guest_regs regs = {.rax = EXIT_RAX, .rbx = EXIT_RBX};
    char text[128];
    bool sc_done, ok;

    if (!hdbg_build(w, false, 1, &set))
        return false;
    hdbg_activate(&set);
    sc_done = hdbg_vmcall_exit(&regs);
    hdbg_log_last(text, sizeof(text));
    ok = sc_done == sc->short_circuits && (!sc->prints || strcmp(text, sc->prints) == 0);
    if (!ok)
        fprintf(stderr, "hdevent-bench: %s: hdbg short-circuit %d, logged '%s'\n", sc->name,
                sc_done, text);
    hdbg_destroy(&set);
    return ok;
}

/* One scenario's world (its event in @ev, its programs in @script, the bytecode in @prog);
 * checked to do the same work on both sides. False (printed) when it cannot be made. */
static bool make_world(const struct script_scenario *sc, struct world *w, struct bench_event *ev,
                       struct bench_script *script, struct hdbg_symbol *symbols,
                       struct hd_script_program *prog)
{
    struct hd_script_error err;

    *ev = (struct bench_event){.core = BENCH_ALL, .pid = BENCH_ALL, .cond = BENCH_COND_NONE,
                               .action = sc->text ? BENCH_ACTION_SCRIPT : BENCH_ACTION_CODE};
    memset(script, 0, sizeof(*script));
    memset(prog, 0, sizeof(*prog));
    if (sc->text && hd_script_compile(sc->text, prog, &err) != HD_OK) {
        fprintf(stderr, "hdevent-bench: %s: the script does not compile: %s\n", sc->name,
                err.message);
        return false;
    }
    script->hd_code = prog->code;
    script->hd_size = prog->size;
    script->hdbg_code = symbols;
    script->hdbg_count = hdbg_script_build(sc->kind, symbols, 64);
    script->hdbg_bytes = script->hdbg_count * (uint32_t)sizeof(struct hdbg_symbol);
    script->prints = sc->prints != NULL;
    memset(w, 0, sizeof(*w));
    w->events = ev;
    w->count = 1;
    w->cores = BENCH_CORES;
    w->exit_pid = sc->pid;
    w->exit_rax = EXIT_RAX;
    w->exit_rbx = EXIT_RBX;
    w->script = sc->text ? script : NULL;
    bench_os_enter(0, sc->pid);
    return !sc->text || (check_hd(sc, w) && check_hdbg(sc, w));
}

/* The selected scenarios, measured together with S_bare (the same event with custom code `ret`
 * instead of a script) so that every difference the goals take is within one set of rounds. */
int bench_run_script(const struct bench_options *o)
{
    static struct hdbg_symbol symbols[SCENARIOS][64];
    struct hd_script_program progs[SCENARIOS];
    struct bench_script scripts[SCENARIOS];
    struct bench_event events[SCENARIOS];
    struct world worlds[SCENARIOS];
    const char *names[SCENARIOS];
    uint32_t count = 0;
    int rc = 0;

    for (size_t i = 0; i < SCENARIOS; i++)
        count += bench_selected(o, scenarios[i].name);
    if (!count)
        return 0; /* none selected; otherwise S_bare always comes along */
    if (bench_pin(0) != 0)
        perror("hdevent-bench: pinning to CPU 0 (continuing unpinned)");
    count = 0;
    for (size_t i = 0; i < SCENARIOS && rc == 0; i++) {
        if (i && !bench_selected(o, scenarios[i].name))
            continue;
        names[count] = scenarios[i].name;
        if (!make_world(&scenarios[i], &worlds[count], &events[count], &scripts[count],
                        symbols[count], &progs[count]))
            rc = -1;
        count++;
    }
    if (rc == 0)
        rc = bench_measure_worlds(o, names, 1, worlds, count);
    for (uint32_t j = 0; j < count; j++)
        hd_script_program_free(&progs[j]);
    bench_os_enter(0, BENCH_PID);
    return rc;
}
