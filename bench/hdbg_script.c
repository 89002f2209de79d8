/* SPDX-License-Identifier: MIT */
/*
 * hdbg-script: HyperDbg's script execution re-created from facts about it (hdbg_script.h).
 * Clean-room: the names, the numbering and the code are ours; only the shape — a symbol stream
 * run one operator per call, operands fetched by type, a stack zeroed per run, printf through
 * a spinlocked log ring — follows the description.
 */
#include "hdbg_script.h"

#include <string.h>

#include "world.h"

/* Symbol types. */
enum {
    SYM_GLOBAL_ID,
    SYM_LOCAL_ID,
    SYM_NUM,
    SYM_REGISTER,
    SYM_PSEUDO_REG,
    SYM_SEMANTIC_RULE,
    SYM_TEMP,
    SYM_STRING,
};

/* Operators (the value of a SYM_SEMANTIC_RULE symbol). */
enum { OP_MOV, OP_EQ, OP_NE, OP_ADD, OP_AND, OP_JZ, OP_JNZ, OP_JMP, OP_EVENT_SC, OP_PRINTF };

/* Pseudo-registers. */
enum { PSEUDO_PID, PSEUDO_CORE, PSEUDO_CONTEXT, PSEUDO_EVENT_TAG };

#define STACK_ENTRIES 256u  /* 64-bit entries of a core's stack buffer */
#define FINAL_BUFFER 3000u  /* printf's output buffer */
#define LOG_SLOTS 64u
#define LOG_SLOT_BYTES 512u

bool hdbg_script_short_circuit;

/* Core 0's stack buffer: temporaries live in it, and it is zeroed before every run. */
static uint64_t core0_stack[STACK_ENTRIES];

struct run_state {
    uint64_t *stack;
    uint64_t stack_base;
    struct hd_guest_regs *regs;
    const struct hdbg_script_ctx *ctx;
};

/* ---- the log ring ----------------------------------------------------------------------- */

struct log_slot {
    uint64_t tag;
    uint32_t size;
    uint32_t valid;
    char data[LOG_SLOT_BYTES];
};

static struct log_slot log_ring[LOG_SLOTS];
static uint32_t log_head;
static volatile int log_lock;

__attribute__((noinline)) static void log_send(uint64_t tag, const char *text, uint32_t size)
{
    struct log_slot *s;

    while (__atomic_exchange_n(&log_lock, 1, __ATOMIC_ACQUIRE)) /* a spinlock */
        __builtin_ia32_pause();
    s = &log_ring[log_head++ % LOG_SLOTS];
    s->tag = tag;
    s->size = size < LOG_SLOT_BYTES ? size : LOG_SLOT_BYTES;
    memcpy(s->data, text, s->size);
    s->valid = 1;
    __atomic_store_n(&log_lock, 0, __ATOMIC_RELEASE);
}

uint64_t hdbg_log_last(char *out, size_t cap)
{
    const struct log_slot *s = &log_ring[(log_head - 1) % LOG_SLOTS];
    size_t n = s->size < cap - 1 ? s->size : cap - 1;
    memcpy(out, s->data, n);
    out[n] = '\0';
    return s->tag;
}

/* ---- operands ---------------------------------------------------------------------------- */

/* A register by its id (HyperDbg numbers its registers; 64-bit ones first here). */
static uint64_t reg_value(const struct hd_guest_regs *r, uint64_t id)
{
    switch (id) {
    case 0: return r->rax;
    case 1: return r->rcx;
    case 2: return r->rdx;
    case 3: return r->rbx;
    case 4: return r->rsp;
    case 5: return r->rbp;
    case 6: return r->rsi;
    case 7: return r->rdi;
    case 8: return r->r8;
    case 9: return r->r9;
    case 10: return r->r10;
    case 11: return r->r11;
    case 12: return r->r12;
    case 13: return r->r13;
    case 14: return r->r14;
    case 15: return r->r15;
    case 16: return (uint32_t)r->rax; /* eax */
    case 17: return (uint16_t)r->rax; /* ax */
    case 18: return (uint8_t)r->rax;  /* al */
    default: return 0;
    }
}

