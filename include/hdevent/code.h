/* SPDX-License-Identifier: MIT */
/*
 * hdevent/code.h — validation and disassembly of raw condition and custom-code bytes, with
 * Zydis (user mode only).
 *
 * Raw code runs in VMX root with interrupts off, so user mode checks it before it is sent to
 * a kernel. Every byte must decode as x86-64 (a linear sweep from offset 0). A control-flow
 * graph is built from the decode and the stack depth (rsp relative to its value at entry) is
 * tracked on every path: every path from offset 0 must end in a near `ret` (no immediate) at
 * the entry depth, every direct branch must land on an instruction start inside the buffer,
 * a direct `call` inside the buffer is a subroutine that must itself return at its own entry
 * depth, and no write through rsp may reach the return address. `retf`, `iret`, `ret imm16`,
 * far branches, `syscall`/`sysenter`, `int n`/`int3`/`into`, `ud2` are refused outright. Those
 * are errors. Instructions that are privileged or hostile in VMX root (hlt, cli/sti, VMX
 * instructions, mov to CR/DR, wrmsr, lgdt/lidt, popf, …), FPU/SIMD state use (those registers
 * hold the guest's values and nobody saves them), indirect branches (their target cannot be
 * checked), loops (termination cannot be proven) and stack addresses leaving the registers the
 * tracker follows are warnings; HD_CODE_STRICT makes them errors, so strict code is a DAG that
 * provably terminates. The kernel does not re-run these checks (Zydis is not in any kernel):
 * it checks sizes and structure only.
 *
 *     struct hd_code_report r;
 *     if (hd_code_validate(bytes, n, 0, &r) == HD_ERR_INVALID_CODE)
 *         printf("%s at +0x%x\n", r.findings[0].message, r.findings[0].offset);
 *
 * docs/commands.md ("Code validation") lists every finding with an example, and "What
 * validation proves" says exactly what a passing buffer cannot do and what is not checked.
 */
#ifndef HDEVENT_CODE_H
#define HDEVENT_CODE_H

#include "event.h"
#include "status.h"
#include "types.h"

HD_EXTERN_C_BEGIN

/* ---------------------------------------------------------------------------------------- */
/* Types                                                                                    */
/* ---------------------------------------------------------------------------------------- */

/** hd_code_validate() flag: every warning is an error (privileged instructions, FPU/SIMD use,
 *  indirect branches, loops, stack addresses the tracker loses). */
#define HD_CODE_STRICT 0x1u

/** Bytes of stack raw code may use below its return address, subroutines included. */
#define HD_CODE_STACK_MAX 4096u

/** Bytes above the return address the code may write: the shadow space of the Windows x64
 *  ABI, which the trampoline provides (subroutines get none). */
#define HD_CODE_SHADOW_BYTES 32u

/** Subroutines (distinct targets of direct calls) validation follows; more is an error. */
#define HD_CODE_SUBROUTINES_MAX 64u

/** Findings kept in a report; `errors` and `warnings` count every one. */
#define HD_CODE_FINDINGS_MAX 16u

/** What is wrong at one offset. */
enum hd_code_finding_kind {
    HD_CODE_EMPTY,            /**< error: the buffer holds no byte */
    HD_CODE_TRUNCATED,        /**< error: the last instruction needs bytes past the end */
    HD_CODE_INVALID,          /**< error: the bytes are no x86-64 instruction */
    HD_CODE_RUNS_OFF_END,     /**< error: a path falls through past the last byte */
    HD_CODE_BRANCH_OUTSIDE,   /**< error: a direct jump or call leaves the buffer */
    HD_CODE_BRANCH_MISPLACED, /**< error: a direct jump or call lands inside an instruction */
    HD_CODE_PRIVILEGED,       /**< warning (error with HD_CODE_STRICT): hostile in VMX root */
    HD_CODE_INDIRECT_BRANCH,  /**< warning (error with HD_CODE_STRICT): indirect jmp or call,
                                   whose target cannot be checked */
    HD_CODE_SIMD,             /**< warning (error with HD_CODE_STRICT): x87/MMX/SSE/AVX, XSAVE or
                                   MXCSR state use */
    HD_CODE_FORBIDDEN,        /**< error: retf, iret, ret imm16, far jmp/call, a near branch with
                                   an operand-size prefix, syscall/sysenter/sysret, int n/int3/
                                   int1/into, ud0-ud2, 0F 0D with a register operand */
    HD_CODE_STACK_UNBALANCED, /**< error: a ret at a depth other than the entry's, or paths that
                                   meet with different depths */
    HD_CODE_STACK_UNTRACKED,  /**< error: rsp written in a way the tracker cannot follow */
    HD_CODE_STACK_RANGE,      /**< error: rsp above its entry value (the return address popped or
                                   dropped) or more than HD_CODE_STACK_MAX bytes below it */
    HD_CODE_STACK_WRITE,      /**< error: a write through rsp (or a copy of it) to the return
                                   address, the caller's frame, or at an offset it cannot bound */
    HD_CODE_STACK_ESCAPE,     /**< warning (error with HD_CODE_STRICT): a stack address goes
                                   where the tracker does not follow it (memory, a subroutine,
                                   arithmetic), so writes through it are not checked */
    HD_CODE_LOOP,             /**< warning (error with HD_CODE_STRICT): a back edge in the
                                   control-flow graph: termination is not proven */
    HD_CODE_RECURSION,        /**< error: a subroutine calls itself, directly or not */
    HD_CODE_TOO_COMPLEX,      /**< error: more than HD_CODE_SUBROUTINES_MAX subroutines */
};

