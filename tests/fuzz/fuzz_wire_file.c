/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_wire_file.c — libFuzzer harness for FILE bytes (wire_file.c): what
 * `hdevent decode FILE` reads and `hdevent encode -o FILE` writes, the IOCTL buffers of one
 * event back to back.
 *
 * Input: the FILE, in a heap block of exactly its length (ASan catches any read past it).
 * Invariants checked (abort on failure):
 *   - hd_wire_file_split(): on success the spans start at 0, follow each other without a gap
 *     and cover the FILE exactly, the event span first, CountOfActions action spans after it;
 *     on failure the error's index and offset point inside what was walked, and the code is
 *     one the header documents.
 *   - hd_wire_file_decode() splits the same way (same code, index and offset when the split
 *     fails); a FILE that decodes for 4 cores also decodes with the CoreId check off.
 *   - What decodes re-encodes (hd_wire_encode_file()) to a FILE that decodes to the same event,
 *     field by field and byte by byte; and it registers on the host backend (a fresh engine)
 *     or is refused with a status, the engine leaving no allocation behind.
 *
 * Built with -DHD_FUZZ_SEEDS instead, the same file is a program that writes seed FILEs made
 * by the encoder: `fuzz_wire_file_seeds DIR`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdevent/host.h>
#include <hdevent/script.h>
#include <hdevent/wire_encode.h>

#ifndef HD_FUZZ_SEEDS

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_wire_file: invariant failed: %s (line %d)\n", #cond,       \
                    __LINE__);                                                               \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

/* The codes hd_wire_file_split() documents. */
static bool split_code(uint32_t code)
{
    return code == HD_WIRE_OK || code == HD_WIRE_ERR_TRUNCATED ||
           code == HD_WIRE_ERR_CONDITION_PAST_END || code == HD_WIRE_ERR_PAYLOAD_PAST_END ||
           code == HD_WIRE_ERR_SIZE_OVERFLOW || code == HD_WIRE_ERR_TOO_MANY_ACTIONS ||
           code == HD_WIRE_ERR_ACTION_COUNT_MISMATCH || code == HD_WIRE_ERR_TRAILING_BYTES;
}

static void check_split(const uint8_t *file, size_t size, uint32_t code,
                        const struct hd_wire_file *f)
{
    CHECK(split_code(code));
    CHECK(f->action_count <= HD_EVENT_MAX_ACTIONS);
    if (code != HD_WIRE_OK) {
        CHECK(f->error_offset <= size);
        CHECK(f->error_index <= f->action_count + 1);
        return;
    }
    size_t at = f->event.size;
    CHECK(f->event.data == file && f->event.offset == 0);
    CHECK(f->event.size >= HD_WIRE_EVENT_SIZE);
    CHECK(f->action_count == f->count_of_actions);
    for (uint32_t i = 0; i < f->action_count; i++) {
        CHECK(f->actions[i].offset == at && f->actions[i].data == file + at);
        CHECK(f->actions[i].size >= HD_WIRE_ACTION_SIZE);
        at += f->actions[i].size;
    }
    CHECK(at == size);
    CHECK(f->error_index == 0 && f->error_offset == 0);
}

