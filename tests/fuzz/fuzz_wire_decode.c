/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_wire_decode.c — libFuzzer harness for the wire decoders, hd_wire_ioctl() and
 * hd_wire_device_ioctl().
 *
 * Input: a sequence of records, each
 *     u8 selector, u16 length (little-endian), `length` bytes (cut at the end of the input).
 * selector & 7 picks the request: 0 register, 1 add action, 2 modify, 3 flush, 4 an IOCTL code
 * taken from the record's first 4 bytes, 5..7 the event / action / modify decoder alone;
 * (selector >> 3) & 3 picks the output length: enough, 0, 7 or 23 bytes. With selector bit 5
 * the request goes through hd_wire_device_ioctl() instead, and 0..2 become hdevent's own
 * self-test VMCALL, read messages and list events, and 3 the event command (its tag made
 * HD_TAG_BASE + (selector >> 6)); (selector >> 6) picks the core the self-test "runs here" on. The self-test dispatches for real, so it is offered a run_here
 * only while no raw code from the input is registered (else it must refuse, unavailable).
 * Every record also goes through the three decoders directly, with core counts 4 and 0, and
 * through the user-mode decoders of a device's replies; every reply the kernel side writes
 * must pass those.
 *
 * Each input runs on a fresh engine (4 cores) over the host backend; nothing is ever
 * dispatched, so raw code from the input is stored but never run. Each record lives in a heap
 * block of exactly its length, so ASan catches any read past it. Invariants checked (abort on
 * failure): a request that reports a rejection, or writes no result, leaves the events and the
 * live allocations as they were; a successful register adds exactly one event; the result has
 * the documented size and IsSuccessful matches Error; after the engine is destroyed the host
 * holds no allocation.
 *
 * Built with -DHD_FUZZ_SEEDS instead, the same file is a program that writes a seed corpus of
 * valid requests made by the encoder: `fuzz_seeds DIR`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdevent/host.h>
#include <hdevent/script.h>
#include <hdevent/wire.h>
#include <hdevent/wire_device.h>
#include <hdevent/wire_encode.h>

#define MAX_EVENTS 64

static uint32_t rd32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

#ifndef HD_FUZZ_SEEDS

struct state {
    uint64_t tags[MAX_EVENTS];
    uint32_t actions[MAX_EVENTS];
    bool enabled[MAX_EVENTS];
    unsigned count; /* may exceed MAX_EVENTS; only the first are compared */
    uint64_t live;
};

static void take(struct hd_engine *e, struct hd_host *h, struct state *s)
{
    struct hd_event_info info;
    uint64_t after = 0;
    memset(s, 0, sizeof(*s));
    while (hd_event_next(e, after, &info) == HD_OK) {
        if (s->count < MAX_EVENTS) {
            s->tags[s->count] = info.tag;
            s->actions[s->count] = info.action_count;
            s->enabled[s->count] = info.enabled;
        }
        s->count++;
        after = info.tag;
    }
    s->live = hd_host_live_allocations(h);
}

static bool same(const struct state *a, const struct state *b)
{
    unsigned n = a->count < MAX_EVENTS ? a->count : MAX_EVENTS;
    if (a->count != b->count || a->live != b->live)
        return false;
    for (unsigned i = 0; i < n; i++)
        if (a->tags[i] != b->tags[i] || a->actions[i] != b->actions[i] ||
            a->enabled[i] != b->enabled[i])
            return false;
    return true;
}

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_wire_decode: invariant failed: %s (line %d)\n", #cond,     \
                    __LINE__);                                                               \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

/*
 * The user-mode decoders of a device's replies (wire_encode.h) on any bytes: they accept only
 * what fits, and what they hand back stays inside the input. With @must_pass the bytes are a
 * reply the kernel side just wrote, which they must accept whole.
 */
static void reply_messages(const uint8_t *rec, size_t n, bool must_pass)
{
    struct hd_wire_message m;
    const uint8_t *text;
    size_t off = 0, size;

    while (off < n) {
        uint32_t code = hd_wire_decode_message(rec + off, n - off, &m, &text, &size);
        CHECK(!must_pass || code == HD_WIRE_OK);
        if (code != HD_WIRE_OK)
            return;
        CHECK(size >= HD_WIRE_MESSAGE_HEADER_SIZE && size <= n - off && m.length <= m.size);
        CHECK(text + m.length <= rec + n);
        off += size;
    }
}

