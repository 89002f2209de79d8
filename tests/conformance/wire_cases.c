/* SPDX-License-Identifier: MIT */
/*
 * tests/conformance/wire_cases.c — the table of buffers and their expected wire codes.
 *
 * Offsets are written as numbers, from HyperDbg's layout (reference/hyperdbg-facts.md):
 *   event  16 CoreId, 20 ProcessId, 24 IsEnabled, 25 EnableShortCircuiting, 28 EventStage,
 *          32 HasCustomOutput, 40 OutputSourceTags[5], 80 CountOfActions, 88 Tag,
 *          96 EventType, 104 Options[6], 152 CommandStringBuffer, 160 ConditionBufferSize
 *   action 0 EventTag, 8 ActionType, 12 ImmediateMessagePassing, 16 PreAllocatedBuffer,
 *          20 CustomCodeBufferSize, 24 ScriptBufferSize, 28 ScriptBufferPointer
 *   script bytecode at action offset 32 (script_bytecode.h; WC_ACTION_SCRIPT's program, below):
 *          +0 magic, +4 version, +6 header size, +8 instructions, +12 constants, +16 globals,
 *          +20 string bytes, +24 slots, +26 locals, +28 reserved; +32 the 4 instructions,
 *          +64 the constant, +72 the global table, +76 the strings "%llx\n" and "g"
 *   modify 0 Tag, 8 KernelStatus, 16 TypeOfAction, 20 IsEnabled
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire_cases.h"

/* ---- patches ------------------------------------------------------------------------------ */

#define P1(o, v) {(o), 1, (v)}
#define P2(o, v) {(o), 2, (v)}
#define P4(o, v) {(o), 4, (v)}
#define P8(o, v) {(o), 8, (v)}

/* Event fields. */
#define E_CORE(v) P4(16, v)
#define E_PID(v) P4(20, v)
#define E_ENABLED(v) P1(24, v)
#define E_SC(v) P1(25, v)
#define E_STAGE(v) P4(28, v)
#define E_OUTPUT(v) P1(32, v)
#define E_COUNT(v) P4(80, v)
#define E_TAG(v) P8(88, v)
#define E_TYPE(v) P4(96, v)
#define E_COND(v) P4(160, v)
#define E_STEPS(v) P8(104, v)
#define E_EXT_FLAGS(v) P8(112, v)
#define E_NR_FIRST(v) P8(120, v)
#define E_NR_LAST(v) P8(128, v)
#define E_DENY_RAX(v) P8(136, v)
#define E_MAX_HITS(v) P8(144, v)
/* Action fields. */
#define A_TAG(v) P8(0, v)
#define A_TYPE(v) P4(8, v)
#define A_IMM(v) P1(12, v)
#define A_BUFFER(v) P4(16, v)
#define A_CODE(v) P4(20, v)
#define A_SCRIPT(v) P4(24, v)
#define A_INSNS(v) P4(28, v)
/* The script program of WC_ACTION_SCRIPT, by its offset in the payload. */
#define S(off) (32 + (off))
#define S_INSN(i, field) (S(32) + 8 * (i) + (field)) /* field: 0 op, 1 flags, 2 d, 4 a, 6 b */
/* Modify fields. */
#define M_TAG(v) P8(0, v)
#define M_TYPE(v) P4(16, v)

#define ALL64 0xFFFFFFFFFFFFFFFFull

/* ---- the table ---------------------------------------------------------------------------- */

