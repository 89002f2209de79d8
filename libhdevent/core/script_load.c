/* SPDX-License-Identifier: MIT */
/*
 * Loading a script action (writer context): verify the bytecode, bind its `.name` globals to
 * the engine's table, decode it into aligned native instructions, give every core its own
 * slots, and recognise the fast-path filter. Everything a run touches is allocated here, once:
 * the dispatch path never allocates (DESIGN.md, "The hot path").
 *
 * The engine-wide state (the globals' values and names, the per-core queues of deferred event
 * requests) is made at the first script registration and lives until the engine goes, so a
 * published script's pointer into it never dangles.
 */
#include "internal/engine.h"
#include "internal/le.h"
#include "internal/script.h"

/* ---- engine-wide state --------------------------------------------------------------------- */

static enum hd_status state_create(struct hd_engine *e)
{
    struct hd_script_state *st = hd__zalloc(e, sizeof(*st));

    if (!st)
        return HD_ERR_NO_MEMORY;
    st->capacity = e->script_globals;
    st->values = hd__zalloc(e, (size_t)st->capacity * sizeof(uint64_t));
    st->names = hd__zalloc(e, (size_t)st->capacity * sizeof(*st->names));
    st->pending_raw = hd__zalloc(e, (size_t)e->core_count * sizeof(struct hd_script_pending) +
                                        HD_CACHELINE);
    if (!st->values || !st->names || !st->pending_raw) {
        hd__free(e, st->values);
        hd__free(e, st->names);
        hd__free(e, st->pending_raw);
        hd__free(e, st);
        return HD_ERR_NO_MEMORY;
    }
    st->pending = (struct hd_script_pending *)hd_align_up((uintptr_t)st->pending_raw,
                                                          HD_CACHELINE);
    hd_store_release(&e->script, st); /* hd_engine_run_deferred reads it without the lock */
    return HD_OK;
}

void hd__script_state_settle(struct hd_engine *e, bool success)
{
    struct hd_script_state *st = e->script;
    if (!st)
        return;
    if (success)
        st->kept = true;
    else if (!st->kept && !st->users)
        hd__script_state_free(e);
}

void hd__script_state_free(struct hd_engine *e)
{
    struct hd_script_state *st = e->script;
    if (!st)
        return;
    hd__free(e, st->values);
    hd__free(e, st->names);
    hd__free(e, st->pending_raw);
    hd__free(e, st);
    hd_store_release(&e->script, (struct hd_script_state *)NULL);
}

/* ---- globals ------------------------------------------------------------------------------ */

/* The engine slot of @name (@len bytes), or capacity when it has none yet. */
static uint32_t global_find(const struct hd_script_state *st, const char *name, uint32_t len)
{
    for (uint32_t g = 0; g < st->count; g++)
        if (hd_memcmp(st->names[g], name, len) == 0 && st->names[g][len] == '\0')
            return g;
    return st->capacity;
}

static uint32_t name_len(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return n; /* verified: 1..HD_SCRIPT_NAME_MAX */
}

/*
 * Bind the program's globals (table @table, names in @strings) to engine slots, appending new
 * names; @slots receives each one's slot. Fails, binding nothing new, when the names that are
 * new do not fit.
 */
static enum hd_status globals_bind(struct hd_script_state *st, const uint8_t *table,
                                   const char *strings, uint32_t count, uint16_t *slots)
{
    uint32_t fresh = 0;

    for (uint32_t g = 0; g < count; g++) {
        const char *name = strings + hd__le_rd32(table, (size_t)g * 4);
        fresh += global_find(st, name, name_len(name)) == st->capacity;
    }
    if (st->count + fresh > st->capacity)
        return HD_ERR_SCRIPT_GLOBALS;
    for (uint32_t g = 0; g < count; g++) {
        const char *name = strings + hd__le_rd32(table, (size_t)g * 4);
        uint32_t len = name_len(name), slot = global_find(st, name, len);
        if (slot == st->capacity) {
            slot = st->count++;
            hd_memcpy(st->names[slot], name, len);
            st->names[slot][len] = '\0';
        }
        slots[g] = (uint16_t)slot;
    }
    return HD_OK;
}

/* ---- the program -------------------------------------------------------------------------- */

static uint16_t rd16(const uint8_t *b, size_t off)
{
    return (uint16_t)(b[off] | b[off + 1] << 8);
}

/* Decode the verified instructions; global operands become engine slots. */
static void decode_code(struct hd_sinsn *out, const uint8_t *in, uint32_t count,
                        const uint16_t *gslots)
{
    for (uint32_t k = 0; k < count; k++, in += HD_SCRIPT_INSN_SIZE) {
        uint16_t v[3] = {rd16(in, 2), rd16(in, 4), rd16(in, 6)};
        for (unsigned f = 0; f < 3; f++)
            if (hd_script_operand_kind(in[0], f) == HD_SOPND_GLOBAL)
                v[f] = gslots[v[f]];
        out[k] = (struct hd_sinsn){.op = in[0], .flags = in[1], .d = v[0], .a = v[1], .b = v[2]};
    }
}

