/* SPDX-License-Identifier: MIT */
/*
 * `memory <hex address> <hex byte>...` lines of `hdevent run`: a region of simulated guest
 * memory (hd_host_memory_map) for scripts' poi, db … eq and check_address (docs/script.md).
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include "cli.h"
#include "run.h"

#include <hdevent/command.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MEMORY_LINE_MAX 4096u

bool run_memory(struct hd_host *host, char *args, bool text_out)
{
    uint8_t bytes[MEMORY_LINE_MAX];
    uint64_t address, v;
    uint32_t n = 0;
    char *save = NULL, *w = strtok_r(args, " \t\r", &save);
    enum hd_status st;

    if (!w || hd_command_number(w, strlen(w), UINT64_MAX, &address) != HD_OK)
        return run_line_error("%s", "a memory line is: memory <hex address> <hex byte> ... "
                                    "(at least one byte)"), false;
    for (w = strtok_r(NULL, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
        if (n == MEMORY_LINE_MAX || hd_command_number(w, strlen(w), 0xFF, &v) != HD_OK)
            return run_line_error(n == MEMORY_LINE_MAX ? "more than 4096 bytes on one memory "
                                                         "line"
                                                       : "'%s': a byte is a hex number up to FF",
                                  w), false;
        bytes[n++] = (uint8_t)v;
    }
    if (!n)
        return run_line_error("%s", "a memory line needs at least one byte after the address"), false;
    st = hd_host_memory_map(host, address, n, bytes);
    if (st != HD_OK)
        return cli_fail(hd_status_name(st), st == HD_ERR_INVALID_ARGUMENT
                                                ? "memory: the range overlaps another region or "
                                                  "wraps around"
                                                : "memory: no region left (16 at most)"),
               false;
    if (text_out)
        printf("memory 0x%" PRIx64 ": %" PRIu32 " byte%s\n", address, n, n == 1 ? "" : "s");
    else
        printf("{\"type\":\"memory\",\"address\":\"0x%" PRIx64 "\",\"size\":%" PRIu32 "}\n",
               address, n);
    return true;
}