static void reply_list(const uint8_t *rec, size_t n, bool must_pass)
{
    struct hd_wire_list_header h;
    struct hd_wire_list_entry en;
    uint32_t code = hd_wire_decode_list(rec, n, &h);

    CHECK(!must_pass || code == HD_WIRE_OK);
    if (code != HD_WIRE_OK)
        return;
    CHECK(n == HD_WIRE_LIST_HEADER_SIZE + (size_t)h.count * HD_WIRE_LIST_ENTRY_SIZE);
    for (uint32_t i = 0; i < h.count; i++) {
        code = hd_wire_decode_list_entry(rec, n, i, &en);
        CHECK(code == HD_WIRE_OK || (!must_pass && code == HD_WIRE_ERR_REPLY_MALFORMED));
    }
    CHECK(hd_wire_decode_list_entry(rec, n, h.count, &en) == HD_WIRE_ERR_TRUNCATED);
}

/* The event-command and recorder replies, on any bytes; with @must_pass a get's reply. */
static void reply_device_more(const uint8_t *rec, size_t n, bool must_pass)
{
    struct hd_wire_event_command_reply c;
    struct hd_wire_recorder_header h;
    struct hd_exit_record r;
    const char *text = NULL;
    uint32_t code = hd_wire_decode_event_command_reply(rec, n, &c, &text);

    CHECK(!must_pass || code == HD_WIRE_OK);
    if (code == HD_WIRE_OK && c.kernel_status == HD_WIRE_SUCCESS)
        CHECK(text == (const char *)rec + 8 && strlen(text) == n - 9 && n - 9 <= c.length);
    if (must_pass || hd_wire_decode_recorder(rec, n, &h) != HD_WIRE_OK)
        return;
    CHECK(n == HD_WIRE_RECORDER_HEADER_SIZE + (size_t)h.count * HD_WIRE_RECORD_SIZE);
    for (uint32_t i = 0; i < h.count; i++) {
        code = hd_wire_decode_record(rec, n, i, &r);
        CHECK(code == HD_WIRE_OK || code == HD_WIRE_ERR_REPLY_MALFORMED);
    }
    CHECK(hd_wire_decode_record(rec, n, h.count, &r) == HD_WIRE_ERR_TRUNCATED);
}

/*
 * HD_IOCTL_EVENT_COMMAND with the record as input, its tag (first 8 bytes) made one of the
 * fixture's first tags so a set can succeed: a rejection changes nothing, a set that succeeds
 * changes the text to the bytes sent and nothing else, a get's reply passes the decoder.
 */
static void take_settled(struct hd_engine *e, struct hd_host *h, struct state *s);

static void event_command(struct hd_engine *e, struct hd_host *h, uint8_t sel, uint8_t *rec,
                          size_t n)
{
    static const size_t out_lens[4] = {512, 0, 7, 9};
    uint8_t out[520];
    size_t out_len = out_lens[(sel >> 3) & 3], written = 99, length = 0;
    struct state before, after;
    char text[HD_COMMAND_MAX_BYTES + 1];
    enum hd_status st;

    if (n >= 8) {
        uint64_t tag = HD_TAG_BASE + (sel >> 6);
        for (int i = 0; i < 8; i++)
            rec[i] = (uint8_t)(tag >> 8 * i);
    }
    memset(out, 0xAA, sizeof(out));
    take_settled(e, h, &before);
    st = hd_wire_device_ioctl(e, NULL, HD_IOCTL_EVENT_COMMAND, rec, n, out, out_len, &written);
    take(e, h, &after);
    CHECK(same(&before, &after)); /* the text is replaced in place: one block for one */
    CHECK(out[out_len] == 0xAA);
    if (st != HD_OK) {
        CHECK(st == HD_ERR_BUFFER_TOO_SMALL && written == 0);
        return;
    }
    CHECK(written >= HD_WIRE_EVENT_COMMAND_REPLY_SIZE && written <= out_len);
    if (rd32(out) != HD_WIRE_SUCCESS || rd32(rec + 8) != HD_WIRE_COMMAND_SET) {
        if (rd32(out) == HD_WIRE_SUCCESS)
            reply_device_more(out, written, true);
        return;
    }
    CHECK(written == HD_WIRE_EVENT_COMMAND_REPLY_SIZE && rd32(out + 4) == n - 16);
    CHECK(hd_event_command(e, HD_TAG_BASE + (sel >> 6), text, sizeof(text), &length) == HD_OK);
    CHECK(length == n - 16 && memcmp(text, rec + 16, length) == 0);
}

