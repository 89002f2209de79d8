/* SPDX-License-Identifier: MIT */
/*
 * hdevent/wire_device.h — hdevent's own device records: the IOCTLs a kernel device serves
 * beside HyperDbg's four (wire.h): a self-test VMCALL exit on the calling core, message
 * records, and the event list; the device entry point; and the user-mode decoders of the
 * records a device returns.
 *
 * Layouts are fixed-width and little-endian like HyperDbg's, pinned by static asserts; the
 * kernel writes them byte by byte. Freestanding-safe; docs/wire.md has the tables.
 */
#ifndef HDEVENT_WIRE_DEVICE_H
#define HDEVENT_WIRE_DEVICE_H

#include "regs.h"
#include "types.h"
#include "wire.h"

HD_EXTERN_C_BEGIN

/* ---------------------------------------------------------------------------------------- */
/* hdevent's own IOCTLs: self-test exit, message records, event list (docs/wire.md)         */
/* ---------------------------------------------------------------------------------------- */

/*
 * Codes: device type 0x22, METHOD_BUFFERED, FILE_ANY_ACCESS, functions 0xE00..0xE04 (HyperDbg's
 * own functions sit at 0x800..0xAFF; 0xE00..0xEFF is reserved to hdevent). Served by
 * hd_wire_device_ioctl() together with HyperDbg's four.
 */
/** Run a synthetic VMCALL exit on the calling core: in hd_wire_selftest, out _result. */
#define HD_IOCTL_SELFTEST_VMCALL 0x223800u
/** Take queued messages: no input; out: message records back to back (may be 0 bytes). */
#define HD_IOCTL_READ_MESSAGES 0x223804u
/** List registered events after a tag, and the next free tag: in hd_wire_list_request. */
#define HD_IOCTL_LIST_EVENTS 0x223808u
/** The output source tags of one event (`output {…}`): in hd_wire_list_request (its tag),
 *  out hd_wire_event_outputs. */
#define HD_IOCTL_EVENT_OUTPUTS 0x22380Cu
#define HD_WIRE_EVENT_OUTPUTS_SIZE 48u
/** The flight recorder (recorder.h): switch it and take records: in hd_wire_recorder_request,
 *  out hd_wire_recorder_header and as many records (struct hd_exit_record) as fit. */
#define HD_IOCTL_RECORDER 0x223810u
#define HD_WIRE_RECORDER_REQUEST_SIZE 8u
#define HD_WIRE_RECORDER_HEADER_SIZE 32u
#define HD_WIRE_RECORD_SIZE 352u
/** hd_wire_recorder_request.op */
#define HD_WIRE_RECORDER_READ 0u /**< take records; recording stays as it is */
#define HD_WIRE_RECORDER_ON 1u   /**< switch recording on, then take records */
#define HD_WIRE_RECORDER_OFF 2u  /**< switch recording off, then take what is left */
/** The command text of one event: get it, or set it (hdevent add sends it after registering:
 *  HyperDbg's wire carries none). In hd_wire_event_command (+ Length bytes of text for a set),
 *  out hd_wire_event_command_reply (+ the text for a get, cut to what fits). */
#define HD_IOCTL_EVENT_COMMAND 0x223814u
#define HD_WIRE_EVENT_COMMAND_SIZE 16u
#define HD_WIRE_EVENT_COMMAND_REPLY_SIZE 8u
/** hd_wire_event_command.op */
#define HD_WIRE_COMMAND_GET 0u
#define HD_WIRE_COMMAND_SET 1u
/** hdevent's own options of one event (`nr`, `deny`, `max_hits`) and its runs so far: in
 *  hd_wire_list_request (its tag), out hd_wire_event_extension. Function 0xE07. */
#define HD_IOCTL_EVENT_EXTENSION 0x22381Cu
#define HD_WIRE_EVENT_EXTENSION_SIZE 48u
/** hd_wire_event_extension.flags */
#define HD_WIRE_EVENT_EXT_NR 0x1u       /**< the event has `nr`: nr_first .. nr_last */
#define HD_WIRE_EVENT_EXT_DENY_UD 0x2u  /**< `deny ud` */
#define HD_WIRE_EVENT_EXT_DENY_RAX 0x4u /**< `deny rax=deny_rax` */
#define HD_WIRE_EVENT_EXT_SPENT 0x8u    /**< max_hits runs were taken: it no longer runs */

