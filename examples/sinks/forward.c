/* SPDX-License-Identifier: MIT */
/*
 * A `module:` sink (docs/output.md): HyperDbg's event forwarding callback, which hdevent calls
 * once per message with the message's JSON line (NUL-terminated, without its newline).
 *
 *   cc -shared -fPIC -o forward.so examples/sinks/forward.c
 *   hdevent run --sink log=module:./forward.so SCENARIO
 *
 * Under `hdevent run` the callback runs under the seccomp filter: it may write to stdout,
 * stderr and the sinks' descriptors, nothing else. This one writes each line to stderr.
 */
#include <unistd.h>

void hyperdbg_event_forwarding(const char *text, unsigned len)
{
    if (write(2, "forwarded: ", 11) < 0 || write(2, text, len) < 0 || write(2, "\n", 1) < 0)
        return;
}
