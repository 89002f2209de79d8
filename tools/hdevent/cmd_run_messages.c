/* SPDX-License-Identifier: MIT */
/*
 * What `hdevent run` prints for the messages an exit queued (docs/cli.md): a script's printf,
 * a script's run error, custom code's buffer; one JSON record or one text line each.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include "cli.h"

#include <hdevent/dispatch.h>
#include <hdevent/engine.h>

#include <inttypes.h>
#include <string.h>

/* A script's run stopped: "HD_ERR_SCRIPT_...: what (instruction N)" from the core. */
static void print_script_error(bool text, const struct hd_message_info *info,
                               const uint8_t *data, size_t n)
{
    const char *name = hd_status_name(info->status);
    size_t skip = strlen(name) + 2; /* the record starts with the name and ": " */
    const char *what = (const char *)data + (n >= skip ? skip : n);
    int len = (int)(n >= skip ? n - skip : 0);

    if (text) {
        printf("  script of event %" PRIu64 " stopped on core %" PRIu32 ": %s: ",
               HD_EVENT_ID(info->tag), info->core, name);
        cli_text_safe(stdout, what, (size_t)len, false);
        printf("\n");
        return;
    }
    printf("{\"type\":\"script_error\",\"event\":%" PRIu64 ",\"tag\":\"0x%" PRIx64
           "\",\"core\":\"0x%" PRIx32 "\",\"error\":\"%s\",\"message\":",
           HD_EVENT_ID(info->tag), info->tag, info->core, name);
    cli_json_bytes(stdout, (const uint8_t *)what, (size_t)len);
    printf("}\n");
}

void cli_run_messages(struct hd_engine *engine, bool text, struct sink_router *router)
{
    struct hd_message_info info;
    uint8_t data[4096];
    uint64_t outputs[HD_EVENT_MAX_OUTPUTS];
    uint32_t output_count;

    while (hd_message_read(engine, &info, data, sizeof(data)) == HD_OK) {
        size_t n = info.size < sizeof(data) ? info.size : sizeof(data);
        /* Custom code hands back a buffer: a C string at its start. A script's printf is its
         * text, exactly. */
        size_t text_len = info.kind == HD_MESSAGE_PRINT ? n : strnlen((const char *)data, n);
        struct cli_message m = {.tag = info.tag, .core = info.core, .text = data,
                                .len = text_len, .size = info.size, .immediate = -1,
                                .truncated = info.truncated};
        if (info.kind == HD_MESSAGE_SCRIPT_ERROR) {
            print_script_error(text, &info, data, n);
            continue;
        }
        /* The event's outputs, if it names any and is still there (a clear leaves its
         * queued messages behind: they go to stdout). */
        if (router && hd_event_outputs(engine, info.tag, outputs, &output_count) == HD_OK &&
            cli_message_route(router, outputs, output_count, &m))
            continue;
        if (text && info.kind == HD_MESSAGE_PRINT) {
            printf("  event %" PRIu64 " printed on core %" PRIu32 ": \"", HD_EVENT_ID(info.tag),
                   info.core);
            cli_text_escaped(stdout, data, text_len); /* one line per message */
            printf("\"\n");
            continue;
        }
        if (text) { /* custom code's buffer: the guest's bytes, made safe */
            printf("  message from event %" PRIu64 " on core %" PRIu32 ": \"",
                   HD_EVENT_ID(info.tag), info.core);
            cli_text_escaped(stdout, data, text_len);
            printf("\"\n");
            continue;
        }
        cli_message_json(stdout, &m);
    }
}
