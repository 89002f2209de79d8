/*
 * hdevent/code.h — validation and disassembly of raw condition and custom-code bytes, with
 * Zydis (user mode only).
 *
 * Raw code runs in VMX root with interrupts off, so user mode checks it before it is sent to
 * a kernel: every byte must decode as x86-64 (a linear sweep from offset 0), every path from
 * offset 0 must end in a return or leave through an unconditional jump that stays inside the
 * buffer, and every direct branch must land on an instruction inside the buffer. Those are
 * errors. Instructions that are privileged or hostile in VMX root (hlt, cli/sti, int n/int3,
 * iret, syscall/sysret, VMX instructions, mov to CR/DR, wrmsr, lgdt/lidt, ud2, …) and indirect
 * branches, whose target cannot be checked, and FPU/SIMD register use (those registers hold
 * the guest's values and nobody saves them) are warnings; HD_CODE_STRICT makes privileged
 * instructions and SIMD use errors too. The kernel does not re-run these checks (Zydis is not in any
 * kernel): it checks sizes and structure only.
 *
 *     struct hd_code_report r;
 *     if (hd_code_validate(bytes, n, 0, &r) == HD_ERR_INVALID_CODE)
 *         printf("%s at +0x%x\n", r.findings[0].message, r.findings[0].offset);
 *
 * docs/commands.md ("Code validation") lists every finding with an example.
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

/** hd_code_validate() flag: privileged or VMX-root-hostile instructions are errors. */
#define HD_CODE_STRICT 0x1u

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
    HD_CODE_INDIRECT_BRANCH,  /**< warning: an indirect jump or call: its target is unchecked */
    HD_CODE_SIMD,             /**< warning (error with HD_CODE_STRICT): x87/MMX/SSE/AVX use */
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
    /** Findings kept, in offset order per pass: at most HD_CODE_FINDINGS_MAX. */
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
 * @param flags 0 or HD_CODE_STRICT.
 * @param report filled in every case but HD_ERR_INVALID_ARGUMENT.
 * @return HD_OK (warnings allowed); HD_ERR_INVALID_CODE when there is at least one error;
 *         HD_ERR_INVALID_ARGUMENT for NULL code with size > 0 or NULL report;
 *         HD_ERR_TOO_LARGE above HD_CODE_MAX_BYTES.
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

/** "truncated", "invalid", "runs-off-end", …: the finding's name for JSON and logs. */
HD_API const char *hd_code_finding_name(enum hd_code_finding_kind kind);

HD_EXTERN_C_END

#endif /* HDEVENT_CODE_H */
