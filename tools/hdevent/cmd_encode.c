/*
 * hdevent encode [--strict] '<command>' -o FILE [--tag HEX]: the IOCTL buffers a command
 * makes, after the checks of cli_command_load() (docs/cli.md, docs/wire.md).
 */
#include "cli.h"

#include <hdevent/command.h>
#include <hdevent/wire.h>
#include <hdevent/wire_encode.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int cmd_encode(int argc, char **argv)
{
    const char *text = NULL, *path = NULL;
    uint64_t tag = HD_TAG_BASE;
    struct hd_command cmd;
    bool strict = false;
    uint8_t *buf = NULL;
    size_t len = 0;
    enum hd_status st;
    char line[1024];
    FILE *f;

    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--strict")) {
            strict = true;
        } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            path = argv[++i];
        } else if (!strcmp(argv[i], "--tag") && i + 1 < argc) {
            char *end;
            errno = 0;
            tag = strtoull(argv[++i], &end, 16);
            if (errno || *end || tag < HD_TAG_BASE || tag == HD_TAG_ALL)
                return cli_fail("usage", "--tag takes a hex tag from 0x1000000 (ID 0) upward");
        } else if (!text && argv[i][0] != '-') {
            text = argv[i];
        } else {
            return cli_usage();
        }
    }
    if (!text || !path)
        return cli_usage();

    if (cli_command_load(text, strict, false, &cmd) != 0)
        return 1;
    if (cmd.kind != HD_COMMAND_VMCALL) {
        hd_command_free(&cmd);
        return cli_fail("usage", "only !vmcall commands make event buffers; events e|d|c go "
                                 "through the modify IOCTL");
    }
    st = hd_wire_encode_file(&cmd.event, tag, &buf, &len);
    if (st != HD_OK) {
        hd_command_free(&cmd);
        return cli_fail(hd_status_name(st), hd_status_str(st));
    }
    f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        snprintf(line, sizeof(line), "cannot write %s: %s", path, strerror(errno));
        free(buf);
        hd_command_free(&cmd);
        return cli_fail("io", line);
    }
    printf("{\"type\":\"encoded\",\"file\":");
    cli_json_string(stdout, path);
    printf(",\"bytes\":%zu,\"tag\":\"0x%" PRIx64 "\",\"actions\":%" PRIu32 "}\n", len, tag,
           cmd.event.action_count);
    free(buf);
    hd_command_free(&cmd);
    return 0;
}