uint64_t hd__script_scratch_bytes(const struct hd_script_info *info, uint32_t cores)
{
    return (uint64_t)hd_align_up((uint64_t)info->slot_count * 8, (uint64_t)HD_CACHELINE) * cores;
}

/* The block holding the script, its code, constants and strings, decoded from @b. */
static struct hd_script *build(struct hd_engine *e, const uint8_t *b,
                               const struct hd_script_info *i, const uint16_t *gslots)
{
    size_t code_off = hd_align_up(sizeof(struct hd_script), (size_t)16);
    size_t const_off = code_off + (size_t)i->insn_count * sizeof(struct hd_sinsn);
    size_t str_off = const_off + (size_t)i->const_count * 8;
    const uint8_t *insns = b + HD_SCRIPT_HEADER_SIZE;
    const uint8_t *consts = insns + (size_t)i->insn_count * HD_SCRIPT_INSN_SIZE;
    const uint8_t *strings = consts + (size_t)i->const_count * 8 + (size_t)i->global_count * 4;
    uint8_t *raw = hd__zalloc(e, str_off + i->string_bytes);
    struct hd_script *s = (struct hd_script *)raw;
    uint64_t *k;

    if (!raw)
        return NULL;
    s->raw = raw;
    s->code = (const struct hd_sinsn *)(raw + code_off);
    decode_code((struct hd_sinsn *)(raw + code_off), insns, i->insn_count, gslots);
    k = (uint64_t *)(raw + const_off);
    for (uint32_t c = 0; c < i->const_count; c++)
        k[c] = hd__le_rd64(consts, (size_t)c * 8);
    s->consts = k;
    if (i->string_bytes)
        hd_memcpy(raw + str_off, strings, i->string_bytes);
    s->strings = (const char *)(raw + str_off);
    s->string_bytes = i->string_bytes;
    s->insn_count = i->insn_count;
    s->slot_count = (uint16_t)i->slot_count;
    s->local_count = (uint16_t)i->local_count;
    return s;
}

/* Per-core slots: whole cache lines each, so cores never write a shared line. */
static enum hd_status scratch_alloc(struct hd_engine *e, struct hd_script *s,
                                    const struct hd_script_info *i)
{
    s->stride = (uint32_t)hd_align_up((uint64_t)i->slot_count * 8, (uint64_t)HD_CACHELINE);
    s->scratch_bytes = hd__script_scratch_bytes(i, e->core_count);
    if (!s->stride)
        return HD_OK;
    s->scratch_raw = hd__zalloc(e, (size_t)s->scratch_bytes + HD_CACHELINE);
    if (!s->scratch_raw)
        return HD_ERR_NO_MEMORY;
    s->scratch = (uint8_t *)hd_align_up((uintptr_t)s->scratch_raw, HD_CACHELINE);
    return HD_OK;
}

enum hd_status hd__script_load(struct hd_engine *e, const void *code, uint32_t size,
                               uint32_t steps, struct hd_script **out)
{
    const uint8_t *b = code;
    uint16_t gslots[HD_SCRIPT_GLOBALS_MAX];
    struct hd_script_info info;
    struct hd_script *s = NULL;
    bool created = false;
    uint32_t bound;
    enum hd_status st;

    HD_CHECK(hd_script_verify(code, size, &info));
    if (steps > HD_SCRIPT_STEPS_MAX)
        return HD_ERR_SCRIPT_BUDGET;
    if (!e->script) {
        HD_CHECK(state_create(e));
        created = true;
    }
    bound = e->script->count;
    st = globals_bind(e->script, b + HD_SCRIPT_HEADER_SIZE +
                                     (size_t)info.insn_count * HD_SCRIPT_INSN_SIZE +
                                     (size_t)info.const_count * 8,
                      (const char *)b + size - info.string_bytes, info.global_count, gslots);
    if (HD_SUCCESS(st)) {
        s = build(e, b, &info, gslots);
        st = s ? scratch_alloc(e, s, &info) : HD_ERR_NO_MEMORY;
    }
    if (HD_FAILED(st)) {
        hd__script_free(e, s);
        for (uint32_t g = bound; g < e->script->count; g++)
            hd_memset(e->script->names[g], 0, sizeof(e->script->names[g]));
        e->script->count = bound; /* names bound by this call go again: nothing ran them */
        if (created)
            hd__script_state_free(e);
        return st;
    }
    s->globals = e->script->values;
    e->script->users++;
    s->steps = steps ? steps : HD_SCRIPT_STEPS_DEFAULT;
    s->bytes = size;
    hd__script_fast_build(s);
    *out = s;
    return HD_OK;
}

void hd__script_free(struct hd_engine *e, struct hd_script *s)
{
    if (!s)
        return;
    if (s->globals) /* loaded: it counts as a user of the engine's state */
        e->script->users--;
    hd__free(e, s->scratch_raw);
    hd__free(e, s->raw);
}