/* clang-format off */
const struct wire_case wire_cases[] = {
    /* ---- controls: the base buffers are valid ---- */
    {.name = "event_valid", .base = WC_EVENT, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "event_valid_doc_condition", .base = WC_EVENT_COND, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "event_valid_core_3_pid_490_post", .base = WC_EVENT, .patch = {E_CORE(3), E_PID(0x490), E_STAGE(2)}, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "event_valid_disabled_sc_pre", .base = WC_EVENT, .patch = {E_ENABLED(0), E_SC(1)}, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "event_valid_256_actions_announced", .base = WC_EVENT, .patch = {E_COUNT(256)}, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "event_valid_condition_65535_plus_ret", .base = WC_EVENT_NOPS, .nops = 65535, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "event_valid_condition_65536_ending_in_ret", .base = WC_EVENT_NOPS, .nops = 65536, .ret = true, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "action_valid_break", .base = WC_ACTION_BREAK, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "action_valid_doc_code", .base = WC_ACTION_CODE, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "action_valid_buffer_1mib", .base = WC_ACTION_CODE, .patch = {A_BUFFER(0x100000)}, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "action_valid_code_65535_plus_ret", .base = WC_ACTION_NOPS, .nops = 65535, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "action_valid_script", .base = WC_ACTION_SCRIPT, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "event_valid_script_steps_maximum", .base = WC_EVENT, .patch = {E_STEPS(0x1000000)}, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "modify_valid_disable", .base = WC_MODIFY, .expect = HD_WIRE_SUCCESS, .effect = WC_CHANGES},
    {.name = "modify_valid_clear_all", .base = WC_MODIFY, .patch = {M_TAG(ALL64), M_TYPE(3)}, .expect = HD_WIRE_SUCCESS, .effect = WC_CHANGES},
    {.name = "modify_valid_query", .base = WC_MODIFY, .patch = {M_TYPE(0)}, .expect = HD_WIRE_SUCCESS, .effect = WC_UNCHANGED},
    {.name = "modify_valid_enable_enabled", .base = WC_MODIFY, .patch = {M_TYPE(1)}, .expect = HD_WIRE_SUCCESS, .effect = WC_UNCHANGED},
    {.name = "flush_valid", .base = WC_FLUSH, .expect = HD_WIRE_SUCCESS, .effect = WC_UNCHANGED},

    /* ---- truncated structures ---- */
    {.name = "event_empty", .base = WC_EVENT, .resize = -168, .expect = HD_WIRE_ERR_TRUNCATED},
    {.name = "event_truncated_to_167", .base = WC_EVENT, .resize = -1, .expect = HD_WIRE_ERR_TRUNCATED},
    {.name = "event_truncated_to_160_before_condition_size", .base = WC_EVENT, .resize = -8, .expect = HD_WIRE_ERR_TRUNCATED},
    {.name = "event_null_input", .base = WC_EVENT, .null_input = true, .expect = HD_WIRE_ERR_INVALID_ARGUMENT},
    {.name = "action_empty", .base = WC_ACTION_BREAK, .resize = -32, .expect = HD_WIRE_ERR_TRUNCATED},
    {.name = "action_truncated_to_31", .base = WC_ACTION_BREAK, .resize = -1, .expect = HD_WIRE_ERR_TRUNCATED},
    {.name = "modify_truncated_to_23", .base = WC_MODIFY, .resize = -1, .expect = HD_WIRE_ERR_TRUNCATED},
    {.name = "modify_empty", .base = WC_MODIFY, .resize = -24, .expect = HD_WIRE_ERR_TRUNCATED},

    /* ---- size fields past the end ---- */
    {.name = "event_condition_size_1_without_bytes", .base = WC_EVENT, .patch = {E_COND(1)}, .expect = HD_WIRE_ERR_CONDITION_PAST_END},
    {.name = "event_condition_cut_by_one_byte", .base = WC_EVENT_COND, .resize = -1, .expect = HD_WIRE_ERR_CONDITION_PAST_END},
    {.name = "event_condition_size_0x7fffffff", .base = WC_EVENT_COND, .patch = {E_COND(0x7FFFFFFF)}, .expect = HD_WIRE_ERR_CONDITION_PAST_END},
    {.name = "event_condition_size_largest_without_wrap", .base = WC_EVENT, .patch = {E_COND(0xFFFFFF57)}, .expect = HD_WIRE_ERR_CONDITION_PAST_END},
    {.name = "action_code_cut_by_one_byte", .base = WC_ACTION_CODE, .resize = -1, .expect = HD_WIRE_ERR_PAYLOAD_PAST_END},
    {.name = "action_code_size_1_without_bytes", .base = WC_ACTION_BREAK, .patch = {A_TYPE(2), A_CODE(1)}, .expect = HD_WIRE_ERR_PAYLOAD_PAST_END},
    {.name = "action_script_size_past_end", .base = WC_ACTION_SCRIPT, .patch = {A_SCRIPT(85)}, .expect = HD_WIRE_ERR_PAYLOAD_PAST_END},
    {.name = "action_code_size_largest_without_wrap", .base = WC_ACTION_CODE, .patch = {A_CODE(0xFFFFFFDF)}, .expect = HD_WIRE_ERR_PAYLOAD_PAST_END},

    /* ---- sums that overflow 32 bits ---- */
    {.name = "event_condition_size_all_ones", .base = WC_EVENT, .patch = {E_COND(0xFFFFFFFF)}, .expect = HD_WIRE_ERR_SIZE_OVERFLOW},
    {.name = "event_condition_size_wraps_to_zero", .base = WC_EVENT, .patch = {E_COND(0xFFFFFF58)}, .expect = HD_WIRE_ERR_SIZE_OVERFLOW},
    /* 32 + 0x80000000 + 0x80000000 is 32 in 32-bit arithmetic: exactly the buffer's length. */
    {.name = "action_sizes_wrap_to_the_real_length", .base = WC_ACTION_BREAK, .patch = {A_CODE(0x80000000), A_SCRIPT(0x80000000)}, .expect = HD_WIRE_ERR_SIZE_OVERFLOW},
    {.name = "action_code_size_wraps_to_zero", .base = WC_ACTION_BREAK, .patch = {A_TYPE(2), A_CODE(0xFFFFFFE0)}, .expect = HD_WIRE_ERR_SIZE_OVERFLOW},
    {.name = "action_both_sizes_all_ones", .base = WC_ACTION_CODE, .patch = {A_CODE(0xFFFFFFFF), A_SCRIPT(0xFFFFFFFF)}, .expect = HD_WIRE_ERR_SIZE_OVERFLOW},

    /* ---- trailing bytes ---- */
    {.name = "event_one_trailing_byte", .base = WC_EVENT, .resize = 1, .expect = HD_WIRE_ERR_TRAILING_BYTES},
    {.name = "event_condition_shorter_than_sent", .base = WC_EVENT_COND, .patch = {E_COND(25)}, .expect = HD_WIRE_ERR_TRAILING_BYTES},
    {.name = "action_break_with_trailing_bytes", .base = WC_ACTION_BREAK, .resize = 8, .expect = HD_WIRE_ERR_TRAILING_BYTES},
    {.name = "modify_one_trailing_byte", .base = WC_MODIFY, .resize = 1, .expect = HD_WIRE_ERR_TRAILING_BYTES},

    /* ---- event type: VMCALL only ---- */
    {.name = "event_type_0_hidden_hook", .base = WC_EVENT, .patch = {E_TYPE(0)}, .expect = HD_WIRE_ERR_EVENT_TYPE_INVALID},
    {.name = "event_type_11_cpuid", .base = WC_EVENT, .patch = {E_TYPE(11)}, .expect = HD_WIRE_ERR_EVENT_TYPE_INVALID},
    {.name = "event_type_27_xsetbv", .base = WC_EVENT, .patch = {E_TYPE(27)}, .expect = HD_WIRE_ERR_EVENT_TYPE_INVALID},
    {.name = "event_type_28_past_the_enum", .base = WC_EVENT, .patch = {E_TYPE(28)}, .expect = HD_WIRE_ERR_EVENT_TYPE_INVALID},
    {.name = "event_type_all_ones", .base = WC_EVENT, .patch = {E_TYPE(0xFFFFFFFF)}, .expect = HD_WIRE_ERR_EVENT_TYPE_INVALID},

    /* ---- flags that are not 0 or 1 ---- */
    {.name = "event_is_enabled_2", .base = WC_EVENT, .patch = {E_ENABLED(2)}, .expect = HD_WIRE_ERR_BAD_IS_ENABLED},
    {.name = "event_is_enabled_0xff", .base = WC_EVENT, .patch = {E_ENABLED(0xFF)}, .expect = HD_WIRE_ERR_BAD_IS_ENABLED},
    {.name = "event_short_circuit_0x80", .base = WC_EVENT, .patch = {E_SC(0x80)}, .expect = HD_WIRE_ERR_BAD_SHORT_CIRCUIT},
    {.name = "event_has_custom_output_2", .base = WC_EVENT, .patch = {E_OUTPUT(2)}, .expect = HD_WIRE_ERR_BAD_CUSTOM_OUTPUT},
    {.name = "event_has_custom_output_1_one_tag", .base = WC_EVENT, .patch = {E_OUTPUT(1), P8(40, 0x1000000)}, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "event_has_custom_output_1_five_tags", .base = WC_EVENT, .patch = {E_OUTPUT(1), P8(40, 1), P8(48, 2), P8(56, 3), P8(64, 4), P8(72, 5)}, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "event_has_custom_output_0_tags_ignored", .base = WC_EVENT, .patch = {P8(40, 7), P8(56, 7)}, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "event_has_custom_output_1_no_tag", .base = WC_EVENT, .patch = {E_OUTPUT(1)}, .expect = HD_WIRE_ERR_BAD_OUTPUT_TAGS},
    {.name = "event_has_custom_output_1_tag_after_a_zero", .base = WC_EVENT, .patch = {E_OUTPUT(1), P8(40, 1), P8(56, 2)}, .expect = HD_WIRE_ERR_BAD_OUTPUT_TAGS},
    {.name = "event_has_custom_output_1_tag_twice", .base = WC_EVENT, .patch = {E_OUTPUT(1), P8(40, 9), P8(48, 9)}, .expect = HD_WIRE_ERR_BAD_OUTPUT_TAGS},
    {.name = "action_immediate_2", .base = WC_ACTION_BREAK, .patch = {A_IMM(2)}, .expect = HD_WIRE_ERR_BAD_IMMEDIATE},

    /* ---- stage and short-circuit ---- */
    {.name = "event_stage_0", .base = WC_EVENT, .patch = {E_STAGE(0)}, .expect = HD_WIRE_ERR_BAD_STAGE},
    {.name = "event_stage_4", .base = WC_EVENT, .patch = {E_STAGE(4)}, .expect = HD_WIRE_ERR_BAD_STAGE},
    {.name = "event_stage_all_ones", .base = WC_EVENT, .patch = {E_STAGE(0xFFFFFFFF)}, .expect = HD_WIRE_ERR_BAD_STAGE},
    {.name = "event_sc_with_stage_post", .base = WC_EVENT, .patch = {E_SC(1), E_STAGE(2)}, .expect = HD_WIRE_ERR_SC_WITH_POST},
    {.name = "event_sc_with_stage_all", .base = WC_EVENT, .patch = {E_SC(1), E_STAGE(3)}, .expect = HD_WIRE_ERR_SC_WITH_POST},

    /* ---- core ---- */
    {.name = "event_core_4_of_4", .base = WC_EVENT, .patch = {E_CORE(4)}, .expect = HD_WIRE_ERR_INVALID_CORE_ID},
    {.name = "event_core_0xfffffffe", .base = WC_EVENT, .patch = {E_CORE(0xFFFFFFFE)}, .expect = HD_WIRE_ERR_INVALID_CORE_ID},

    /* ---- tags ---- */
    {.name = "event_tag_zero", .base = WC_EVENT, .patch = {E_TAG(0)}, .expect = HD_WIRE_ERR_TAG_INVALID},
    {.name = "event_tag_below_base", .base = WC_EVENT, .patch = {E_TAG(0xFFFFFF)}, .expect = HD_WIRE_ERR_TAG_INVALID},
    {.name = "event_tag_all_ones", .base = WC_EVENT, .patch = {E_TAG(ALL64)}, .expect = HD_WIRE_ERR_TAG_INVALID},
    {.name = "event_tag_above_32_bits", .base = WC_EVENT, .patch = {E_TAG(0x100000000ull)}, .expect = HD_WIRE_ERR_TAG_INVALID},
    {.name = "event_tag_all_ones_but_one", .base = WC_EVENT, .patch = {E_TAG(ALL64 - 1)}, .expect = HD_WIRE_ERR_TAG_INVALID},
    {.name = "event_tag_skips_too_far", .base = WC_EVENT, .patch = {E_TAG(WC_TAG_FULL + 1 + 0x10001ull)}, .expect = HD_WIRE_ERR_TAG_INVALID},
    {.name = "event_tag_duplicate", .base = WC_EVENT, .patch = {E_TAG(WC_TAG_OLD)}, .expect = HD_WIRE_ERR_TAG_IN_USE},
    {.name = "event_tag_reused_after_clear", .base = WC_EVENT, .patch = {E_TAG(WC_TAG_CLEARED)}, .expect = HD_WIRE_ERR_TAG_IN_USE},
    {.name = "event_tag_below_the_last_given", .base = WC_EVENT, .patch = {E_TAG(0x1000004)}, .expect = HD_WIRE_ERR_TAG_IN_USE},
    {.name = "action_tag_unknown", .base = WC_ACTION_CODE, .patch = {A_TAG(WC_TAG_UNKNOWN)}, .expect = HD_WIRE_ERR_TAG_NOT_EXISTS},
    {.name = "action_tag_cleared", .base = WC_ACTION_BREAK, .patch = {A_TAG(WC_TAG_CLEARED)}, .expect = HD_WIRE_ERR_TAG_NOT_EXISTS},
    {.name = "action_tag_zero", .base = WC_ACTION_BREAK, .patch = {A_TAG(0)}, .expect = HD_WIRE_ERR_TAG_NOT_EXISTS},
    {.name = "action_tag_all_ones", .base = WC_ACTION_BREAK, .patch = {A_TAG(ALL64)}, .expect = HD_WIRE_ERR_TAG_NOT_EXISTS},
    {.name = "modify_disable_unknown_tag", .base = WC_MODIFY, .patch = {M_TAG(WC_TAG_UNKNOWN)}, .expect = HD_WIRE_ERR_MODIFY_INVALID_TAG},
    {.name = "modify_clear_cleared_tag", .base = WC_MODIFY, .patch = {M_TAG(WC_TAG_CLEARED), M_TYPE(3)}, .expect = HD_WIRE_ERR_MODIFY_INVALID_TAG},
    {.name = "modify_query_unknown_tag", .base = WC_MODIFY, .patch = {M_TAG(WC_TAG_UNKNOWN), M_TYPE(0)}, .expect = HD_WIRE_ERR_MODIFY_INVALID_TAG},
    {.name = "modify_query_all", .base = WC_MODIFY, .patch = {M_TAG(ALL64), M_TYPE(0)}, .expect = HD_WIRE_ERR_MODIFY_INVALID_TAG},

    /* ---- action type and payloads ---- */
    {.name = "action_type_3_native_is_not_wire", .base = WC_ACTION_BREAK, .patch = {A_TYPE(3)}, .expect = HD_WIRE_ERR_INVALID_ACTION_TYPE},
    {.name = "action_type_all_ones", .base = WC_ACTION_BREAK, .patch = {A_TYPE(0xFFFFFFFF)}, .expect = HD_WIRE_ERR_INVALID_ACTION_TYPE},
    {.name = "action_code_zero_length", .base = WC_ACTION_BREAK, .patch = {A_TYPE(2)}, .expect = HD_WIRE_ERR_ACTION_BUFFER_SIZE_IS_ZERO},
    {.name = "action_script_zero_length", .base = WC_ACTION_BREAK, .patch = {A_TYPE(1)}, .expect = HD_WIRE_ERR_ACTION_BUFFER_SIZE_IS_ZERO},
    {.name = "action_break_with_code_bytes", .base = WC_ACTION_CODE, .patch = {A_TYPE(0)}, .expect = HD_WIRE_ERR_UNEXPECTED_PAYLOAD},
    {.name = "action_code_with_script_size", .base = WC_ACTION_CODE, .patch = {A_SCRIPT(1)}, .resize = 1, .expect = HD_WIRE_ERR_UNEXPECTED_PAYLOAD},
    {.name = "action_script_with_code_size", .base = WC_ACTION_SCRIPT, .patch = {A_CODE(1)}, .resize = 1, .expect = HD_WIRE_ERR_UNEXPECTED_PAYLOAD},

    /* ---- script bytecode: what the verifier refuses, each rule once (docs/script.md) ---- */
    {.name = "action_script_magic", .base = WC_ACTION_SCRIPT, .patch = {P4(S(0), 0x43534448 + 1)}, .expect = HD_WIRE_ERR_SCRIPT_HEADER},
    {.name = "action_script_version_2", .base = WC_ACTION_SCRIPT, .patch = {P2(S(4), 2)}, .expect = HD_WIRE_ERR_SCRIPT_HEADER},
    {.name = "action_script_header_size_16", .base = WC_ACTION_SCRIPT, .patch = {P2(S(6), 16)}, .expect = HD_WIRE_ERR_SCRIPT_HEADER},
    {.name = "action_script_reserved_set", .base = WC_ACTION_SCRIPT, .patch = {P4(S(28), 1)}, .expect = HD_WIRE_ERR_SCRIPT_HEADER},
    {.name = "action_script_shorter_than_its_header", .base = WC_ACTION_SCRIPT, .patch = {A_SCRIPT(31)}, .resize = -53, .expect = HD_WIRE_ERR_SCRIPT_HEADER},
    {.name = "action_script_no_instruction", .base = WC_ACTION_SCRIPT, .patch = {P4(S(8), 0), A_INSNS(0)}, .expect = HD_WIRE_ERR_SCRIPT_SIZE},
    {.name = "action_script_16385_instructions", .base = WC_ACTION_SCRIPT, .patch = {P4(S(8), 16385), A_INSNS(16385)}, .expect = HD_WIRE_ERR_SCRIPT_SIZE},
    {.name = "action_script_one_byte_more_than_its_sections", .base = WC_ACTION_SCRIPT, .patch = {A_SCRIPT(85)}, .resize = 1, .expect = HD_WIRE_ERR_SCRIPT_SIZE},
    {.name = "action_script_constants_past_the_payload", .base = WC_ACTION_SCRIPT, .patch = {P4(S(12), 2)}, .expect = HD_WIRE_ERR_SCRIPT_SIZE},
    {.name = "action_script_string_pool_without_nul", .base = WC_ACTION_SCRIPT, .patch = {P1(S(83), 'x')}, .expect = HD_WIRE_ERR_SCRIPT_SIZE},
    {.name = "action_script_1025_slots", .base = WC_ACTION_SCRIPT, .patch = {P2(S(24), 1025)}, .expect = HD_WIRE_ERR_SCRIPT_STACK},
    {.name = "action_script_more_locals_than_slots", .base = WC_ACTION_SCRIPT, .patch = {P2(S(26), 2)}, .expect = HD_WIRE_ERR_SCRIPT_STACK},
    {.name = "action_script_global_name_not_a_name", .base = WC_ACTION_SCRIPT, .patch = {P1(S(82), '-')}, .expect = HD_WIRE_ERR_SCRIPT_GLOBALS},
    {.name = "action_script_global_name_outside_the_pool", .base = WC_ACTION_SCRIPT, .patch = {P4(S(72), 8)}, .expect = HD_WIRE_ERR_SCRIPT_GLOBALS},
    {.name = "action_script_opcode_41", .base = WC_ACTION_SCRIPT, .patch = {P1(S_INSN(0, 0), 41)}, .expect = HD_WIRE_ERR_SCRIPT_OPCODE},
    {.name = "action_script_constant_flag_on_ldk", .base = WC_ACTION_SCRIPT, .patch = {P1(S_INSN(0, 1), 1)}, .expect = HD_WIRE_ERR_SCRIPT_OPCODE},
    {.name = "action_script_end_with_an_operand", .base = WC_ACTION_SCRIPT, .patch = {P2(S_INSN(3, 2), 1)}, .expect = HD_WIRE_ERR_SCRIPT_OPCODE},
    {.name = "action_script_slot_1_of_1", .base = WC_ACTION_SCRIPT, .patch = {P2(S_INSN(0, 2), 1)}, .expect = HD_WIRE_ERR_SCRIPT_OPERAND},
    {.name = "action_script_constant_1_of_1", .base = WC_ACTION_SCRIPT, .patch = {P2(S_INSN(0, 4), 1)}, .expect = HD_WIRE_ERR_SCRIPT_OPERAND},
    {.name = "action_script_global_1_of_1", .base = WC_ACTION_SCRIPT, .patch = {P2(S_INSN(1, 2), 1)}, .expect = HD_WIRE_ERR_SCRIPT_OPERAND},
    {.name = "action_script_format_outside_the_pool", .base = WC_ACTION_SCRIPT, .patch = {P2(S_INSN(2, 2), 8)}, .expect = HD_WIRE_ERR_SCRIPT_OPERAND},
    {.name = "action_script_jump_past_the_end", .base = WC_ACTION_SCRIPT, .patch = {P1(S_INSN(3, 0), 27), P2(S_INSN(3, 2), 4)}, .expect = HD_WIRE_ERR_SCRIPT_JUMP},
    {.name = "action_script_falls_off_the_end", .base = WC_ACTION_SCRIPT, .patch = {P1(S_INSN(3, 0), 1)}, .expect = HD_WIRE_ERR_SCRIPT_JUMP},
    {.name = "action_script_printf_two_arguments_for_one_conversion", .base = WC_ACTION_SCRIPT, .patch = {P2(S_INSN(2, 6), 2)}, .expect = HD_WIRE_ERR_SCRIPT_PRINTF},
    {.name = "action_script_printf_nine_arguments", .base = WC_ACTION_SCRIPT, .patch = {P2(S_INSN(2, 6), 9)}, .expect = HD_WIRE_ERR_SCRIPT_PRINTF},
    {.name = "action_script_printf_percent_s", .base = WC_ACTION_SCRIPT, .patch = {P1(S(77), 's')}, .expect = HD_WIRE_ERR_SCRIPT_PRINTF},
    {.name = "action_script_pointer_is_not_the_instruction_count", .base = WC_ACTION_SCRIPT, .patch = {A_INSNS(1)}, .expect = HD_WIRE_ERR_SCRIPT_INSN_COUNT},
    {.name = "event_script_steps_above_the_maximum", .base = WC_EVENT, .patch = {E_STEPS(0x1000001)}, .expect = HD_WIRE_ERR_SCRIPT_BUDGET},
    /* hdevent's extension in Options[1..5] (wire.h HD_WIRE_EXT_*) */
    {.name = "event_ext_nr_one_number", .base = WC_EVENT, .patch = {E_EXT_FLAGS(1), E_NR_FIRST(0x10), E_NR_LAST(0x10)}, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "event_ext_nr_whole_range", .base = WC_EVENT, .patch = {E_EXT_FLAGS(1), E_NR_LAST(0xFFFFFFFFFFFFFFFFull)}, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "event_ext_deny_rax_max_hits", .base = WC_EVENT, .patch = {E_EXT_FLAGS(4), E_DENY_RAX(0xFFFF), E_MAX_HITS(1)}, .expect = HD_WIRE_OK, .effect = WC_CHANGES},
    {.name = "event_ext_unknown_flag", .base = WC_EVENT, .patch = {E_EXT_FLAGS(8)}, .expect = HD_WIRE_ERR_BAD_EXTENSION},
    {.name = "event_ext_nr_range_ends_below_start", .base = WC_EVENT, .patch = {E_EXT_FLAGS(1), E_NR_FIRST(0x20), E_NR_LAST(0x1F)}, .expect = HD_WIRE_ERR_BAD_EXTENSION},
    {.name = "event_ext_nr_range_without_flag", .base = WC_EVENT, .patch = {E_NR_LAST(5)}, .expect = HD_WIRE_ERR_BAD_EXTENSION},
    {.name = "event_ext_deny_ud_and_rax", .base = WC_EVENT, .patch = {E_EXT_FLAGS(6)}, .expect = HD_WIRE_ERR_BAD_EXTENSION},
    {.name = "event_ext_deny_with_stage_post", .base = WC_EVENT, .patch = {E_EXT_FLAGS(2), E_STAGE(2)}, .expect = HD_WIRE_ERR_BAD_EXTENSION},
    {.name = "event_ext_deny_value_without_deny_rax", .base = WC_EVENT, .patch = {E_DENY_RAX(1)}, .expect = HD_WIRE_ERR_BAD_EXTENSION},
    {.name = "modify_type_4", .base = WC_MODIFY, .patch = {M_TYPE(4)}, .expect = HD_WIRE_ERR_MODIFY_INVALID_TYPE},
    {.name = "modify_type_all_ones", .base = WC_MODIFY, .patch = {M_TYPE(0xFFFFFFFF)}, .expect = HD_WIRE_ERR_MODIFY_INVALID_TYPE},

    /* ---- limits ---- */
    {.name = "action_buffer_1mib_plus_1", .base = WC_ACTION_CODE, .patch = {A_BUFFER(0x100001)}, .expect = HD_WIRE_ERR_BUFFER_TOO_LARGE},
    {.name = "action_buffer_all_ones", .base = WC_ACTION_BREAK, .patch = {A_BUFFER(0xFFFFFFFF)}, .expect = HD_WIRE_ERR_BUFFER_TOO_LARGE},
    {.name = "action_code_65536_without_ret", .base = WC_ACTION_NOPS, .nops = 65536, .expect = HD_WIRE_ERR_CODE_TOO_LARGE},
    {.name = "action_code_65537_ending_in_ret", .base = WC_ACTION_NOPS, .nops = 65537, .ret = true, .expect = HD_WIRE_ERR_CODE_TOO_LARGE},
    {.name = "event_condition_65536_without_ret", .base = WC_EVENT_NOPS, .nops = 65536, .expect = HD_WIRE_ERR_CODE_TOO_LARGE},
    {.name = "event_count_of_actions_257", .base = WC_EVENT, .patch = {E_COUNT(257)}, .expect = HD_WIRE_ERR_TOO_MANY_ACTIONS},
    {.name = "event_count_of_actions_all_ones", .base = WC_EVENT, .patch = {E_COUNT(0xFFFFFFFF)}, .expect = HD_WIRE_ERR_TOO_MANY_ACTIONS},
    {.name = "action_257th_on_a_full_event", .base = WC_ACTION_BREAK, .patch = {A_TAG(WC_TAG_FULL)}, .expect = HD_WIRE_ERR_TOO_MANY_ACTIONS},

    /* ---- IOCTL codes and output buffers (nothing done, nothing written) ---- */
    {.name = "ioctl_unknown_0x222800", .base = WC_EVENT, .ioctl = 0x222800, .status = HD_ERR_UNKNOWN_IOCTL, .expect = HD_WIRE_ERR_UNKNOWN_IOCTL},
    {.name = "ioctl_unknown_0", .base = WC_ACTION_BREAK, .ioctl = 0, .status = HD_ERR_UNKNOWN_IOCTL, .expect = HD_WIRE_ERR_UNKNOWN_IOCTL},
    {.name = "ioctl_unknown_0x22281c", .base = WC_EVENT, .ioctl = 0x22281C, .status = HD_ERR_UNKNOWN_IOCTL, .expect = HD_WIRE_ERR_UNKNOWN_IOCTL},
    {.name = "ioctl_unknown_all_ones", .base = WC_MODIFY, .ioctl = 0xFFFFFFFF, .status = HD_ERR_UNKNOWN_IOCTL, .expect = HD_WIRE_ERR_UNKNOWN_IOCTL},
    {.name = "output_register_7_bytes", .base = WC_EVENT, .out_len = 7, .status = HD_ERR_BUFFER_TOO_SMALL, .expect = HD_WIRE_ERR_OUTPUT_TOO_SMALL},
    {.name = "output_register_none", .base = WC_EVENT_COND, .out_len = WC_OUT_NONE, .status = HD_ERR_BUFFER_TOO_SMALL, .expect = HD_WIRE_ERR_OUTPUT_TOO_SMALL},
    {.name = "output_add_action_7_bytes", .base = WC_ACTION_CODE, .out_len = 7, .status = HD_ERR_BUFFER_TOO_SMALL, .expect = HD_WIRE_ERR_OUTPUT_TOO_SMALL},
    {.name = "output_modify_23_bytes", .base = WC_MODIFY, .patch = {M_TYPE(3)}, .out_len = 23, .status = HD_ERR_BUFFER_TOO_SMALL, .expect = HD_WIRE_ERR_OUTPUT_TOO_SMALL},
    {.name = "output_flush_11_bytes", .base = WC_FLUSH, .out_len = 11, .status = HD_ERR_BUFFER_TOO_SMALL, .expect = HD_WIRE_ERR_OUTPUT_TOO_SMALL},
};
/* clang-format on */

