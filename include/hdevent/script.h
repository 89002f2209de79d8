/* SPDX-License-Identifier: MIT */
/*
 * hdevent/script.h — the script compiler and disassembler (USER MODE ONLY: libc, malloc).
 *
 * HyperDbg's script language as `!vmcall script {…}` uses it (docs/script.md) compiles here
 * into bytecode (script_bytecode.h), which travels in a script action and is verified and run
 * by the core. One call for native callers:
 *
 *     struct hd_script_program prog;
 *     struct hd_script_error err;
 *     if (hd_script_compile("printf(\"rax=%llx\\n\", @rax);", &prog, &err) != HD_OK) {
 *         fprintf(stderr, "line %u, column %u: %s\n", err.line, err.column, err.message);
 *     } else {
 *         struct hd_action_desc act;
 *         hd_action_desc_init(&act, HD_ACTION_SCRIPT);
 *         act.script = prog.code;
 *         act.script_size = prog.size;
 *         ... hd_event_register() copies the bytecode ...
 *         hd_script_program_free(&prog);
 *     }
 */
#ifndef HDEVENT_SCRIPT_H
#define HDEVENT_SCRIPT_H

#include "script_bytecode.h"
#include "status.h"
#include "types.h"

HD_EXTERN_C_BEGIN

/** Longest script text accepted, in bytes. */
#define HD_SCRIPT_TEXT_MAX (1024u * 1024u)

/** Compiled bytecode, owned by the caller: release it with hd_script_program_free(). */
struct hd_script_program {
    /** The bytecode (script_bytecode.h), ready for hd_action_desc.script. */
    uint8_t *code;
    /** Its size in bytes (hd_action_desc.script_size). */
    uint32_t size;
    /** Its instruction count (what the wire's ScriptBufferPointer carries). */
    uint32_t insn_count;
};

/** Why a script does not compile, and where. */
struct hd_script_error {
    /** 1-based line and column (bytes from the line's start + 1) of the offending token; 0
     *  when the error has no place (no memory, NULL text). */
    uint32_t line;
    uint32_t column;
    /** Byte offset of the token in the text, and its length in bytes. */
    uint32_t offset;
    uint32_t length;
    /** What is wrong and what was expected, e.g. "unknown function 'foo': the functions
     *  are printf, print, …". No place in it: see line and column. */
    char message[256];
};

/**
 * Compile the NUL-terminated script @p text (at most HD_SCRIPT_TEXT_MAX bytes).
 * @param out filled on success; zeroed on failure (nothing allocated).
 * @param err filled on failure (may be NULL).
 * @return HD_OK; HD_ERR_SCRIPT_COMPILE for an error in the script (err says what and where);
 *         HD_ERR_INVALID_ARGUMENT for NULL @p text or @p out; HD_ERR_NO_MEMORY.
 */
HD_API enum hd_status hd_script_compile(const char *text, struct hd_script_program *out,
                                        struct hd_script_error *err);

/**
 * Compile @p length bytes of script at @p text (no NUL needed; a NUL byte in them is an
 * error). Same results as hd_script_compile().
 */
HD_API enum hd_status hd_script_compile_n(const char *text, size_t length,
                                          struct hd_script_program *out,
                                          struct hd_script_error *err);

/**
 * Read the file @p path (what `script {file:PATH}` names) and compile it. A file that cannot
 * be read is HD_ERR_INVALID_ARGUMENT with the reason in err->message (line 0).
 */
HD_API enum hd_status hd_script_compile_file(const char *path, struct hd_script_program *out,
                                             struct hd_script_error *err);

/** Free what @p prog owns and zero it; NULL and zeroed programs are ignored. */
HD_API void hd_script_program_free(struct hd_script_program *prog);

/**
 * Disassemble @p size bytes of bytecode into @p out (@p cap bytes, NUL-terminated, cut when
 * too small): a header line, then one line per instruction,
 *
 *     ; hdsc v1: 9 instructions, 3 constants, 0 globals, 0 string bytes, 1 slot (0 locals)
 *     0000  ldr      t0, @rax
 *     0001  eq       t0, t0, #0x1234
 *     0002  jz       t0, 0008
 *
 * slots as l<n> (locals) and t<n> (temporaries), constants as #value, strings quoted.
 * The bytecode is verified first.
 * @param length receives the listing's full length (NUL excluded); may be NULL. Call with
 *        @p cap 0 to learn it.
 * @return HD_OK; the verifier's HD_ERR_SCRIPT_* (nothing written); HD_ERR_BUFFER_TOO_SMALL
 *         when the listing was cut; HD_ERR_INVALID_ARGUMENT.
 */
HD_API enum hd_status hd_script_disasm(const void *code, size_t size, char *out, size_t cap,
                                       size_t *length);

HD_EXTERN_C_END

#endif /* HDEVENT_SCRIPT_H */
