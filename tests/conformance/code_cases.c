/* SPDX-License-Identifier: MIT */
/*
 * tests/conformance/code_cases.c — the rows of the code-validation table (code_cases.h).
 *
 * Sections: the audit's repros (issue 13), HyperDbg's doc examples and every code body the
 * project's tests, examples and docs run (all must stay clean), one row per finding of the
 * docs' table, then the rules one by one: returns, the stack tracker, writes through the
 * stack, stack addresses that escape, subroutines, loops, forbidden, privileged and FPU/SIMD
 * instructions, and instructions that must not be flagged.
 */
#include "code_cases.h"

#define ROW(n, h, f) {.name = n, .hex = h, .findings = f}

const struct code_case code_cases[] = {
    /* ---- issue 13: each repro of the audit ---- */
    /* call +0; pop rax (the return address); add rax, 14; mov edi, 42; push rax; ret: jumps
     * into the middle of the mov rax, imm64 below, whose immediate hides a syscall. */
    ROW("issue13_push_ret_reaches_hidden_syscall",
        "E8 00 00 00 00 58 48 83 C0 0E BF 2A 00 00 00 50 C3 48 B8 B8 3C 00 00 00 0F 05 90 C3",
        "E stack-range@0x5"),
    ROW("issue13_ret_imm16", "C2 08 00", "E forbidden@0x0"),
    ROW("issue13_retf", "CB", "E forbidden@0x0"),
    ROW("issue13_pop_ret", "58 C3", "E stack-range@0x0"),
    ROW("issue13_leave_ret", "C9 C3", "E stack-untracked@0x0"),
    ROW("issue13_jmp_self_is_a_loop", "EB FE", "W loop@0x0"),
    ROW("issue13_indirect_jmp", "FF E0", "W indirect-branch@0x0"),
    ROW("issue13_indirect_call", "FF D0 C3", "W indirect-branch@0x0"),
    ROW("issue13_fxrstor", "0F AE 08 C3", "W simd@0x0"),
    ROW("issue13_fxsave", "0F AE 00 C3", "W simd@0x0"),
    ROW("issue13_xrstor", "0F AE 28 C3", "W simd@0x0"),
    ROW("issue13_ldmxcsr", "0F AE 10 C3", "W simd@0x0"),
    ROW("issue13_fninit", "DB E3 C3", "W simd@0x0"),
    ROW("issue13_emms", "0F 77 C3", "W simd@0x0"),
    ROW("issue13_vzeroupper", "C5 F8 77 C3", "W simd@0x0"),
    ROW("issue13_fld1", "D9 E8 C3", "W simd@0x0"),

    /* ---- code that must stay clean, even strict ---- */
    ROW("hyperdbg_doc_condition",
        "48 8B 59 10 48 81 FB 00 10 00 00 74 05 48 31 C0 EB 07 48 C7 C0 01 00 00 00 C3", ""),
    ROW("hyperdbg_doc_custom_code",
        "48 8B 5A 40 48 81 FB 48 44 42 47 74 02 EB 08 48 C7 42 40 48 44 42 32 C3", ""),
    ROW("project_ret", "C3", ""),
    ROW("project_nop", "90 C3", ""),
    ROW("project_nops", "90 90 90 C3", ""),
    ROW("project_xchg_nops", "90 91 92 93 C3", ""),
    ROW("project_xchg_ecx", "91 C3", ""),
    ROW("project_zero_rax", "48 31 C0 C3", ""),
    ROW("project_zero_eax", "31 C0 C3", ""),
    ROW("project_mov_eax_1", "B8 01 00 00 00 C3", ""),
    ROW("project_message_hi", "48 89 C8 C7 01 48 49 21 00 C3", ""),
    ROW("project_message_hi_qemu", "C7 01 68 69 21 00 48 89 C8 C3", ""),
    ROW("project_set_guest_rdx", "48 C7 02 2A 00 00 00 C3", ""),
    ROW("project_cs_probe", "8C C8 48 89 42 78 C3", ""),
    ROW("project_copy_rax_to_buffer", "48 8B 02 48 89 01 48 89 C8 C3", ""),
    ROW("rsp_alignment_probe", "48 89 E0 48 83 E0 0F C3", ""),
    ROW("rsp_alignment_probe_32", "48 89 E0 83 E0 0F C3", ""),

    /* ---- the docs' table: one example per finding ---- */
    ROW("doc_truncated", "48 C7 C0 C3", "E truncated@0x0"),
    ROW("doc_invalid", "06 C3", "E invalid@0x0"),
    ROW("doc_runs_off_end", "B0 C3", "E runs-off-end@0x0"),
    ROW("doc_branch_outside", "EB 10 C3", "E branch-outside@0x0"),
    ROW("doc_branch_misplaced", "EB 01 48 C3", "E branch-misplaced@0x0"),
    ROW("doc_privileged_hlt", "F4 C3", "W privileged@0x0"),
    ROW("doc_indirect_jmp", "FF E0 C3", "W indirect-branch@0x0"),
    ROW("doc_simd_pxor", "66 0F EF C0 C3", "W simd@0x0"),

    /* ---- returns ---- */
    ROW("ret_rep_prefix_is_a_near_ret", "F3 C3", ""),
    ROW("ret_bnd_prefix_is_a_near_ret", "F2 C3", ""),
    ROW("ret_operand_size_prefix", "66 C3", "E forbidden@0x0"),
    ROW("ret_far_rex_w", "48 CB", "E forbidden@0x0"),
    ROW("ret_far_imm16", "CA 08 00", "E forbidden@0x0"),
    ROW("ret_imm16_zero", "C2 00 00", "E forbidden@0x0"),
    ROW("ret_after_push", "50 C3", "E stack-unbalanced@0x1"),
    ROW("ret_after_sub_rsp", "48 83 EC 08 C3", "E stack-unbalanced@0x4"),
    /* jz to the pop with nothing pushed: it pops the return address; the fall-through
     * reaches the same pop 8 bytes deeper. */
    ROW("paths_meet_at_a_pop_at_different_depths", "74 02 50 90 58 C3",
        "E stack-unbalanced@0x4, E stack-range@0x4"),
    ROW("paths_meet_at_different_depths", "74 01 50 C3", "E stack-unbalanced@0x3"),
    ROW("unreachable_bytes_after_ret_decode", "C3 90", ""),
    ROW("unreachable_bad_stack_code_is_not_followed", "C3 58 C3", ""),
    ROW("jz_around_ret_runs_off_end", "74 01 C3 90", "E runs-off-end@0x3"),
    ROW("jz_one_past_end", "74 01 C3", "E branch-outside@0x0"),
    ROW("jz_before_start", "90 74 FC C3", "E branch-outside@0x1"),
    ROW("call_out_of_buffer", "E8 00 10 00 00 C3", "E branch-outside@0x0"),
    ROW("call_lands_inside_instruction", "E8 01 00 00 00 48 C3 C3", "E branch-misplaced@0x0"),
    ROW("operand_size_jmp", "66 E9 00 00 00 00 C3", "E forbidden@0x0"),
    ROW("operand_size_call", "66 E8 00 00 00 00 C3", "E forbidden@0x0"),
    ROW("operand_size_jcc", "66 74 00 C3", "E forbidden@0x0"),

    /* ---- the stack tracker ---- */
    ROW("push_pop_balanced", "50 53 5B 58 C3", ""),
    ROW("push_imm_pop", "6A 01 58 C3", ""),
    ROW("push16_pop16", "66 50 66 58 C3", ""),
    ROW("push16_ret_is_off_by_2", "66 50 C3", "E stack-unbalanced@0x2"),
    ROW("pushf_pop", "9C 58 C3", ""),
    ROW("push_mem_pop_mem", "FF 31 8F 01 C3", ""),
    ROW("sub_add_rsp", "48 83 EC 28 48 83 C4 28 C3", ""),
    ROW("lea_rsp_down_and_up", "48 8D 64 24 F8 48 8D 64 24 08 C3", ""),
    ROW("frame_pointer_leave", "55 48 89 E5 48 83 EC 20 48 89 45 F8 C9 C3", ""),
    ROW("frame_pointer_mov_rsp_rbp", "55 48 89 E5 48 83 EC 10 48 89 EC 5D C3", ""),
    ROW("frame_lea_rsp_from_rbp", "55 48 89 E5 48 83 EC 10 48 8D 65 00 5D C3", ""),
    ROW("enter_leave", "C8 20 00 00 C9 C3", ""),
    ROW("enter_nested_leave", "C8 10 00 01 C9 C3", "W stack-escape@0x0"),
    ROW("pop_return_address", "58 50 C3", "E stack-range@0x0"),
    ROW("add_rsp_drops_return_address", "48 83 C4 08 48 83 EC 08 C3", "E stack-range@0x0"),
    ROW("pop_rsp", "5C C3", "E stack-untracked@0x0"),
    ROW("and_rsp_align", "48 83 E4 F0 C3", "E stack-untracked@0x0"),
    ROW("mov_rsp_unknown", "48 89 C4 C3", "E stack-untracked@0x0"),
    ROW("mov_esp", "89 C4 C3", "E stack-untracked@0x0"),
    ROW("xchg_rsp", "48 87 E0 C3", "W stack-escape@0x0, E stack-untracked@0x0"),
    ROW("mov_rsp_from_stack", "48 8B 24 24 C3", "E stack-untracked@0x0"),
    ROW("sub_rsp_register", "48 29 C4 C3", "E stack-untracked@0x0"),
    ROW("leave_after_rbp_lost", "55 48 89 E5 48 31 ED C9 C3",
        "W stack-escape@0x4, E stack-untracked@0x7"),
    ROW("stack_max_is_allowed", "48 81 EC 00 10 00 00 48 81 C4 00 10 00 00 C3", ""),
    ROW("stack_above_max", "48 81 EC 08 10 00 00 48 81 C4 08 10 00 00 C3", "E stack-range@0x0"),

    /* ---- writes through the stack ---- */
    ROW("write_return_address", "48 89 04 24 C3", "E stack-write@0x0"),
    ROW("write_return_address_byte", "C6 44 24 07 00 C3", "E stack-write@0x0"),
    ROW("write_straddles_return_address", "48 89 44 24 FC C3", "E stack-write@0x0"),
    ROW("write_below_rsp_is_fine", "48 89 44 24 F8 C3", ""),
    ROW("write_own_slot_after_push", "50 48 89 0C 24 58 C3", ""),
    ROW("write_shadow_space", "48 89 44 24 08 48 89 44 24 20 C3", ""),
    ROW("write_above_shadow_space", "48 89 44 24 28 C3", "E stack-write@0x0"),
    ROW("write_indexed", "48 89 04 04 C3", "E stack-write@0x0"),
    ROW("write_return_address_through_rbp", "55 48 89 E5 48 89 45 08 5D C3", "E stack-write@0x4"),
    ROW("write_return_address_through_copy", "48 89 E0 48 89 08 C3", "E stack-write@0x3"),
    ROW("write_return_address_through_lea", "48 8D 44 24 10 48 89 48 F0 C3", "E stack-write@0x5"),
    ROW("pop_to_stack_uses_rsp_after_pop", "50 8F 04 24 C3", "E stack-write@0x1"),
    ROW("rep_stos_through_stack", "48 89 E7 F3 AB C3", "E stack-write@0x3"),
    ROW("stos_below_rsp", "48 8D 7C 24 F0 AB C3", ""),
    ROW("bts_register_offset_through_stack", "48 0F AB 44 24 F0 C3", "E stack-write@0x0"),
    ROW("bts_immediate_offset_below_rsp", "48 0F BA 6C 24 F0 05 C3", ""),
    ROW("xsave_area_size_is_unknown", "0F AE 64 24 F0 C3", "W simd@0x0, E stack-write@0x0"),
    ROW("clzero_through_stack_address", "48 89 E0 0F 01 FC C3",
        "W stack-escape@0x3, E stack-write@0x3"),
    ROW("read_return_address_is_fine", "48 8B 04 24 C3", ""),
    ROW("read_caller_frame_is_fine", "48 8B 44 24 68 C3", ""),
    ROW("fs_relative_counts_as_stack", "64 48 89 04 24 C3", "E stack-write@0x0"),
    ROW("write_far_below_rsp", "48 89 84 24 F8 EF FF FF C3", "E stack-write@0x0"),
    ROW("write_at_stack_max_below_rsp", "48 89 84 24 00 F0 FF FF C3", ""),
    /* The subroutine writes 4096 bytes below its own return address, called 8 deep. */
    ROW("subroutine_deepest_write_counts", "50 E8 02 00 00 00 58 C3 48 89 84 24 00 F0 FF FF C3",
        "E stack-range@0x1"),
    ROW("esp_based_write_return_address", "67 89 04 24 C3", "E stack-write@0x0"),
    ROW("xchg_memory_return_address", "48 87 04 24 C3", "E stack-write@0x0"),

    /* ---- stack addresses that escape the tracker ---- */
    ROW("escape_push_rsp", "54 58 C3", "W stack-escape@0x0"),
    ROW("escape_store_rsp", "48 89 21 C3", "W stack-escape@0x0"),
    ROW("escape_and_copy", "48 89 E0 48 83 E0 F0 48 89 08 C3", "W stack-escape@0x3"),
    ROW("escape_lea_indexed", "48 8D 04 0C C3", "W stack-escape@0x0"),
    ROW("escape_movq_xmm", "66 48 0F 6E C4 C3", "W simd@0x0, W stack-escape@0x0"),
    /* Found by fuzz_code_validate: mov al keeps rax's upper 56 bits, a stack address. */
    ROW("escape_partial_write", "48 89 E0 B0 7A 00 40 08 C3", "W stack-escape@0x3"),
    ROW("escape_partial_write_16", "48 89 E0 66 B8 00 00 C3", "W stack-escape@0x3"),
    ROW("escape_and_low_byte_keeps_the_rest", "48 89 E0 24 0F C3", "W stack-escape@0x3"),
    ROW("escape_cmov_keeps_stack_address", "48 89 E0 48 0F 44 C3 48 89 08 C3",
        "W stack-escape@0x3"),
    /* mov rax, rsp; jz +4; sub rax, 8: at the join rax is a stack address at 0 or 8. */
    ROW("write_through_stack_address_paths_disagree_on",
        "48 89 E0 74 04 48 83 E8 08 48 89 08 C3", "E stack-write@0x9"),
    ROW("stack_address_on_one_path_only", "74 03 48 89 E0 48 89 08 C3", "E stack-write@0x5"),
    ROW("same_stack_address_on_both_paths", "48 89 E0 74 00 48 89 48 F8 C3", ""),
    ROW("write_32_bit_replaces_stack_address", "48 89 E0 B8 00 00 00 00 C3", ""),
    ROW("cmp_rsp_is_no_escape", "48 39 C4 48 F7 C4 0F 00 00 00 C3", ""),

    /* ---- subroutines ---- */
    ROW("subroutine_returns", "E8 01 00 00 00 C3 C3", ""),
    ROW("subroutine_is_next_instruction", "E8 00 00 00 00 C3", ""),
    ROW("subroutine_with_frame", "E8 01 00 00 00 C3 55 48 89 E5 5D C3", ""),
    ROW("subroutine_pops_its_return_address", "E8 01 00 00 00 C3 58 50 C3", "E stack-range@0x6"),
    ROW("subroutine_returns_unbalanced", "E8 01 00 00 00 C3 50 C3", "E stack-unbalanced@0x7"),
    ROW("subroutine_writes_callers_frame", "E8 01 00 00 00 C3 48 89 44 24 08 C3",
        "E stack-write@0x6"),
    ROW("subroutine_gets_stack_address", "48 89 E0 E8 01 00 00 00 C3 C3", "W stack-escape@0x3"),
    ROW("subroutine_returns_stack_address", "E8 01 00 00 00 C3 48 89 E0 C3",
        "W stack-escape@0x9"),
    ROW("subroutine_runs_off_end", "E8 01 00 00 00 C3 90", "E runs-off-end@0x6"),
    ROW("recursion_self", "E8 FB FF FF FF C3", "E recursion@0x0"),
    ROW("recursion_mutual", "E8 01 00 00 00 C3 E8 01 00 00 00 C3 E8 F5 FF FF FF C3",
        "E recursion@0xC"),
    ROW("subroutine_shared_by_two_calls", "E8 06 00 00 00 E8 01 00 00 00 C3 C3", ""),
    ROW("subroutine_stack_adds_up",
        "48 81 EC 00 08 00 00 E8 08 00 00 00 48 81 C4 00 08 00 00 C3 "
        "48 81 EC 00 08 00 00 48 81 C4 00 08 00 00 C3",
        "E stack-range@0x7"),

    /* ---- loops ---- */
    ROW("loop_dec_jnz", "48 FF C8 75 FB C3", "W loop@0x3"),
    ROW("loop_instruction", "E2 FE C3", "W loop@0x0"),
    /* jmp 3; nop; jmp 2: the walk meets 3 first, so the nop's fall-through closes the loop. */
    ROW("loop_through_fall_through", "EB 01 90 EB FD C3", "W loop@0x2"),
    ROW("forward_branches_are_a_dag", "74 02 EB 00 90 C3", ""),
    ROW("loop_pushing_unbalances", "50 EB FD", "W loop@0x1, E stack-unbalanced@0x0"),

    /* ---- forbidden: errors in every mode ---- */
    ROW("forbidden_int3", "CC C3", "E forbidden@0x0"),
    ROW("forbidden_int_n", "CD 2E C3", "E forbidden@0x0"),
    ROW("forbidden_int1", "F1 C3", "E forbidden@0x0"),
    ROW("forbidden_syscall", "0F 05 C3", "E forbidden@0x0"),
    ROW("forbidden_sysenter", "0F 34 C3", "E forbidden@0x0"),
    ROW("forbidden_sysret", "48 0F 07", "E forbidden@0x0"),
    ROW("forbidden_ud2", "0F 0B", "E forbidden@0x0"),
    ROW("forbidden_ud1", "0F B9 00 C3", "E forbidden@0x0"),
    ROW("forbidden_ud0", "0F FF 00 C3", "E forbidden@0x0"),
    ROW("forbidden_iretq", "48 CF", "E forbidden@0x0"),
    ROW("forbidden_iretd", "CF", "E forbidden@0x0"),
    ROW("forbidden_far_jmp", "FF 2C 24", "E forbidden@0x0"),
    ROW("forbidden_far_call", "FF 1C 24 C3", "E forbidden@0x0"),
    ROW("forbidden_even_unreachable", "C3 CC", "E forbidden@0x1"),
    ROW("forbidden_0f0d_register_form", "0F 0D C8 C3", "E forbidden@0x0"),
    ROW("prefetchw_memory_form_is_fine", "0F 0D 08 C3", ""),

    /* ---- privileged: warnings, errors with strict ---- */
    ROW("privileged_cli", "FA C3", "W privileged@0x0"),
    ROW("privileged_popf", "50 9D C3", "W privileged@0x1"),
    ROW("privileged_mov_fs", "8E E0 C3", "W privileged@0x0"),
    ROW("privileged_pop_gs", "50 0F A9 C3", "W privileged@0x1"),
    ROW("privileged_vmcall", "0F 01 C1 C3", "W privileged@0x0"),
    ROW("privileged_wrmsr", "0F 30 C3", "W privileged@0x0"),
    ROW("privileged_mov_cr3", "0F 22 D8 C3", "W privileged@0x0"),
    ROW("privileged_tpause", "66 0F AE F0 C3", "W privileged@0x0"),

    /* ---- FPU/SIMD state beyond the audit's list ---- */
    ROW("simd_stmxcsr", "0F AE 18 C3", "W simd@0x0"),
    ROW("simd_xsave", "0F AE 20 C3", "W simd@0x0"),
    ROW("simd_xsavec", "0F C7 20 C3", "W simd@0x0"),
    ROW("simd_xsaveopt", "0F AE 30 C3", "W simd@0x0"),
    ROW("simd_fxsave64", "48 0F AE 00 C3", "W simd@0x0"),
    ROW("simd_vldmxcsr", "C5 F8 AE 10 C3", "W simd@0x0"),
    ROW("simd_fwait", "9B C3", "W simd@0x0"),
    ROW("simd_femms", "0F 0E C3", "W simd@0x0"),
    ROW("simd_movd_mmx", "0F 6E C0 C3", "W simd@0x0"),

    /* ---- general-purpose instructions that must not be flagged ---- */
    ROW("plain_popcnt", "F3 0F B8 C0 C3", ""),
    ROW("plain_crc32", "F2 0F 38 F1 C0 C3", ""),
    ROW("plain_fences", "0F AE E8 0F AE F8 0F AE F0 C3", ""),
    ROW("plain_prefetch_clflush", "0F 18 00 0F AE 38 C3", ""),
    ROW("plain_xgetbv_cpuid_rdtsc", "0F 01 D0 0F A2 0F 31 C3", ""),
    ROW("plain_pause_movnti", "F3 90 0F C3 01 C3", ""),
};

const unsigned code_case_count = sizeof(code_cases) / sizeof(code_cases[0]);
