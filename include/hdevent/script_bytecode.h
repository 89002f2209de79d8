/* SPDX-License-Identifier: MIT */
/*
 * hdevent/script_bytecode.h — the compiled form of a script, and its verifier.
 *
 * A script action carries bytecode, not text: user mode compiles `script {…}` (script.h), the
 * bytes travel in the action (HD_ACTION_SCRIPT, or the RUN_SCRIPT payload on the wire), and
 * the core verifies them before anything is registered. Bytecode comes from outside the
 * kernel, so nothing in it is trusted: hd_script_verify() checks the header, every size, every
 * opcode and operand, every jump target and every printf format, and a program it accepts can
 * make the VM read and write nothing but its own state (its slots, its constants, its strings,
 * the engine's globals it names) plus guest memory through the backend's safe accessors.
 *
 * Layout (little-endian, sections back to back, no padding; docs/script.md has the tables):
 *
 *     header       32 bytes (below)
 *     code         insn_count instructions of 8 bytes: op u8, flags u8, d u16, a u16, b u16
 *     constants    const_count u64
 *     globals      global_count u32: offsets into the string pool of the `.name`s used
 *     strings      string_bytes: NUL-terminated strings (printf formats, global names)
 *
 * A register machine: operands name slots of a per-run register file (locals first, then
 * temporaries), constants, guest registers, pseudo-registers and globals by index.
 *
 * Freestanding-safe: the kernel side includes it.
 */
#ifndef HDEVENT_SCRIPT_BYTECODE_H
#define HDEVENT_SCRIPT_BYTECODE_H

#include "status.h"
#include "types.h"

HD_EXTERN_C_BEGIN

/* ---------------------------------------------------------------------------------------- */
/* Format and limits                                                                        */
/* ---------------------------------------------------------------------------------------- */

/** First four bytes: "HDSC". */
#define HD_SCRIPT_MAGIC 0x43534448u
/** The version this header describes; the verifier accepts exactly this one. */
#define HD_SCRIPT_VERSION 1u
#define HD_SCRIPT_HEADER_SIZE 32u
#define HD_SCRIPT_INSN_SIZE 8u

/** Most instructions in a program (jump targets are u16). */
#define HD_SCRIPT_INSNS_MAX 16384u
/** Most 64-bit constants. */
#define HD_SCRIPT_CONSTS_MAX 4096u
/** Most distinct `.name` globals one program uses. */
#define HD_SCRIPT_GLOBALS_MAX 64u
/** Most bytes of strings (printf formats and global names, NULs included). */
#define HD_SCRIPT_STRING_BYTES_MAX 16384u
/** Most slots of the register file (locals + temporaries): the VM's "stack depth". */
#define HD_SCRIPT_SLOTS_MAX 1024u
/** Longest global name, in characters. */
#define HD_SCRIPT_NAME_MAX 31u
/** Most printf arguments. */
#define HD_SCRIPT_PRINTF_ARGS_MAX 8u
/** Largest program in bytes: every section at its maximum. */
#define HD_SCRIPT_MAX_BYTES                                                                    \
    (HD_SCRIPT_HEADER_SIZE + HD_SCRIPT_INSN_SIZE * HD_SCRIPT_INSNS_MAX +                        \
     8u * HD_SCRIPT_CONSTS_MAX + 4u * HD_SCRIPT_GLOBALS_MAX + HD_SCRIPT_STRING_BYTES_MAX)

/** Instructions one run may execute unless the event says otherwise (`steps N`). */
#define HD_SCRIPT_STEPS_DEFAULT 100000u
/** Largest step budget an event may ask for. */
#define HD_SCRIPT_STEPS_MAX 0x1000000u

/** Header offsets (u32 unless noted). */
enum hd_script_header_field {
    HD_SCRIPT_H_MAGIC = 0,
    HD_SCRIPT_H_VERSION = 4,      /**< u16 */
    HD_SCRIPT_H_HEADER_SIZE = 6,  /**< u16: 32 */
    HD_SCRIPT_H_INSNS = 8,
    HD_SCRIPT_H_CONSTS = 12,
    HD_SCRIPT_H_GLOBALS = 16,
    HD_SCRIPT_H_STRINGS = 20,
    HD_SCRIPT_H_SLOTS = 24,       /**< u16 */
    HD_SCRIPT_H_LOCALS = 26,      /**< u16: slots 0..locals-1 are zeroed at the start of a run */
    HD_SCRIPT_H_RESERVED = 28,    /**< must be 0 */
};

