/* SPDX-License-Identifier: MIT */
/*
 * `!vmcall` commands: every form in HyperDbg's docs (hyperdbg-facts.md), every option, any
 * order and case, the actions a command makes (break when neither code nor script), asm
 * bodies assembled (condition and code apart, unlike HyperDbg), script bodies compiled by the
 * parser (script files by hd_command_load_script), and parsed commands registering on the
 * host backend and running HyperDbg's doc condition and code, as hex and as assembly, on
 * simulated exits.
 */
#include "command_helpers.h"

#define HDBG 0x47424448ull
#define HDB2 0x32424448ull

/* ---- HyperDbg's documented forms ------------------------------------------------------- */

static void doc_bare_vmcall_is_all_pids_all_cores_one_break(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall");
    assert_int_equal(c.kind, HD_COMMAND_VMCALL);
    assert_int_equal(c.event.pid, HD_ALL);
    assert_int_equal(c.event.core, HD_ALL);
    assert_int_equal(c.event.stage, HD_STAGE_PRE);
    assert_false(c.event.short_circuit);
    assert_true(c.event.enabled);
    assert_int_equal(c.event.condition.kind, HD_CONDITION_NONE);
    assert_int_equal(c.event.action_count, 1);
    assert_int_equal(c.event.actions[0].type, HD_ACTION_BREAK);
    assert_true(c.event.actions[0].immediate);
    assert_int_equal(c.event.tag, 0);
    assert_string_equal(c.event.command, "!vmcall");
    assert_int_equal(c.flags, 0);
    assert_int_equal(c.output_count, 0);
    hd_command_free(&c);
}

static void doc_pid_490_core_2(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall pid 490 core 2");
    assert_int_equal(c.event.pid, 0x490); /* hex, as every HyperDbg number */
    assert_int_equal(c.event.core, 2);
    assert_int_equal(c.event.action_count, 1);
    assert_int_equal(c.event.actions[0].type, HD_ACTION_BREAK);
    hd_command_free(&c);
}

static void doc_pid_400(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall pid 400");
    assert_int_equal(c.event.pid, 0x400);
    assert_int_equal(c.event.core, HD_ALL);
    hd_command_free(&c);
}

static void doc_pid_490_code_nops_gets_a_ret(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall pid 490 code {90 90 90}");
    assert_int_equal(c.event.action_count, 1);
    assert_int_equal(c.event.actions[0].type, HD_ACTION_CODE);
    CODE_IS(c.event.actions[0].code, c.event.actions[0].code_size, 0x90, 0x90, 0x90, 0xC3);
    assert_int_equal(c.event.condition.kind, HD_CONDITION_NONE);
    hd_command_free(&c);
}

static void doc_code_and_condition(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall pid 490 code {90 90 90} condition {90 90 90}");
    assert_int_equal(c.event.condition.kind, HD_CONDITION_RAW);
    CODE_IS(c.event.condition.code, c.event.condition.code_size, 0x90, 0x90, 0x90, 0xC3);
    assert_int_equal(c.event.action_count, 1);
    CODE_IS(c.event.actions[0].code, c.event.actions[0].code_size, 0x90, 0x90, 0x90, 0xC3);
    hd_command_free(&c);
}

static void doc_asm_code_and_asm_condition_are_assembled(void **state)
{
    (void)state;
    struct hd_command c =
        parse_ok("!vmcall pid 490 asm code {nop; nop; nop} asm condition {nop; nop; nop}");
    assert_int_equal(c.flags, HD_COMMAND_ASM_CODE | HD_COMMAND_ASM_CONDITION);
    assert_string_equal(c.asm_code.text, "nop; nop; nop");
    assert_int_equal(c.asm_code.length, 13);
    assert_int_equal(c.asm_code.column, 17);
    assert_string_equal(c.asm_condition.text, "nop; nop; nop");
    assert_int_equal(c.asm_condition.column, 42);
    /* Assembled, with the RET raw code gets, as code {90 90 90} condition {90 90 90}. */
    assert_int_equal(c.event.condition.kind, HD_CONDITION_RAW);
    CODE_IS(c.event.condition.code, c.event.condition.code_size, 0x90, 0x90, 0x90, 0xC3);
    assert_int_equal(c.event.action_count, 1);
    assert_int_equal(c.event.actions[0].type, HD_ACTION_CODE);
    CODE_IS(c.event.actions[0].code, c.event.actions[0].code_size, 0x90, 0x90, 0x90, 0xC3);
    hd_command_free(&c);
}

