/* SPDX-License-Identifier: MIT */
/*
 * Wire decoders: HyperDbg's event, action and modify buffers into descriptors.
 *
 * They run in the kernel on bytes from user mode, so nothing here trusts a field: the length
 * and every size field are checked before any byte past the fixed structure is looked at,
 * sums are done in 64 bits, and fields are read byte by byte as little-endian (no cast of a
 * possibly unaligned pointer, no dependence on the host's byte order). The decoders never
 * write into the buffer; on success the descriptors point into it.
 *
 * Checks run in a fixed order (documented in wire.h) so a buffer with several faults always
 * gets the same code: structure and sizes first, then fields in the order a reader meets them.
 */
#include <hdevent/wire.h>

#include "internal/le.h"

/*
 * The total a structure's size fields announce, against the real length. The sum is 64-bit,
 * so it cannot wrap; a total above 4 GiB - 1 is refused on its own (IOCTL lengths are 32-bit
 * on Windows, and a 32-bit implementation of this check would have wrapped).
 */
static uint32_t check_total(uint64_t total, size_t len, uint32_t past_end)
{
    if (total > 0xFFFFFFFFull)
        return HD_WIRE_ERR_SIZE_OVERFLOW;
    if (total > (uint64_t)len)
        return past_end;
    if (total < (uint64_t)len)
        return HD_WIRE_ERR_TRAILING_BYTES;
    return HD_WIRE_OK;
}

/* The engine's own rule: the code plus the RET it appends must fit HD_CODE_MAX_BYTES. */
static bool code_too_large(const uint8_t *code, uint32_t size)
{
    return (uint64_t)size + (code[size - 1] != 0xC3) > HD_CODE_MAX_BYTES;
}

/* ---- event ----------------------------------------------------------------------------- */

/* Offsets of DEBUGGER_GENERAL_EVENT_DETAIL (wire.h pins the same numbers on the struct). */
enum {
    EV_CORE = 16,
    EV_PID = 20,
    EV_ENABLED = 24,
    EV_SC = 25,
    EV_STAGE = 28,
    EV_OUTPUT = 32,
    EV_OUTPUT_TAGS = 40,
    EV_COUNT = 80,
    EV_TAG = 88,
    EV_TYPE = 96,
    EV_OPTIONS = 104,
    EV_COND_SIZE = 160,
};

/* OutputSourceTags with HasCustomOutput 1: 1 to 5 distinct non-zero tags, then zeros. */
static uint32_t output_tags(const uint8_t *b, uint64_t tags[HD_EVENT_MAX_OUTPUTS],
                            uint32_t *count)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < HD_EVENT_MAX_OUTPUTS; i++) {
        uint64_t t = hd__le_rd64(b, EV_OUTPUT_TAGS + 8u * i);
        if (t == 0)
            continue;
        if (n != i) /* a tag after a zero: a hole HyperDbg's user mode never leaves */
            return HD_WIRE_ERR_BAD_OUTPUT_TAGS;
        for (uint32_t j = 0; j < n; j++)
            if (tags[j] == t)
                return HD_WIRE_ERR_BAD_OUTPUT_TAGS;
        tags[n++] = t;
    }
    *count = n;
    return n ? HD_WIRE_OK : HD_WIRE_ERR_BAD_OUTPUT_TAGS;
}

/* hdevent's extension (wire.h, HD_WIRE_EXT_*): Options[1] flags, [2..3] nr, [4] rax, [5] max. */
enum {
    EV_EXT_FLAGS = EV_OPTIONS + 8,
    EV_EXT_NR_FIRST = EV_OPTIONS + 16,
    EV_EXT_NR_LAST = EV_OPTIONS + 24,
    EV_EXT_DENY_RAX = EV_OPTIONS + 32,
    EV_EXT_MAX_HITS = EV_OPTIONS + 40,
};