/** Instruction flags: operand b is a constant index, not a slot (binary operators only). */
#define HD_SCRIPT_K 0x1u

/** What an operand field of an instruction holds (the OPND column of HD_SCRIPT_OP_LIST). */
enum hd_script_operand {
    HD_SOPND_NONE,   /**< unused: must be 0 */
    HD_SOPND_SLOT,   /**< a slot of the register file */
    HD_SOPND_SLOTK,  /**< a slot, or a constant index when the instruction has HD_SCRIPT_K */
    HD_SOPND_CONST,  /**< a constant index */
    HD_SOPND_REG,    /**< a guest register, 0 rax … 15 r15 (GUEST_REGS order) */
    HD_SOPND_VIEW,   /**< enum hd_script_view */
    HD_SOPND_PSEUDO, /**< enum hd_script_pseudo */
    HD_SOPND_GLOBAL, /**< an index into the program's global table */
    HD_SOPND_TARGET, /**< an instruction index (a jump target) */
    HD_SOPND_STRING, /**< a byte offset into the string pool: a printf format */
    HD_SOPND_ARGS,   /**< the first of a run of slots (printf arguments; b is the count) */
    HD_SOPND_COUNT,  /**< how many argument slots (printf: the format's conversions, 0..8) */
    HD_SOPND_WIDTH,  /**< log2 of a memory access in bytes: 0..3 (1, 2, 4, 8 bytes) */
    HD_SOPND_EVOP,   /**< enum hd_script_event_op */
    HD_SOPND_PAIR,   /**< the first of two slots (b and b+1) */
};

/*
 * X(NAME, value, mnemonic, d, a, b): every opcode with what its three operands hold. The
 * verifier, the VM, the compiler and the disassembler all read this one table.
 *
 *   END        the run ends
 *   MOV        slot d = slot a
 *   LDK        slot d = constant a
 *   LDR        slot d = guest register a, seen through view b (@eax, @al, …)
 *   STR        guest register d = slot a (all 64 bits; discarded on own hypercalls, S14)
 *   LDP        slot d = pseudo-register a ($pid, $core, …)
 *   LDG / STG  slot d = global a / global d = slot a
 *   ADD … GE   slot d = slot a OP b (b a slot, or a constant with HD_SCRIPT_K); DIV, MOD and
 *              SHR unsigned, DIV/MOD by 0 stop the run, shift counts mod 64, LT GT LE GE signed,
 *              compares give 0 or 1
 *   NEG NOT LNOT   slot d = -a, ~a, !a
 *   JMP / JZ / JNZ go to instruction d (always / when slot a is 0 / when it is not)
 *   PRINTF     print the format at string d with the b slots from a: one message
 *   EVSC       event_sc(slot a): short-circuit the VMCALL when not 0 (pre pass only)
 *   EVENT      event_enable / _disable / _clear (b) of the event ID in slot a, applied after
 *              the dispatch ends
 *   RDMEM      slot d = 1 << b bytes of guest memory at slot a (poi dq dd dw db)
 *   WRMEM      1 << d bytes of guest memory at slot a = slot b (eq ed eb)
 *   CHKADDR    slot d = 1 when a byte at slot a can be read, else 0 (never stops the run)
 *   XINC XDEC  slot d = ++global a / --global a, atomically (a locked instruction)
 *   XCHG       slot d = global a, global a = slot b, atomically
 *   XCMPXCHG   slot d = global a; global a = slot b if it was slot b+1; atomically
 *   RDTSC      slot d = the time-stamp counter
 */
