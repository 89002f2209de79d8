/* SPDX-License-Identifier: MIT */
/*
 * Decoders of what a device replies (wire_encode.h): the result, modify, self-test, list and
 * message records hdevent's kernels write. The kernel is on the other side of a trust
 * boundary too (another version, a bug, a hostile driver): every length is checked exactly,
 * every field against its range, nothing is copied out of a reply that fails.
 */
#include <hdevent/wire_encode.h>

#include "../core/internal/le.h"

/* A record of exactly @size bytes. */
static uint32_t exact(const void *buf, size_t len, size_t size)
{
    if (!buf)
        return HD_WIRE_ERR_INVALID_ARGUMENT;
    if (len < size)
        return HD_WIRE_ERR_TRUNCATED;
    return len > size ? HD_WIRE_ERR_TRAILING_BYTES : HD_WIRE_OK;
}

static bool is_flag(uint8_t v)
{
    return v <= 1;
}

uint32_t hd_wire_decode_result(const void *buf, size_t len, struct hd_wire_result *out)
{
    const uint8_t *b = buf;
    uint32_t code = exact(buf, len, HD_WIRE_RESULT_SIZE), error;

    if (code != HD_WIRE_OK || !out)
        return out ? code : HD_WIRE_ERR_INVALID_ARGUMENT;
    error = hd__le_rd32(b, 4);
    if (!is_flag(b[0]) || (b[0] == 1) != (error == HD_WIRE_OK))
        return HD_WIRE_ERR_REPLY_MALFORMED;
    *out = (struct hd_wire_result){.is_successful = b[0], .error = error};
    return HD_WIRE_OK;
}

uint32_t hd_wire_decode_modify_reply(const void *buf, size_t len, struct hd_wire_modify *out)
{
    const uint8_t *b = buf;
    uint32_t code = exact(buf, len, HD_WIRE_MODIFY_SIZE), type;
    uint64_t status;

    if (code != HD_WIRE_OK || !out)
        return out ? code : HD_WIRE_ERR_INVALID_ARGUMENT;
    /* The request comes back as sent, so only a successful one has a known type, and only a
     * successful query a meaningful IsEnabled. KernelStatus holds a 32-bit code. */
    type = hd__le_rd32(b, 16);
    status = hd__le_rd64(b, 8);
    if (status > 0xFFFFFFFFu ||
        (status == HD_WIRE_SUCCESS &&
         (type > HD_WIRE_MODIFY_CLEAR || (type == HD_WIRE_MODIFY_QUERY && !is_flag(b[20])))))
        return HD_WIRE_ERR_REPLY_MALFORMED;
    *out = (struct hd_wire_modify){
        .tag = hd__le_rd64(b, 0),
        .kernel_status = status,
        .type_of_action = type,
        .is_enabled = b[20],
    };
    return HD_WIRE_OK;
}

uint32_t hd_wire_decode_selftest_result(const void *buf, size_t len,
                                        struct hd_wire_selftest_result *out)
{
    const uint8_t *b = buf;
    uint32_t code = exact(buf, len, HD_WIRE_SELFTEST_RESULT_SIZE);
    struct hd_wire_selftest_result r;

    if (code != HD_WIRE_OK || !out)
        return out ? code : HD_WIRE_ERR_INVALID_ARGUMENT;
    for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++)
        *hd_guest_reg(&r.regs, i) = hd__le_rd64(b, 8 * i);
    r.rip = hd__le_rd64(b, 128);
    r.status = hd__le_rd32(b, 136);
    r.core = hd__le_rd32(b, 140);
    r.pid = hd__le_rd32(b, 144);
    r.verdict = hd__le_rd32(b, 148);
    r.fired_pre = hd__le_rd32(b, 152);
    r.fired_post = hd__le_rd32(b, 156);
    r.result_flags = hd__le_rd32(b, 160);
    r.reserved0 = hd__le_rd32(b, 164);
    if (r.result_flags & ~(HD_WIRE_SELFTEST_DEFAULT_RAN | HD_WIRE_SELFTEST_POST_RAN) ||
        r.verdict & ~(HD_VERDICT_SHORT_CIRCUIT | HD_VERDICT_POST | HD_VERDICT_BREAK |
                      HD_VERDICT_PROTECTED | HD_VERDICT_DENY_UD) ||
        r.reserved0)
        return HD_WIRE_ERR_REPLY_MALFORMED;
    *out = r;
    return HD_WIRE_OK;
}