static uint32_t extension_check(const uint8_t *b, uint32_t stage)
{
    uint64_t flags = hd__le_rd64(b, EV_EXT_FLAGS);
    uint64_t first = hd__le_rd64(b, EV_EXT_NR_FIRST), last = hd__le_rd64(b, EV_EXT_NR_LAST);
    uint64_t deny = flags & (HD_WIRE_EXT_DENY_UD | HD_WIRE_EXT_DENY_RAX);

    if (flags & ~(uint64_t)(HD_WIRE_EXT_NR | HD_WIRE_EXT_DENY_UD | HD_WIRE_EXT_DENY_RAX))
        return HD_WIRE_ERR_BAD_EXTENSION;
    if (deny == (HD_WIRE_EXT_DENY_UD | HD_WIRE_EXT_DENY_RAX) || (deny && stage != HD_STAGE_PRE))
        return HD_WIRE_ERR_BAD_EXTENSION;
    if (!(flags & HD_WIRE_EXT_NR) ? (first || last) : first > last)
        return HD_WIRE_ERR_BAD_EXTENSION;
    if (!(flags & HD_WIRE_EXT_DENY_RAX) && hd__le_rd64(b, EV_EXT_DENY_RAX))
        return HD_WIRE_ERR_BAD_EXTENSION;
    return HD_WIRE_OK;
}

static void extension_take(const uint8_t *b, struct hd_event_desc *out)
{
    uint64_t flags = hd__le_rd64(b, EV_EXT_FLAGS);

    out->nr_filter = (flags & HD_WIRE_EXT_NR) != 0;
    out->nr_first = hd__le_rd64(b, EV_EXT_NR_FIRST);
    out->nr_last = hd__le_rd64(b, EV_EXT_NR_LAST);
    out->deny = flags & HD_WIRE_EXT_DENY_UD    ? HD_DENY_UD
                : flags & HD_WIRE_EXT_DENY_RAX ? HD_DENY_RAX
                                               : HD_DENY_NONE;
    out->deny_rax = hd__le_rd64(b, EV_EXT_DENY_RAX);
    out->max_hits = hd__le_rd64(b, EV_EXT_MAX_HITS);
}

uint32_t hd_wire_decode_event(const void *buf, size_t len, uint32_t core_count,
                              struct hd_event_desc *out)
{
    const uint8_t *b = buf;
    uint32_t cond_size, stage, core, st, out_count = 0;
    uint64_t tag, out_tags[HD_EVENT_MAX_OUTPUTS];

    if (!out || (!b && len))
        return HD_WIRE_ERR_INVALID_ARGUMENT;
    if (len < HD_WIRE_EVENT_SIZE)
        return HD_WIRE_ERR_TRUNCATED;
    cond_size = hd__le_rd32(b, EV_COND_SIZE);
    st = check_total((uint64_t)HD_WIRE_EVENT_SIZE + cond_size, len,
                     HD_WIRE_ERR_CONDITION_PAST_END);
    if (st != HD_WIRE_OK)
        return st;