/* HyperDbg: `asm condition {…}` and `asm code {…}` in one command break each other. Here each
 * body is its own text and its own bytes, in either order. */
static void asm_condition_and_asm_code_do_not_mix(void **state)
{
    static const char *const texts[] = {
        "!vmcall asm condition {xor eax, eax; inc eax} asm code {mov qword ptr [rdx+0x40], 7}",
        "!vmcall asm code {mov qword ptr [rdx+0x40], 7} asm condition {xor eax, eax; inc eax}",
    };
    (void)state;
    for (unsigned i = 0; i < 2; i++) {
        struct hd_command c = parse_ok(texts[i]);
        assert_string_equal(c.asm_condition.text, "xor eax, eax; inc eax");
        assert_string_equal(c.asm_code.text, "mov qword ptr [rdx+0x40], 7");
        CODE_IS(c.event.condition.code, c.event.condition.code_size, 0x31, 0xC0, 0xFF, 0xC0,
                0xC3);
        CODE_IS(c.event.actions[0].code, c.event.actions[0].code_size, 0x48, 0xC7, 0x42, 0x40,
                0x07, 0x00, 0x00, 0x00, 0xC3);
        hd_command_free(&c);
    }
}

/* The RET is appended unless the last statement is one: an immediate byte C3 is no return. */
static void asm_bodies_get_a_ret_unless_they_end_in_one(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall asm code {nop; ret} asm condition {add bl, 0xC3}");
    CODE_IS(c.event.actions[0].code, c.event.actions[0].code_size, 0x90, 0xC3);
    CODE_IS(c.event.condition.code, c.event.condition.code_size, 0x80, 0xC3, 0xC3, 0xC3);
    hd_command_free(&c);
    c = parse_ok("!vmcall asm code {done:}");
    CODE_IS(c.event.actions[0].code, c.event.actions[0].code_size, 0xC3);
    hd_command_free(&c);
}

/* An assembler error is the command's: its column points into the body, on its line. */
static void asm_errors_point_into_the_body(void **state)
{
    (void)state;
    parse_fails("!vmcall asm code {mov rax, bl}", 19, "mov rax, bl",
                "asm code: operand size mismatch: rax is 64-bit, bl is 8-bit");
    parse_fails("!vmcall pid 1 asm condition {nop\n  movx eax, 1}", 36, "movx",
                "asm condition: unknown mnemonic");
    parse_fails("!vmcall asm code {jmp out}", 23, "out", "asm code: undefined label");
    /* The options are checked first: a mistake there is reported before one in a body. */
    parse_fails("!vmcall asm code {movx} pid 12g", 29, "12g", "a pid is a hex number");
    /* Both bodies wrong: the earlier one is reported. */
    parse_fails("!vmcall asm code {nop; bad1} asm condition {bad2}", 24, "bad1", "asm code");
    parse_fails("!vmcall asm condition {bad2} asm code {nop; bad1}", 24, "bad2",
                "asm condition");
}

static void doc_script_is_carried_verbatim_and_compiled(void **state)
{
    (void)state;
    const char *text =
        "!vmcall script { printf(\"VMCALL executed with context: %llx\\n\", $context); }";
    struct hd_command c = parse_ok(text);
    assert_int_equal(c.flags, HD_COMMAND_SCRIPT);
    assert_string_equal(c.script.text,
                        " printf(\"VMCALL executed with context: %llx\\n\", $context); ");
    assert_int_equal(c.script.column, 9);
    assert_int_equal(c.event.action_count, 1);
    assert_int_equal(c.event.actions[0].type, HD_ACTION_SCRIPT);
    /* The action carries the bytecode the parser compiled, which the verifier accepts. */
    assert_non_null(c.script_program.code);
    assert_ptr_equal(c.event.actions[0].script, c.script_program.code);
    assert_int_equal(c.event.actions[0].script_size, c.script_program.size);
    assert_int_equal(hd_script_verify(c.script_program.code, c.script_program.size, NULL), HD_OK);
    assert_string_equal(c.event.command, text);
    hd_command_free(&c);
}

/* ---- options --------------------------------------------------------------------------- */

