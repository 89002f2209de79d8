/* SPDX-License-Identifier: MIT */
/*
 * hdevent/wire_encode.h — the user-mode side of the wire (USER MODE ONLY: libc, malloc):
 * building HyperDbg's IOCTL buffers, and decoding what a device replies.
 *
 * The encoder turns a descriptor into the bytes user mode sends: one event buffer
 * (168 bytes + condition) for HD_IOCTL_REGISTER_EVENT, then one action buffer (32 bytes +
 * payload) per action for HD_IOCTL_ADD_ACTION, and 24-byte modify requests. Buffers are
 * malloc'd and returned with their length; release them with free().
 *
 * "FILE format" (what `hdevent encode -o FILE` writes and `hdevent decode FILE` reads) is the
 * buffers exactly as they go to the IOCTLs, back to back: the event buffer, then each action
 * buffer in order. hd_wire_file_split() walks such bytes by their size fields, safely;
 * hd_wire_file_decode() splits and decodes them with the kernel's decoders.
 *
 *     uint8_t *file; size_t size;
 *     if (hd_wire_encode_file(&cmd.event, tag, &file, &size) == HD_OK) { write it; free(file); }
 */
#ifndef HDEVENT_WIRE_ENCODE_H
#define HDEVENT_WIRE_ENCODE_H

#include "event.h"
#include "recorder.h"
#include "status.h"
#include "types.h"
#include "wire.h"
#include "wire_device.h"

HD_EXTERN_C_BEGIN

/* ---------------------------------------------------------------------------------------- */
/* Encoding                                                                                 */
/* ---------------------------------------------------------------------------------------- */

/**
 * Encode @p desc as an event buffer: 168 bytes + the raw condition's bytes. Fields are written
 * as given (stage, core, pid, flags: the kernel validates them); CountOfActions is
 * desc->action_count, EventType is VMCALL, the ignored fields are 0.
 * @param tag the event's tag; 0 takes desc->tag.
 * @param buf receives a malloc'd buffer (free() it), @p len its size.
 * @return HD_OK; HD_ERR_INVALID_ARGUMENT (a NULL pointer); HD_ERR_INVALID_TAG (tag below
 *         HD_TAG_BASE or HD_TAG_ALL); HD_ERR_INVALID_CONDITION (raw without bytes, unknown
 *         kind); HD_ERR_NOT_ENCODABLE (a native condition); HD_ERR_NO_MEMORY.
 */
HD_API enum hd_status hd_wire_encode_event(const struct hd_event_desc *desc, uint64_t tag,
                                           uint8_t **buf, size_t *len);

/**
 * Encode @p action, for event @p tag, as an action buffer: 32 bytes + the code (code action)
 * or the script bytes (script action). PreAllocatedBuffer is action->buffer_size.
 * @return HD_OK; HD_ERR_INVALID_ARGUMENT; HD_ERR_INVALID_TAG; HD_ERR_EMPTY_CODE (code or
 *         script action without bytes); HD_ERR_NOT_ENCODABLE (a native action);
 *         HD_ERR_INVALID_ACTION_TYPE; HD_ERR_NO_MEMORY.
 */
HD_API enum hd_status hd_wire_encode_action(const struct hd_action_desc *action, uint64_t tag,
                                            uint8_t **buf, size_t *len);

/**
 * Write a modify request: @p type (enum hd_wire_modify_type) on event @p tag, or on every
 * event with HD_TAG_ALL (enable, disable, clear; a query needs one tag). KernelStatus and
 * IsEnabled are 0: the kernel fills them.
 */
HD_API void hd_wire_encode_modify(uint64_t tag, uint32_t type, uint8_t out[HD_WIRE_MODIFY_SIZE]);

/**
 * Encode @p desc and each of its actions back to back (FILE format) in one malloc'd buffer.
 * @return the errors of hd_wire_encode_event() and hd_wire_encode_action();
 *         HD_ERR_TOO_MANY_ACTIONS above HD_EVENT_MAX_ACTIONS.
 */
HD_API enum hd_status hd_wire_encode_file(const struct hd_event_desc *desc, uint64_t tag,
                                          uint8_t **buf, size_t *len);