    if (hd__le_rd32(b, EV_TYPE) != HD_WIRE_EVENT_VMCALL)
        return HD_WIRE_ERR_EVENT_TYPE_INVALID;
    if (b[EV_ENABLED] > 1)
        return HD_WIRE_ERR_BAD_IS_ENABLED;
    if (b[EV_SC] > 1)
        return HD_WIRE_ERR_BAD_SHORT_CIRCUIT;
    if (b[EV_OUTPUT] > 1)
        return HD_WIRE_ERR_BAD_CUSTOM_OUTPUT;
    stage = hd__le_rd32(b, EV_STAGE);
    if (stage < HD_STAGE_PRE || stage > HD_STAGE_ALL)
        return HD_WIRE_ERR_BAD_STAGE;
    if (b[EV_SC] && stage != HD_STAGE_PRE)
        return HD_WIRE_ERR_SC_WITH_POST; /* S13 */
    core = hd__le_rd32(b, EV_CORE);
    if (core_count && core != HD_ALL && core >= core_count)
        return HD_WIRE_ERR_INVALID_CORE_ID;
    tag = hd__le_rd64(b, EV_TAG);
    if (tag < HD_TAG_BASE || tag > HD_TAG_MAX) /* how far it skips is the engine's to judge */
        return HD_WIRE_ERR_TAG_INVALID;
    if (hd__le_rd32(b, EV_COUNT) > HD_EVENT_MAX_ACTIONS)
        return HD_WIRE_ERR_TOO_MANY_ACTIONS;
    if (cond_size && code_too_large(b + HD_WIRE_EVENT_SIZE, cond_size))
        return HD_WIRE_ERR_CODE_TOO_LARGE;
    /* Output forwarding lives in user mode, as HyperDbg's does: the kernel keeps the tags
     * with the event and the reader routes its messages by them (docs/output.md). */
    if (b[EV_OUTPUT] && output_tags(b, out_tags, &out_count) != HD_WIRE_OK)
        return HD_WIRE_ERR_BAD_OUTPUT_TAGS;
    /* Options are HyperDbg's event-specific parameters; VMCALL had none, and hdevent gives the
     * first to its scripts' step budget (HyperDbg's user mode leaves it 0: the default). */
    if (hd__le_rd64(b, EV_OPTIONS) > HD_SCRIPT_STEPS_MAX)
        return HD_WIRE_ERR_SCRIPT_BUDGET;
    if (extension_check(b, stage) != HD_WIRE_OK)
        return HD_WIRE_ERR_BAD_EXTENSION;

    hd_event_desc_init(out);
    out->core = core;
    out->pid = hd__le_rd32(b, EV_PID);
    out->stage = (enum hd_stage)stage;
    out->short_circuit = b[EV_SC] != 0;
    out->enabled = b[EV_ENABLED] != 0;
    out->tag = tag;
    out->script_steps = (uint32_t)hd__le_rd64(b, EV_OPTIONS);
    extension_take(b, out);
    out->output_count = out_count;
    for (uint32_t i = 0; i < out_count; i++)
        out->outputs[i] = out_tags[i];
    if (cond_size) {
        out->condition.kind = HD_CONDITION_RAW;
        out->condition.code = b + HD_WIRE_EVENT_SIZE;
        out->condition.code_size = cond_size;
    }
    return HD_WIRE_OK;
}

/* ---- action ---------------------------------------------------------------------------- */

enum {
    AC_TAG = 0,
    AC_TYPE = 8,
    AC_IMM = 12,
    AC_BUFFER = 16,
    AC_CODE_SIZE = 20,
    AC_SCRIPT_SIZE = 24,
    AC_SCRIPT_INSNS = 28,
};

/* The RUN_SCRIPT payload: the verifier's code for it, then ScriptBufferPointer, which
 * HyperDbg used for its symbol count and hdevent for the instruction count (a cross-check that
 * the payload is what the sender compiled). */
static uint32_t check_script(const uint8_t *b, uint32_t size)
{
    struct hd_script_info info;
    enum hd_status st = hd_script_verify(b + HD_WIRE_ACTION_SIZE, size, &info);

    if (HD_FAILED(st))
        return hd_wire_error_from_status(st);
    if (hd__le_rd32(b, AC_SCRIPT_INSNS) != info.insn_count)
        return HD_WIRE_ERR_SCRIPT_INSN_COUNT;
    return HD_WIRE_OK;
}

uint32_t hd_wire_decode_action(const void *buf, size_t len, uint64_t *tag,
                               struct hd_action_desc *out)
{
    const uint8_t *b = buf;
    uint32_t type, code_size, script_size, buffer, st;