const unsigned wire_case_count = sizeof(wire_cases) / sizeof(wire_cases[0]);

/* ---- building the bytes ------------------------------------------------------------------- */

static void put(uint8_t *b, uint32_t off, uint32_t width, uint64_t v)
{
    for (uint32_t i = 0; i < width; i++)
        b[off + i] = (uint8_t)(v >> (8 * i));
}

/* HyperDbg's doc condition and custom code (hyperdbg-facts.md, "Calling conventions"). */
static const uint8_t DOC_CONDITION[26] = {0x48, 0x8B, 0x59, 0x10, 0x48, 0x81, 0xFB, 0x00, 0x10,
                                          0x00, 0x00, 0x74, 0x05, 0x48, 0x31, 0xC0, 0xEB, 0x07,
                                          0x48, 0xC7, 0xC0, 0x01, 0x00, 0x00, 0x00, 0xC3};
static const uint8_t DOC_CODE[24] = {0x48, 0x8B, 0x5A, 0x40, 0x48, 0x81, 0xFB, 0x48,
                                     0x44, 0x42, 0x47, 0x74, 0x02, 0xEB, 0x08, 0x48,
                                     0xC7, 0x42, 0x40, 0x48, 0x44, 0x42, 0x32, 0xC3};

/*
 * A script written byte by byte, not by the compiler: `.g = 0x1234; printf("%llx\n", .g);`
 * as ldk t0, #0x1234 / stg .g, t0 / printf "%llx\n", t0 / end, with one constant, one global
 * and two strings, so every section of the format is there for a row to break.
 */
