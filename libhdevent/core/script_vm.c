/* SPDX-License-Identifier: MIT */
/*
 * The script VM: one run of a verified program, on the dispatch path (VMX root, interrupts
 * off). No allocation: the slots are this core's, made at registration; messages are written
 * straight into this core's ring. No lock and no locked instruction, except the atomic
 * read-modify-writes the script itself asks for with interlocked_* (each one a lock-prefixed
 * instruction on x86, on the engine's globals only). No SIMD (the core is built with
 * -mgeneral-regs-only). Guest memory only through the backend's read_memory / write_memory,
 * except the bytes of this core's own pre-allocated buffer ($buffer), which are the action's.
 *
 * Every operand was range-checked by the verifier (script_verify.c), so nothing is checked
 * again here: the only checks left are the ones a run can fail — the step budget, a division
 * by zero, a memory access the backend refuses, a full queue of event requests. Each ends the
 * run (the action, not the exit) with an HD_ERR_SCRIPT_* message of the event.
 */
#include "internal/engine.h"
#include "internal/script.h"

/* ---- faults ------------------------------------------------------------------------------- */

/* A line of text, cut at the slot's size. */
struct text {
    char *p;
    uint32_t cap, len;
};

static void text_put(struct text *t, const char *s)
{
    for (; *s; s++, t->len++)
        if (t->len < t->cap)
            t->p[t->len] = *s;
}

static void text_hex(struct text *t, uint64_t v)
{
    char hex[19];
    text_put(t, hd__format_hex(hex, v, 1));
}

static void text_dec(struct text *t, uint64_t v)
{
    char dec[21];
    hd__script_decimal(dec, v);
    text_put(t, dec);
}

/* What a fault says besides its name and place. */
struct fault {
    enum hd_status status;
    const char *what;   /* "division by zero", "cannot read" … */
    uint64_t address;   /* memory faults: where */
    uint32_t width;     /* memory faults: how many bytes (0: not a memory fault) */
};

/* End the run: "HD_ERR_SCRIPT_…: <what> at instruction N" as a message of the event. */
static bool fault(const struct hd_script_run *r, const struct fault *f, uint32_t pc)
{
    uint8_t *slot = hd__message_begin(r->e, r->core);
    struct text t;

    if (!slot)
        return false; /* the queue is full: dropped and counted, as any message (S20) */
    t = (struct text){(char *)slot, r->e->message_max, 0};
    text_put(&t, hd_status_name(f->status));
    text_put(&t, ": ");
    text_put(&t, f->what);
    if (f->width) {
        text_put(&t, " ");
        text_dec(&t, f->width);
        text_put(&t, f->width == 1 ? " byte at " : " bytes at ");
        text_hex(&t, f->address);
    }
    text_put(&t, " (instruction ");
    text_dec(&t, pc);
    text_put(&t, ")");
    hd__message_commit(r->e, r->core, r->tag, r->immediate, HD_MESSAGE_SCRIPT_ERROR, f->status,
                       t.len);
    return false;
}

/* ---- services ----------------------------------------------------------------------------- */

/* @width bytes at @address inside this core's pre-allocated buffer? Then they are the action's
 * own, reached directly; everything else is guest memory, reached only through the backend. */
static uint8_t *in_buffer(const struct hd_script_run *r, uint64_t address, uint32_t width)
{
    uint64_t start = (uint64_t)(uintptr_t)r->buffer;
    if (!r->buffer || width > r->buffer_size || address < start ||
        address - start > r->buffer_size - width)
        return NULL;
    return r->buffer + (address - start);
}

static bool mem_read(const struct hd_script_run *r, uint64_t address, uint32_t width,
                     uint64_t *out)
{
    uint8_t *own = in_buffer(r, address, width);
    uint64_t v = 0;

    if (own)
        hd_memcpy(&v, own, width);
    else if (!r->e->ops.read_memory || !r->e->ops.read_memory(r->e->ops.user, address, &v, width))
        return false;
    *out = v; /* x86 is little-endian: the low bytes are the ones read */
    return true;
}

static bool mem_write(const struct hd_script_run *r, uint64_t address, uint32_t width,
                      uint64_t v)
{
    uint8_t *own = in_buffer(r, address, width);

    if (own) {
        hd_memcpy(own, &v, width);
        return true;
    }
    return r->e->ops.write_memory && r->e->ops.write_memory(r->e->ops.user, address, &v, width);
}

static uint64_t pseudo(const struct hd_script_run *r, uint32_t which)
{
    switch (which) {
    case HD_SCRIPT_PSEUDO_CONTEXT:
        return (uint64_t)(uintptr_t)r->context;
    case HD_SCRIPT_PSEUDO_PID:
        return r->vcpu->pid;
    case HD_SCRIPT_PSEUDO_TID:
        return r->e->ops.current_tid ? r->e->ops.current_tid(r->e->ops.user, r->vcpu) : 0;
    case HD_SCRIPT_PSEUDO_CORE:
        return r->core_index;
    case HD_SCRIPT_PSEUDO_IP:
        return r->vcpu->rip;
    case HD_SCRIPT_PSEUDO_BUFFER:
        return (uint64_t)(uintptr_t)r->buffer;
    case HD_SCRIPT_PSEUDO_EVENT_ID:
        return HD_EVENT_ID(r->tag);
    case HD_SCRIPT_PSEUDO_EVENT_TAG:
        return r->tag;
    default: /* HD_SCRIPT_PSEUDO_EVENT_STAGE */
        return r->stage == HD_STAGE_POST ? 1 : 0;
    }
}

