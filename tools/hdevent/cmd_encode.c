/* SPDX-License-Identifier: MIT */
/*
 * hdevent encode [-t] [-s] ['<command>' | - | -f FILE] -o FILE|- [--tag TAG]: the IOCTL
 * buffers a command makes, after the checks of cli_command_load() (docs/cli.md,
 * docs/wire.md).
 */
#define _POSIX_C_SOURCE 200809L /* fdopen, dup, dup2, isatty */
#include "cli.h"

#include <hdevent/command.h>
#include <hdevent/wire.h>
#include <hdevent/wire_encode.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int encode_main(int argc, char **argv);

enum { OPT_TAG = CLI_LONG_ONLY };

const struct cli_spec cli_encode = {
    .name = "encode",
    .summary = "the IOCTL buffers a !vmcall command makes",
    .synopsis = "[-t] [-s] ['<command>' | - | -f FILE] -o FILE|- [--tag TAG]",
    .description =
        "Parse and validate a !vmcall command and write the buffers it makes, exactly as\n"
        "they go to HyperDbg's IOCTLs, back to back: the event buffer, then one add-action\n"
        "buffer per action (docs/wire.md). `-o -` writes them to stdout, which must not be a\n"
        "terminal; the JSON records then go to stderr.",
    .options = "  -o, --output FILE      write the buffers to FILE (- for stdout); required\n"
               "      --tag TAG          the event's tag: 0x1000000 (ID 0, the default) to\n"
               "                         0xffffffff, hex unless 0n\n"
               "  -t, --text             text for people; diagnostics on stderr\n"
               "  -s, --strict           a validation warning is an error\n"
               "  -f, --file FILE        read the command from FILE\n",
    .examples = "  hdevent encode '!vmcall pid 490 core 2 code {90 90 90}' -o ev.bin\n"
                "  hdevent encode -f command.txt -o - | hdevent decode -\n",
    .shortopts = "tsf:o:",
    .longopts = (const struct option[]){{"text", no_argument, NULL, 't'},
                                        {"strict", no_argument, NULL, 's'},
                                        {"file", required_argument, NULL, 'f'},
                                        {"output", required_argument, NULL, 'o'},
                                        {"tag", required_argument, NULL, OPT_TAG},
                                        {0}},
    .main = encode_main,
};

/* Write @p len bytes to @p path, or to descriptor @p fd when it is >= 0. @return 0, or 1
 * (the error printed). */
static int write_out(const char *path, int fd, const uint8_t *buf, size_t len)
{
    char line[1024];
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : fopen(path, "wb");

    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        snprintf(line, sizeof(line), "cannot write %s: %s", fd >= 0 ? "stdout" : path,
                 strerror(errno));
        return cli_fail("io", line);
    }
    return 0;
}

static int encode_main(int argc, char **argv)
{
    const char *file = NULL, *path = NULL;
    uint64_t tag = HD_TAG_BASE;
    struct hd_command cmd;
    struct cli_getopt g;
    bool strict = false, text = false;
    uint8_t *buf = NULL;
    char *input;
    size_t len = 0, input_len;
    enum hd_status st;
    int c, rc, out_fd = -1;

    cli_getopt_init(&g, &cli_encode, argc, argv);
    while ((c = cli_getopt_next(&g)) != -1) {
        if (c == 't') {
            cli_set_text(text = true);
        } else if (c == 's') {
            strict = true;
        } else if (c == 'f') {
            file = optarg;
        } else if (c == 'o') {
            path = optarg;
        } else if (c == OPT_TAG) {
            if (hd_command_number(optarg, strlen(optarg), HD_TAG_MAX, &tag) != HD_OK ||
                tag < HD_TAG_BASE)
                return cli_usage_error("--tag %s: a tag is 0x1000000 (ID 0) to 0xffffffff, "
                                       "hex unless prefixed 0n", optarg);
        } else {
            return g.status;
        }
    }
    if (!path)
        return cli_usage_error("needs -o FILE (or -o - for stdout)");
    if (argc - optind > 1)
        return cli_usage_error("takes one command (quote it): '%s' is one too many",
                               argv[optind + 1]);
    if (!strcmp(path, "-")) {
        if (isatty(1))
            return cli_usage_error("-o -: stdout is a terminal; the buffers are binary "
                                   "(redirect it, or pipe it into hdevent decode -)");
        /* stdout carries the buffers: everything printed goes to stderr instead. */
        fflush(stdout);
        out_fd = dup(1);
        if (out_fd < 0 || dup2(2, 1) < 0)
            return cli_fail("io", "cannot set stdout aside for the buffers");
    }
    rc = cli_input_text(optind < argc ? argv[optind] : NULL, file, HD_COMMAND_TEXT_MAX,
                        "a command", &input, &input_len);
    if (rc)
        return rc;
    rc = cli_command_load(input, strict, text, &cmd);
    free(input);
    if (rc)
        return 1;
    if (cmd.kind != HD_COMMAND_VMCALL) {
        hd_command_free(&cmd);
        return cli_usage_error("only !vmcall commands make event buffers (events e|d|c "
                               "travel in the modify IOCTL)");
    }
    st = hd_wire_encode_file(&cmd.event, tag, &buf, &len);
    if (st != HD_OK) {
        hd_command_free(&cmd);
        return cli_fail(hd_status_name(st), hd_status_str(st));
    }
    rc = write_out(path, out_fd, buf, len);
    if (rc == 0 && text) {
        printf("wrote %zu bytes to ", len);
        cli_text_safe(stdout, path, strlen(path), false);
        printf(": event 0x%" PRIx64 " (ID %" PRIu64 ") and %" PRIu32 " action buffer%s\n", tag,
               HD_EVENT_ID(tag), cmd.event.action_count,
               cmd.event.action_count == 1 ? "" : "s");
    } else if (rc == 0) {
        printf("{\"type\":\"encoded\",\"file\":");
        cli_json_string(stdout, path);
        printf(",\"size\":%zu,\"tag\":\"0x%" PRIx64 "\",\"actions\":%" PRIu32 "}\n", len, tag,
               cmd.event.action_count);
    }
    free(buf);
    hd_command_free(&cmd);
    return rc;
}