static const uint8_t SCRIPT[84] = {
    'H', 'D', 'S', 'C', 1, 0, 32, 0,  /* magic, version 1, header 32 bytes */
    4, 0, 0, 0, 1, 0, 0, 0,           /* 4 instructions, 1 constant */
    1, 0, 0, 0, 8, 0, 0, 0,           /* 1 global, 8 string bytes */
    1, 0, 0, 0, 0, 0, 0, 0,           /* 1 slot, 0 locals, reserved */
    2, 0, 0, 0, 0, 0, 0, 0,           /* ldk    slot 0 = constant 0 */
    7, 0, 0, 0, 0, 0, 0, 0,           /* stg    global 0 = slot 0 */
    30, 0, 0, 0, 0, 0, 1, 0,          /* printf string 0, slot 0, 1 argument */
    0, 0, 0, 0, 0, 0, 0, 0,           /* end */
    0x34, 0x12, 0, 0, 0, 0, 0, 0,     /* constant 0: 0x1234 */
    6, 0, 0, 0,                       /* global 0: its name at string offset 6 */
    '%', 'l', 'l', 'x', '\n', 0, 'g', 0, /* strings */
};

static void need(size_t n, size_t cap, const char *name)
{
    if (n > cap) {
        fprintf(stderr, "wire case %s: %zu bytes do not fit %zu\n", name, n, cap);
        abort();
    }
}

