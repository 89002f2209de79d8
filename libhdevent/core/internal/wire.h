/* SPDX-License-Identifier: MIT */
/*
 * What the core's wire files share (wire_ioctl.c for HyperDbg's IOCTLs; wire_device.c,
 * wire_selftest.c and wire_messages.c for hdevent's own).
 */
#ifndef HDEVENT_INTERNAL_WIRE_H
#define HDEVENT_INTERNAL_WIRE_H

#include <hdevent/wire.h>
#include <hdevent/wire_device.h>

#include "le.h"

struct hd_engine;

/* "wire: <what> rejected: 0xC000101A <sentence>" on the backend's log (writer context); the
 * one logger of every wire rejection. Engine refusals are logged by the engine itself. */
void hd__wire_log_rejection(struct hd_engine *e, const char *what, uint32_t code);

/* wire_recorder.c: HD_IOCTL_RECORDER, out_len >= the header checked. @return bytes written. */
size_t hd__wire_recorder(struct hd_engine *e, const void *in, size_t in_len, void *out,
                         size_t out_len);

/* HD_IOCTL_EVENT_COMMAND; @out holds HD_WIRE_EVENT_COMMAND_REPLY_SIZE bytes or more. Returns
 * bytes written. */
size_t hd__wire_event_command(struct hd_engine *e, const void *in, size_t in_len, void *out,
                              size_t out_len);

/* HD_IOCTL_SELFTEST_VMCALL; @out holds HD_WIRE_SELFTEST_RESULT_SIZE bytes. Returns bytes written. */
size_t hd__wire_selftest_run(struct hd_engine *e, const struct hd_wire_caller *caller,
                             const void *in, size_t in_len, void *out);

#endif /* HDEVENT_INTERNAL_WIRE_H */