static void every_option_in_any_order_and_case(void **state)
{
    (void)state;
    const char *texts[] = {
        "!vmcall pid 490 core 2 imm no sc on stage pre buffer 40 code {90}",
        "!VMCALL CODE {90} BUFFER 40 STAGE PRE SC ON IMM NO CORE 2 PID 490",
        "!vmcall Stage Pre bUfFeR 40 Imm No cOdE {90} Sc On Core 2 Pid 490",
    };
    for (unsigned i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct hd_command c = parse_ok(texts[i]);
        assert_int_equal(c.event.pid, 0x490);
        assert_int_equal(c.event.core, 2);
        assert_false(c.immediate);
        assert_true(c.event.short_circuit);
        assert_int_equal(c.event.stage, HD_STAGE_PRE);
        assert_int_equal(c.buffer_size, 0x40);
        assert_int_equal(c.event.action_count, 1);
        assert_false(c.event.actions[0].immediate);
        assert_int_equal(c.event.actions[0].buffer_size, 0x40);
        CODE_IS(c.event.actions[0].code, c.event.actions[0].code_size, 0x90, 0xC3);
        hd_command_free(&c);
    }
}

static void pid_and_core_take_all(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall pid all core ALL");
    assert_int_equal(c.event.pid, HD_ALL);
    assert_int_equal(c.event.core, HD_ALL);
    hd_command_free(&c);
}

static void imm_yes_and_no(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall imm yes");
    assert_true(c.immediate);
    assert_true(c.event.actions[0].immediate);
    hd_command_free(&c);
    c = parse_ok("!vmcall imm no");
    assert_false(c.immediate);
    assert_false(c.event.actions[0].immediate); /* the break action too */
    hd_command_free(&c);
}

static void sc_on_and_off(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall sc on");
    assert_true(c.event.short_circuit);
    hd_command_free(&c);
    c = parse_ok("!vmcall sc off stage post");
    assert_false(c.event.short_circuit);
    assert_int_equal(c.event.stage, HD_STAGE_POST);
    hd_command_free(&c);
}

static void stage_pre_post_all(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum hd_stage stage;
    } cases[] = {
        {"!vmcall stage pre", HD_STAGE_PRE},
        {"!vmcall stage post", HD_STAGE_POST},
        {"!vmcall stage all", HD_STAGE_ALL},
        {"!vmcall stage POST", HD_STAGE_POST},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hd_command c = parse_ok(cases[i].text);
        assert_int_equal(c.event.stage, cases[i].stage);
        hd_command_free(&c);
    }
}

static void buffer_goes_to_code_and_script_actions_not_break(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall buffer 0n4096");
    assert_int_equal(c.buffer_size, 4096);
    assert_int_equal(c.event.actions[0].type, HD_ACTION_BREAK);
    assert_int_equal(c.event.actions[0].buffer_size, 0);
    hd_command_free(&c);

    c = parse_ok("!vmcall script {x = 1;} code {c3} buffer 10");
    assert_int_equal(c.event.action_count, 2);
    assert_int_equal(c.event.actions[0].type, HD_ACTION_SCRIPT);
    assert_int_equal(c.event.actions[0].buffer_size, 0x10);
    assert_int_equal(c.event.actions[1].type, HD_ACTION_CODE);
    assert_int_equal(c.event.actions[1].buffer_size, 0x10);
    CODE_IS(c.event.actions[1].code, c.event.actions[1].code_size, 0xC3); /* no second RET */
    hd_command_free(&c);
}

static void code_and_script_actions_keep_command_order(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall code {90} script {x = 1;}");
    assert_int_equal(c.event.action_count, 2);
    assert_int_equal(c.event.actions[0].type, HD_ACTION_CODE);
    assert_int_equal(c.event.actions[1].type, HD_ACTION_SCRIPT);
    hd_command_free(&c);
}

static void output_names(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall output {a, b_2,c.log ,  d-4 ,e}");
    assert_int_equal(c.output_count, 5);
    assert_string_equal(c.outputs[0], "a");
    assert_string_equal(c.outputs[1], "b_2");
    assert_string_equal(c.outputs[2], "c.log");
    assert_string_equal(c.outputs[3], "d-4");
    assert_string_equal(c.outputs[4], "e");
    hd_command_free(&c);

    c = parse_ok("!vmcall imm yes output {MyOutputName1}");
    assert_int_equal(c.output_count, 1);
    assert_string_equal(c.outputs[0], "MyOutputName1");
    hd_command_free(&c);
}

