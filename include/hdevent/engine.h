/* SPDX-License-Identifier: MIT */
/*
 * hdevent/engine.h — the engine: the event registry, its snapshots and the message queues.
 *
 * Writer functions (everything here except the hd_dispatch_* calls in dispatch.h) build a new
 * immutable snapshot of the enabled events and publish it with one release store; dispatch
 * on other cores sees the old set or the new one, never a mix (S16). Memory the old set used
 * is freed only after every core has passed a quiescent point (S5). A failed writer call
 * changes nothing: no tag is used up and nothing registered is lost.
 *
 * Writer functions are serialized by the backend's lock op, or by the caller if it has none.
 */
#ifndef HDEVENT_ENGINE_H
#define HDEVENT_ENGINE_H

#include "backend.h"
#include "event.h"
#include "status.h"
#include "types.h"

HD_EXTERN_C_BEGIN

struct hd_engine;

/* ---------------------------------------------------------------------------------------- */
/* Engine                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/** Most cores an engine serves. */
#define HD_CORES_MAX 4096u
/** Most messages one core's queue may hold (hd_engine_config.message_slots). */
#define HD_MESSAGE_SLOTS_MAX 65536u
/** Largest message_max_bytes an engine accepts. */
#define HD_MESSAGE_BYTES_MAX 65536u

/** Default hd_engine_config.message_slots and .message_max_bytes. */
#define HD_MESSAGE_SLOTS_DEFAULT 64u
#define HD_MESSAGE_BYTES_DEFAULT 512u

/** The most events an engine may be configured for (the snapshot's geometry stays in range). */
#define HD_BUDGET_EVENTS_MAX (1u << 24)
/** Default budget: sized for a small machine (a few GiB, a few cores). */
#define HD_BUDGET_EVENTS_DEFAULT 65536u
#define HD_BUDGET_ACTIONS_DEFAULT 262144u
#define HD_BUDGET_CODE_BYTES_DEFAULT (16ull << 20)
#define HD_BUDGET_BUFFER_BYTES_DEFAULT (64ull << 20)
/** Default and largest number of distinct script globals (`.name`) an engine holds. */
#define HD_SCRIPT_GLOBALS_DEFAULT 256u
#define HD_SCRIPT_GLOBALS_LIMIT 4096u

/**
 * Engine settings; pass NULL to hd_engine_create() for the defaults. Start from
 * hd_engine_config_init(), or from zero: a zero member means its default (docs/c-api.md, "Structs
 * you fill in"), so `{.message_slots = 256}` alone is a complete config. The budget bounds what registration may allocate, so that no caller — root with a
 * loop, or a bug — can exhaust a kernel's memory by accident; a registration or action past it
 * fails with HD_ERR_BUDGET_EXCEEDED and changes nothing. Memory of cleared events counts until
 * it is freed after its grace period (a registration that would exceed first reclaims).
 */
struct hd_engine_config {
    /** Messages each core's queue holds; rounded up to a power of two. Default 64
     *  (HD_MESSAGE_SLOTS_DEFAULT). */
    uint32_t message_slots;
    /** Largest message in bytes; longer ones are truncated (and flagged). Default 512
     *  (HD_MESSAGE_BYTES_DEFAULT). */
    uint32_t message_max_bytes;
    /** Most events held at once. Default HD_BUDGET_EVENTS_DEFAULT; at most
     *  HD_BUDGET_EVENTS_MAX. */
    uint32_t max_events;
    /** Most actions over every event. Default HD_BUDGET_ACTIONS_DEFAULT. */
    uint32_t max_actions;
    /** Most bytes of raw code over every event, RET included. Default 16 MiB. */
    uint64_t max_code_bytes;
    /** Most bytes of pre-allocated buffers and script slots, counted once per core (each core
     *  has its own). Default 64 MiB. Script bytecode counts as code bytes. */
    uint64_t max_buffer_bytes;
    /**
     * Distinct script globals (`.name`) the engine holds, for all its events and its whole
     * life: a name is bound at the first registration that uses it and keeps its value after
     * that event is cleared. Default HD_SCRIPT_GLOBALS_DEFAULT, at most
     * HD_SCRIPT_GLOBALS_LIMIT; past it, registration fails with HD_ERR_SCRIPT_GLOBALS.
     */
    uint32_t script_globals;
    /**
     * Flight recorder (recorder.h): the newest records each core's ring keeps (the ring has
     * the next power of two above it: one slot is the one being written). Default 0: no ring, recording off until hd_recorder_set() turns it on; not 0: the
     * rings are allocated here and recording is on from the start. At most
     * HD_RECORD_SLOTS_MAX.
     */
    uint32_t record_slots;
};

