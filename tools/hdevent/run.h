/* SPDX-License-Identifier: MIT */
/*
 * tools/hdevent/run.h — the parts of `hdevent run` (cmd_run.c) that live in files of their
 * own: the words of an exit line (run_exit.c), the report of a hook the host backend stopped
 * (run_fault.c) and the seccomp filter the scenario's code runs under (run_filter.c).
 * docs/cli.md describes them.
 */
#ifndef HDEVENT_CLI_RUN_H
#define HDEVENT_CLI_RUN_H

#include "sink.h"

#include <hdevent/command.h>
#include <hdevent/host.h>
#include <hdevent/recorder.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- cmd_run.c: the simulator's state ---------------------------------------------------- */

/** Events noted per exit in run_sim.fired; more are counted in fired_more. */
#define RUN_FIRED_MAX 64u

/** One `hdevent run`: the simulated machine and what the scenario did to it. */
struct run_sim {
    struct hd_host *host;
    struct hd_engine *engine;
    bool text, strict;
    bool narrating; /* the last line was a "##" line (text mode) */
    bool no_filter;
    uint32_t cores;
    uint32_t time_limit_ms; /* hd_host_config's: 0 is the default */
    uint32_t nr_register;   /* hd_host_config's: --nr-reg (0: rcx) */
    uint64_t next_tag;
    /* Command text per event ID: user mode keeps it, as HyperDbg's does (the wire carries
     * no text). */
    char **commands;
    uint64_t command_count;
    /* Events whose actions ran in this exit, in order, once per pass. */
    uint64_t fired[RUN_FIRED_MAX];
    uint32_t fired_count;
    uint64_t fired_more;
    /* --sink: where the messages of events with `output {…}` go (docs/output.md). */
    struct sink_router sinks;
    /* The flight recorder (run_record.c): --record's file, and the last exit's record for
     * an `expect` line. */
    FILE *record_out;
    struct hd_exit_record last;
    bool have_last;
};

/* ---- run_command.c ---------------------------------------------------------------------- */

/**
 * A command line of the scenario (@p text: `!vmcall ...` or `events ...`), sent the way a
 * kernel backend receives it: parsed and validated, encoded to IOCTL buffers, handed to
 * hd_wire_ioctl(). Prints its record, or the line's error. @return false if it failed.
 */
bool run_command(struct run_sim *s, const char *text);

/* ---- run_exit.c ------------------------------------------------------------------------- */

/** Print a scenario line's error: @p fmt with one %s, @p detail. @return 1 (as cli_fail). */
int run_line_error(const char *fmt, const char *detail);

/**
 * Parse the words after `vmcall` on an exit line (@p args, changed in place) into @p vcpu and
 * @p r (zeroed first; hd_host_vcpu_init's defaults), for a machine of @p cores. On a mistake
 * prints the line's error. @return false then.
 */
bool run_parse_exit(char *args, uint32_t cores, struct hd_vcpu *vcpu, struct hd_guest_regs *r);

/* ---- run_record.c ----------------------------------------------------------------------- */

/** --record FILE: create it (before the seccomp filter) and write its first line. On failure
 *  prints the error. @return false then. */
bool run_record_open(struct run_sim *s, const char *path);

/** Copy a command or memory line that succeeded into the recording, if there is one. */
void run_record_line(struct run_sim *s, const char *line);

/**
 * After an exit of @p vcpu (its registers were @p before; @p exit: what dispatch said, NULL
 * when the host stopped a hook): take its record for `expect` — the engine's, or, for an exit
 * the engine did not record (no event enabled), one made of the exit line and the default
 * handling — and write it to the recording as a `vmcall` line and an `expect` line. An exit
 * whose hook was stopped has no record.
 */
void run_record_exit(struct run_sim *s, const struct hd_vcpu *vcpu,
                     const struct hd_guest_regs *before, const struct hd_exit *exit);

/** An `expect` line (@p args: the words after it, changed in place): check them against the
 *  last exit; print each difference. @return false if any differs or the line is bad. */
bool run_expect(struct run_sim *s, char *args);

