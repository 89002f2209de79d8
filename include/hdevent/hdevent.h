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
#include "regs.h"
#include "status.h"
#include "types.h"
#include "vcpu.h"

/** Library version, as in the CMake project. */
#define HD_VERSION_MAJOR 0
#define HD_VERSION_MINOR 1
#define HD_VERSION_PATCH 0

#endif /* HDEVENT_HDEVENT_H */
