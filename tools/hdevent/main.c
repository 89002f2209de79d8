/*
 * hdevent — the command-line tool (docs/cli.md). One binary, one subcommand per file:
 *
 *   parse    the event and actions a command makes, with disassembly      cmd_parse.c
 *   disasm   Zydis disassembly of a hex buffer, with validation           cmd_disasm.c
 *   asm      Intel-syntax assembly to bytes (Zydis's encoder)             cmd_asm.c
 *   encode   the IOCTL buffers a command makes                            cmd_encode.c
 *   decode   validate and show IOCTL buffers as the kernel would          cmd_decode.c
 *   run      the host simulator: scenario files of commands and exits     cmd_run.c
 *   script   compile a script and list its bytecode                       cmd_script.c
 *   add, events, read, selftest-vmcall
 *            talk to a loaded kernel backend (/dev/hdevent, \\.\hdevent)  cmd_add.c,
 *            cmd_events.c, cmd_read.c, cmd_selftest.c over device_cli.c
 *
 * HDEVENT_CLI_DEVICE_ONLY builds just the device subcommands (the mingw-w64 hdevent.exe,
 * which has no Zydis and no host backend); HDEVENT_CLI_HAVE_DEVICE is set by the build when
 * device_cli.c exists.
 */
#include "cli.h"

#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
#ifndef HDEVENT_CLI_DEVICE_ONLY
    {"parse", cmd_parse},
    {"disasm", cmd_disasm},
    {"asm", cmd_asm},
    {"encode", cmd_encode},
    {"decode", cmd_decode},
    {"run", cmd_run},
    {"script", cmd_script},
#endif
#ifdef HDEVENT_CLI_HAVE_DEVICE
    {"add", cmd_add},
    {"events", cmd_events},
    {"read", cmd_read},
    {"selftest-vmcall", cmd_selftest_vmcall},
#endif
};

int main(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage();
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        cli_usage();
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "hdevent: unknown subcommand '%s'\n", argv[1]);
    return cli_usage();
}
