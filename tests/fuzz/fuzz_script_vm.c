/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_script_vm.c — libFuzzer harness for the script VM and its fast path.
 *
 * Random bytes rarely pass the verifier, so this harness builds a program the verifier must
 * accept from its input (structure-aware), registers it on the host backend and takes exits:
 *
 *   b[0]  slots (2..17) and, with b[1], locals; b[2] bit 0: differential mode, bit 1: a
 *         16-byte buffer, bits 2-7: the step budget (64..4096); b[3]: global count (1..4) and
 *         how many filter terms (0..4) the program starts with (the fast path's shape:
 *         `ldr|ldp t` / compare with #k / jz|jnz forward);
 *   then 6 bytes per instruction (at most 200): the opcode (mod 41), a flag byte and three
 *         operand bytes reduced into the range of what the operand holds (slots, constants,
 *         registers, views, pseudo-registers, globals, jump targets anywhere in the program,
 *         printf formats with their argument counts, widths, event operations); an END last.
 *   The constant pool mixes the input's bytes with edge values (0, 1, -1, 2^63, the simulated
 *   memory's first and last bytes and the byte past it); the exits' registers come from it.
 *
 * Invariants (abort on failure): the verifier accepts the program; registration succeeds;
 * two exits (cores 0 and 1) run it with 64 bytes of zeroed simulated guest memory at 0x1000
 * (one host for every input, a fresh engine for every run); every message is a print or a
 * run error (steps, divide by zero, memory, event queue); after the engine is destroyed the
 * host holds no allocation. ASan watches that the VM reads and writes
 * nothing outside the program's own state, the registers, the buffer and mapped memory.
 *
 * Differential mode: the same program also runs as `jmp 1` + the program (jumps moved by one,
 * one more step), which the fast path never takes (it only recognises a filter at
 * instruction 0), on a second fresh engine; both must print the same text, report the same run
 * errors, leave the same registers, memory and verdicts. So a filter run as fixed compares
 * behaves exactly like the interpreter. ($buffer and rdtsc, which differ between engines, are
 * replaced by $context and a constant in this mode.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdevent/script_bytecode.h>

#define FUZZ_NAME "fuzz_script_vm"
#include "script_fuzz.h"

#define MAX_INSNS 200u
#define NCONSTS 12u
#define MEM_BASE 0x1000u
#define MEM_SIZE 0x40u

/* The string pool: four printf formats (offset, conversions), then the global names. */
static const char POOL[] = "%llx %d\n\0hi\0%c%p%%%llX%u%lld%x%X\0"
                           "%llu%llu%llu%llu%llu%llu%llu%llu\0g0\0g1\0g2\0g3";
static const uint16_t FMT_ARGS[4] = {2, 0, 7, 8};
static uint16_t FMT_OFF[4], NAME_OFF[4]; /* found in POOL by pool_offsets() */

static void pool_offsets(void)
{
    uint16_t off = 0;
    for (unsigned s = 0; s < 8; s++) {
        if (s < 4)
            FMT_OFF[s] = off;
        else
            NAME_OFF[s - 4] = off;
        off = (uint16_t)(off + strlen(POOL + off) + 1);
    }
}

struct gen {
    const uint8_t *in;
    size_t n, pos;
    uint32_t slots, locals, globals, consts_n, insns, steps, buffer;
    bool diff;
    uint64_t consts[NCONSTS];
    uint8_t code[MAX_INSNS + 2][8];
};

static uint8_t take(struct gen *g)
{
    return g->pos < g->n ? g->in[g->pos++] : 0;
}

static uint16_t take16(struct gen *g)
{
    uint16_t lo = take(g);
    return (uint16_t)(lo | take(g) << 8);
}

static void put(struct gen *g, uint32_t i, uint32_t op, uint32_t flags, uint32_t d, uint32_t a,
                uint32_t b)
{
    uint8_t *c = g->code[i];
    c[0] = (uint8_t)op, c[1] = (uint8_t)flags;
    c[2] = (uint8_t)d, c[3] = (uint8_t)(d >> 8);
    c[4] = (uint8_t)a, c[5] = (uint8_t)(a >> 8);
    c[6] = (uint8_t)b, c[7] = (uint8_t)(b >> 8);
}

/* An operand of kind @k from the input byte @v. */
static uint32_t operand(struct gen *g, enum hd_script_operand k, uint32_t v, bool konst)
{
    switch (k) {
    case HD_SOPND_SLOT:
        return v % g->slots;
    case HD_SOPND_SLOTK:
        return konst ? v % g->consts_n : v % g->slots;
    case HD_SOPND_CONST:
        return v % g->consts_n;
    case HD_SOPND_REG:
        return v % 16;
    case HD_SOPND_VIEW:
        return v % 5;
    case HD_SOPND_PSEUDO:
        v %= HD_SCRIPT_PSEUDO_COUNT;
        return g->diff && v == HD_SCRIPT_PSEUDO_BUFFER ? HD_SCRIPT_PSEUDO_CONTEXT : v;
    case HD_SOPND_GLOBAL:
        return v % g->globals;
    case HD_SOPND_TARGET:
        return v % g->insns;
    case HD_SOPND_WIDTH:
        return v % 4;
    case HD_SOPND_EVOP:
        return v % 3;
    case HD_SOPND_PAIR:
        return v % (g->slots - 1);
    default:
        return 0;
    }
}

static void gen_insn(struct gen *g, uint32_t i)
{
    uint32_t op = take(g) % HD_SOP_COUNT, flags = take(g);
    uint32_t v[3] = {take(g), take(g), take(g)};
    bool konst = hd_script_operand_kind(op, 2) == HD_SOPND_SLOTK && (flags & 1);

    if (op == HD_SOP_PRINTF) {
        uint32_t f = v[0] % 4;
        if (FMT_ARGS[f] > g->slots)
            f = 1;
        /* no argument: the first argument slot must be 0 (the verifier's rule) */
        put(g, i, op, 0, FMT_OFF[f], FMT_ARGS[f] ? v[1] % (g->slots - FMT_ARGS[f] + 1) : 0,
            FMT_ARGS[f]);
        return;
    }
    if (op == HD_SOP_RDTSC && g->diff) { /* the counter differs between the two runs */
        put(g, i, HD_SOP_LDK, 0, v[0] % g->slots, v[1] % g->consts_n, 0);
        return;
    }
    put(g, i, op, konst ? HD_SCRIPT_K : 0, operand(g, hd_script_operand_kind(op, 0), v[0], 0),
        operand(g, hd_script_operand_kind(op, 1), v[1], 0),
        operand(g, hd_script_operand_kind(op, 2), v[2], konst));
}

/* Filter term @k at instructions 3k..3k+2, jumping forward (into or past the chain). */
static void gen_term(struct gen *g, uint32_t k)
{
    uint32_t src = take(g), cmp = HD_SOP_EQ + take(g) % 6, t = take(g) % g->slots;
    uint32_t d = take(g) % g->slots, jump = take(g), pc = 3 * k;

    if (src % 3 == 0)
        put(g, pc, HD_SOP_LDP, 0, t, src & 4 ? HD_SCRIPT_PSEUDO_PID : HD_SCRIPT_PSEUDO_CORE, 0);
    else
        put(g, pc, HD_SOP_LDR, 0, t, src % 16, HD_SCRIPT_VIEW_64);
    put(g, pc + 1, cmp, HD_SCRIPT_K, d, t, take(g) % g->consts_n);
    put(g, pc + 2, jump & 1 ? HD_SOP_JNZ : HD_SOP_JZ, 0,
        pc + 3 + (jump >> 1) % (g->insns - pc - 3), d, 0);
}

static void gen_consts(struct gen *g)
{
    static const uint64_t edge[] = {0, 1, ~0ull, 1ull << 63, MEM_BASE, MEM_BASE + MEM_SIZE - 1,
                                    MEM_BASE + MEM_SIZE, 4};
    g->consts_n = NCONSTS;
    for (uint32_t c = 0; c < NCONSTS; c++) {
        uint64_t v = c < 8 ? edge[c] : 0;
        if (c >= 8)
            for (unsigned b = 0; b < 8; b++)
                v |= (uint64_t)take(g) << (8 * b);
        g->consts[c] = v;
    }
}

/* Build the program from the input; returns its instruction count (END included). */
static void generate(struct gen *g, const uint8_t *in, size_t n)
{
    uint32_t terms, flags;

    memset(g, 0, sizeof(*g));
    g->in = in, g->n = n;
    g->slots = 2 + take(g) % 16;
    g->locals = take(g) % (g->slots + 1);
    flags = take(g);
    g->diff = flags & 1;
    g->buffer = flags & 2 ? 16 : 0;
    g->steps = 64 + (flags >> 2) * 64;
    terms = take(g);
    g->globals = 1 + terms % 4;
    terms = (terms >> 2) % 5;
    gen_consts(g);
    g->insns = (uint32_t)((n - g->pos) / 6);
    g->insns = (g->insns > MAX_INSNS ? MAX_INSNS : g->insns) + 1; /* + the END */
    if (3 * terms + 1 > g->insns)
        terms = 0;
    for (uint32_t k = 0; k < terms; k++)
        gen_term(g, k);
    for (uint32_t i = 3 * terms; i + 1 < g->insns; i++)
        gen_insn(g, i);
    put(g, g->insns - 1, HD_SOP_END, 0, 0, 0, 0);
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (unsigned b = 0; b < 4; b++)
        p[b] = (uint8_t)(v >> (8 * b));
}

/* The bytecode of @g, with @shift extra leading `jmp 1` (0 or 1). Returns its size. */
static uint32_t encode(const struct gen *g, uint32_t shift, uint8_t *out)
{
    uint32_t insns = g->insns + shift, at = HD_SCRIPT_HEADER_SIZE;

    memset(out, 0, HD_SCRIPT_HEADER_SIZE);
    wr32(out, HD_SCRIPT_MAGIC);
    out[4] = HD_SCRIPT_VERSION, out[6] = HD_SCRIPT_HEADER_SIZE;
    wr32(out + HD_SCRIPT_H_INSNS, insns);
    wr32(out + HD_SCRIPT_H_CONSTS, g->consts_n);
    wr32(out + HD_SCRIPT_H_GLOBALS, g->globals);
    wr32(out + HD_SCRIPT_H_STRINGS, sizeof(POOL));
    out[HD_SCRIPT_H_SLOTS] = (uint8_t)g->slots;
    out[HD_SCRIPT_H_LOCALS] = (uint8_t)g->locals;
    if (shift) {
        memset(out + at, 0, 8);
        out[at] = HD_SOP_JMP, out[at + 2] = 1;
        at += 8;
    }
    for (uint32_t i = 0; i < g->insns; i++, at += 8) {
        memcpy(out + at, g->code[i], 8);
        if (shift && hd_script_operand_kind(out[at], 0) == HD_SOPND_TARGET) {
            uint32_t d = (uint32_t)(out[at + 2] | out[at + 3] << 8) + shift;
            out[at + 2] = (uint8_t)d, out[at + 3] = (uint8_t)(d >> 8);
        }
    }
    for (uint32_t c = 0; c < g->consts_n; c++, at += 8)
        for (unsigned b = 0; b < 8; b++)
            out[at + b] = (uint8_t)(g->consts[c] >> (8 * b));
    for (uint32_t n = 0; n < g->globals; n++, at += 4)
        wr32(out + at, NAME_OFF[n]);
    memcpy(out + at, POOL, sizeof(POOL));
    return at + (uint32_t)sizeof(POOL);
}

/* What two exits of the program did, as text, appended to @log (cut at @cap). */
static void observe(struct gen *g, const uint8_t *code, uint32_t size, uint32_t steps,
                    char *log, size_t cap)
{
    struct hd_host_config cfg = {.cores = 2, .log_to_stderr = false};
    /* A fresh engine with small queues for each run, on one host kept for every input (its
     * memory zeroed before each run): making a host or the default rings costs more than
     * the run. */
    struct hd_engine_config ecfg = {.message_slots = 16, .message_max_bytes = 512};
    static struct hd_host *host;
    struct hd_engine *engine = NULL;
    struct hd_action_desc a;
    struct hd_event_desc d;
    struct hd_message_info info;
    char data[600];
    size_t at = 0;
    uint64_t tag = 0;
    enum hd_status st;

#define LOG(...) (at += (size_t)snprintf(log + at, at < cap ? cap - at : 0, __VA_ARGS__))
    if (!host) {
        CHECK(hd_host_create(&cfg, &host) == HD_OK);
        CHECK(hd_host_memory_map(host, MEM_BASE, MEM_SIZE, NULL) == HD_OK);
    }
    memset(hd_host_memory(host, MEM_BASE, MEM_SIZE), 0, MEM_SIZE);
    CHECK(hd_engine_create(hd_host_ops(host), &ecfg, &engine) == HD_OK);
    hd_action_desc_init(&a, HD_ACTION_SCRIPT);
    a.script = code, a.script_size = size, a.buffer_size = g->buffer;
    hd_event_desc_init(&d);
    d.actions = &a, d.action_count = 1, d.script_steps = steps;
    st = hd_event_register(engine, &d, &tag);
    if (st != HD_OK) {
        fprintf(stderr, "registration: %s\n", hd_status_name(st));
        CHECK(st == HD_OK);
    }
    for (uint32_t core = 0; core < 2; core++) {
        struct hd_guest_regs regs;
        struct hd_vcpu vcpu;
        struct hd_exit x;
        for (unsigned r = 0; r < HD_GUEST_REG_COUNT; r++)
            *hd_guest_reg(&regs, r) = g->consts[(r * 7 + core * 3 + g->slots) % g->consts_n];
        hd_host_vcpu_init(&vcpu, &regs, core, core ? 4 : (uint32_t)g->consts[8]);
        CHECK(hd_host_vmcall(host, engine, &vcpu, &x) == HD_OK);
        LOG("exit %u: flags %x/%x fired %u/%u handled %d post %d regs", core, x.pre.flags,
            x.post.flags, x.pre.fired, x.post.fired, x.default_handled, x.post_ran);
        for (unsigned r = 0; r < HD_GUEST_REG_COUNT; r++)
            LOG(" %llx", (unsigned long long)*hd_guest_reg(&regs, r));
        LOG("\n");
        while (hd_message_read(engine, &info, data, sizeof(data) - 1) == HD_OK) {
            CHECK(info.kind == HD_MESSAGE_PRINT ||
                  (info.kind == HD_MESSAGE_SCRIPT_ERROR && run_error_kind(info.status)));
            data[info.size < sizeof(data) - 1 ? info.size : sizeof(data) - 1] = '\0';
            if (info.kind == HD_MESSAGE_PRINT)
                LOG("print core %u: %s\n", info.core, data);
            else
                LOG("error core %u: %s\n", info.core, hd_status_name(info.status));
        }
    }
    LOG("memory");
    for (uint32_t b = 0; b < MEM_SIZE; b++)
        LOG(" %02x", ((const uint8_t *)hd_host_memory(host, MEM_BASE, MEM_SIZE))[b]);
#undef LOG
    hd_engine_destroy(engine);
    CHECK(hd_host_live_allocations(host) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t code[2][HD_SCRIPT_HEADER_SIZE + 8 * (MAX_INSNS + 2) + 8 * NCONSTS + 16 +
                           sizeof(POOL)];
    static char log[2][16384];
    static struct gen g;
    struct hd_script_info info;
    uint32_t n[2];
    enum hd_status st;

    if (!FMT_OFF[1])
        pool_offsets();
    generate(&g, data, size);
    for (uint32_t shift = 0; shift < (g.diff ? 2u : 1u); shift++) {
        n[shift] = encode(&g, shift, code[shift]);
        st = hd_script_verify(code[shift], n[shift], &info);
        if (st != HD_OK) {
            fprintf(stderr, "verifier: %s at %u\n", hd_status_name(st), info.where);
            CHECK(st == HD_OK);
        }
        observe(&g, code[shift], n[shift], g.steps + shift, log[shift], sizeof(log[shift]));
    }
    if (g.diff && strcmp(log[0], log[1]) != 0) {
        fprintf(stderr, "== from instruction 0 (fast path)\n%s\n== after jmp 1 (VM only)\n%s\n",
                log[0], log[1]);
        CHECK(!"the two runs differ");
    }
    return 0;
}