/** Set every member of @p config to its default (the same engine as a NULL or zeroed config). */
HD_API void hd_engine_config_init(struct hd_engine_config *config);

/**
 * Create an engine served by @p ops (copied; `ops->user` must outlive the engine).
 * @return HD_OK; HD_ERR_BAD_OPS if the ops' size, version or required members are wrong or
 *         core_count is 0 or above HD_CORES_MAX; HD_ERR_INVALID_ARGUMENT for @p out NULL or
 *         a config above HD_MESSAGE_SLOTS_MAX / HD_MESSAGE_BYTES_MAX / HD_BUDGET_EVENTS_MAX /
 *         HD_SCRIPT_GLOBALS_LIMIT / HD_RECORD_SLOTS_MAX; HD_ERR_NO_MEMORY.
 */
HD_API enum hd_status hd_engine_create(const struct hd_backend_ops *ops,
                                       const struct hd_engine_config *config,
                                       struct hd_engine **out);

/**
 * Clear every event and free the engine. No core may be dispatching, or dispatch again.
 * NULL is ignored.
 */
HD_API void hd_engine_destroy(struct hd_engine *engine);

/** Cores this engine serves (the backend's core_count at creation). */
HD_API uint32_t hd_engine_core_count(const struct hd_engine *engine);

/**
 * Free retired snapshots and cleared events that every core has stopped using.
 * Writers do this on their own; call it to release memory sooner after a burst of clears.
 * @return number of retired snapshots still waiting for a core. 0 means no core can still
 *         be running a hook of an event cleared or disabled before this call.
 */
HD_API uint32_t hd_engine_reclaim(struct hd_engine *engine);

/* ---------------------------------------------------------------------------------------- */
/* Registry                                                                                 */
/* ---------------------------------------------------------------------------------------- */

/**
 * Apply the event_enable / event_disable / event_clear requests scripts made (scripts run on
 * the dispatch path, where no writer may run, so each request waits on its core's queue,
 * at most 16 per core). Writer context. The host backend calls this after every exit, and
 * hd_wire_device_ioctl() / hd_wire_read_messages*() before each request; a kernel backend that
 * wants the changes sooner calls it from deferred work. A request for an event that does not
 * exist is logged and dropped.
 * @return the requests taken (applied or refused); 0 for a NULL engine.
 */
HD_API uint32_t hd_engine_run_deferred(struct hd_engine *engine);

/**
 * Register a VMCALL event with its actions. Raw code gets a RET appended if it does not
 * end in 0xC3 and is copied into executable memory from the backend; script bytecode is
 * verified (hd_script_verify()) and loaded.
 * @param tag_out receives the new tag (HD_TAG_BASE, HD_TAG_BASE + 1, … in order, or
 *        desc->tag when given; S19). May be NULL.
 * @return HD_OK; HD_ERR_INVALID_ARGUMENT (engine or desc NULL, or actions NULL with a
 *         non-zero action_count); HD_ERR_INVALID_STAGE, HD_ERR_SC_WITH_POST,
 *         HD_ERR_INVALID_CORE, HD_ERR_INVALID_CONDITION, HD_ERR_INVALID_ACTION_TYPE,
 *         HD_ERR_EMPTY_CODE, HD_ERR_TOO_LARGE, HD_ERR_TOO_MANY_ACTIONS, the verifier's
 *         HD_ERR_SCRIPT_* (script_bytecode.h), HD_ERR_SCRIPT_BUDGET (script_steps),
 *         HD_ERR_SCRIPT_GLOBALS (no room for a new global), HD_ERR_NOT_SUPPORTED (raw code
 *         without exec_alloc),
 *         HD_ERR_TAGS_EXHAUSTED, HD_ERR_INVALID_TAG and HD_ERR_TAG_IN_USE (for desc->tag),
 *         HD_ERR_BUDGET_EXCEEDED (hd_engine_config), HD_ERR_NO_MEMORY. The backend's log op
 *         gets a line for each refusal.
 */
HD_API enum hd_status hd_event_register(struct hd_engine *engine, const struct hd_event_desc *desc,
                                        uint64_t *tag_out);

/**
 * Append an action to a registered event (HyperDbg's add-action IOCTL does this one action
 * at a time). It runs after the event's existing actions.
 * @return HD_OK; HD_ERR_NO_SUCH_EVENT; the action errors of hd_event_register();
 *         HD_ERR_BUDGET_EXCEEDED.
 */
HD_API enum hd_status hd_action_add(struct hd_engine *engine, uint64_t tag,
                                    const struct hd_action_desc *action);

/**
 * Enable the event @p tag, or every event with HD_TAG_ALL. Enabling an enabled event is OK.
 * @return HD_OK; HD_ERR_NO_SUCH_EVENT; HD_ERR_NO_MEMORY; HD_ERR_INVALID_ARGUMENT.
 */