static uint64_t pseudo_value(const struct run_state *st, uint64_t id)
{
    switch (id) {
    case PSEUDO_PID:
        return bench_os_pid(); /* the OS's current process, a non-inlined call */
    case PSEUDO_CORE:
        return bench_os_core();
    case PSEUDO_CONTEXT:
        return (uintptr_t)st->ctx->context;
    case PSEUDO_EVENT_TAG:
        return st->ctx->tag;
    default:
        return 0;
    }
}

static uint64_t get_value(const struct run_state *st, const struct hdbg_symbol *s)
{
    switch (s->type) {
    case SYM_NUM:
        return s->value;
    case SYM_REGISTER:
        return reg_value(st->regs, s->value);
    case SYM_PSEUDO_REG:
        return pseudo_value(st, s->value);
    case SYM_TEMP:
    case SYM_LOCAL_ID:
        return st->stack[(st->stack_base + s->value) % STACK_ENTRIES];
    default:
        return 0;
    }
}

static void set_value(struct run_state *st, const struct hdbg_symbol *s, uint64_t v)
{
    if (s->type == SYM_TEMP || s->type == SYM_LOCAL_ID)
        st->stack[(st->stack_base + s->value) % STACK_ENTRIES] = v;
}

/* ---- printf ------------------------------------------------------------------------------ */

static uint32_t put_hex(char *out, uint64_t v, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[16];
    uint32_t n = 0, k = 0;
    do {
        tmp[n++] = digits[v & 15];
        v >>= 4;
    } while (v);
    while (n)
        out[k++] = tmp[--n];
    return k;
}

/* printf: the format (a string symbol, its bytes inline), the argument count, the arguments.
 * Every conversion is checked and formatted into the final buffer, which is then logged. */
static bool do_printf(struct run_state *st, const struct hdbg_symbol *code, uint32_t count,
                      uint64_t *indx)
{
    const struct hdbg_symbol *fmt_sym = &code[*indx];
    const char *fmt = (const char *)&fmt_sym->value;
    char final[FINAL_BUFFER];
    uint32_t n = 0, args, used = 0;
    const struct hdbg_symbol *arg;

    if (fmt_sym->type != SYM_STRING)
        return false;
    *indx += 1 + (fmt_sym->len + sizeof(struct hdbg_symbol) - 1 - 8) / sizeof(struct hdbg_symbol);
    if (*indx >= count)
        return false;
    args = (uint32_t)get_value(st, &code[(*indx)++]);
    arg = &code[*indx];
    *indx += args;
    if (*indx > count)
        return false;
    for (const char *p = fmt; *p && n + 20 < FINAL_BUFFER; p++) {
        if (*p != '%') {
            final[n++] = *p;
            continue;
        }
        if (p[1] == 'l' && p[2] == 'l' && (p[3] == 'x' || p[3] == 'X') && used < args) {
            n += put_hex(final + n, get_value(st, &arg[used++]), p[3] == 'X');
            p += 3;
        } else if (p[1] == '%') {
            final[n++] = '%';
            p++;
        } else {
            return false; /* a conversion this re-creation does not need */
        }
    }
    final[n] = '\0';
    log_send(st->ctx->tag, final, n + 1);
    return true;
}

/* ---- the executor ------------------------------------------------------------------------ */

/* One operator and its operands from @indx on; returns true on an error (HyperDbg's sense). */
__attribute__((noinline)) static bool execute(struct run_state *st, const struct hdbg_symbol *code,
                                              uint32_t count, uint64_t *indx)
{
    const struct hdbg_symbol *op = &code[*indx], *s0, *s1, *d;
    uint64_t v0, v1;

    *indx += 1;
    if (op->type != SYM_SEMANTIC_RULE)
        return true;
    switch (op->value) {
    case OP_MOV:
        s0 = &code[(*indx)++];
        d = &code[(*indx)++];
        set_value(st, d, get_value(st, s0));
        return false;
    case OP_EQ:
    case OP_NE:
    case OP_ADD:
    case OP_AND:
        s0 = &code[(*indx)++];
        v0 = get_value(st, s0);
        s1 = &code[(*indx)++];
        v1 = get_value(st, s1);
        d = &code[(*indx)++];
        set_value(st, d, op->value == OP_EQ ? v1 == v0 : op->value == OP_NE ? v1 != v0
                         : op->value == OP_ADD ? v1 + v0 : v1 & v0);
        return false;
    case OP_JZ:
    case OP_JNZ:
        s0 = &code[(*indx)++]; /* the target */
        s1 = &code[(*indx)++]; /* the value */
        v1 = get_value(st, s1);
        if ((v1 == 0) == (op->value == OP_JZ))
            *indx = get_value(st, s0);
        return false;
    case OP_JMP:
        s0 = &code[(*indx)++];
        *indx = get_value(st, s0);
        return false;
    case OP_EVENT_SC:
        s0 = &code[(*indx)++];
        hdbg_script_short_circuit = get_value(st, s0) != 0;
        return false;
    case OP_PRINTF:
        return !do_printf(st, code, count, indx);
    default:
        return true;
    }
}