/* ---------------------------------------------------------------------------------------- */
/* FILE format                                                                              */
/* ---------------------------------------------------------------------------------------- */

/** One buffer inside a FILE. */
struct hd_wire_span {
    const uint8_t *data; /**< points into the FILE bytes */
    size_t size;         /**< bytes, as sent to the IOCTL */
    size_t offset;       /**< offset of the buffer in the FILE */
};

/** A FILE cut into its buffers by hd_wire_file_split(). */
struct hd_wire_file {
    struct hd_wire_span event;
    struct hd_wire_span actions[HD_EVENT_MAX_ACTIONS];
    uint32_t action_count;
    /** The event's CountOfActions (equal to action_count after a successful split). */
    uint32_t count_of_actions;
    /** On failure: 0 for the event buffer, k for the k-th action buffer (1-based). */
    uint32_t error_index;
    /** On failure: offset in the FILE of that buffer (0 for a CountOfActions mismatch). */
    size_t error_offset;
};

/**
 * Cut FILE bytes into the event buffer and its action buffers, by their size fields only:
 * every size is checked against what is left, sums in 64 bits. Nothing else is validated;
 * decode each span for that (or use hd_wire_file_decode()).
 * @return HD_WIRE_OK; HD_WIRE_ERR_TRUNCATED (a structure cut short);
 *         HD_WIRE_ERR_CONDITION_PAST_END / _PAYLOAD_PAST_END; HD_WIRE_ERR_SIZE_OVERFLOW;
 *         HD_WIRE_ERR_TOO_MANY_ACTIONS (CountOfActions above HD_EVENT_MAX_ACTIONS);
 *         HD_WIRE_ERR_ACTION_COUNT_MISMATCH (fewer than CountOfActions action buffers);
 *         HD_WIRE_ERR_TRAILING_BYTES (bytes after the CountOfActions-th action buffer);
 *         HD_WIRE_ERR_INVALID_ARGUMENT.
 */
HD_API uint32_t hd_wire_file_split(const void *buf, size_t len, struct hd_wire_file *out);

/** A FILE decoded by hd_wire_file_decode(). About 22 KiB: allocate it, or make it static. */
struct hd_wire_file_decoded {
    /** The buffers as split (offsets and sizes of each, for reports). */
    struct hd_wire_file file;
    /** The event; event.actions points at `actions` below, condition bytes into the FILE. */
    struct hd_event_desc event;
    /** The actions in FILE order; code bytes point into the FILE. */
    struct hd_action_desc actions[HD_EVENT_MAX_ACTIONS];
    /** On failure: 0 for the event buffer, k for the k-th action buffer (1-based). */
    uint32_t error_index;
    /** On failure: offset in the FILE of the buffer that was rejected. */
    size_t error_offset;
};

/**
 * Split FILE bytes and decode every buffer with the kernel's decoders (hd_wire_decode_event(),
 * hd_wire_decode_action()), as the kernel would receive them one IOCTL at a time. Each action's
 * EventTag must be the event's Tag (else HD_WIRE_ERR_TAG_NOT_EXISTS: the kernel would not find
 * it). The result points into @p buf.
 * @param core_count for the CoreId check; 0 skips it.
 * @return HD_WIRE_OK or the first wire error code, with error_index / error_offset set.
 */
HD_API uint32_t hd_wire_file_decode(const void *buf, size_t len, uint32_t core_count,
                                    struct hd_wire_file_decoded *out);

/* ---------------------------------------------------------------------------------------- */
/* Decoding a device's replies                                                              */
/* ---------------------------------------------------------------------------------------- */

/*
 * A device is trusted no more than a buffer from a file: each decoder checks the reply's
 * length exactly and every field against its range, reads byte by byte (little-endian), and
 * fills its output only on success. They return HD_WIRE_OK, HD_WIRE_ERR_INVALID_ARGUMENT (a
 * NULL pointer), HD_WIRE_ERR_TRUNCATED (shorter than the record), HD_WIRE_ERR_TRAILING_BYTES
 * (longer) or HD_WIRE_ERR_REPLY_MALFORMED (a field out of range); the code the kernel put
 * in a well-formed reply is the caller's to read in @p out.
 */