#define HD_SCRIPT_OP_LIST(X)                                                                   \
    X(END, 0, "end", NONE, NONE, NONE)                                                          \
    X(MOV, 1, "mov", SLOT, SLOT, NONE)                                                          \
    X(LDK, 2, "ldk", SLOT, CONST, NONE)                                                         \
    X(LDR, 3, "ldr", SLOT, REG, VIEW)                                                           \
    X(STR, 4, "str", REG, SLOT, NONE)                                                           \
    X(LDP, 5, "ldp", SLOT, PSEUDO, NONE)                                                        \
    X(LDG, 6, "ldg", SLOT, GLOBAL, NONE)                                                        \
    X(STG, 7, "stg", GLOBAL, SLOT, NONE)                                                        \
    X(ADD, 8, "add", SLOT, SLOT, SLOTK)                                                         \
    X(SUB, 9, "sub", SLOT, SLOT, SLOTK)                                                         \
    X(MUL, 10, "mul", SLOT, SLOT, SLOTK)                                                        \
    X(DIV, 11, "div", SLOT, SLOT, SLOTK)                                                        \
    X(MOD, 12, "mod", SLOT, SLOT, SLOTK)                                                        \
    X(SHL, 13, "shl", SLOT, SLOT, SLOTK)                                                        \
    X(SHR, 14, "shr", SLOT, SLOT, SLOTK)                                                        \
    X(AND, 15, "and", SLOT, SLOT, SLOTK)                                                        \
    X(OR, 16, "or", SLOT, SLOT, SLOTK)                                                          \
    X(XOR, 17, "xor", SLOT, SLOT, SLOTK)                                                        \
    X(EQ, 18, "eq", SLOT, SLOT, SLOTK)                                                          \
    X(NE, 19, "ne", SLOT, SLOT, SLOTK)                                                          \
    X(LT, 20, "lt", SLOT, SLOT, SLOTK)                                                          \
    X(GT, 21, "gt", SLOT, SLOT, SLOTK)                                                          \
    X(LE, 22, "le", SLOT, SLOT, SLOTK)                                                          \
    X(GE, 23, "ge", SLOT, SLOT, SLOTK)                                                          \
    X(NEG, 24, "neg", SLOT, SLOT, NONE)                                                         \
    X(NOT, 25, "not", SLOT, SLOT, NONE)                                                         \
    X(LNOT, 26, "lnot", SLOT, SLOT, NONE)                                                       \
    X(JMP, 27, "jmp", TARGET, NONE, NONE)                                                       \
    X(JZ, 28, "jz", TARGET, SLOT, NONE)                                                         \
    X(JNZ, 29, "jnz", TARGET, SLOT, NONE)                                                       \
    X(PRINTF, 30, "printf", STRING, ARGS, COUNT)                                                \
    X(EVSC, 31, "evsc", NONE, SLOT, NONE)                                                       \
    X(EVENT, 32, "event", NONE, SLOT, EVOP)                                                     \
    X(RDMEM, 33, "rdmem", SLOT, SLOT, WIDTH)                                                    \
    X(WRMEM, 34, "wrmem", WIDTH, SLOT, SLOT)                                                    \
    X(CHKADDR, 35, "chkaddr", SLOT, SLOT, NONE)                                                 \
    X(XINC, 36, "xinc", SLOT, GLOBAL, NONE)                                                     \
    X(XDEC, 37, "xdec", SLOT, GLOBAL, NONE)                                                     \
    X(XCHG, 38, "xchg", SLOT, GLOBAL, SLOT)                                                     \
    X(XCMPXCHG, 39, "xcmpxchg", SLOT, GLOBAL, PAIR)                                             \
    X(RDTSC, 40, "rdtsc", SLOT, NONE, NONE)

/** Opcodes, from HD_SCRIPT_OP_LIST: HD_SOP_END, HD_SOP_MOV, … */
enum hd_script_op {
#define HD_SCRIPT_OP_ENUM_(name, value, mnemonic, d, a, b) HD_SOP_##name = value,
    HD_SCRIPT_OP_LIST(HD_SCRIPT_OP_ENUM_)
#undef HD_SCRIPT_OP_ENUM_
    HD_SOP_COUNT /**< one past the last opcode */
};

HD__STATIC_ASSERT(HD_SOP_RDTSC == 40 && HD_SOP_COUNT == 41, "opcodes are 0..40, in list order");

/**
 * What operand @p field (0 = d, 1 = a, 2 = b) of opcode @p op holds: an enum
 * hd_script_operand, HD_SOPND_NONE for an opcode out of range.
 */
