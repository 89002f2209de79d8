/* SPDX-License-Identifier: MIT */
/*
 * Disassembly reads back: decode -> hd_code_disasm() text -> hd_asm_assemble() -> the same
 * bytes, or at least the same instruction, for
 *
 *   - every instruction in the project's own buffers: each run of bytes written as
 *     `0x48, 0x8B, ...` or `\x48\x8B...` in tests/ and examples/, and each hex `code {…}` /
 *     `condition {…}` body in tests/, examples/, docs/ and README.md, decoded from its start;
 *   - 4000 random encodings: random bytes (a fixed seed) behind one of the opcode maps' leading
 *     bytes (none, 0F, 0F 38, 0F 3A, C4, C5, 62, 8F, 0F 0F), kept when Zydis decodes them.
 *
 * "The same instruction" means hd_code_disasm() prints the reassembled bytes exactly as it
 * printed the original: Intel syntax has one text for several encodings (redundant prefixes,
 * the two directions of `mov r, r`, imm8 or imm32, short or near, VEX or EVEX, ...) and the
 * assembler picks one of them; docs/asm.md says which and why. Anything else fails the test.
 * Knights Corner (MVEX) encodings are left out: the assembler does not write them.
 */
#define _DEFAULT_SOURCE /* DT_REG */

#include "helpers.h"

#include <dirent.h>
#include <stdio.h>

#include <Zydis/Zydis.h>
#include <hdevent/asm.h>
#include <hdevent/code.h>

#ifndef HDEVENT_SOURCE_DIR
#error "tests/CMakeLists.txt defines HDEVENT_SOURCE_DIR for this test"
#endif

#define RANDOM_CORPUS 4000u

struct tally {
    unsigned instructions, exact, same_text, shorter, longer, same_length;
    /* The distinct instructions seen (bytes, length first), for the count printed. */
    uint8_t (*seen)[16];
    unsigned seen_count, seen_cap;
};

static void remember(struct tally *t, const uint8_t *code, uint8_t len)
{
    if (t->seen_count == t->seen_cap) {
        t->seen_cap = t->seen_cap ? 2 * t->seen_cap : 1024;
        t->seen = realloc(t->seen, sizeof(*t->seen) * t->seen_cap);
        assert_non_null(t->seen);
    }
    memset(t->seen[t->seen_count], 0, 16);
    t->seen[t->seen_count][0] = len;
    memcpy(&t->seen[t->seen_count][1], code, len);
    t->seen_count++;
}

static int cmp16(const void *a, const void *b)
{
    return memcmp(a, b, 16);
}

/* Distinct instructions remembered; frees the list. */
static unsigned distinct(struct tally *t)
{
    unsigned n = 0;
    if (t->seen_count)
        qsort(t->seen, t->seen_count, 16, cmp16);
    for (unsigned i = 0; i < t->seen_count; i++)
        n += i == 0 || memcmp(t->seen[i - 1], t->seen[i], 16) != 0;
    free(t->seen);
    t->seen = NULL;
    return n;
}

/* Round-trip the instruction at the start of @p code (@p size bytes, at least its length). */
static void round_trip(const uint8_t *code, uint32_t size, struct tally *t, const char *where)
{
    struct hd_code_insn in, back;
    struct hd_asm_result r;
    struct hd_asm_error e;
    char msg[512];

    assert_int_equal(hd_code_disasm(code, size, 0, &in), HD_OK);
    assert_true(in.valid);
    t->instructions++;
    remember(t, code, (uint8_t)in.length);
    if (hd_asm_assemble(in.text, 0, &r, &e) != HD_OK) {
        hd_asm_error_format(&e, in.text, 0, msg, sizeof(msg));
        fail_msg("%s: '%s' does not assemble: %s", where, in.text, msg);
    }
    if (r.size == in.length && memcmp(r.bytes, code, r.size) == 0) {
        t->exact++;
    } else {
        assert_int_equal(hd_code_disasm(r.bytes, r.size, 0, &back), HD_OK);
        if (!back.valid || back.length != r.size || strcmp(back.text, in.text) != 0)
            fail_msg("%s: '%s' (%u bytes) assembles to %u bytes that read '%s'", where, in.text,
                     in.length, r.size, back.text);
        t->same_text++;
        if (getenv("HDEVENT_ROUNDTRIP_VERBOSE"))
            print_message("%s: '%s' comes back in other bytes\n", where, in.text);
        t->shorter += r.size < in.length;
        t->longer += r.size > in.length;
        t->same_length += r.size == in.length;
    }
    hd_asm_free(&r);
}