#define HD_WIRE_SELFTEST_SIZE 160u
#define HD_WIRE_SELFTEST_RESULT_SIZE 168u
#define HD_WIRE_MESSAGE_HEADER_SIZE 24u
/** Smallest output the message read accepts: one header and 8 bytes of text. */
#define HD_WIRE_MESSAGE_READ_MIN 32u
#define HD_WIRE_LIST_REQUEST_SIZE 8u
#define HD_WIRE_LIST_HEADER_SIZE 32u
#define HD_WIRE_LIST_ENTRY_SIZE 40u

/** hd_wire_selftest.flags: use `pid`; without it the exit carries the caller's pid. */
#define HD_WIRE_SELFTEST_PID_GIVEN 0x1u
/** hd_wire_selftest_result.result_flags: the default handling ran (not short-circuited). */
#define HD_WIRE_SELFTEST_DEFAULT_RAN 0x1u
/** hd_wire_selftest_result.result_flags: the post pass ran. */
#define HD_WIRE_SELFTEST_POST_RAN 0x2u
/** Self-test input: one VMCALL exit as a VMX exit handler would see it. */
struct hd_wire_selftest {
    struct hd_guest_regs regs; /**< 0: GUEST_REGS at the VMCALL */
    uint64_t rip;              /**< 128: guest RIP of the VMCALL */
    uint32_t core;             /**< 136: HD_ALL = whichever core runs it; else must be that core */
    uint32_t pid;              /**< 140: used with HD_WIRE_SELFTEST_PID_GIVEN */
    uint32_t insn_len;         /**< 144: 0 = 3 (VMCALL), else 1..15 */
    uint8_t cpl;               /**< 148: 0..3 */
    uint8_t reserved0[3];      /**< 149: must be 0 */
    uint32_t flags;            /**< 152: HD_WIRE_SELFTEST_PID_GIVEN */
    uint32_t reserved1;        /**< 156: must be 0 */
};

/** Self-test output. On a rejection (status not HD_WIRE_SUCCESS) regs and rip echo the input. */
struct hd_wire_selftest_result {
    struct hd_guest_regs regs; /**< 0: registers after pre pass, default handling, post pass */
    uint64_t rip;              /**< 128: rip + insn_len (the VMCALL always retires) */
    uint32_t status;           /**< 136: HD_WIRE_SUCCESS or a wire error code */
    uint32_t core;             /**< 140: the core the exit ran on */
    uint32_t pid;              /**< 144: the pid the exit carried */
    uint32_t verdict;          /**< 148: HD_VERDICT_* of the pre pass OR the post pass */
    uint32_t fired_pre;        /**< 152: events that fired in the pre pass */
    uint32_t fired_post;       /**< 156: events that fired in the post pass */
    uint32_t result_flags;     /**< 160: HD_WIRE_SELFTEST_DEFAULT_RAN, _POST_RAN */
    uint32_t reserved0;        /**< 164: 0 */
};

/** hd_wire_message.flags: the action's `imm` setting. */
#define HD_WIRE_MESSAGE_IMMEDIATE 0x1u
/** hd_wire_message.flags: fewer than `size` bytes follow. */
#define HD_WIRE_MESSAGE_TRUNCATED 0x2u
/** hd_wire_message.flags: a script's printf or print (HD_MESSAGE_PRINT): the text, exactly. */
#define HD_WIRE_MESSAGE_PRINT 0x4u
/** hd_wire_message.flags: a script run stopped (HD_MESSAGE_SCRIPT_ERROR): the text is
 *  "HD_ERR_SCRIPT_…: what (instruction N)". Neither this nor PRINT: custom code's buffer. */
#define HD_WIRE_MESSAGE_SCRIPT_ERROR 0x8u

/**
 * One message record: this header, `length` bytes of text, zero padding to a multiple of 8.
 * Reads return whole records back to back; Linux read() returns the same bytes.
 */