HD_API enum hd_status hd_event_enable(struct hd_engine *engine, uint64_t tag);

/**
 * Disable the event @p tag, or every event with HD_TAG_ALL (S4). As with clearing, a core
 * may still be running its hooks when this returns (see hd_event_clear()).
 * @return HD_OK; HD_ERR_NO_SUCH_EVENT; HD_ERR_NO_MEMORY; HD_ERR_INVALID_ARGUMENT.
 */
HD_API enum hd_status hd_event_disable(struct hd_engine *engine, uint64_t tag);

/**
 * Clear (remove) the event @p tag, or every event with HD_TAG_ALL. Its tag is never given
 * out again; its memory is freed once no core can still be running it (S5).
 * Clearing every event when none is registered is OK.
 *
 * When this returns, another core may still be running the event's hooks. Memory a native
 * hook reaches through its `user` pointer, or the hook's own code (a module about to
 * unload), must stay until hd_engine_reclaim() returns 0.
 * @return HD_OK; HD_ERR_NO_SUCH_EVENT; HD_ERR_NO_MEMORY; HD_ERR_INVALID_ARGUMENT.
 */
HD_API enum hd_status hd_event_clear(struct hd_engine *engine, uint64_t tag);

/** A registered event as hd_event_query() and hd_event_next() report it. */
struct hd_event_info {
    uint64_t tag;
    uint32_t pid;
    uint32_t core;
    enum hd_stage stage;
    bool short_circuit;
    bool enabled;
    enum hd_condition_kind condition;
    uint32_t action_count;
    /** Bytes of the command text given at registration (hd_event_command()), NUL excluded. */
    uint32_t command_length;
    /** hdevent's extension (hd_event_desc): `nr` range, `deny`, `max_hits`. */
    bool nr_filter;
    uint64_t nr_first;
    uint64_t nr_last;
    enum hd_deny deny;
    uint64_t deny_rax;
    uint64_t max_hits;
    /** Runs taken under max_hits so far, at most max_hits (0 without max_hits). */
    uint64_t runs;
    /** max_hits runs were taken: the event no longer runs, enabled or not. */
    bool spent;
};

/**
 * Describe the event @p tag.
 * @return HD_OK or HD_ERR_NO_SUCH_EVENT.
 */
HD_API enum hd_status hd_event_query(struct hd_engine *engine, uint64_t tag,
                                     struct hd_event_info *info);

/**
 * Walk events in tag order: pass 0 first, then the tag last returned.
 * @return HD_OK with *info filled; HD_EMPTY when no event has a larger tag.
 */
HD_API enum hd_status hd_event_next(struct hd_engine *engine, uint64_t after_tag,
                                    struct hd_event_info *info);

/**
 * Copy the command text event @p tag was registered with ("" if none) into @p buf, cut to
 * @p size - 1 bytes and NUL-terminated. A copy, taken under the writer lock, so a clear on
 * another thread can never leave the caller with freed text (hd_event_info has only its
 * length). @p length (may be NULL) receives the full length, NUL excluded: call with size 0
 * to learn it.
 * @return HD_OK; HD_ERR_NO_SUCH_EVENT; HD_ERR_INVALID_ARGUMENT (engine NULL, or buf NULL with
 *         a size).
 */
HD_API enum hd_status hd_event_command(struct hd_engine *engine, uint64_t tag, char *buf,
                                       size_t size, size_t *length);

/**
 * Give event @p tag the command text it was made from: @p length bytes of @p text (at most
 * HD_COMMAND_MAX_BYTES, no NUL byte; 0 removes it), replacing what it had, its output tags
 * kept. For events registered through HyperDbg's wire, which carries no text: `hdevent add`
 * sends it next (HD_IOCTL_EVENT_COMMAND), so `hdevent events` and `hdevent record` show it.
 * Writer context (allocates); dispatch never reads the text.
 * @return HD_OK; HD_ERR_NO_SUCH_EVENT; HD_ERR_TOO_LARGE (above HD_COMMAND_MAX_BYTES);
 *         HD_ERR_INVALID_ARGUMENT (engine NULL, text NULL with a length, a NUL byte in it);
 *         HD_ERR_NO_MEMORY. On an error the event keeps its text.
 */
HD_API enum hd_status hd_event_set_command(struct hd_engine *engine, uint64_t tag,
                                           const char *text, size_t length);

/**
 * The output sources event @p tag names (hd_event_desc.outputs, `output {a, b}`): up to
 * HD_EVENT_MAX_OUTPUTS tags into @p outputs, their number into @p count (0: none, its
 * messages go wherever unrouted messages go). Taken under the writer lock, as
 * hd_event_command().
 * @return HD_OK; HD_ERR_NO_SUCH_EVENT; HD_ERR_INVALID_ARGUMENT (a NULL pointer).
 */