static void script_bodies_balance_braces_and_skip_strings(void **state)
{
    (void)state;
    struct hd_command c =
        parse_ok("!vmcall script { if ($context == 0) { printf(\"}{\\\"}\"); } } pid 4");
    assert_string_equal(c.script.text, " if ($context == 0) { printf(\"}{\\\"}\"); } ");
    assert_int_equal(c.event.pid, 4); /* parsing went on after the body */
    hd_command_free(&c);

    c = parse_ok("!vmcall script {\n  printf(\"a\\n\");\n\tprintf(\"b\");\n}");
    assert_string_equal(c.script.text, "\n  printf(\"a\\n\");\n\tprintf(\"b\");\n");
    hd_command_free(&c);
}

static void script_file_carries_the_path(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall script {file:C:\\scripts\\my script.ds}");
    assert_int_equal(c.flags, HD_COMMAND_SCRIPT | HD_COMMAND_SCRIPT_FILE);
    assert_string_equal(c.script.text, "C:\\scripts\\my script.ds");
    assert_int_equal(c.event.actions[0].type, HD_ACTION_SCRIPT);
    hd_command_free(&c);

    c = parse_ok("!vmcall script {  FILE:  /tmp/a.ds  }");
    assert_string_equal(c.script.text, "/tmp/a.ds");
    assert_int_equal(c.script.length, 9);
    hd_command_free(&c);
}

static void braces_may_touch_keywords(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("  !vmcall code{90}condition{91}pid 1\t\n");
    CODE_IS(c.event.actions[0].code, c.event.actions[0].code_size, 0x90, 0xC3);
    CODE_IS(c.event.condition.code, c.event.condition.code_size, 0x91, 0xC3);
    assert_int_equal(c.event.pid, 1);
    assert_string_equal(c.event.command, "  !vmcall code{90}condition{91}pid 1\t\n");
    hd_command_free(&c);
}

static void asm_applies_to_the_next_keyword_only(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall asm condition {cmp rdx, 0x1000\nsete al} code {90}");
    assert_int_equal(c.flags, HD_COMMAND_ASM_CONDITION);
    assert_string_equal(c.asm_condition.text, "cmp rdx, 0x1000\nsete al");
    assert_null(c.asm_code.text);
    CODE_IS(c.event.actions[0].code, c.event.actions[0].code_size, 0x90, 0xC3);
    hd_command_free(&c);
}

/* ---- hd_command_check_supported, hd_command_free --------------------------------------- */