static bool same_bytes(const void *a, uint32_t na, const void *b, uint32_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

static bool same_event(const struct hd_event_desc *a, const struct hd_event_desc *b)
{
    if (a->pid != b->pid || a->core != b->core || a->stage != b->stage ||
        a->short_circuit != b->short_circuit || a->enabled != b->enabled || a->tag != b->tag ||
        a->script_steps != b->script_steps || a->condition.kind != b->condition.kind ||
        !same_bytes(a->condition.code, a->condition.code_size, b->condition.code,
                    b->condition.code_size) ||
        a->action_count != b->action_count)
        return false;
    for (uint32_t i = 0; i < a->action_count; i++) {
        const struct hd_action_desc *x = &a->actions[i], *y = &b->actions[i];
        if (x->type != y->type || x->immediate != y->immediate ||
            x->buffer_size != y->buffer_size ||
            !same_bytes(x->code, x->code_size, y->code, y->code_size) ||
            !same_bytes(x->script, x->script_size, y->script, y->script_size))
            return false;
    }
    return true;
}

static unsigned long inputs, split_ok, decoded_ok, registered;

/* The decoded event on a fresh engine (4 cores, the host backend): registered and cleared,
 * or refused with a status; nothing is left once the engine is gone. */
static void check_registers(const struct hd_event_desc *decoded)
{
    struct hd_host_config hc = {.cores = 4};
    struct hd_event_desc d = *decoded;
    struct hd_engine *engine;
    struct hd_host *host;
    uint64_t tag = 0;
    enum hd_status st;

    CHECK(hd_host_create(&hc, &host) == HD_OK);
    CHECK(hd_engine_create(hd_host_ops(host), NULL, &engine) == HD_OK);
    st = hd_event_register(engine, &d, &tag);
    if (st == HD_OK) {
        registered++;
        CHECK(hd_event_clear(engine, tag) == HD_OK);
    } else
        CHECK(HD_FAILED(st) && hd_status_name(st) != NULL);
    hd_engine_destroy(engine);
    CHECK(hd_host_live_allocations(host) == 0);
    hd_host_destroy(host);
}

static void print_counts(void)
{
    fprintf(stderr,
            "fuzz_wire_file: %lu inputs: %lu split, %lu decoded and re-encoded, %lu registered\n",
            inputs, split_ok, decoded_ok, registered);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    atexit(print_counts);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hd_wire_file split;
    static struct hd_wire_file_decoded dec, no_core_check, again;
    uint8_t *file = malloc(size ? size : 1), *encoded = NULL;
    size_t encoded_size = 0;
    uint32_t code, decoded;

    if (!file)
        return 0;
    memcpy(file, data, size);
    inputs++;
    code = hd_wire_file_split(file, size, &split);
    split_ok += code == HD_WIRE_OK;
    check_split(file, size, code, &split);

    decoded = hd_wire_file_decode(file, size, 4, &dec);
    if (code != HD_WIRE_OK) {
        CHECK(decoded == code);
        CHECK(dec.error_index == split.error_index && dec.error_offset == split.error_offset);
    } else {
        CHECK(dec.error_offset <= size && dec.error_index <= split.action_count);
    }
    if (decoded == HD_WIRE_OK) {
        decoded_ok++;
        CHECK(hd_wire_file_decode(file, size, 0, &no_core_check) == HD_WIRE_OK);
        CHECK(dec.event.action_count == split.action_count);
        /* Re-encoded, it decodes to the same event. */
        CHECK(hd_wire_encode_file(&dec.event, dec.event.tag, &encoded, &encoded_size) == HD_OK);
        CHECK(hd_wire_file_decode(encoded, encoded_size, 4, &again) == HD_WIRE_OK);
        CHECK(same_event(&dec.event, &again.event));
        check_registers(&dec.event);
        free(encoded);
    }
    free(file);
    return 0;
}

#else /* HD_FUZZ_SEEDS: write seed FILEs made by the encoder */

/* HyperDbg's doc condition (rdx == 0x1000) and custom code (r8 'HDBG' -> 'HDB2'). */
static const uint8_t SEED_COND[] = {0x48, 0x8B, 0x59, 0x10, 0x48, 0x81, 0xFB, 0x00, 0x10,
                                    0x00, 0x00, 0x74, 0x05, 0x48, 0x31, 0xC0, 0xEB, 0x07,
                                    0x48, 0xC7, 0xC0, 0x01, 0x00, 0x00, 0x00, 0xC3};
static const uint8_t SEED_CODE[] = {0x48, 0x8B, 0x5A, 0x40, 0x48, 0x81, 0xFB, 0x48,
                                    0x44, 0x42, 0x47, 0x74, 0x02, 0xEB, 0x08, 0x48,
                                    0xC7, 0x42, 0x40, 0x48, 0x44, 0x42, 0x32, 0xC3};

static int write_seed(const char *dir, unsigned n, const struct hd_event_desc *d, uint64_t tag)
{
    char path[4096];
    uint8_t *buf;
    size_t len;
    FILE *f;

    if (hd_wire_encode_file(d, tag, &buf, &len) != HD_OK)
        return 1;
    snprintf(path, sizeof(path), "%s/seed-%03u", dir, n);
    f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len) {
        free(buf);
        if (f)
            fclose(f);
        return 1;
    }
    free(buf);
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    struct hd_script_program script;
    struct hd_action_desc acts[4];
    struct hd_event_desc d;
    unsigned n = 0;
    int bad = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    if (hd_script_compile("printf(\"VMCALL executed with context: %llx\\n\", $context);",
                          &script, NULL) != HD_OK) {
        fprintf(stderr, "%s: the seed script does not compile\n", argv[0]);
        return 1;
    }
    hd_action_desc_init(&acts[0], HD_ACTION_CODE);
    acts[0].code = SEED_CODE;
    acts[0].code_size = sizeof(SEED_CODE);
    acts[0].buffer_size = 0x10;
    hd_action_desc_init(&acts[1], HD_ACTION_BREAK);
    hd_action_desc_init(&acts[2], HD_ACTION_SCRIPT);
    acts[2].script = script.code;
    acts[2].script_size = script.size;
    acts[2].immediate = false;
    hd_action_desc_init(&acts[3], HD_ACTION_CODE);
    acts[3].code = SEED_COND; /* any code: these bytes return */
    acts[3].code_size = sizeof(SEED_COND);
    /* Every number of actions, with and without a condition, over the filters and stages. */
    for (unsigned v = 0; v < 10; v++) {
        hd_event_desc_init(&d);
        d.pid = v & 1 ? 0x490 : HD_ALL;
        d.core = v & 2 ? v % 4 : HD_ALL;
        d.stage = (enum hd_stage)(1 + v % 3);
        d.short_circuit = d.stage == HD_STAGE_PRE && (v & 4);
        d.enabled = v != 3;
        d.script_steps = v == 7 ? 500 : 0;
        if (v & 1) {
            d.condition.kind = HD_CONDITION_RAW;
            d.condition.code = SEED_COND;
            d.condition.code_size = sizeof(SEED_COND);
        }
        d.actions = acts;
        d.action_count = v % 5;
        bad |= write_seed(argv[1], n++, &d, HD_TAG_BASE + v);
    }
    hd_script_program_free(&script);
    if (bad)
        fprintf(stderr, "%s: could not write every seed\n", argv[0]);
    printf("wrote %u seeds to %s\n", n, argv[1]);
    return bad;
}

#endif