HD_API enum hd_status hd_event_outputs(struct hd_engine *engine, uint64_t tag,
                                       uint64_t outputs[HD_EVENT_MAX_OUTPUTS], uint32_t *count);

/** Per-core counters of one event. */
struct hd_event_counters {
    /** Times the event matched core, pid and stage in a pass and was evaluated (its condition
     *  returned, or it had none). */
    uint64_t hits;
    /** Times its condition returned 0, so no action ran (S6). */
    uint64_t condition_false;
};

/**
 * Counters of event @p tag on @p core, or summed over every core with HD_ALL.
 * @return HD_OK; HD_ERR_NO_SUCH_EVENT; HD_ERR_INVALID_CORE.
 */
HD_API enum hd_status hd_event_counters(struct hd_engine *engine, uint64_t tag, uint32_t core,
                                        struct hd_event_counters *out);

/** Where an address inside an event's raw code lies (hd_event_code_owner()). */
struct hd_code_owner {
    /** The event. */
    uint64_t tag;
    /** Index of the code action that holds the address; -1 for the event's condition. */
    int32_t action;
    /** The address's offset from the start of that buffer. */
    uint32_t offset;
    /** The buffer's size in the executable copy (the appended RET included). */
    uint32_t size;
};

/**
 * Which event's raw code holds @p address: its condition or one of its code actions. For a
 * backend that caught a fault or stopped a hook inside raw code and wants to name it (the
 * host backend's hd_host_fault_get() does). Every registered event is looked at, and every
 * cleared one whose memory is not freed yet: asked before hd_dispatch_vmcall_abandon(),
 * while the exit still holds its event set, the answer names the code that ran even when
 * another core cleared its event meanwhile. Writer context (takes the backend's lock); a walk
 * over every event, not for a hot path.
 * @return HD_OK; HD_ERR_NO_SUCH_EVENT (no live raw code holds @p address);
 *         HD_ERR_INVALID_ARGUMENT.
 */
HD_API enum hd_status hd_event_code_owner(struct hd_engine *engine, const void *address,
                                         struct hd_code_owner *out);

/* ---------------------------------------------------------------------------------------- */
/* Messages (S18, S20)                                                                      */
/* ---------------------------------------------------------------------------------------- */

/** Where a message comes from. */
enum hd_message_kind {
    /** Custom code or a native action returned a pointer into its buffer (S18). */
    HD_MESSAGE_BUFFER = 0,
    /** A script's printf or print: the text, exactly. */
    HD_MESSAGE_PRINT = 1,
    /** A script run stopped: "HD_ERR_SCRIPT_…: what (instruction N)"; `status` says which. */
    HD_MESSAGE_SCRIPT_ERROR = 2,
    /**
     * The event's last run under `max_hits N` (hdevent's extension): sent once, by the core
     * whose run was the Nth, after that run's actions. The text is "max_hits N reached".
     */
    HD_MESSAGE_SPENT = 3,
};

/** A message taken from a core's queue. */
struct hd_message_info {
    /** Tag of the event whose action produced it. */
    uint64_t tag;
    /** Core that produced it. */
    uint32_t core;
    /** Full length of the message in bytes (may exceed what was copied). */
    uint32_t size;
    /** The action's `imm` setting. */
    bool immediate;
    /**
     * Fewer than `size` bytes were copied: the action's output was longer than the engine's
     * message_max_bytes, or than the capacity given to hd_message_read(). The message is
     * taken off the queue either way.
     */
    bool truncated;
    /** enum hd_message_kind. */
    uint8_t kind;
    /** HD_MESSAGE_SCRIPT_ERROR: the HD_ERR_SCRIPT_* that stopped the run; else HD_OK. */
    enum hd_status status;
};

/**
 * Take the oldest message of the next core that has one (cores are visited in turn).
 * Copies at most @p capacity bytes into @p data.
 * @return HD_OK; HD_EMPTY when every queue is empty.
 */
HD_API enum hd_status hd_message_read(struct hd_engine *engine, struct hd_message_info *info,
                                      void *data, uint32_t capacity);

/** Per-core queue statistics. */
struct hd_message_stats {
    /** Messages waiting in the queue. */
    uint32_t queued;
    /** Messages dropped because the queue was full (S20): nothing queued is overwritten. */
    uint64_t dropped;
};

/** Statistics of @p core's message queue. @return HD_OK or HD_ERR_INVALID_CORE. */
HD_API enum hd_status hd_message_stats(struct hd_engine *engine, uint32_t core,
                                       struct hd_message_stats *out);

HD_EXTERN_C_END

#endif /* HDEVENT_ENGINE_H */