static inline enum hd_script_operand hd_script_operand_kind(uint32_t op, unsigned field)
{
    /* In value order: the list is written 0, 1, 2, … (the build checks the last one). */
    static const uint8_t kinds[][3] = {
#define HD_SCRIPT_OP_KINDS_(name, value, mnemonic, d, a, b) \
    {HD_SOPND_##d, HD_SOPND_##a, HD_SOPND_##b},
        HD_SCRIPT_OP_LIST(HD_SCRIPT_OP_KINDS_)
#undef HD_SCRIPT_OP_KINDS_
    };
    return op < HD_SOP_COUNT && field < 3 ? (enum hd_script_operand)kinds[op][field]
                                         : HD_SOPND_NONE;
}

/** Pseudo-registers (HD_SOP_LDP a). */
enum hd_script_pseudo {
    HD_SCRIPT_PSEUDO_CONTEXT = 0,     /**< $context: the event's context (0 for VMCALL) */
    HD_SCRIPT_PSEUDO_PID = 1,         /**< $pid */
    HD_SCRIPT_PSEUDO_TID = 2,         /**< $tid: the backend's current_tid op, else 0 */
    HD_SCRIPT_PSEUDO_CORE = 3,        /**< $core */
    HD_SCRIPT_PSEUDO_IP = 4,          /**< $ip and @rip: the exit's RIP */
    HD_SCRIPT_PSEUDO_BUFFER = 5,      /**< $buffer: this core's pre-allocated buffer, or 0 */
    HD_SCRIPT_PSEUDO_EVENT_ID = 6,    /**< $event_id: tag - 0x1000000 */
    HD_SCRIPT_PSEUDO_EVENT_TAG = 7,   /**< $event_tag */
    HD_SCRIPT_PSEUDO_EVENT_STAGE = 8, /**< $event_stage: 0 pre, 1 post */
    HD_SCRIPT_PSEUDO_COUNT = 9,
};

/** Register views (HD_SOP_LDR b): what @eax, @ax, @al, @ah read of rax. */
enum hd_script_view {
    HD_SCRIPT_VIEW_64 = 0, /**< @rax */
    HD_SCRIPT_VIEW_32 = 1, /**< @eax, @r8d: bits 0-31 */
    HD_SCRIPT_VIEW_16 = 2, /**< @ax, @r8w: bits 0-15 */
    HD_SCRIPT_VIEW_8 = 3,  /**< @al, @sil, @r8l: bits 0-7 */
    HD_SCRIPT_VIEW_8H = 4, /**< @ah, @ch, @dh, @bh: bits 8-15 */
};

/** What HD_SOP_EVENT asks (b). */
enum hd_script_event_op {
    HD_SCRIPT_EVENT_ENABLE = 0,
    HD_SCRIPT_EVENT_DISABLE = 1,
    HD_SCRIPT_EVENT_CLEAR = 2,
};

/** What hd_script_verify() read from an accepted program, and where a refused one failed. */
struct hd_script_info {
    uint32_t insn_count;
    uint32_t const_count;
    uint32_t global_count;
    uint32_t string_bytes;
    uint32_t slot_count;
    uint32_t local_count;
    /** Refused: the instruction at fault, or HD_SCRIPT_WHERE_HEADER for the header, the sizes,
     *  the global table or the string pool. */
    uint32_t where;
};

#define HD_SCRIPT_WHERE_HEADER 0xFFFFFFFFu

/* ---------------------------------------------------------------------------------------- */
/* The verifier                                                                             */
/* ---------------------------------------------------------------------------------------- */

/**
 * Check @p size bytes of bytecode at @p code, as registration does before it keeps a script
 * action (the kernel runs it on bytes from user mode). Reads nothing past @p size. Rules, in
 * the order they are checked (docs/script.md, "The verifier"):
 *
 * - HD_ERR_SCRIPT_HEADER: shorter than the header, magic, version, header size, reserved.
 * - HD_ERR_SCRIPT_SIZE: a count above its limit, no instruction, the sections do not add up
 *   to exactly @p size, or the string pool does not end in a NUL.
 * - HD_ERR_SCRIPT_STACK: more slots than HD_SCRIPT_SLOTS_MAX, or fewer slots than locals.
 * - HD_ERR_SCRIPT_GLOBALS: a global's name is not 1-31 characters of [A-Za-z0-9_] or is
 *   listed twice.
 * - per instruction, in order: HD_ERR_SCRIPT_OPCODE (unknown opcode, a flag the opcode does
 *   not take, an operand it does not use not 0), HD_ERR_SCRIPT_OPERAND (a slot, register,
 *   view, pseudo-register, constant, global, width or string out of range),
 *   HD_ERR_SCRIPT_JUMP (a target past the last instruction), HD_ERR_SCRIPT_PRINTF (a format
 *   that is not a string of the pool, a conversion other than %llx %llX %llu %lld %x %X %u
 *   %d %c %p %%, more than 8 conversions, or a count that differs from b), HD_ERR_SCRIPT_STACK
 *   (a run of argument slots past the register file);
 * - HD_ERR_SCRIPT_JUMP: the last instruction is not END or JMP (the run could fall off).
 *
 * @param info may be NULL; filled with the counts (and `where` on a refusal).
 * @return HD_OK or the status of the first rule broken; HD_ERR_INVALID_ARGUMENT for a NULL
 *         @p code with a size.
 */
HD_API enum hd_status hd_script_verify(const void *code, size_t size, struct hd_script_info *info);

HD_EXTERN_C_END

#endif /* HDEVENT_SCRIPT_BYTECODE_H */