/** Flush and close the recording. @return false (the error printed) if writing failed. */
bool run_record_close(struct run_sim *s);

/* ---- run_memory.c ----------------------------------------------------------------------- */

/**
 * A `memory <hex address> <hex byte>...` line (@p args: what follows the word, changed in
 * place): map the bytes as simulated guest memory of @p host and print its record.
 * @return false (the error printed) for a bad line or a region the host refuses.
 */
bool run_memory(struct hd_host *host, char *args, bool text_out);

/* ---- run_script_files.c ---------------------------------------------------------------- */

/**
 * Read every script file that the scenario's command @p lines (@p count logical lines, as
 * they will run) name, before the seccomp filter, and make the lines load their scripts from
 * what was read (cli_set_script_loader). A file that cannot be read fails the lines naming
 * it when they run. @return false when out of memory.
 */
bool run_script_files_read(char *const *lines, size_t count);

/** The loader run_script_files_read() sets: a cli_script_loader. */
enum hd_status run_script_file_load(struct hd_command *cmd, struct hd_command_error *err);

/** Free what run_script_files_read() read, and give loading back to the file system. */
void run_script_files_free(void);

/* ---- run_fault.c ------------------------------------------------------------------------ */

/**
 * Print the error record of an exit line whose hook the host stopped (hd_host_vmcall()
 * returned @p st, HD_ERR_HOOK_FAULTED or HD_ERR_HOOK_TIMEOUT) on @p core: what stopped it,
 * whose code it was, where. @p limit_ms is the time limit in force, for the message.
 */
void run_fault_report(struct hd_host *host, uint32_t core, enum hd_status st,
                      uint32_t limit_ms, bool text_out);

/* ---- run_filter.c ----------------------------------------------------------------------- */

/** What run_filter_install() did. */
enum run_filter {
    RUN_FILTER_ON,    /**< the filter is in force */
    RUN_FILTER_NONE,  /**< this build has no libseccomp: no filter */
    RUN_FILTER_FAILED /**< it could not be installed: the run must not go on */
};

/**
 * Make a SIGSYS that no hook raised (hdevent's own call refused by the filter: a bug) print
 * a line on stderr and fail that call with EPERM. Call it before hd_host_contain_prepare():
 * the host backend's handler takes SIGSYS inside an exit and passes this one the others.
 */
void run_filter_catch_own(void);

/** Did the filter refuse one of hdevent's own calls? (`hdevent run` then exits with 3.) */
bool run_filter_refused_own(void);

/**
 * Restrict the process's system calls to what the simulator needs from now on (docs/cli.md,
 * "What the scenario's code may do"); anything else traps (SIGSYS). Call it once setup is
 * done: the scenario read, the engine made, hd_host_contain_prepare() called, stdout's buffer
 * in place (and run_filter_catch_own() before all that). On RUN_FILTER_FAILED a sentence is
 * left in @p err.
 */
enum run_filter run_filter_install(char *err, size_t err_size);

/** Let the filter allow write() on @p fds too (the output sinks and --record's file, opened
 *  before it). Call it before run_filter_install(); at most SINK_MAX + 1 descriptors. */
void run_filter_allow_writes(const int *fds, uint32_t count);

/** The host backend's code memfd (hd_host_exec_fd()): raw code registered under the filter
 *  may grow it (ftruncate) and map it read+execute, that descriptor only. Call it before
 *  run_filter_install(); a negative @p fd allows nothing. */
void run_filter_allow_exec_fd(int fd);

/** The host backend gives each raw-code buffer pages of its own (hd_host_exec_own_pages()):
 *  let the filter allow mprotect to read+execute. Call it before run_filter_install(). */
void run_filter_allow_exec_pages(void);

/**
 * The name of system call @p nr of ABI @p arch (an AUDIT_ARCH_* value, as SIGSYS reports it):
 * "getpid", or "?" when unknown. Writes into @p buf.
 */
const char *run_syscall_name(uint32_t arch, int nr, char *buf, size_t size);

#endif /* HDEVENT_CLI_RUN_H */
