/* SPDX-License-Identifier: MIT */
/*
 * hdevent — the command-line tool (docs/cli.md, `man hdevent`). One binary, one subcommand
 * per file, each described by its struct cli_spec:
 *
 *   parse    the event and actions a command makes, with disassembly      cmd_parse.c
 *   disasm   Zydis disassembly of a hex buffer, with validation           cmd_disasm.c
 *   asm      Intel-syntax assembly to bytes (Zydis's encoder)             cmd_asm.c
 *   encode   the IOCTL buffers a command makes                            cmd_encode.c
 *   decode   validate and show IOCTL buffers as the kernel would          cmd_decode.c
 *   run      the host simulator: scenario files of commands and exits     cmd_run.c
 *   script   compile a script and list its bytecode                       cmd_script.c
 *   add, events, read, selftest-vmcall, record
 *            talk to a loaded kernel backend (/dev/hdevent, \\.\hdevent)  cmd_add.c,
 *            cmd_events.c, cmd_read.c, cmd_selftest.c, cmd_record.c over device_cli.c
 *
 * HDEVENT_CLI_DEVICE_ONLY builds just the device subcommands (the mingw-w64 hdevent.exe and
 * the static guest build of the Linux e2e tests, which have no Zydis and no host backend);
 * HDEVENT_CLI_HAVE_DEVICE is set by the build when device_cli.c exists.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

extern const struct cli_spec cli_parse, cli_disasm, cli_asm, cli_encode, cli_decode, cli_run,
    cli_script, cli_add, cli_events, cli_read, cli_selftest_vmcall, cli_record;

const struct cli_spec *const cli_commands[] = {
#ifndef HDEVENT_CLI_DEVICE_ONLY
    &cli_parse, &cli_disasm, &cli_asm, &cli_encode, &cli_decode, &cli_run, &cli_script,
#endif
#ifdef HDEVENT_CLI_HAVE_DEVICE
    &cli_add, &cli_events, &cli_read, &cli_selftest_vmcall, &cli_record,
#endif
};
const size_t cli_command_count = sizeof(cli_commands) / sizeof(cli_commands[0]);

static const struct cli_spec *find(const char *name)
{
    for (size_t i = 0; i < cli_command_count; i++)
        if (!strcmp(name, cli_commands[i]->name))
            return cli_commands[i];
    return NULL;
}

static int run_command_line(int argc, char **argv)
{
    const struct cli_spec *spec;
    const char *first = argc > 1 ? argv[1] : NULL;

    if (!first) {
        cli_print_overview(stderr);
        return 2;
    }
    if (!strcmp(first, "--help") || !strcmp(first, "-h")) {
        cli_print_overview(stdout);
        return 0;
    }
    if (!strcmp(first, "--version") || !strcmp(first, "-V")) {
        cli_print_version(stdout);
        return 0;
    }
    /* `hdevent help` and `hdevent help SUBCOMMAND`, as git and others have it. */
    if (!strcmp(first, "help")) {
        if (argc == 2) {
            cli_print_overview(stdout);
            return 0;
        }
        static char help_option[] = "--help";
        spec = find(argv[2]);
        if (!spec)
            return cli_usage_error("help: no subcommand '%s' (hdevent --help lists them)",
                                   argv[2]);
        if (argc > 3)
            return cli_usage_error("help takes one subcommand");
        char *help_argv[] = {argv[2], help_option, NULL};
        return spec->main(2, help_argv);
    }
    if (first[0] == '-')
        return cli_usage_error("unknown option '%s': options go after the subcommand "
                               "(hdevent --help lists them)", first);
    spec = find(first);
    if (!spec)
        return cli_usage_error("unknown subcommand '%s' (hdevent --help lists them)", first);
    return spec->main(argc - 1, argv + 1);
}

/* What a subcommand printed must have reached stdout: a full disk or a closed pipe is an
 * error (exit 1), not a silent success (GNU's close_stdout does the same). */
int main(int argc, char **argv)
{
    int rc = run_command_line(argc, argv);

    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "hdevent: write error on standard output: %s\n",
                errno ? strerror(errno) : "an earlier write failed");
        return rc ? rc : 1;
    }
    return rc;
}