uint32_t hd_wire_decode_list(const void *buf, size_t len, struct hd_wire_list_header *out)
{
    const uint8_t *b = buf;
    struct hd_wire_list_header h;

    if (!buf || !out)
        return HD_WIRE_ERR_INVALID_ARGUMENT;
    if (len < HD_WIRE_LIST_HEADER_SIZE)
        return HD_WIRE_ERR_TRUNCATED;
    h = (struct hd_wire_list_header){
        .kernel_status = hd__le_rd32(b, 0),
        .count = hd__le_rd32(b, 4),
        .next_tag = hd__le_rd64(b, 8),
        .last_tag = hd__le_rd64(b, 16),
        .more = hd__le_rd32(b, 24),
        .reserved0 = hd__le_rd32(b, 28),
    };
    /* 64-bit product: a hostile count cannot wrap the size check. */
    if ((uint64_t)len - HD_WIRE_LIST_HEADER_SIZE < (uint64_t)h.count * HD_WIRE_LIST_ENTRY_SIZE)
        return HD_WIRE_ERR_TRUNCATED;
    if ((uint64_t)len - HD_WIRE_LIST_HEADER_SIZE > (uint64_t)h.count * HD_WIRE_LIST_ENTRY_SIZE)
        return HD_WIRE_ERR_TRAILING_BYTES;
    if (h.more > 1 || h.reserved0 || (h.kernel_status != HD_WIRE_SUCCESS && h.count))
        return HD_WIRE_ERR_REPLY_MALFORMED;
    *out = h;
    return HD_WIRE_OK;
}

uint32_t hd_wire_decode_list_entry(const void *buf, size_t len, uint32_t index,
                                   struct hd_wire_list_entry *out)
{
    const uint8_t *b = buf;
    uint64_t off = HD_WIRE_LIST_HEADER_SIZE + (uint64_t)index * HD_WIRE_LIST_ENTRY_SIZE;
    struct hd_wire_list_entry en;

    if (!buf || !out)
        return HD_WIRE_ERR_INVALID_ARGUMENT;
    if (off > len || len - off < HD_WIRE_LIST_ENTRY_SIZE)
        return HD_WIRE_ERR_TRUNCATED;
    b += off;
    en = (struct hd_wire_list_entry){
        .tag = hd__le_rd64(b, 0),
        .core = hd__le_rd32(b, 8),
        .pid = hd__le_rd32(b, 12),
        .stage = hd__le_rd32(b, 16),
        .enabled = b[20],
        .short_circuit = b[21],
        .condition = b[22],
        .reserved0 = b[23],
        .action_count = hd__le_rd32(b, 24),
        .reserved1 = hd__le_rd32(b, 28),
        .hits = hd__le_rd64(b, 32),
    };
    if (en.stage < HD_STAGE_PRE || en.stage > HD_STAGE_ALL || !is_flag(en.enabled) ||
        !is_flag(en.short_circuit) || en.condition > HD_CONDITION_NATIVE || en.reserved0 ||
        en.reserved1 || en.action_count > HD_EVENT_MAX_ACTIONS)
        return HD_WIRE_ERR_REPLY_MALFORMED;
    *out = en;
    return HD_WIRE_OK;
}

uint32_t hd_wire_decode_message(const void *buf, size_t len, struct hd_wire_message *out,
                                const uint8_t **text, size_t *record_size)
{
    const uint8_t *b = buf;
    struct hd_wire_message m;
    uint64_t record;

    if (!buf || !out || !text || !record_size)
        return HD_WIRE_ERR_INVALID_ARGUMENT;
    if (len < HD_WIRE_MESSAGE_HEADER_SIZE)
        return HD_WIRE_ERR_TRUNCATED;
    m = (struct hd_wire_message){
        .tag = hd__le_rd64(b, 0),
        .core = hd__le_rd32(b, 8),
        .size = hd__le_rd32(b, 12),
        .length = hd__le_rd32(b, 16),
        .flags = hd__le_rd32(b, 20),
    };
    record = HD_WIRE_MESSAGE_HEADER_SIZE + (((uint64_t)m.length + 7) & ~(uint64_t)7);
    if (record > len)
        return HD_WIRE_ERR_TRUNCATED;
    if (m.length > m.size ||
        m.flags & ~(HD_WIRE_MESSAGE_IMMEDIATE | HD_WIRE_MESSAGE_TRUNCATED |
                    HD_WIRE_MESSAGE_PRINT | HD_WIRE_MESSAGE_SCRIPT_ERROR) ||
        (m.flags & HD_WIRE_MESSAGE_PRINT && m.flags & HD_WIRE_MESSAGE_SCRIPT_ERROR) ||
        ((m.flags & HD_WIRE_MESSAGE_TRUNCATED) != 0) != (m.length < m.size))
        return HD_WIRE_ERR_REPLY_MALFORMED;
    *out = m;
    *text = b + HD_WIRE_MESSAGE_HEADER_SIZE;
    *record_size = (size_t)record;
    return HD_WIRE_OK;
}