/** An 8-byte register or add-action result; is_successful must agree with `error`. */
HD_API uint32_t hd_wire_decode_result(const void *buf, size_t len, struct hd_wire_result *out);

/**
 * A 24-byte modify reply: the request echoed with kernel_status and, for a query, is_enabled.
 * Type and IsEnabled are checked only where they mean something (a successful request; a
 * successful query).
 */
HD_API uint32_t hd_wire_decode_modify_reply(const void *buf, size_t len,
                                            struct hd_wire_modify *out);

/** A 168-byte self-test result. */
HD_API uint32_t hd_wire_decode_selftest_result(const void *buf, size_t len,
                                               struct hd_wire_selftest_result *out);

/**
 * An event-list reply: the header, and exactly `count` entries after it (a failed request has
 * none). Read the entries with hd_wire_decode_list_entry().
 */
HD_API uint32_t hd_wire_decode_list(const void *buf, size_t len,
                                    struct hd_wire_list_header *out);

/**
 * Entry @p index of an event-list reply that hd_wire_decode_list() accepted: stage 1..3,
 * flags 0 or 1, a known condition kind.
 */
HD_API uint32_t hd_wire_decode_list_entry(const void *buf, size_t len, uint32_t index,
                                          struct hd_wire_list_entry *out);

/**
 * The message record at the start of @p buf, @p len bytes being what is left of a read:
 * length <= size, TRUNCATED set exactly when length < size, no unknown flag, the text and its
 * padding inside @p len. @p text receives the text (it points into @p buf), @p record_size
 * the bytes the record takes: the next record starts there.
 */
HD_API uint32_t hd_wire_decode_message(const void *buf, size_t len, struct hd_wire_message *out,
                                       const uint8_t **text, size_t *record_size);

/**
 * An event-command reply (HD_IOCTL_EVENT_COMMAND) of @p len bytes: the 8-byte header and, for
 * a get, the text and a NUL (@p text points at it in @p buf; length past what came back, or a
 * NUL inside the text, is malformed); a set's reply and a failed request are 8 bytes.
 * @param text NULL for a set's reply.
 */
HD_API uint32_t hd_wire_decode_event_command_reply(const void *buf, size_t len,
                                                   struct hd_wire_event_command_reply *out,
                                                   const char **text);

/**
 * An event-outputs reply (HD_IOCTL_EVENT_OUTPUTS), exactly HD_WIRE_EVENT_OUTPUTS_SIZE bytes:
 * `count` at most HD_EVENT_MAX_OUTPUTS non-zero tags, zeros after them, none on a failure;
 * anything else is HD_WIRE_ERR_REPLY_MALFORMED.
 */
HD_API uint32_t hd_wire_decode_event_outputs(const void *buf, size_t len,
                                             struct hd_wire_event_outputs *out);

/**
 * An event-extension reply (HD_IOCTL_EVENT_EXTENSION), exactly HD_WIRE_EVENT_EXTENSION_SIZE
 * bytes: only the HD_WIRE_EVENT_EXT_* flags, not both deny flags, nr_first <= nr_last, runs at
 * most max_hits (0 without a limit), spent only with a limit; else REPLY_MALFORMED.
 */
HD_API uint32_t hd_wire_decode_event_extension(const void *buf, size_t len,
                                               struct hd_wire_event_extension *out);

/**
 * A recorder reply (HD_IOCTL_RECORDER): the header, and exactly `count` records of
 * HD_WIRE_RECORD_SIZE bytes after it (a failed request has none). Read them with
 * hd_wire_decode_record().
 */
HD_API uint32_t hd_wire_decode_recorder(const void *buf, size_t len,
                                        struct hd_wire_recorder_header *out);

/**
 * Record @p index of a recorder reply that hd_wire_decode_recorder() accepted: CPL 0..3, known
 * flags, instruction length at most 15, fired tags after fired_count (up to HD_RECORD_FIRED_MAX) 0.
 */
HD_API uint32_t hd_wire_decode_record(const void *buf, size_t len, uint32_t index,
                                      struct hd_exit_record *out);

HD_EXTERN_C_END

#endif /* HDEVENT_WIRE_ENCODE_H */