static void check_supported_names_scripts(void **state)
{
    (void)state;
    struct hd_command_error e;
    struct hd_command c = parse_ok("!vmcall pid 1 code {90}");
    assert_int_equal(hd_command_check_supported(&c, &e), HD_OK);
    hd_command_free(&c);

    /* asm bodies are assembled: nothing stops them (only builds without Zydis do). */
    c = parse_ok("!vmcall pid 1 asm code {nop}");
    assert_int_equal(hd_command_check_supported(&c, &e), HD_OK);
    hd_command_free(&c);

    c = parse_ok("!vmcall asm condition {nop}");
    assert_int_equal(hd_command_check_supported(&c, &e), HD_OK);
    hd_command_free(&c);

    c = parse_ok("!vmcall imm no script {x = 1;}");
    assert_int_equal(hd_command_check_supported(&c, &e), HD_OK); /* compiled by the parser */
    hd_command_free(&c);

    /* A script file is read by hd_command_load_script(), never by the parser. */
    c = parse_ok("!vmcall imm no script {file:/nonexistent/x.ds}");
    assert_int_equal(hd_command_check_supported(&c, &e), HD_ERR_NOT_SUPPORTED);
    assert_int_equal(e.column, 16);
    assert_string_equal(e.token, "script");
    assert_non_null(strstr(e.message, "hd_command_load_script"));
    assert_int_equal(hd_command_check_supported(&c, NULL), HD_ERR_NOT_SUPPORTED);
    assert_int_equal(hd_command_load_script(&c, &e), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(e.column, 16);
    assert_non_null(strstr(e.message, "/nonexistent/x.ds"));
    hd_command_free(&c);

    c = parse_ok("events");
    assert_int_equal(hd_command_check_supported(&c, &e), HD_OK);
    assert_int_equal(hd_command_check_supported(NULL, &e), HD_ERR_INVALID_ARGUMENT);
}

static void free_is_idempotent_and_takes_null(void **state)
{
    (void)state;
    struct hd_command c = parse_ok("!vmcall condition {90} script {x = 1;} asm code {nop}");
    hd_command_free(&c);
    assert_true(command_is_zero(&c));
    hd_command_free(&c);
    hd_command_free(NULL);
}

/* ---- end to end on the host backend ---------------------------------------------------- */

#define DOC_CONDITION "48 8B 59 10 48 81 FB 00 10 00 00 74 05 48 31 C0 EB 07 48 C7 C0 01 00 00 00 C3"
#define DOC_CODE "48 8B 5A 40 48 81 FB 48 44 42 47 74 02 EB 08 48 C7 42 40 48 44 42 32 C3"

static uint64_t register_text(struct fx *f, const char *text)
{
    uint64_t tag = 0;
    struct hd_command c = parse_ok(text);
    assert_int_equal(hd_command_check_supported(&c, NULL), HD_OK);
    assert_int_equal(hd_event_register(f->engine, &c.event, &tag), HD_OK);
    hd_command_free(&c); /* the engine copied what it needs */
    return tag;
}

static void parsed_doc_condition_and_code_run_on_simulated_exits(void **state)
{
    struct fx *f = *state;
    uint32_t n;
    const uint8_t *doc = doc_condition(&n);
    struct hd_command c = parse_ok("!vmcall pid 490 condition {" DOC_CONDITION "} code {"
                                   DOC_CODE "}");
    code_is(c.event.condition.code, c.event.condition.code_size, doc, n); /* no 2nd RET */
    doc = doc_code(&n);
    code_is(c.event.actions[0].code, c.event.actions[0].code_size, doc, n);
    hd_command_free(&c);

    uint64_t tag = register_text(f, "!vmcall pid 490 condition {" DOC_CONDITION "} code {"
                                    DOC_CODE "}");
    struct hd_event_info info;
    assert_int_equal(hd_event_query(f->engine, tag, &info), HD_OK);
    assert_int_equal(info.pid, 0x490);
    assert_int_equal(info.condition, HD_CONDITION_RAW);
    assert_int_equal(info.action_count, 1);
    {
        char command[256];
        assert_int_equal(hd_event_command(f->engine, tag, command, sizeof(command), NULL),
                         HD_OK);
        assert_non_null(strstr(command, "!vmcall pid 490 condition {48 8B"));
    }

    struct hd_guest_regs regs = {.rdx = 0x1000, .r8 = HDBG, .rbx = 0xB0B};
    run_exit(f, 1, 0x490, 0, &regs);
    assert_int_equal(regs.r8, HDB2); /* condition true, code ran */
    assert_int_equal(regs.rbx, 0xB0B);

    regs = (struct hd_guest_regs){.rdx = 0x2000, .r8 = HDBG};
    run_exit(f, 1, 0x490, 0, &regs);
    assert_int_equal(regs.r8, HDBG); /* condition false */

    regs = (struct hd_guest_regs){.rdx = 0x1000, .r8 = HDBG};
    run_exit(f, 1, 0x491, 0, &regs);
    assert_int_equal(regs.r8, HDBG); /* another pid */
}

static void parsed_doc_code_in_the_0x_and_backslash_forms_runs(void **state)
{
    struct fx *f = *state;
    register_text(f, "!vmcall core 2 code {0x488B5A404881FB4844424774 02EB0848C7424048444232C3}");
    register_text(f, "!vmcall core 3 code {\\x48\\x8B\\x5A\\x40\\x48\\x81\\xFB\\x48\\x44\\x42"
                     "\\x47\\x74\\x02\\xEB\\x08\\x48\\xC7\\x42\\x40\\x48\\x44\\x42\\x32\\xC3}");
    for (uint32_t core = 0; core < 4; core++) {
        struct hd_guest_regs regs = {.r8 = HDBG};
        run_exit(f, core, 7, 0, &regs);
        assert_int_equal(regs.r8, core >= 2 ? HDB2 : HDBG);
    }
}

static void parsed_break_command_breaks_on_its_core_and_pid(void **state)
{
    struct fx *f = *state;
    uint64_t tag = register_text(f, "!vmcall pid 490 core 2");
    run_exit(f, 2, 0x490, 0, NULL);
    run_exit(f, 1, 0x490, 0, NULL);
    run_exit(f, 2, 0x491, 0, NULL);
    assert_int_equal(hd_host_break_count(f->host), 1);
    struct hd_host_break b;
    assert_true(hd_host_break_get(f->host, 0, &b));
    assert_int_equal(b.tag, tag);
    assert_int_equal(b.core, 2);
}

static void parsed_sc_on_short_circuits(void **state)
{
    struct fx *f = *state;
    /* mov qword [rdx], 0x2A: the guest's rax = 42 (rdx = regs in custom code). */
    register_text(f, "!vmcall pid 1 sc on code {48 C7 02 2A 00 00 00}");
    register_text(f, "!vmcall pid 2 sc off code {48 C7 02 2A 00 00 00}");

    struct hd_guest_regs regs = {.rax = 0};
    struct hd_exit x = run_exit(f, 0, 1, 0, &regs);
    assert_false(x.default_handled);
    assert_int_equal(regs.rax, 42);

    regs = (struct hd_guest_regs){.rax = 0};
    x = run_exit(f, 0, 2, 0, &regs);
    assert_true(x.default_handled); /* the default handling overwrote rax */
    assert_int_equal(regs.rax, HD_VMCALL_ENOSYS);
}

static void unread_script_files_register_nothing(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *text;
        enum hd_status st;
    } cases[] = {
        {"!vmcall script {file:/tmp/x.ds}", HD_ERR_EMPTY_CODE}, /* not compiled: no bytes */
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hd_command c = parse_ok(cases[i].text);
        assert_int_equal(hd_event_register(f->engine, &c.event, NULL), cases[i].st);
        hd_command_free(&c);
    }
    assert_int_equal(event_count(f), 0);
    assert_int_equal(register_text(f, "!vmcall"), HD_TAG_BASE); /* no tag was used up */
}

