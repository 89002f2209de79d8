/* SPDX-License-Identifier: MIT */
/*
 * tools/hdevent/device_cli.h — what the device subcommands share (device_cli.c): their
 * options, opening the device, the requests every subcommand sends, and the error records.
 *
 *   hdevent add [-s] '<!vmcall command>'            cmd_add.c: register an event and its actions
 *   hdevent events [e|d|c ID|all]                    cmd_events.c: list, enable, disable, clear
 *   hdevent read [--follow] [--timeout MS]           cmd_read.c: take queued messages
 *   hdevent selftest-vmcall core=N [pid=N] ...       cmd_selftest.c: a synthetic exit on core N
 *   hdevent record [--follow] [-o FILE]              cmd_record.c: exits as a replayable scenario
 *
 * Each takes -d/--device PATH (default device_default_path()) and -t/--text
 * (dev_common_option). Requests are built by
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
};

/** The --help lines of the options every device subcommand has. */
#define DEV_COMMON_HELP                                                                        \
    "  -d, --device PATH      the device (default /dev/hdevent; \\\\.\\hdevent on Windows)\n"    \
    "  -t, --text             text for people; diagnostics on stderr\n"
#define DEV_COMMON_SHORT "d:t"
#define DEV_COMMON_LONG {"device", required_argument, NULL, 'd'}, {"text", no_argument, NULL, 't'}

/** Set the defaults of the common options. */
void dev_opts_init(struct dev_opts *o);

/** One of the common options (@p c from cli_getopt_next, its value in optarg)?
 *  @return true when it was, and it is noted in @p o. */
bool dev_common_option(int c, struct dev_opts *o);

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

/**
 * EVENT_OUTPUTS of @p tag: its output source tags into @p tags (HD_EVENT_MAX_OUTPUTS room),
 * their number into @p count. @return 1; 0 when the event is gone (nothing set); -1 (printed).
 */
int dev_event_outputs(struct cli_device *dev, uint64_t tag, uint64_t *tags, uint32_t *count);
/* hdevent's own options of event @p tag (HD_IOCTL_EVENT_EXTENSION) into @p info's nr, deny,
 * max_hits, runs and spent. @return 1; 0 when the device cannot say (cleared since, an older
 * module, not allowed): fields untouched; -1 after a malformed reply (printed). */
int dev_event_extension(struct cli_device *dev, uint64_t tag, struct hd_event_info *info);

/**
 * EVENT_COMMAND set: give event @p tag its command text (@p len bytes, at most
 * HD_COMMAND_MAX_BYTES). @return 0; 2 when the device predates command text (an older module
 * or driver: nothing kept, nothing printed); 1 (printed).
 */
int dev_event_command_set(struct cli_device *dev, uint64_t tag, const char *text, size_t len);

/**
 * EVENT_COMMAND get: the command text of @p tag into @p text (@p size bytes, at least
 * HD_COMMAND_MAX_BYTES + 1 to have it whole), "" when it has none or the device predates
 * command text. @return 1; 0 when the event is gone; -1 (printed).
 */
int dev_event_command_get(struct cli_device *dev, uint64_t tag, char *text, size_t size);

#endif /* HDEVENT_CLI_DEVICE_CLI_H */