uint32_t hd_wire_decode_event_command_reply(const void *buf, size_t len,
                                            struct hd_wire_event_command_reply *out,
                                            const char **text)
{
    const uint8_t *b = buf;
    struct hd_wire_event_command_reply r;
    size_t got;

    if (!buf || !out)
        return HD_WIRE_ERR_INVALID_ARGUMENT;
    if (len < HD_WIRE_EVENT_COMMAND_REPLY_SIZE)
        return HD_WIRE_ERR_TRUNCATED;
    r.kernel_status = hd__le_rd32(b, 0);
    r.length = hd__le_rd32(b, 4);
    got = len - HD_WIRE_EVENT_COMMAND_REPLY_SIZE;
    if (!text || r.kernel_status != HD_WIRE_SUCCESS) { /* a set's reply, or a failure */
        if (got)
            return HD_WIRE_ERR_TRAILING_BYTES;
        if (r.kernel_status != HD_WIRE_SUCCESS && r.length)
            return HD_WIRE_ERR_REPLY_MALFORMED;
    } else {
        /* get: the text (maybe cut: fewer than length bytes) and its NUL, none inside */
        if (got == 0)
            return HD_WIRE_ERR_TRUNCATED;
        if (got - 1 > r.length || r.length > HD_COMMAND_MAX_BYTES || b[len - 1] != 0)
            return HD_WIRE_ERR_REPLY_MALFORMED;
        for (size_t i = 0; i + 1 < got; i++)
            if (b[HD_WIRE_EVENT_COMMAND_REPLY_SIZE + i] == 0)
                return HD_WIRE_ERR_REPLY_MALFORMED;
        *text = (const char *)b + HD_WIRE_EVENT_COMMAND_REPLY_SIZE;
    }
    if (r.length > HD_COMMAND_MAX_BYTES)
        return HD_WIRE_ERR_REPLY_MALFORMED;
    *out = r;
    return HD_WIRE_OK;
}

uint32_t hd_wire_decode_recorder(const void *buf, size_t len, struct hd_wire_recorder_header *out)
{
    const uint8_t *b = buf;
    struct hd_wire_recorder_header h;

    if (!buf || !out)
        return HD_WIRE_ERR_INVALID_ARGUMENT;
    if (len < HD_WIRE_RECORDER_HEADER_SIZE)
        return HD_WIRE_ERR_TRUNCATED;
    h = (struct hd_wire_recorder_header){
        .kernel_status = hd__le_rd32(b, 0),
        .count = hd__le_rd32(b, 4),
        .recording = hd__le_rd32(b, 8),
        .reserved0 = hd__le_rd32(b, 12),
        .dropped = hd__le_rd64(b, 16),
        .reserved1 = hd__le_rd64(b, 24),
    };
    if ((uint64_t)len - HD_WIRE_RECORDER_HEADER_SIZE < (uint64_t)h.count * HD_WIRE_RECORD_SIZE)
        return HD_WIRE_ERR_TRUNCATED;
    if ((uint64_t)len - HD_WIRE_RECORDER_HEADER_SIZE > (uint64_t)h.count * HD_WIRE_RECORD_SIZE)
        return HD_WIRE_ERR_TRAILING_BYTES;
    if (h.recording > 1 || h.reserved0 || h.reserved1 ||
        (h.kernel_status != HD_WIRE_SUCCESS && h.count))
        return HD_WIRE_ERR_REPLY_MALFORMED;
    *out = h;
    return HD_WIRE_OK;
}

uint32_t hd_wire_decode_record(const void *buf, size_t len, uint32_t index,
                               struct hd_exit_record *out)
{
    const uint8_t *b = buf;
    uint64_t off = HD_WIRE_RECORDER_HEADER_SIZE + (uint64_t)index * HD_WIRE_RECORD_SIZE;
    struct hd_exit_record r;
    uint32_t kept;

