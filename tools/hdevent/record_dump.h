/* SPDX-License-Identifier: MIT */
/*
 * tools/hdevent/record_dump.h — a recorder dump (record_dump.c), what a machine without the
 * device request's caller writes on its console so that `hdevent record --from FILE` can turn
 * it into a scenario (docs/cli.md#a-recorder-dump): the bare-metal Bochs image writes one.
 *
 *   recorder-dump cores=N                      the machine's CPU count (hex)
 *   recorder-event tag=T enabled=0|1 text=HEX  each registered event, in the replay's order
 *   recorder-reply HEX                         one HD_IOCTL_RECORDER reply, as many as taken
 *   recorder-end                               the dump is whole
 *
 * Lines that do not begin with `recorder-` are skipped, so a whole console log can be read.
 */
#ifndef HDEVENT_CLI_RECORD_DUMP_H
#define HDEVENT_CLI_RECORD_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct record_dump_event {
    uint64_t tag;
    bool enabled;
    char *text; /* NUL-terminated, no NUL inside; "" when the machine kept none */
};

struct record_dump_reply {
    uint8_t *bytes; /* the reply as the device request wrote it, not yet decoded */
    size_t len;
    uint32_t line; /* where it was, for errors */
};

struct record_dump {
    uint32_t cores;
    struct record_dump_event *events;
    uint32_t event_count;
    struct record_dump_reply *replies;
    uint32_t reply_count;
};

/**
 * Read the dump in @p path ("-": stdin). Checks the lines' form and order, hex, sizes and
 * tags; the replies are left to hd_wire_decode_recorder()/_record(). @return 0 with @p d
 * filled (record_dump_free it); 1 after an error record naming the file and line.
 */
int record_dump_read(const char *path, struct record_dump *d);

void record_dump_free(struct record_dump *d);

#endif /* HDEVENT_CLI_RECORD_DUMP_H */