/* The event-outputs and event-extension replies: what decodes keeps their rules. */
static void reply_event_words(const uint8_t *rec, size_t n)
{
    struct hd_wire_event_outputs o;
    struct hd_wire_event_extension x;
    uint32_t code = hd_wire_decode_event_outputs(rec, n, &o);

    if (code == HD_WIRE_OK) {
        CHECK(n == HD_WIRE_EVENT_OUTPUTS_SIZE && o.count <= HD_EVENT_MAX_OUTPUTS);
        CHECK(o.kernel_status == HD_WIRE_SUCCESS || o.count == 0);
    }
    if (hd_wire_decode_event_extension(rec, n, &x) == HD_WIRE_OK)
        CHECK(n == HD_WIRE_EVENT_EXTENSION_SIZE && x.nr_first <= x.nr_last &&
              (x.max_hits ? x.runs <= x.max_hits : x.runs == 0));
}

static void replies(const uint8_t *rec, size_t n)
{
    struct hd_wire_result r;
    struct hd_wire_modify m;
    struct hd_wire_selftest_result t;

    if (hd_wire_decode_result(rec, n, &r) == HD_WIRE_OK)
        CHECK(n == HD_WIRE_RESULT_SIZE && r.is_successful == (r.error == HD_WIRE_OK));
    if (hd_wire_decode_modify_reply(rec, n, &m) == HD_WIRE_OK)
        CHECK(n == HD_WIRE_MODIFY_SIZE &&
              (m.kernel_status != HD_WIRE_SUCCESS || m.type_of_action <= HD_WIRE_MODIFY_CLEAR));
    if (hd_wire_decode_selftest_result(rec, n, &t) == HD_WIRE_OK)
        CHECK(n == HD_WIRE_SELFTEST_RESULT_SIZE);
    reply_list(rec, n, false);
    reply_messages(rec, n, false);
    reply_device_more(rec, n, false);
    reply_event_words(rec, n);
}

static void decoders(const uint8_t *rec, size_t n)
{
    struct hd_event_desc ev;
    struct hd_action_desc ac;
    uint64_t tag;
    uint32_t type;

    for (uint32_t cores = 0; cores <= 4; cores += 4) {
        uint32_t code = hd_wire_decode_event(rec, n, cores, &ev);
        if (code == HD_WIRE_OK) {
            CHECK(n == HD_WIRE_EVENT_SIZE + (size_t)ev.condition.code_size);
            CHECK(ev.condition.kind == HD_CONDITION_NONE || ev.condition.code == rec + 168);
        }
        CHECK(strcmp(hd_wire_error_name(code), "HD_WIRE_UNKNOWN") != 0);
    }
    if (hd_wire_decode_action(rec, n, &tag, &ac) == HD_WIRE_OK)
        CHECK(ac.type != HD_ACTION_CODE || n == HD_WIRE_ACTION_SIZE + (size_t)ac.code_size);
    if (hd_wire_decode_modify(rec, n, &tag, &type) == HD_WIRE_OK)
        CHECK(n == HD_WIRE_MODIFY_SIZE && type <= HD_WIRE_MODIFY_CLEAR);
    replies(rec, n);
}

/* Raw code from the input is registered: a self-test would execute it. */
static bool g_raw_registered;
static uint32_t g_here_core;

/* The host stand-in for a kernel's "run on this core with interrupts off". */
static void run_here(void *user, void (*fn)(void *arg, uint32_t core), void *arg)
{
    (void)user;
    fn(arg, g_here_core);
}

