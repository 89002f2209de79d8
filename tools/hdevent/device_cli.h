/*
 * tools/hdevent/device_cli.h — what the device subcommands share (device_cli.c): their
 * options, opening the device, the requests every subcommand sends, and the error records.
 *
 *   hdevent add [--strict] '<!vmcall command>'      cmd_add.c: register an event and its actions
 *   hdevent events [e|d|c ID|all]                    cmd_events.c: list, enable, disable, clear
 *   hdevent read [--follow] [--timeout MS]           cmd_read.c: take queued messages
 *   hdevent selftest-vmcall core=N [pid=N] ...       cmd_selftest.c: a synthetic exit on core N
 *
 * Each takes --device PATH (default device_default_path()) and --text. Requests are built by
 * the library's encoders and replies read by its decoders (wire_encode.h); the OS is reached
 * only through device.h, so these files are the same on Linux and Windows.
 */
#ifndef HDEVENT_CLI_DEVICE_CLI_H
#define HDEVENT_CLI_DEVICE_CLI_H

#include "device.h"

#include <hdevent/wire_device.h>

#include <stdbool.h>

struct dev_opts {
    const char *device;
    bool text;
    bool strict;
    bool follow;
    long timeout_ms; /* --follow: stop after this long without a message; -1 = never */
    int argc;        /* what is left after the options */
    char *argv[32];
};

/** Split the common options from the words. @return 0, or 2 for a usage error (printed). */
int dev_parse_opts(int argc, char **argv, struct dev_opts *o);

/** Open the device the options name. @return 0, or 1 (printed). */
int dev_open(const struct dev_opts *o, struct cli_device **dev);

/** A wire rejection of @p request as an error record. @return 1. */
int dev_wire_fail(const char *request, uint32_t code);

/** A reply the decoders refused: the device does not speak our format. @return 1. */
int dev_reply_fail(const char *request, uint32_t code);

/** A request answered by an 8-byte result. @return its Error code, or -1 (printed). */
int64_t dev_send_result(struct cli_device *dev, uint32_t code, const void *in, size_t len);

/** A modify request. @return its KernelStatus, or -1 (printed); *enabled for a query. */
int64_t dev_send_modify(struct cli_device *dev, uint64_t tag, uint32_t type, bool *enabled);

/** LIST_EVENTS after @p after into @p out, its header in @p h. @return bytes, or -1. */
long dev_list_page(struct cli_device *dev, uint64_t after, uint8_t *out, size_t out_len,
                   struct hd_wire_list_header *h);

#endif /* HDEVENT_CLI_DEVICE_CLI_H */