bool hdbg_script_run(const struct hdbg_symbol *code, uint32_t count, struct hd_guest_regs *regs,
                     const struct hdbg_script_ctx *ctx)
{
    struct run_state st = {core0_stack, 0, regs, ctx};

    memset(core0_stack, 0, sizeof(core0_stack)); /* the stack buffer, zeroed per run */
    for (uint64_t i = 0; i < count;) {
        if (execute(&st, code, count, &i))
            return false;
    }
    return true;
}

/* ---- the streams ------------------------------------------------------------------------- */

struct builder {
    struct hdbg_symbol *out;
    uint32_t cap, n;
};

static void sym(struct builder *b, uint64_t type, uint64_t value)
{
    if (b->n < b->cap)
        b->out[b->n] = (struct hdbg_symbol){type, 0, 0, value};
    b->n++;
}

/* A string symbol: its bytes from its value field on, over the symbols it needs. */
static void str(struct builder *b, const char *s)
{
    uint64_t len = strlen(s) + 1;
    uint32_t extra = (uint32_t)((len + sizeof(struct hdbg_symbol) - 1 - 8) /
                                sizeof(struct hdbg_symbol));
    if (b->n + 1 + extra <= b->cap) {
        memset(&b->out[b->n], 0, (1 + extra) * sizeof(struct hdbg_symbol));
        b->out[b->n].type = SYM_STRING;
        b->out[b->n].len = len;
        memcpy(&b->out[b->n].value, s, len);
    }
    b->n += 1 + extra;
}

uint32_t hdbg_script_build(enum hdbg_script_kind kind, struct hdbg_symbol *out, uint32_t cap)
{
    struct builder b = {out, cap, 0};

    switch (kind) {
    case HDBG_SCRIPT_FILTER: /* 16 symbols; the jumps go to 16, the end */
        sym(&b, SYM_SEMANTIC_RULE, OP_EQ);
        sym(&b, SYM_REGISTER, 0); /* rax */
        sym(&b, SYM_NUM, 0x1234); /* the script's 1234 is hexadecimal */
        sym(&b, SYM_TEMP, 0);
        sym(&b, SYM_SEMANTIC_RULE, OP_JZ);
        sym(&b, SYM_NUM, 16);
        sym(&b, SYM_TEMP, 0);
        sym(&b, SYM_SEMANTIC_RULE, OP_EQ);
        sym(&b, SYM_PSEUDO_REG, PSEUDO_PID);
        sym(&b, SYM_NUM, 4);
        sym(&b, SYM_TEMP, 1);
        sym(&b, SYM_SEMANTIC_RULE, OP_JZ);
        sym(&b, SYM_NUM, 16);
        sym(&b, SYM_TEMP, 1);
        sym(&b, SYM_SEMANTIC_RULE, OP_EVENT_SC);
        sym(&b, SYM_NUM, 1);
        break;
    case HDBG_SCRIPT_PRINTF:
        sym(&b, SYM_SEMANTIC_RULE, OP_PRINTF);
        str(&b, "%llx %llx\n");
        sym(&b, SYM_NUM, 2);
        sym(&b, SYM_REGISTER, 0); /* rax */
        sym(&b, SYM_REGISTER, 3); /* rbx */
        break;
    case HDBG_SCRIPT_EMPTY:
        break;
    }
    return b.n <= cap ? b.n : 0;
}