/* After a successful register or add-action: does it bring raw code? */
static void note_raw(uint32_t code, const uint8_t *rec, size_t n)
{
    struct hd_event_desc ev;
    struct hd_action_desc ac;
    uint64_t tag;

    if (code == HD_IOCTL_REGISTER_EVENT && hd_wire_decode_event(rec, n, 0, &ev) == HD_WIRE_OK &&
        ev.condition.kind == HD_CONDITION_RAW)
        g_raw_registered = true;
    if (code == HD_IOCTL_ADD_ACTION && hd_wire_decode_action(rec, n, &tag, &ac) == HD_WIRE_OK &&
        ac.type == HD_ACTION_CODE)
        g_raw_registered = true;
}

/*
 * What scripts asked of events (event_enable/disable/clear, queued on the dispatch path) is
 * applied by the next device request before the request itself (wire_device.h): apply it
 * first, so that before/after compare the request alone. (The first campaign stopped here
 * after 3.3 M inputs: a self-test had run a script that disabled its event, and the next
 * request applied it.)
 */
static void take_settled(struct hd_engine *e, struct hd_host *h, struct state *s)
{
    hd_engine_run_deferred(e);
    take(e, h, s);
}

/* hdevent's own requests: they never change the events or the allocations. */
static void device_request(struct hd_engine *e, struct hd_host *h, uint8_t sel,
                           const uint8_t *rec, size_t n)
{
    static const size_t out_lens[4] = {512, 0, 7, 40};
    static const uint32_t codes[3] = {HD_IOCTL_SELFTEST_VMCALL, HD_IOCTL_READ_MESSAGES,
                                      HD_IOCTL_LIST_EVENTS};
    struct hd_wire_caller caller = {.pid = 0x490, .user = NULL,
                                    .run_here = g_raw_registered ? NULL : run_here};
    uint8_t out[520];
    size_t out_len = out_lens[(sel >> 3) & 3], written = 99;
    struct state before, after;
    enum hd_status st;

    g_here_core = (uint32_t)(sel >> 6);
    memset(out, 0xAA, sizeof(out));
    take_settled(e, h, &before);
    st = hd_wire_device_ioctl(e, &caller, codes[sel & 7], rec, n, out, out_len, &written);
    take(e, h, &after);
    CHECK(same(&before, &after));
    CHECK(out[out_len] == 0xAA); /* nothing written past out_len */
    if (st != HD_OK) {
        CHECK(written == 0);
        return;
    }
    CHECK(written <= out_len);
    if ((sel & 7) == 0) {
        struct hd_wire_selftest_result r;
        CHECK(written == HD_WIRE_SELFTEST_RESULT_SIZE);
        CHECK(hd_wire_decode_selftest_result(out, written, &r) == HD_WIRE_OK);
        if (g_raw_registered) /* no run_here was offered: refused (for one reason or another) */
            CHECK(r.status != HD_WIRE_SUCCESS);
    } else if ((sel & 7) == 1) {
        reply_messages(out, written, true);
    } else {
        reply_list(out, written, true);
    }
}