static uint64_t view(uint64_t v, uint32_t which)
{
    switch (which) {
    case HD_SCRIPT_VIEW_32:
        return (uint32_t)v;
    case HD_SCRIPT_VIEW_16:
        return (uint16_t)v;
    case HD_SCRIPT_VIEW_8:
        return (uint8_t)v;
    case HD_SCRIPT_VIEW_8H:
        return (uint8_t)(v >> 8);
    default:
        return v;
    }
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static void print(const struct hd_script *s, const struct hd_script_run *r,
                  const struct hd_sinsn *in, const uint64_t *x)
{
    uint8_t *slot = hd__message_begin(r->e, r->core);
    uint32_t n;

    if (!slot)
        return; /* dropped and counted (S20); the run goes on */
    n = hd__script_format((char *)slot, r->e->message_max, s->strings + in->d,
                          in->b ? x + in->a : NULL);
    hd__message_commit(r->e, r->core, r->tag, r->immediate, HD_MESSAGE_PRINT, HD_OK, n);
}

/* ---- the loop ----------------------------------------------------------------------------- */

static bool arith(uint32_t op, uint64_t a, uint64_t b, uint64_t *out)
{
    switch (op) {
    case HD_SOP_ADD: *out = a + b; return true;
    case HD_SOP_SUB: *out = a - b; return true;
    case HD_SOP_MUL: *out = a * b; return true;
    case HD_SOP_DIV: if (!b) return false; *out = a / b; return true;
    case HD_SOP_MOD: if (!b) return false; *out = a % b; return true;
    case HD_SOP_SHL: *out = a << (b & 63); return true;
    case HD_SOP_SHR: *out = a >> (b & 63); return true;
    case HD_SOP_AND: *out = a & b; return true;
    case HD_SOP_OR: *out = a | b; return true;
    case HD_SOP_XOR: *out = a ^ b; return true;
    case HD_SOP_EQ: *out = a == b; return true;
    case HD_SOP_NE: *out = a != b; return true;
    case HD_SOP_LT: *out = (int64_t)a < (int64_t)b; return true;
    case HD_SOP_GT: *out = (int64_t)a > (int64_t)b; return true;
    case HD_SOP_LE: *out = (int64_t)a <= (int64_t)b; return true;
    default: *out = (int64_t)a >= (int64_t)b; return true; /* GE */
    }
}

/* The instructions that reach outside the slots: event requests, guest memory, the globals'
 * atomics, the TSC. @return false on a fault (reported; @pc is the instruction's). */
static bool service(const struct hd_script_run *r, const struct hd_sinsn *in, uint64_t *x,
                    uint64_t *g, uint32_t pc)
{
    struct fault f;
    uint64_t v = 0;

    switch (in->op) {
    case HD_SOP_EVENT:
        if (hd__script_defer(r->e, r->core_index, (uint8_t)in->b, HD_EVENT_TAG(x[in->a])))
            return true;
        f = (struct fault){HD_ERR_SCRIPT_EVENT_QUEUE,
                           "16 event requests already wait on this core", 0, 0};
        return fault(r, &f, pc);
    case HD_SOP_RDMEM:
        if (mem_read(r, x[in->a], 1u << in->b, &v)) {
            x[in->d] = v;
            return true;
        }
        f = (struct fault){HD_ERR_SCRIPT_MEMORY, "cannot read", x[in->a], 1u << in->b};
        return fault(r, &f, pc);
    case HD_SOP_WRMEM:
        if (mem_write(r, x[in->a], 1u << in->d, x[in->b]))
            return true;
        f = (struct fault){HD_ERR_SCRIPT_MEMORY, "cannot write", x[in->a], 1u << in->d};
        return fault(r, &f, pc);
    case HD_SOP_CHKADDR:
        x[in->d] = mem_read(r, x[in->a], 1, &v);
        return true;
    case HD_SOP_XINC:
        x[in->d] = __atomic_add_fetch(&g[in->a], 1, __ATOMIC_SEQ_CST);
        return true;
    case HD_SOP_XDEC:
        x[in->d] = __atomic_sub_fetch(&g[in->a], 1, __ATOMIC_SEQ_CST);
        return true;
    case HD_SOP_XCHG:
        x[in->d] = __atomic_exchange_n(&g[in->a], x[in->b], __ATOMIC_SEQ_CST);
        return true;
    case HD_SOP_XCMPXCHG:
        v = x[in->b + 1];
        __atomic_compare_exchange_n(&g[in->a], &v, x[in->b], false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST);
        x[in->d] = v; /* the value before: the comparand when it swapped */
        return true;
    default: /* HD_SOP_RDTSC */
        x[in->d] = rdtsc();
        return true;
    }
}

/* Run from @pc with @steps left; @sc collects event_sc. @return false on a fault (reported). */
static bool loop(const struct hd_script *s, const struct hd_script_run *r, uint64_t *x,
                 uint32_t pc, uint32_t steps, bool *sc)
{
    const struct hd_sinsn *code = s->code;
    uint64_t *g = s->globals, *regs = (uint64_t *)(void *)r->regs, v;
    struct fault f;

    for (;;) {
        const struct hd_sinsn *in = &code[pc];
        if (HD_UNLIKELY(steps-- == 0)) {
            f = (struct fault){HD_ERR_SCRIPT_STEPS, "step budget used up", 0, 0};
            return fault(r, &f, pc);
        }
        pc++;
        switch (in->op) {
        case HD_SOP_END: return true;
        case HD_SOP_MOV: x[in->d] = x[in->a]; break;
        case HD_SOP_LDK: x[in->d] = s->consts[in->a]; break;
        case HD_SOP_LDR: x[in->d] = view(regs[in->a], in->b); break;
        case HD_SOP_STR: regs[in->d] = x[in->a]; break;
        case HD_SOP_LDP: x[in->d] = pseudo(r, in->a); break;
        case HD_SOP_LDG: x[in->d] = hd_load_relaxed(&g[in->a]); break;
        case HD_SOP_STG: hd_store_relaxed(&g[in->d], x[in->a]); break;
        case HD_SOP_NEG: x[in->d] = 0 - x[in->a]; break;
        case HD_SOP_NOT: x[in->d] = ~x[in->a]; break;
        case HD_SOP_LNOT: x[in->d] = !x[in->a]; break;
        case HD_SOP_JMP: pc = in->d; break;
        case HD_SOP_JZ: if (!x[in->a]) pc = in->d; break;
        case HD_SOP_JNZ: if (x[in->a]) pc = in->d; break;
        case HD_SOP_PRINTF: print(s, r, in, x); break;
        case HD_SOP_EVSC: *sc |= x[in->a] != 0; break;
        case HD_SOP_EVENT: case HD_SOP_RDMEM: case HD_SOP_WRMEM: case HD_SOP_CHKADDR:
        case HD_SOP_XINC: case HD_SOP_XDEC: case HD_SOP_XCHG: case HD_SOP_XCMPXCHG:
        case HD_SOP_RDTSC:
            if (!service(r, in, x, g, pc - 1))
                return false;
            break;
        default: /* ADD … GE */
            if (!arith(in->op, x[in->a], (in->flags & HD_SCRIPT_K) ? s->consts[in->b] : x[in->b],
                       &v)) {
                f = (struct fault){HD_ERR_SCRIPT_DIVIDE_BY_ZERO,
                                   in->op == HD_SOP_DIV ? "division by zero" : "modulo by zero",
                                   0, 0};
                return fault(r, &f, pc - 1);
            }
            x[in->d] = v;
            break;
        }
    }
}

/* The fast-path filter (script_fast.c built it): every compare at once (independent loads and
 * range tests), one table look-up, then the slots of the compares the VM would have run, in
 * its order, and their steps. Returns the exit the chain takes. */
static const struct hd_fast_exit *fast_run(const struct hd_script *s,
                                           const struct hd_script_run *r, uint64_t *slots,
                                           uint32_t *steps)
{
    uint64_t values[HD_SCRIPT_FAST_TERMS];
    uint32_t holds = hd__script_fast_holds(s, (const uint64_t *)(const void *)r->regs,
                                           r->vcpu->pid, r->core_index, values);
    uint32_t decision = s->fast_table[holds];
    for (uint32_t ran = (decision >> 8) & 0xFF; ran; ran &= ran - 1) {
        uint32_t k = (uint32_t)__builtin_ctz(ran);
        slots[s->fast[k].value_slot] = values[k];
        slots[s->fast[k].result_slot] = (holds >> k) & 1;
    }
    *steps -= decision >> 16; /* never below 0: the budget covers the whole chain */
    return &s->fast_exits[decision & 0xFF];
}

bool hd__script_run(const struct hd_script *s, const struct hd_script_run *r)
{
    uint64_t *x = NULL;
    uint32_t steps = s->steps, pc = 0;
    bool sc = false;

    if (s->scratch)
        x = (uint64_t *)(void *)(s->scratch + (size_t)r->core_index * s->stride);
    if (s->local_count)
        hd_memset(x, 0, (size_t)s->local_count * sizeof(uint64_t)); /* locals: zero per run */
    if (s->fast_count) {
        const struct hd_fast_exit *out = fast_run(s, r, x, &steps);
        if (out->tail == HD_FAST_END)
            return false; /* decided by the filter, and nothing else to run */
        if (out->tail == HD_FAST_SC) {
            x[out->slot] = out->k; /* event_sc(k), as the VM would have run it */
            return out->k != 0;
        }
        pc = out->pc;
    }
    /* A run that stops or faults is handled as usual: what it asked for is dropped. */
    return loop(s, r, x, pc, steps, &sc) && sc;
}