    if (!out || !tag || (!b && len))
        return HD_WIRE_ERR_INVALID_ARGUMENT;
    if (len < HD_WIRE_ACTION_SIZE)
        return HD_WIRE_ERR_TRUNCATED;
    code_size = hd__le_rd32(b, AC_CODE_SIZE);
    script_size = hd__le_rd32(b, AC_SCRIPT_SIZE);
    st = check_total((uint64_t)HD_WIRE_ACTION_SIZE + code_size + script_size, len,
                     HD_WIRE_ERR_PAYLOAD_PAST_END);
    if (st != HD_WIRE_OK)
        return st;

    type = hd__le_rd32(b, AC_TYPE);
    if (type > HD_WIRE_ACTION_CODE)
        return HD_WIRE_ERR_INVALID_ACTION_TYPE;
    if (b[AC_IMM] > 1)
        return HD_WIRE_ERR_BAD_IMMEDIATE;
    /* The payload sits at offset 32 whatever its kind: a size the type does not use would
     * claim bytes nobody reads. */
    if ((type == HD_WIRE_ACTION_BREAK && (code_size || script_size)) ||
        (type == HD_WIRE_ACTION_CODE && script_size) ||
        (type == HD_WIRE_ACTION_SCRIPT && code_size))
        return HD_WIRE_ERR_UNEXPECTED_PAYLOAD;
    if ((type == HD_WIRE_ACTION_CODE && !code_size) ||
        (type == HD_WIRE_ACTION_SCRIPT && !script_size))
        return HD_WIRE_ERR_ACTION_BUFFER_SIZE_IS_ZERO;
    buffer = hd__le_rd32(b, AC_BUFFER);
    if (buffer > HD_BUFFER_MAX_BYTES)
        return HD_WIRE_ERR_BUFFER_TOO_LARGE;
    if (type == HD_WIRE_ACTION_CODE && code_too_large(b + HD_WIRE_ACTION_SIZE, code_size))
        return HD_WIRE_ERR_CODE_TOO_LARGE;
    if (type == HD_WIRE_ACTION_SCRIPT && (st = check_script(b, script_size)) != HD_WIRE_OK)
        return st;

    hd_action_desc_init(out, (enum hd_action_type)type);
    out->immediate = b[AC_IMM] != 0;
    out->buffer_size = buffer; /* a break action's buffer is ignored, as the engine does */
    if (type == HD_WIRE_ACTION_CODE) {
        out->code = b + HD_WIRE_ACTION_SIZE;
        out->code_size = code_size;
    } else if (type == HD_WIRE_ACTION_SCRIPT) {
        out->script = b + HD_WIRE_ACTION_SIZE;
        out->script_size = script_size;
    }
    *tag = hd__le_rd64(b, AC_TAG);
    return HD_WIRE_OK;
}

/* ---- modify ---------------------------------------------------------------------------- */

enum {
    MO_TAG = 0,
    MO_TYPE = 16,
};

uint32_t hd_wire_decode_modify(const void *buf, size_t len, uint64_t *tag, uint32_t *type)
{
    const uint8_t *b = buf;
    uint32_t t;
    uint64_t g;

    if (!tag || !type || (!b && len))
        return HD_WIRE_ERR_INVALID_ARGUMENT;
    if (len < HD_WIRE_MODIFY_SIZE)
        return HD_WIRE_ERR_TRUNCATED;
    if (len > HD_WIRE_MODIFY_SIZE)
        return HD_WIRE_ERR_TRAILING_BYTES;
    t = hd__le_rd32(b, MO_TYPE);
    if (t > HD_WIRE_MODIFY_CLEAR)
        return HD_WIRE_ERR_MODIFY_INVALID_TYPE;
    g = hd__le_rd64(b, MO_TAG);
    if (t == HD_WIRE_MODIFY_QUERY && g == HD_TAG_ALL)
        return HD_WIRE_ERR_MODIFY_INVALID_TAG; /* a query answers for one event */
    *tag = g;
    *type = t;
    return HD_WIRE_OK;
}