static void request(struct hd_engine *e, struct hd_host *h, uint8_t sel, const uint8_t *rec,
                    size_t n)
{
    static const size_t out_lens[4] = {64, 0, 7, 23};
    static const uint32_t codes[4] = {HD_IOCTL_REGISTER_EVENT, HD_IOCTL_ADD_ACTION,
                                      HD_IOCTL_MODIFY_EVENTS, HD_IOCTL_FLUSH_BUFFERS};
    struct hd_wire_caller caller = {.pid = 0x490, .user = NULL, .run_here = NULL};
    uint8_t out[64];
    size_t out_len = out_lens[(sel >> 3) & 3], written = 99;
    uint32_t op = sel & 7, code;
    struct state before, after;
    enum hd_status st;
    bool rejected;

    if (op >= 5)
        return; /* decoder-only record */
    if ((sel & 0x20) && op < 3) {
        device_request(e, h, sel, rec, n);
        return;
    }
    if ((sel & 0x20) && op == 3) {
        event_command(e, h, sel, (uint8_t *)rec, n);
        return;
    }
    code = op < 4 ? codes[op] : (n >= 4 ? rd32(rec) : 0);
    memset(out, 0xAA, sizeof(out));
    take_settled(e, h, &before);
    /* HyperDbg's requests behave the same through either entry point. */
    st = (sel & 0x20) ? hd_wire_device_ioctl(e, &caller, code, rec, n, out, out_len, &written)
                      : hd_wire_ioctl(e, code, rec, n, out, out_len, &written);
    take(e, h, &after);
    if (code == HD_IOCTL_SELFTEST_VMCALL || code == HD_IOCTL_READ_MESSAGES ||
        code == HD_IOCTL_LIST_EVENTS || code == HD_IOCTL_EVENT_OUTPUTS ||
        code == HD_IOCTL_RECORDER || code == HD_IOCTL_EVENT_COMMAND ||
        code == HD_IOCTL_EVENT_EXTENSION) {
        CHECK(same(&before, &after)); /* own codes (device path) or unknown (plain path) */
        /* what the device wrote, its reader's decoder takes */
        if ((sel & 0x20) && st == HD_OK && code == HD_IOCTL_EVENT_OUTPUTS) {
            struct hd_wire_event_outputs o;
            CHECK(hd_wire_decode_event_outputs(out, written, &o) == HD_WIRE_OK);
        }
        if ((sel & 0x20) && st == HD_OK && code == HD_IOCTL_EVENT_EXTENSION) {
            struct hd_wire_event_extension x;
            CHECK(hd_wire_decode_event_extension(out, written, &x) == HD_WIRE_OK);
        }
        return;
    }

    if (st != HD_OK) {
        CHECK(st == HD_ERR_BUFFER_TOO_SMALL || st == HD_ERR_UNKNOWN_IOCTL);
        CHECK(written == 0 && out[0] == 0xAA);
        CHECK(same(&before, &after));
        return;
    }
    switch (code) {
    case HD_IOCTL_REGISTER_EVENT:
    case HD_IOCTL_ADD_ACTION:
        CHECK(written == HD_WIRE_RESULT_SIZE && out[8] == 0xAA);
        CHECK(out[0] == (rd32(out + 4) == HD_WIRE_OK));
        {
            struct hd_wire_result r;
            CHECK(hd_wire_decode_result(out, written, &r) == HD_WIRE_OK);
        }
        rejected = out[0] == 0;
        if (!rejected && code == HD_IOCTL_REGISTER_EVENT)
            CHECK(after.count == before.count + 1);
        if (!rejected)
            note_raw(code, rec, n);
        break;
    case HD_IOCTL_MODIFY_EVENTS:
        CHECK(written == HD_WIRE_MODIFY_SIZE && out[24] == 0xAA);
        {
            struct hd_wire_modify m;
            CHECK(hd_wire_decode_modify_reply(out, written, &m) == HD_WIRE_OK);
        }
        rejected = rd32(out + 8) != HD_WIRE_SUCCESS;
        break;
    default:
        CHECK(written == HD_WIRE_FLUSH_SIZE && rd32(out) == HD_WIRE_SUCCESS);
        rejected = true; /* a flush changes no event */
        break;
    }
    if (rejected)
        CHECK(same(&before, &after));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hd_host_config cfg = {.cores = 4, .log_to_stderr = false};
    struct hd_engine_config ecfg = {.message_slots = 2, .message_max_bytes = 64};
    struct hd_host *host;
    struct hd_engine *engine;

    if (hd_host_create(&cfg, &host) != HD_OK)
        abort();
    if (hd_engine_create(hd_host_ops(host), &ecfg, &engine) != HD_OK)
        abort();
    g_raw_registered = false;
    while (size >= 3) {
        uint8_t sel = data[0];
        size_t n = (size_t)data[1] | (size_t)data[2] << 8;
        uint8_t *rec;
        data += 3;
        size -= 3;
        if (n > size)
            n = size;
        rec = malloc(n ? n : 1);
        if (!rec)
            abort();
        memcpy(rec, data, n);
        decoders(rec, n);
        request(engine, host, sel, rec, n);
        free(rec);
        data += n;
        size -= n;
    }
    hd_engine_destroy(engine);
    CHECK(hd_host_live_allocations(host) == 0);
    hd_host_destroy(host);
    return 0;
}

#else /* HD_FUZZ_SEEDS: write a corpus of valid requests */


static FILE *seed_open(const char *dir, unsigned n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/seed-%03u", dir, n);
    return fopen(path, "wb");
}