/** One finding of hd_code_validate(). */
struct hd_code_finding {
    enum hd_code_finding_kind kind;
    /** true: the buffer is refused; false: a warning. */
    bool error;
    /** Byte offset of the instruction concerned. */
    uint32_t offset;
    /** The instruction in Intel syntax ("hlt", "jmp 0x40"), or its bytes as hex when it does
     *  not decode. */
    char instruction[96];
    /** The sentence, e.g. "jmp 0x40 leaves the 16-byte buffer (targets must be below 0x10)". */
    char message[160];
};

/** What hd_code_validate() found. */
struct hd_code_report {
    /** Instructions decoded by the linear sweep. */
    uint32_t instructions;
    /** Errors and warnings found, all of them. */
    uint32_t errors;
    uint32_t warnings;
    /** Findings kept, at most HD_CODE_FINDINGS_MAX: first those of single instructions in
     *  offset order, then branch targets in offset order, then those of the control-flow and
     *  stack analysis in the order it finds them. At most one finding per instruction and
     *  kind. */
    uint32_t finding_count;
    struct hd_code_finding findings[HD_CODE_FINDINGS_MAX];
};

/** One disassembled instruction. */
struct hd_code_insn {
    /** Byte offset in the buffer. */
    uint32_t offset;
    /** Bytes it takes (1 for bytes that do not decode; the rest of the buffer if truncated). */
    uint32_t length;
    /** false: the bytes at `offset` are not a complete instruction; `text` says which. */
    bool valid;
    /** Intel syntax; relative branch targets as offsets from the buffer's start ("jz 0x12");
     *  memory operands with their size ("qword ptr [rdx+0x40]"), rip-relative addresses as
     *  [rip+disp], mov's 64-bit forms as movabs: text the assembler (asm.h) reads back. */
    char text[96];
};

/* ---------------------------------------------------------------------------------------- */
/* Functions                                                                                */
/* ---------------------------------------------------------------------------------------- */

/**
 * Check @p size bytes of raw code as described at the top of this header.
 * The findings do not depend on @p flags, only whether each is an error: with
 * HD_CODE_STRICT, `errors + warnings` is the same and every warning became an error.
 * @param flags 0 or HD_CODE_STRICT.
 * @param report filled in every case but HD_ERR_INVALID_ARGUMENT (zeroed for
 *        HD_ERR_TOO_LARGE and HD_ERR_NO_MEMORY).
 * @return HD_OK (warnings allowed); HD_ERR_INVALID_CODE when there is at least one error;
 *         HD_ERR_INVALID_ARGUMENT for NULL code with size > 0 or NULL report;
 *         HD_ERR_TOO_LARGE above HD_CODE_MAX_BYTES; HD_ERR_NO_MEMORY.
 */
HD_API enum hd_status hd_code_validate(const void *code, size_t size, uint32_t flags,
                                       struct hd_code_report *report);

/**
 * Disassemble the instruction at @p offset of @p code (Intel syntax).
 * @return HD_OK; HD_EMPTY when @p offset is at or past @p size; HD_ERR_INVALID_ARGUMENT for
 *         NULL pointers. Bytes that do not decode still give HD_OK with `valid` false.
 */
HD_API enum hd_status hd_code_disasm(const void *code, size_t size, uint32_t offset,
                                     struct hd_code_insn *out);

/** "truncated", "invalid", "runs-off-end", "stack-unbalanced", …: the finding's name for
 *  JSON and logs ("unknown" outside the enum). */
HD_API const char *hd_code_finding_name(enum hd_code_finding_kind kind);

HD_EXTERN_C_END

#endif /* HDEVENT_CODE_H */
