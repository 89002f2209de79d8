/* SPDX-License-Identifier: MIT */
/*
 * The options of every subcommand (cli.h): getopt_long with the options they all share,
 * -h/--help and -V/--version, and the usage errors. A subcommand's --help is built from its
 * struct cli_spec; `hdevent --help` lists them all; `hdevent --version` names the build.
 *
 * getopt_long gives the forms people expect of a Unix tool: --opt=value and --opt value,
 * combined short options (-ts), options after operands, `--` to end the options, unambiguous
 * abbreviations of long ones. Its own messages are off (opterr = 0): ours name the
 * subcommand and point at its --help.
 */
#include "cli.h"

#include <hdevent/version.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifndef HDEVENT_NO_ZYDIS
#include <Zydis/Zydis.h>
#endif

#ifndef HDEVENT_BUILD_TYPE
#define HDEVENT_BUILD_TYPE "unspecified"
#endif

static const struct cli_spec *running; /* whose usage errors these are */

static void print_help(const struct cli_spec *s)
{
    printf("usage: hdevent %s %s\n\n%s\n\nOptions:\n%s", s->name, s->synopsis, s->description,
           s->options);
    printf("  -h, --help             show this help and exit\n"
           "  -V, --version          show the version and exit\n"
           "\nExamples:\n%s\nSee docs/cli.md or `man hdevent`.\n",
           s->examples);
}

void cli_getopt_init(struct cli_getopt *g, const struct cli_spec *spec, int argc, char **argv)
{
    size_t n = 0;

    memset(g, 0, sizeof(*g));
    g->spec = spec;
    g->argc = argc;
    g->argv = argv;
    running = spec;
    /* ':' first: a missing value comes back as ':', not '?', so the message can say so. */
    snprintf(g->shortopts, sizeof(g->shortopts), ":hV%s", spec->shortopts);
    for (const struct option *o = spec->longopts; o && o->name; o++)
        if (n + 3 < sizeof(g->longopts) / sizeof(g->longopts[0]))
            g->longopts[n++] = *o;
    g->longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    g->longopts[n++] = (struct option){"version", no_argument, NULL, 'V'};
    g->longopts[n] = (struct option){0};
    optind = 1;
    opterr = 0;
}

/* The option getopt_long stopped at, as the user wrote it (`--bogus`, `-x`, `--cores`). */
static void offending(const struct cli_getopt *g, char *out, size_t size)
{
    const char *arg = optind > 0 && optind <= g->argc ? g->argv[optind - 1] : "";

    if (optopt && !(arg[0] == '-' && arg[1] == '-'))
        snprintf(out, size, "-%c", optopt); /* a short one, maybe inside "-tx" */
    else
        snprintf(out, size, "%.*s", (int)strcspn(arg, "="), arg); /* --name, without =value */
}

/* Whether @given ("--t") begins the names of two or more long options: getopt_long then
 * refused it as ambiguous, not unknown. @out says so, naming them. */
static bool ambiguous(const struct cli_getopt *g, const char *given, char *out, size_t size)
{
    const char *prefix = given + 2;
    size_t len = strlen(prefix), n = 0, used;

    used = (size_t)snprintf(out, size, "option '%s' is ambiguous (", given);
    for (const struct option *o = g->longopts; o->name; o++) {
        if (len == 0 || strncmp(o->name, prefix, len) != 0)
            continue;
        if (used < size)
            used += (size_t)snprintf(out + used, size - used, "%s--%s", n ? ", " : "", o->name);
        n++;
    }
    if (used < size)
        snprintf(out + used, size - used, ")");
    return n > 1;
}

int cli_getopt_next(struct cli_getopt *g)
{
    char name[128], why[256];
    int c;

    optopt = 0;
    c = getopt_long(g->argc, g->argv, g->shortopts, g->longopts, NULL);
    switch (c) {
    case 'h':
        print_help(g->spec);
        g->status = 0;
        return CLI_GETOPT_EXIT;
    case 'V':
        cli_print_version(stdout);
        g->status = 0;
        return CLI_GETOPT_EXIT;
    case '?':
        offending(g, name, sizeof(name));
        /* A known long option makes getopt_long set optopt: then it was given a value it
         * does not take (--text=1). */
        if (optopt && name[1] == '-')
            g->status = cli_usage_error("option '%s' takes no value", name);
        else if (name[0] == '-' && name[1] == '-' && ambiguous(g, name, why, sizeof(why)))
            g->status = cli_usage_error("%s", why);
        else
            g->status = cli_usage_error("unknown option '%s'", name);
        return CLI_GETOPT_EXIT;
    case ':':
        offending(g, name, sizeof(name));
        g->status = cli_usage_error("option '%s' needs a value", name);
        return CLI_GETOPT_EXIT;
    default:
        return c;
    }
}

int cli_usage_error(const char *fmt, ...)
{
    char msg[512];
    const char *name = running ? running->name : NULL;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "hdevent%s%s: ", name ? " " : "", name ? name : "");
    cli_text_safe(stderr, msg, strlen(msg), false); /* it may quote what was typed */
    fprintf(stderr, "\nTry 'hdevent%s%s --help'.\n", name ? " " : "", name ? name : "");
    return 2;
}

void cli_print_overview(FILE *out)
{
    fprintf(out, "usage: hdevent SUBCOMMAND [OPTION]... [ARGUMENT]...\n"
                 "       hdevent --help | --version\n\n"
                 "HyperDbg-style VMCALL event hooks: commands, IOCTL buffers, code, scripts,\n"
                 "the host simulator and a loaded kernel backend. Output is one JSON object per\n"
                 "line; --text gives text for people.\n\nSubcommands:\n");
    for (size_t i = 0; i < cli_command_count; i++)
        fprintf(out, "  %-16s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
    fprintf(out, "\n`hdevent SUBCOMMAND --help` shows its options and examples.\n"
                 "Exit status: 0 success, 1 input refused or a line failed, 2 usage,\n"
                 "3 (run) the seccomp filter refused a call of hdevent's own.\n"
                 "See docs/cli.md or `man hdevent`.\n");
}

void cli_print_version(FILE *out)
{
    fprintf(out, "hdevent %s\n", HD_VERSION_STRING);
#ifndef HDEVENT_NO_ZYDIS
    {
        ZyanU64 v = ZydisGetVersion(); /* the library this process runs with */
        fprintf(out, "Zydis %u.%u.%u\n", (unsigned)ZYDIS_VERSION_MAJOR(v),
                (unsigned)ZYDIS_VERSION_MINOR(v), (unsigned)ZYDIS_VERSION_PATCH(v));
    }
#else
    fprintf(out, "Zydis: not built in (no validation, disassembly or assembler)\n");
#endif
    fprintf(out, "build: %s%s%s\n", HDEVENT_BUILD_TYPE,
#if defined(HDEVENT_HAVE_SECCOMP)
            ", seccomp filter",
#else
            "",
#endif
#if defined(__SANITIZE_ADDRESS__)
            ", AddressSanitizer"
#elif defined(__SANITIZE_THREAD__)
            ", ThreadSanitizer"
#else
            ""
#endif
    );
}