static void put_record(FILE *f, uint8_t sel, const uint8_t *b, size_t n)
{
    uint8_t h[3] = {sel, (uint8_t)n, (uint8_t)(n >> 8)};
    fwrite(h, 1, 3, f);
    fwrite(b, 1, n, f);
}

/* One seed: the event, its actions, then a few modify requests on its tag. */
static int seed_event(const char *dir, unsigned n, const struct hd_event_desc *d, uint64_t tag)
{
    uint8_t *buf, m[HD_WIRE_MODIFY_SIZE];
    size_t len;
    FILE *f = seed_open(dir, n);
    if (!f)
        return 1;
    if (hd_wire_encode_event(d, tag, &buf, &len) != HD_OK)
        return 1;
    put_record(f, 0, buf, len);
    free(buf);
    for (uint32_t i = 0; i < d->action_count; i++) {
        if (hd_wire_encode_action(&d->actions[i], tag, &buf, &len) != HD_OK)
            return 1;
        put_record(f, 1, buf, len);
        free(buf);
    }
    /* its command text set, then read back (HD_IOCTL_EVENT_COMMAND: selector 0x23) */
    uint8_t c[HD_WIRE_EVENT_COMMAND_SIZE + 8] = {0};
    for (int i = 0; i < 8; i++)
        c[i] = (uint8_t)(tag >> 8 * i);
    c[8] = HD_WIRE_COMMAND_SET;
    c[12] = 7;
    memcpy(c + 16, "!vmcall", 7);
    put_record(f, 0x23, c, HD_WIRE_EVENT_COMMAND_SIZE + 7);
    c[8] = HD_WIRE_COMMAND_GET;
    c[12] = 0;
    put_record(f, 0x23, c, HD_WIRE_EVENT_COMMAND_SIZE);
    static const uint32_t types[] = {HD_WIRE_MODIFY_QUERY, HD_WIRE_MODIFY_DISABLE,
                                     HD_WIRE_MODIFY_ENABLE, HD_WIRE_MODIFY_CLEAR};
    for (unsigned i = 0; i < n % 5 && i < 4; i++) {
        hd_wire_encode_modify(i == 3 && n % 2 ? HD_TAG_ALL : tag, types[i], m);
        put_record(f, 2, m, sizeof(m));
    }
    put_record(f, 3, NULL, 0);
    return fclose(f) != 0;
}

/* The bytes the seed events carry: HyperDbg's doc condition and custom code (rdx == 0x1000;
 * r8 'HDBG' -> 'HDB2'), nops that get a RET appended, and a script (compiled in main()). */
static const uint8_t SEED_COND[] = {0x48, 0x8B, 0x59, 0x10, 0x48, 0x81, 0xFB, 0x00, 0x10,
                                    0x00, 0x00, 0x74, 0x05, 0x48, 0x31, 0xC0, 0xEB, 0x07,
                                    0x48, 0xC7, 0xC0, 0x01, 0x00, 0x00, 0x00, 0xC3};
static const uint8_t SEED_CODE[] = {0x48, 0x8B, 0x5A, 0x40, 0x48, 0x81, 0xFB, 0x48,
                                    0x44, 0x42, 0x47, 0x74, 0x02, 0xEB, 0x08, 0x48,
                                    0xC7, 0x42, 0x40, 0x48, 0x44, 0x42, 0x32, 0xC3};
static const uint8_t SEED_NOPS[] = {0x90, 0x90, 0x90};
static struct hd_script_program seed_script;

/* Variant @v of the seed event: the bits of v pick the filters, stage, short-circuit,
 * condition, the first action's kind, and how many of the three actions it has. */