/* HyperDbg's documented condition and custom code, written as assembly in one command (the
 * form HyperDbg breaks), run as the hex bodies do. */
static void parsed_asm_doc_condition_and_code_run_on_simulated_exits(void **state)
{
    struct fx *f = *state;
    uint32_t n;
    const uint8_t *doc;
    const char *text =
        "!vmcall pid 490 asm condition {mov rbx, qword ptr [rcx+0x10]; cmp rbx, 0x1000; je yes; "
        "xor rax, rax; jmp done; yes: mov rax, 1; done: ret} asm code {mov rbx, qword ptr "
        "[rdx+0x40]; cmp rbx, 0x47424448; je set; jmp out; set: mov qword ptr [rdx+0x40], "
        "0x32424448; out: ret}";
    struct hd_command c = parse_ok(text);
    doc = doc_condition(&n);
    code_is(c.event.condition.code, c.event.condition.code_size, doc, n);
    doc = doc_code(&n);
    code_is(c.event.actions[0].code, c.event.actions[0].code_size, doc, n);
    hd_command_free(&c);

    register_text(f, text);
    struct hd_guest_regs regs = {.rdx = 0x1000, .r8 = HDBG};
    run_exit(f, 1, 0x490, 0, &regs);
    assert_int_equal(regs.r8, HDB2); /* condition true, code ran */
    regs = (struct hd_guest_regs){.rdx = 0x2000, .r8 = HDBG};
    run_exit(f, 1, 0x490, 0, &regs);
    assert_int_equal(regs.r8, HDBG); /* condition false */
}

int main(void)
{
#define T(fn) cmocka_unit_test(fn)
#define TF(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(doc_bare_vmcall_is_all_pids_all_cores_one_break),
        T(doc_pid_490_core_2),
        T(doc_pid_400),
        T(doc_pid_490_code_nops_gets_a_ret),
        T(doc_code_and_condition),
        T(doc_asm_code_and_asm_condition_are_assembled),
        T(asm_condition_and_asm_code_do_not_mix),
        T(asm_bodies_get_a_ret_unless_they_end_in_one),
        T(asm_errors_point_into_the_body),
        T(doc_script_is_carried_verbatim_and_compiled),
        T(every_option_in_any_order_and_case),
        T(pid_and_core_take_all),
        T(imm_yes_and_no),
        T(sc_on_and_off),
        T(stage_pre_post_all),
        T(buffer_goes_to_code_and_script_actions_not_break),
        T(code_and_script_actions_keep_command_order),
        T(output_names),
        T(script_bodies_balance_braces_and_skip_strings),
        T(script_file_carries_the_path),
        T(braces_may_touch_keywords),
        T(asm_applies_to_the_next_keyword_only),
        T(check_supported_names_scripts),
        T(free_is_idempotent_and_takes_null),
        TF(parsed_doc_condition_and_code_run_on_simulated_exits),
        TF(parsed_doc_code_in_the_0x_and_backslash_forms_runs),
        TF(parsed_break_command_breaks_on_its_core_and_pid),
        TF(parsed_sc_on_short_circuits),
        TF(unread_script_files_register_nothing),
        TF(parsed_asm_doc_condition_and_code_run_on_simulated_exits),
    };
#undef T
#undef TF
    return cmocka_run_group_tests_name("!vmcall commands", tests, NULL, NULL);
}