static size_t nops(uint8_t *at, uint32_t n, bool ret)
{
    memset(at, 0x90, n);
    if (ret && n)
        at[n - 1] = 0xC3;
    return n;
}

static size_t base_event(const struct wire_case *c, uint8_t *b, size_t cap)
{
    size_t n = 168;
    need(n, cap, c->name);
    memset(b, 0, 168);
    memset(b, 0xA5, 16);              /* list link: ignored, so garbage is fine */
    put(b, 16, 4, 0xFFFFFFFF);        /* CoreId: all */
    put(b, 20, 4, 0xFFFFFFFF);        /* ProcessId: all */
    b[24] = 1;                        /* IsEnabled */
    put(b, 28, 4, 1);                 /* EventStage: pre */
    put(b, 88, 8, WC_TAG_NEW);        /* Tag */
    put(b, 96, 4, 21);                /* EventType: VMCALL */
    put(b, 152, 8, 0x7FFE12345678ull); /* CommandStringBuffer: a user pointer, ignored */
    if (c->base == WC_EVENT_COND) {
        need(n + sizeof(DOC_CONDITION), cap, c->name);
        memcpy(b + n, DOC_CONDITION, sizeof(DOC_CONDITION));
        n += sizeof(DOC_CONDITION);
    } else if (c->base == WC_EVENT_NOPS) {
        need(n + c->nops, cap, c->name);
        n += nops(b + n, c->nops, c->ret);
    }
    put(b, 160, 4, (uint32_t)(n - 168)); /* ConditionBufferSize */
    return n;
}