static bool is_mvex(const uint8_t *code, size_t size)
{
    ZydisDecoder d;
    ZydisDecodedInstruction insn;

    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    return ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&d, NULL, code, size, &insn)) &&
           insn.encoding == ZYDIS_INSTRUCTION_ENCODING_MVEX;
}

/* Every instruction of a buffer, from its start until bytes do not decode. */
static void round_trip_buffer(const uint8_t *code, uint32_t size, struct tally *t,
                              const char *where)
{
    struct hd_code_insn in;

    for (uint32_t off = 0; off < size; off += in.length) {
        if (hd_code_disasm(code, size, off, &in) != HD_OK || !in.valid)
            return;
        if (!is_mvex(code + off, size - off))
            round_trip(code + off, size - off, t, where);
    }
}

/* ---- the project's buffers ------------------------------------------------------------------ */

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* A byte written `0xHH` or `\xHH` at @p p (exactly two digits). */
static int prefixed_byte(const char *p, const char *end, char lead)
{
    if (end - p < 4 || p[0] != lead || (p[1] | 0x20) != 'x' || hex(p[2]) < 0 || hex(p[3]) < 0 ||
        (end - p > 4 && hex(p[4]) >= 0))
        return -1;
    return hex(p[2]) << 4 | hex(p[3]);
}

/* Runs of 0xHH (separated by commas and blanks) and of \xHH in @p text. */
static void scan_prefixed(const char *text, size_t n, struct tally *t, const char *where)
{
    static uint8_t buf[65536];
    const char *p = text, *end = text + n;

    while (p < end) {
        char lead = p[0] == '0' ? '0' : p[0] == '\\' ? '\\' : 0;
        uint32_t k = 0;
        int b;
        while (lead && k < sizeof(buf) && (b = prefixed_byte(p, end, lead)) >= 0) {
            buf[k++] = (uint8_t)b;
            p += 4;
            while (lead == '0' && p < end && (*p == ',' || *p == ' ' || *p == '\n' || *p == '\t'))
                p++;
        }
        if (k >= 2)
            round_trip_buffer(buf, k, t, where);
        if (k == 0)
            p++;
    }
}

/* `code {48 8B ...}` and `condition {...}`: hex pairs between blanks. */
static void scan_bodies(const char *text, size_t n, struct tally *t, const char *where)
{
    static uint8_t buf[65536];
    const char *keys[] = {"code {", "condition {"};

    for (int kind = 0; kind < 2; kind++) {
        const char *p = text;
        while ((p = strstr(p, keys[kind])) != NULL && p < text + n) {
            uint32_t k = 0;
            p += strlen(keys[kind]);
            while (k < sizeof(buf) && hex(p[0]) >= 0 && hex(p[1]) >= 0 &&
                   (p[2] == ' ' || p[2] == '}')) {
                buf[k++] = (uint8_t)(hex(p[0]) << 4 | hex(p[1]));
                p += 2;
                if (*p == '}')
                    break;
                p++;
            }
            if (*p == '}' && k)
                round_trip_buffer(buf, k, t, where);
        }
    }
}