static void seed_variant(unsigned v, struct hd_event_desc *d, struct hd_action_desc acts[3])
{
    hd_event_desc_init(d);
    d->pid = v & 1 ? 0x490 : HD_ALL;
    d->core = v & 2 ? v % 4 : HD_ALL;
    d->stage = (enum hd_stage)(1 + v % 3);
    d->short_circuit = d->stage == HD_STAGE_PRE && (v & 4);
    d->enabled = v != 5;
    if (v & 1) {
        d->condition.kind = HD_CONDITION_RAW;
        d->condition.code = v & 2 ? SEED_NOPS : SEED_COND;
        d->condition.code_size = v & 2 ? sizeof(SEED_NOPS) : sizeof(SEED_COND);
    }
    hd_action_desc_init(&acts[0], v & 4 ? HD_ACTION_BREAK : HD_ACTION_CODE);
    acts[0].code = SEED_CODE;
    acts[0].code_size = sizeof(SEED_CODE);
    acts[0].buffer_size = v * 16;
    acts[0].immediate = v % 3 != 0;
    hd_action_desc_init(&acts[1], HD_ACTION_CODE);
    acts[1].code = SEED_NOPS;
    acts[1].code_size = sizeof(SEED_NOPS);
    hd_action_desc_init(&acts[2], HD_ACTION_SCRIPT);
    acts[2].script = seed_script.code;
    acts[2].script_size = seed_script.size;
    d->actions = acts;
    d->action_count = v % 4;
    /* hdevent's extension (Options[1..5]): nr ranges that overlap across variants, deny on
     * pre events, max_hits */
    d->nr_filter = (v & 8) || v % 3 == 1;
    d->nr_first = 0x10 + v % 3;
    d->nr_last = d->nr_first + (v & 2 ? 0x20 : 0);
    d->deny = d->stage != HD_STAGE_PRE ? HD_DENY_NONE
              : v % 4 == 1            ? HD_DENY_UD
              : v % 4 == 2            ? HD_DENY_RAX
                                      : HD_DENY_NONE;
    d->deny_rax = v;
    d->max_hits = v % 5 == 3 ? 2 : 0;
}

/* hdevent's own requests after a break-only event (or a script event): a self-test on core 1
 * that fires it, a message read and an event list (selector bit 5: the device entry point).
 * Returns 1 when the seed could not be written. */
static int seed_device_requests(const char *dir, unsigned n, bool script)
{
    struct hd_event_desc d;
    struct hd_action_desc act;
    struct hd_wire_selftest t;
    uint8_t after[8] = {0};
    uint8_t *buf;
    size_t len;
    FILE *f = seed_open(dir, n);

    hd_event_desc_init(&d);
    hd_action_desc_init(&act, script ? HD_ACTION_SCRIPT : HD_ACTION_BREAK);
    act.script = script ? seed_script.code : NULL;
    act.script_size = script ? seed_script.size : 0;
    d.actions = &act;
    d.action_count = 1;
    memset(&t, 0, sizeof(t));
    t.core = HD_ALL;
    t.regs.rax = 0x1234;
    if (!f || hd_wire_encode_event(&d, HD_TAG_BASE, &buf, &len) != HD_OK)
        return 1;
    put_record(f, 0, buf, len);
    free(buf);
    if (hd_wire_encode_action(&act, HD_TAG_BASE, &buf, &len) == HD_OK) {
        put_record(f, 1, buf, len);
        free(buf);
    }
    put_record(f, 0x60, (const uint8_t *)&t, sizeof(t)); /* self-test, core 1 */
    put_record(f, 0x21, NULL, 0);                        /* read messages */
    put_record(f, 0x22, after, sizeof(after));           /* list events */
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    struct hd_action_desc acts[3];
    struct hd_event_desc d;
    unsigned n = 0;
    int bad = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    if (hd_script_compile("printf(\"VMCALL executed with context: %llx\\n\", $context);\n"
                          "if (@rax == 1234) { event_sc(1); } .n += 1; x = poi($buffer);",
                          &seed_script, NULL) != HD_OK) {
        fprintf(stderr, "%s: the seed script does not compile\n", argv[0]);
        return 1;
    }
    for (unsigned v = 0; v < 12; v++) {
        seed_variant(v, &d, acts);
        bad |= seed_event(argv[1], n++, &d, HD_TAG_BASE + v * 3);
    }
    bad |= seed_device_requests(argv[1], n++, false);
    bad |= seed_device_requests(argv[1], n++, true);
    hd_script_program_free(&seed_script);
    if (bad)
        fprintf(stderr, "%s: could not write every seed\n", argv[0]);
    printf("wrote %u seeds to %s\n", n, argv[1]);
    return bad;
}

#endif