static size_t base_action(const struct wire_case *c, uint8_t *b, size_t cap)
{
    size_t n = 32;
    need(n, cap, c->name);
    memset(b, 0, 32);
    put(b, 0, 8, WC_TAG_OLD); /* EventTag */
    b[12] = 1;                /* ImmediateMessagePassing */
    switch (c->base) {
    case WC_ACTION_CODE:
        need(n + sizeof(DOC_CODE), cap, c->name);
        memcpy(b + n, DOC_CODE, sizeof(DOC_CODE));
        n += sizeof(DOC_CODE);
        put(b, 8, 4, 2);
        put(b, 20, 4, (uint32_t)sizeof(DOC_CODE));
        break;
    case WC_ACTION_NOPS:
        need(n + c->nops, cap, c->name);
        n += nops(b + n, c->nops, c->ret);
        put(b, 8, 4, 2);
        put(b, 20, 4, c->nops);
        break;
    case WC_ACTION_SCRIPT:
        need(n + sizeof(SCRIPT), cap, c->name);
        memcpy(b + n, SCRIPT, sizeof(SCRIPT));
        n += sizeof(SCRIPT);
        put(b, 8, 4, 1);
        put(b, 24, 4, (uint32_t)sizeof(SCRIPT));
        put(b, 28, 4, 4); /* ScriptBufferPointer: the instruction count */
        break;
    default: /* break: type 0, no payload */
        break;
    }
    return n;
}