static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *s;
    long len;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    s = malloc((size_t)len + 1);
    if (s && fread(s, 1, (size_t)len, f) != (size_t)len) {
        free(s);
        s = NULL;
    }
    fclose(f);
    if (s) {
        s[len] = '\0';
        *n = (size_t)len;
    }
    return s;
}

static unsigned scan_dir(const char *dir, bool prefixed, struct tally *t)
{
    char path[1024];
    unsigned files = 0;
    DIR *d;
    struct dirent *e;

    snprintf(path, sizeof(path), "%s/%s", HDEVENT_SOURCE_DIR, dir);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t n;
        char *text;
        if (e->d_name[0] == '.' || e->d_type != DT_REG)
            continue;
        snprintf(path, sizeof(path), "%s/%s/%s", HDEVENT_SOURCE_DIR, dir, e->d_name);
        if (!(text = read_all(path, &n)))
            continue;
        files++;
        if (prefixed)
            scan_prefixed(text, n, t, path);
        scan_bodies(text, n, t, path);
        free(text);
    }
    closedir(d);
    return files;
}

static void every_instruction_of_the_projects_buffers(void **state)
{
    static const struct {
        const char *dir;
        bool prefixed;
    } dirs[] = {
        {"tests/unit", true},  {"tests/conformance", true}, {"tests/scenarios", false},
        {"tests/cli", false},  {"examples", true},          {"docs", false},
        {"docs/backends", false}, {".", false},
    };
    struct tally t = {0};
    unsigned files = 0;
    (void)state;

    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        files += scan_dir(dirs[i].dir, dirs[i].prefixed, &t);
    print_message("project buffers: %u instructions (%u distinct) from %u files: %u byte for "
                  "byte, %u as the same instruction (%u shorter, %u as long, %u longer)\n",
                  t.instructions, distinct(&t), files, t.exact, t.same_text, t.shorter,
                  t.same_length, t.longer);
    /* The scan found the buffers it was written for (HyperDbg's two docs buffers alone are
     * 14 instructions, seen many times over). */
    assert_true(t.instructions >= 500);
    assert_true(t.exact * 10 >= t.instructions * 9);
}

/* ---- random encodings ---------------------------------------------------------------------- */

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void random_valid_encodings(void **state)
{
    static const uint8_t leads[][3] = {{0}, {0x0F}, {0x0F, 0x38}, {0x0F, 0x3A}, {0xC4},
                                       {0xC5}, {0x62}, {0x8F}, {0x0F, 0x0F}};
    static const uint8_t lead_len[] = {0, 1, 2, 2, 1, 1, 1, 1, 2};
    struct tally t = {0};
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    unsigned tries = 0, mvex = 0;
    char where[64];
    (void)state;

    while (t.instructions < RANDOM_CORPUS) {
        uint8_t b[15];
        struct hd_code_insn in;
        unsigned lead = tries++ % 9;
        assert_true(tries < RANDOM_CORPUS * 1000);
        for (int i = 0; i < 15; i++)
            b[i] = (uint8_t)xorshift(&seed);
        memcpy(b, leads[lead], lead_len[lead]);
        if (hd_code_disasm(b, sizeof(b), 0, &in) != HD_OK || !in.valid)
            continue;
        if (is_mvex(b, sizeof(b))) {
            mvex++;
            continue;
        }
        snprintf(where, sizeof(where), "random encoding %u", t.instructions);
        round_trip(b, in.length, &t, where);
    }
    print_message("random encodings: %u (%u distinct; from %u tries, %u MVEX left out): %u byte "
                  "for byte, %u as the same instruction (%u shorter, %u as long, %u longer)\n",
                  t.instructions, distinct(&t), tries, mvex, t.exact, t.same_text, t.shorter,
                  t.same_length, t.longer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_instruction_of_the_projects_buffers),
        cmocka_unit_test(random_valid_encodings),
    };
    return cmocka_run_group_tests_name("disassembly reads back", tests, NULL, NULL);
}