struct hd_wire_message {
    uint64_t tag;    /**< 0: the event whose action produced it */
    uint32_t core;   /**< 8: the core that produced it */
    uint32_t size;   /**< 12: full size of the message */
    uint32_t length; /**< 16: bytes of text that follow (<= size) */
    uint32_t flags;  /**< 20: HD_WIRE_MESSAGE_* */
};

/** Event-list input: the tag to list after (0 = from the first event). */
struct hd_wire_list_request {
    uint64_t after_tag; /**< 0 */
};

/** Event-list output header; `count` hd_wire_list_entry records follow it. */
struct hd_wire_list_header {
    uint32_t kernel_status; /**< 0: HD_WIRE_SUCCESS or a wire error code */
    uint32_t count;         /**< 4: entries that follow */
    uint64_t next_tag;      /**< 8: the lowest tag a new event may use (above every tag given out) */
    uint64_t last_tag;      /**< 16: tag of the last entry (after_tag for the next request) */
    uint32_t more;          /**< 24: 1 when events past last_tag did not fit */
    uint32_t reserved0;     /**< 28: 0 */
};

/** One registered event in the list. */
struct hd_wire_list_entry {
    uint64_t tag;          /**< 0 */
    uint32_t core;         /**< 8: HD_ALL = every core */
    uint32_t pid;          /**< 12: HD_ALL = every pid */
    uint32_t stage;        /**< 16: enum hd_stage */
    uint8_t enabled;       /**< 20 */
    uint8_t short_circuit; /**< 21 */
    uint8_t condition;     /**< 22: enum hd_condition_kind */
    uint8_t reserved0;     /**< 23 */
    uint32_t action_count; /**< 24 */
    uint32_t reserved1;    /**< 28 */
    uint64_t hits;         /**< 32: times evaluated, summed over every core */
};

HD__STATIC_ASSERT(sizeof(struct hd_wire_selftest) == HD_WIRE_SELFTEST_SIZE, "selftest size");
HD__STATIC_ASSERT(offsetof(struct hd_wire_selftest, flags) == 152, "selftest.flags");
HD__STATIC_ASSERT(sizeof(struct hd_wire_selftest_result) == HD_WIRE_SELFTEST_RESULT_SIZE,
                 "selftest result size");
HD__STATIC_ASSERT(offsetof(struct hd_wire_selftest_result, result_flags) == 160,
                 "selftest_result.result_flags");
HD__STATIC_ASSERT(sizeof(struct hd_wire_message) == HD_WIRE_MESSAGE_HEADER_SIZE, "message size");
HD__STATIC_ASSERT(sizeof(struct hd_wire_list_request) == HD_WIRE_LIST_REQUEST_SIZE, "list req");
HD__STATIC_ASSERT(sizeof(struct hd_wire_list_header) == HD_WIRE_LIST_HEADER_SIZE, "list header");
HD__STATIC_ASSERT(offsetof(struct hd_wire_list_header, more) == 24, "list_header.more");
HD__STATIC_ASSERT(sizeof(struct hd_wire_list_entry) == HD_WIRE_LIST_ENTRY_SIZE, "list entry");
HD__STATIC_ASSERT(offsetof(struct hd_wire_list_entry, hits) == 32, "list_entry.hits");

/** Recorder input. */
struct hd_wire_recorder_request {
    uint32_t op;       /**< 0: HD_WIRE_RECORDER_READ, _ON or _OFF */
    uint32_t reserved; /**< 4: must be 0 */
};

/** Recorder output header; `count` records of HD_WIRE_RECORD_SIZE bytes follow it, each laid
 *  out as struct hd_exit_record (little-endian, offsets pinned below). */
struct hd_wire_recorder_header {
    uint32_t kernel_status; /**< 0: HD_WIRE_SUCCESS or a wire error code */
    uint32_t count;         /**< 4: records that follow */
    uint32_t recording;     /**< 8: 1 when recording is on (after the op) */
    uint32_t reserved0;     /**< 12: 0 */
    uint64_t dropped;       /**< 16: records overwritten before they were read, every core */
    uint64_t reserved1;     /**< 24: 0 */
};
HD__STATIC_ASSERT(sizeof(struct hd_wire_recorder_request) == HD_WIRE_RECORDER_REQUEST_SIZE,
                  "recorder request");