size_t wc_build(const struct wire_case *c, uint8_t *buf, size_t cap)
{
    size_t n = 0;

    switch (c->base) {
    case WC_EVENT:
    case WC_EVENT_COND:
    case WC_EVENT_NOPS:
        n = base_event(c, buf, cap);
        break;
    case WC_ACTION_BREAK:
    case WC_ACTION_CODE:
    case WC_ACTION_NOPS:
    case WC_ACTION_SCRIPT:
        n = base_action(c, buf, cap);
        break;
    case WC_MODIFY:
        need(24, cap, c->name);
        memset(buf, 0, 24);
        put(buf, 0, 8, WC_TAG_OLD);
        put(buf, 16, 4, 2); /* disable */
        n = 24;
        break;
    case WC_FLUSH:
        n = 0;
        break;
    }
    for (unsigned i = 0; i < 4 && c->patch[i].width; i++) {
        need(c->patch[i].off + c->patch[i].width, n, c->name);
        put(buf, c->patch[i].off, c->patch[i].width, c->patch[i].value);
    }
    if (c->resize < 0) {
        need((size_t)-c->resize, n, c->name);
        n -= (size_t)-c->resize;
    } else if (c->resize > 0) {
        need(n + (size_t)c->resize, cap, c->name);
        memset(buf + n, 0, (size_t)c->resize);
        n += (size_t)c->resize;
    }
    return n;
}

uint32_t wc_ioctl(const struct wire_case *c)
{
    if (c->ioctl || c->status == HD_ERR_UNKNOWN_IOCTL)
        return c->ioctl;
    switch (c->base) {
    case WC_EVENT:
    case WC_EVENT_COND:
    case WC_EVENT_NOPS:
        return HD_IOCTL_REGISTER_EVENT;
    case WC_MODIFY:
        return HD_IOCTL_MODIFY_EVENTS;
    case WC_FLUSH:
        return HD_IOCTL_FLUSH_BUFFERS;
    default:
        return HD_IOCTL_ADD_ACTION;
    }
}
