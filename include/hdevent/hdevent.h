/* SPDX-License-Identifier: MIT */
/*
 * hdevent/hdevent.h — the single door for hook and backend code: the engine, events,
 * dispatch, the backend contract. The IOCTL wire format (wire.h, wire_device.h) is for kernel
 * glue and user-mode tools, and has its own headers.
 * User-mode components (the host backend, later the parser and Zydis tools) have their own.
 */
#ifndef HDEVENT_HDEVENT_H
#define HDEVENT_HDEVENT_H

#include "backend.h"
#include "dispatch.h"
#include "engine.h"
#include "event.h"
#include "recorder.h"
#include "regs.h"
#include "status.h"
#include "types.h"
#include "vcpu.h"

/* The version macros (HD_VERSION_MAJOR, ...) are in <hdevent/version.h>, which the build
 * generates from the CMake project's version and installs beside this header. */

#endif /* HDEVENT_HDEVENT_H */