HD__STATIC_ASSERT(sizeof(struct hd_wire_recorder_header) == HD_WIRE_RECORDER_HEADER_SIZE,
                  "recorder header");

/** Event-outputs reply: the tags event `tag` keeps (hd_event_outputs()). */
struct hd_wire_event_outputs {
    uint32_t kernel_status; /**< 0: HD_WIRE_SUCCESS, HD_WIRE_ERR_TAG_NOT_EXISTS or a wire error */
    uint32_t count;         /**< 4: tags that follow, 0 to 5 (0: the event names no output) */
    uint64_t tags[5];       /**< 8: OutputSourceTags as registered; unused ones 0 */
};
HD__STATIC_ASSERT(sizeof(struct hd_wire_event_outputs) == HD_WIRE_EVENT_OUTPUTS_SIZE,
                  "event outputs");

/** Event-command input; for HD_WIRE_COMMAND_SET `length` bytes of text follow (no NUL). */
struct hd_wire_event_command {
    uint64_t tag;    /**< 0: the event */
    uint32_t op;     /**< 8: HD_WIRE_COMMAND_GET or _SET */
    uint32_t length; /**< 12: set: bytes of text that follow, 0..HD_COMMAND_MAX_BYTES; get: 0 */
};

/** Event-command reply; for a get, the text follows (min(length, out_len - 8) bytes). */
struct hd_wire_event_command_reply {
    uint32_t kernel_status; /**< 0: HD_WIRE_SUCCESS, HD_WIRE_ERR_TAG_NOT_EXISTS or a wire error */
    uint32_t length;        /**< 4: the event's text length (after a set: the new one) */
};
HD__STATIC_ASSERT(sizeof(struct hd_wire_event_command) == HD_WIRE_EVENT_COMMAND_SIZE,
                  "event command");
HD__STATIC_ASSERT(sizeof(struct hd_wire_event_command_reply) ==
                      HD_WIRE_EVENT_COMMAND_REPLY_SIZE, "event command reply");
/** Event-extension reply: what hd_event_query() says of hdevent's own options. */
struct hd_wire_event_extension {
    uint32_t kernel_status; /**< 0: HD_WIRE_SUCCESS, HD_WIRE_ERR_TAG_NOT_EXISTS or a wire error */
    uint32_t flags;         /**< 4: HD_WIRE_EVENT_EXT_* */
    uint64_t nr_first;      /**< 8 */
    uint64_t nr_last;       /**< 16 */
    uint64_t deny_rax;      /**< 24 */
    uint64_t max_hits;      /**< 32: 0: no limit */
    uint64_t runs;          /**< 40: runs taken under max_hits, at most max_hits */
};
HD__STATIC_ASSERT(sizeof(struct hd_wire_event_extension) == HD_WIRE_EVENT_EXTENSION_SIZE,
                  "event extension");

/** What a kernel backend knows about the caller of an IOCTL. */
struct hd_wire_caller {
    /** The calling process's id (Linux: tgid; Windows: process id). */
    uint32_t pid;
    /** Handed back to run_here. */
    void *user;
    /**
     * Run fn(arg, core) on the calling core with preemption and interrupts off, as a VM exit
     * handler runs, and return when it has; `core` is that core's index. NULL: the self-test
     * IOCTL is refused (HD_WIRE_ERR_SELFTEST_UNAVAILABLE).
     */
    void (*run_here)(void *user, void (*fn)(void *arg, uint32_t core), void *arg);
};