    if (!buf || !out)
        return HD_WIRE_ERR_INVALID_ARGUMENT;
    if (off > len || len - off < HD_WIRE_RECORD_SIZE)
        return HD_WIRE_ERR_TRUNCATED;
    b += off;
    for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++) {
        *hd_guest_reg(&r.before, i) = hd__le_rd64(b, 8u * i);
        *hd_guest_reg(&r.after, i) = hd__le_rd64(b, 128 + 8u * i);
    }
    r.rip = hd__le_rd64(b, 256);
    r.sequence = hd__le_rd32(b, 264);
    r.core = hd__le_rd32(b, 268);
    r.pid = hd__le_rd32(b, 272);
    r.insn_len = hd__le_rd32(b, 276);
    r.cpl = b[280];
    r.flags = b[281];
    r.reserved_ = (uint16_t)(b[282] | b[283] << 8);
    r.fired_count = hd__le_rd32(b, 284);
    kept = r.fired_count < HD_RECORD_FIRED_MAX ? r.fired_count : HD_RECORD_FIRED_MAX;
    for (uint32_t i = 0; i < HD_RECORD_FIRED_MAX; i++) {
        r.fired[i] = hd__le_rd64(b, 288 + 8u * i);
        if (i >= kept && r.fired[i])
            return HD_WIRE_ERR_REPLY_MALFORMED;
    }
    if (r.cpl > 3 || r.reserved_ || r.insn_len > 15 ||
        (r.flags & ~HD_RECORD_FLAGS_ALL))
        return HD_WIRE_ERR_REPLY_MALFORMED;
    *out = r;
    return HD_WIRE_OK;
}

uint32_t hd_wire_decode_event_outputs(const void *buf, size_t len,
                                      struct hd_wire_event_outputs *out)
{
    const uint8_t *b = buf;
    uint32_t code = exact(buf, len, HD_WIRE_EVENT_OUTPUTS_SIZE);
    struct hd_wire_event_outputs r;

    if (code != HD_WIRE_OK || !out)
        return out ? code : HD_WIRE_ERR_INVALID_ARGUMENT;
    r.kernel_status = hd__le_rd32(b, 0);
    r.count = hd__le_rd32(b, 4);
    /* 0-5 tags, none 0, none after the count; a failure names none */
    if (r.count > HD_EVENT_MAX_OUTPUTS || (r.kernel_status != HD_WIRE_SUCCESS && r.count))
        return HD_WIRE_ERR_REPLY_MALFORMED;
    for (uint32_t i = 0; i < HD_EVENT_MAX_OUTPUTS; i++) {
        r.tags[i] = hd__le_rd64(b, 8 + 8 * i);
        if ((i < r.count) != (r.tags[i] != 0))
            return HD_WIRE_ERR_REPLY_MALFORMED;
    }
    *out = r;
    return HD_WIRE_OK;
}

uint32_t hd_wire_decode_event_extension(const void *buf, size_t len,
                                        struct hd_wire_event_extension *out)
{
    const uint8_t *b = buf;
    uint32_t code = exact(buf, len, HD_WIRE_EVENT_EXTENSION_SIZE);
    const uint32_t deny = HD_WIRE_EVENT_EXT_DENY_UD | HD_WIRE_EVENT_EXT_DENY_RAX;
    struct hd_wire_event_extension r;

    if (code != HD_WIRE_OK || !out)
        return out ? code : HD_WIRE_ERR_INVALID_ARGUMENT;
    r.kernel_status = hd__le_rd32(b, 0);
    r.flags = hd__le_rd32(b, 4);
    r.nr_first = hd__le_rd64(b, 8);
    r.nr_last = hd__le_rd64(b, 16);
    r.deny_rax = hd__le_rd64(b, 24);
    r.max_hits = hd__le_rd64(b, 32);
    r.runs = hd__le_rd64(b, 40);
    /* known flags, one deny at most, a range that does not end below its start, no more runs
     * than the limit, spent only under a limit */
    if (r.flags > 0xFu || (r.flags & deny) == deny || r.nr_first > r.nr_last ||
        (r.max_hits ? r.runs > r.max_hits : r.runs != 0) ||
        ((r.flags & HD_WIRE_EVENT_EXT_SPENT) && !r.max_hits))
        return HD_WIRE_ERR_REPLY_MALFORMED;
    *out = r;
    return HD_WIRE_OK;
}