/**
 * Handle one IOCTL of a kernel device: HyperDbg's four (as hd_wire_ioctl()) and hdevent's
 * HD_IOCTL_SELFTEST_VMCALL, HD_IOCTL_READ_MESSAGES, HD_IOCTL_LIST_EVENTS,
 * HD_IOCTL_EVENT_OUTPUTS, HD_IOCTL_RECORDER, HD_IOCTL_EVENT_COMMAND and
 * HD_IOCTL_EVENT_EXTENSION. Same rules as
 * hd_wire_ioctl(): in and out may overlap, input is read before output is written, a rejected
 * request changes nothing. Writer context.
 *
 * - SELFTEST_VMCALL: in exactly 160 bytes; out hd_wire_selftest_result. The exit runs through
 *   caller->run_here: hd_dispatch_vmcall, the default handling (HD_VMCALL_ENOSYS) unless
 *   short-circuited, hd_dispatch_vmcall_post when asked, rip += insn_len.
 * - READ_MESSAGES: input ignored; out as hd_wire_read_messages() (*written may be 0).
 * Every request first applies what scripts asked of events (hd_engine_run_deferred()).
 * - LIST_EVENTS: in hd_wire_list_request (8 bytes); out the header and as many entries as fit.
 * - EVENT_OUTPUTS: in hd_wire_list_request (8 bytes: the event's tag); out
 *   hd_wire_event_outputs (48 bytes).
 * - RECORDER: in hd_wire_recorder_request (8 bytes); out hd_wire_recorder_header and as many
 *   records as fit (each taken off its ring).
 * - EVENT_COMMAND: in hd_wire_event_command (16 bytes, + the text of a set); out
 *   hd_wire_event_command_reply and, for a get, as much of the text as fits.
 * - EVENT_EXTENSION: in hd_wire_list_request (8 bytes: the event's tag); out
 *   hd_wire_event_extension (48 bytes): its nr, deny, max_hits and runs.
 *
 * @param caller may be NULL for HyperDbg's IOCTLs and the list; the self-test needs it.
 * @return as hd_wire_ioctl(); HD_ERR_BUFFER_TOO_SMALL for an output below 168 (self-test),
 *         32 (read, list, recorder), 48 (event outputs, event extension), 8 (event command)
 *         bytes.
 */
HD_API enum hd_status hd_wire_device_ioctl(struct hd_engine *engine,
                                           const struct hd_wire_caller *caller, uint32_t code,
                                           const void *in, size_t in_len, void *out, size_t out_len,
                                           size_t *written);

/**
 * Take queued messages into @p out as records (struct hd_wire_message + text + padding), as
 * many as fit whole: a message is taken only when its record fits, except the first, which
 * is truncated (flag HD_WIRE_MESSAGE_TRUNCATED) when @p out_len cannot hold it. Messages of
 * every core, cores visited in turn. Linux read() and HD_IOCTL_READ_MESSAGES both call this.
 * @return HD_OK with *written > 0; HD_EMPTY (nothing queued, *written = 0);
 *         HD_ERR_BUFFER_TOO_SMALL when out_len < HD_WIRE_MESSAGE_READ_MIN (nothing taken);
 *         HD_ERR_INVALID_ARGUMENT.
 */
HD_API enum hd_status hd_wire_read_messages(struct hd_engine *engine, void *out, size_t out_len,
                                            size_t *written);

/** Where hd_wire_read_messages_to() hands each record: false if it could not be passed on. */
typedef bool (*hd_wire_deliver_fn)(void *user, const void *record, size_t size, size_t offset);

/**
 * hd_wire_read_messages(), for a reader whose copy to its destination can fail (Linux read()
 * into a user buffer): each record is built in @p scratch (@p len bytes, at its offset in the
 * read) and handed to @p deliver before its message is taken off its queue. When @p deliver
 * fails, that message stays queued and the read ends: no message is lost to a bad buffer.
 * @return HD_OK (*written: the bytes delivered); HD_EMPTY; HD_ERR_BUFFER_TOO_SMALL (@p len
 *         below HD_WIRE_MESSAGE_READ_MIN); HD_ERR_INVALID_ARGUMENT (the first record could not
 *         be delivered, or a NULL argument).
 */
HD_API enum hd_status hd_wire_read_messages_to(struct hd_engine *engine, void *scratch,
                                               size_t len, hd_wire_deliver_fn deliver,
                                               void *user, size_t *written);

HD_EXTERN_C_END

#endif /* HDEVENT_WIRE_DEVICE_H */
