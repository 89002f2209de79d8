/* SPDX-License-Identifier: MIT */
/*
 * tests/conformance/command_cases.c — the table of command texts and what each must give.
 *
 * Sources: every example and form in reference/hyperdbg-facts.md (the `!vmcall` examples, the
 * number and hex-body rules, `events`), and every error the parser has (command.c,
 * command_lex.c, command_hex.c, command_vmcall.c, command_events.c), each with its exact
 * message, column and token. Columns are 1-based byte offsets; count them in the text.
 * Messages are written out here, not taken from the parser, so a changed message fails a row.
 */
#include "command_cases.h"

/* ---- the expected sentences ------------------------------------------------------------- */

#define M_PID "a pid is a hex number (prefix 0n for decimal) or 'all'"
#define M_CORE "a core is a hex number (prefix 0n for decimal) or 'all'"
#define M_IMM "imm takes 'yes' or 'no'"
#define M_SC "sc takes 'on' or 'off'"
#define M_STAGE "stage takes 'pre', 'post' or 'all'"
#define M_BUFFER "a buffer size is a hex number of bytes (prefix 0n for decimal)"
#define M_CONDITION "condition takes hex bytes in braces, such as condition {90 90 90}"
#define M_CODE "code takes hex bytes in braces, such as code {90 90 90}"
#define M_ASM_CONDITION "asm condition takes assembly in braces, such as asm condition {nop; nop}"
#define M_ASM_CODE "asm code takes assembly in braces, such as asm code {nop; nop}"
#define M_SCRIPT "script takes a script or a file in braces: script {...} or script {file:PATH}"
#define M_OUTPUT_CHAR(c) c " in output name: names are 1 to 63 letters, digits, '_', '.' and '-'"
#define M_NR "nr takes a hypercall number or a range N-M of them, hex (prefix 0n for decimal), such as nr 0x10 or nr 0x10-0x1f"
#define M_DENY "deny takes 'ud' or rax=VALUE (hex, prefix 0n for decimal), such as deny rax=0"
#define M_MAX_HITS "max_hits takes a number of runs, 1 or more (hex, prefix 0n for decimal)"
#define M_OUTPUT "output takes 1 to 5 output names in braces, such as output {name1, name2}"
#define M_ASM "'asm' applies to condition or code: asm condition {...} or asm code {...}"
#define M_OPTION                                                                                \
    "unknown option: !vmcall takes pid, core, imm, sc, stage, buffer, steps, condition, code, " \
    "asm condition, asm code, script, output, nr, deny and max_hits"
#define M_STEPS                                                                                 \
    "a step budget is a hex number of script instructions per run, 1 to 0x1000000 (prefix 0n "  \
    "for decimal)"
#define M_FUNCTIONS                                                                             \
    "a script may call printf, print, event_sc, event_enable, event_disable, event_clear, poi, " \
    "db, dw, dd, dq, eb, ed, eq, check_address, interlocked_* and rdtsc"
#define M_STRAY_BODY                                                                            \
    "a {...} body must follow condition, code, asm condition, asm code, script or output"
#define M_ID "an event ID is a hex number (prefix 0n for decimal) or 'all'"
#define M_EVENTS "events takes nothing (list), e|d|c ID|all, or sc on|off"
#define M_EVENTS_SC "events sc takes 'on' or 'off'"
#define M_COMMAND "expected !vmcall [options] or events [e|d|c ID|all]"
#define M_HEX(w)                                                                                \
    "not hex bytes: " w " {...} takes hex bytes such as {90 90 90}, {0x9090} or {\\x90\\x90}; " \
    "assembly goes in asm " w " {...}"
#define M_PREFIX(w)                                                                             \
    "a '0x' or '\\x' prefix without hex digits: " w " {...} takes hex bytes such as "            \
    "{90 90 90}, {0x9090} or {\\x90\\x90}"
#define M_EMPTY_HEX(w) "empty body: " w " {...} takes hex bytes such as {90 90 90}"
#define M_TOO_LONG(w) "too long: " w " {...} holds at most 65536 bytes, the appended RET included"
#define M_TWICE(o, c) o " given twice (first at column " #c "): give each option once"
#define M_SC_POST(sc, st, col)                                                                  \
    "'sc on' needs stage pre: the VMCALL can only be skipped before it is handled (sc on at "   \
    "column " #sc ", stage " st " at column " #col ")"
#define M_IMM_OUTPUT(imm, out)                                                                  \
    "'imm no' cannot be used with output: forwarding to output sources needs immediate "        \
    "messages (imm no at column " #imm ", output at column " #out ")"
#define M_UNTERMINATED "unterminated '{': a body runs from '{' to its matching '}'"
#define M_UNMATCHED "unmatched '}': a '}' only closes a '{' body, as in code {90 90 90}"
#define M_UNTERMINATED_STRING                                                                   \
    "unterminated string: a '\"' inside a {...} body needs its closing '\"'"
#define M_RANGE32 "too large, the most is 0xFFFFFFFF: "

/* Short forms for rows. */
#define PID490 .pid = CC_NUM(0x490)
#define ASM_BOTH (HD_COMMAND_ASM_CONDITION | HD_COMMAND_ASM_CODE)
#define SCRIPT_FLAGS (HD_COMMAND_SCRIPT)
#define FILE_FLAGS (HD_COMMAND_SCRIPT | HD_COMMAND_SCRIPT_FILE)
#define NO_FILE .supported = HD_ERR_NOT_SUPPORTED /* script {file:PATH}: not read by the parser */
#define TAG(v) .id = (v), .tag = HD_EVENT_TAG(v)

/* A row where `pid <form>` must give pid 0x490. */
#define PID_FORM(n, form) \
    {.name = n, .text = "!vmcall pid " form, PID490, .canonical = "!vmcall pid 0x490"}
/* A row where `code {<body>}` must give the bytes `bytes`. */
#define CODE_FORM(n, body, bytes) \
    {.name = n, .text = "!vmcall code {" body "}", .actions = CC_CODE, .code = bytes, .canonical = "!vmcall code {" bytes "}"}
/* A refused row. */
#define ERR(n, t, col, tok, msg) {.name = n, .text = t, .column = col, .token = tok, .message = msg}
/* A refused row whose script does not compile (HD_ERR_SCRIPT_COMPILE). */
#define SCRIPT_ERR(n, t, col, tok, msg) {.name = n, .text = t, .column = col, .token = tok, .message = msg, .error = HD_ERR_SCRIPT_COMPILE}

/* clang-format off */
const struct command_case command_cases[] = {
    /* ---- HyperDbg's documented examples (hyperdbg-facts.md) ---- */
    {.name = "doc_bare_vmcall", .text = "!vmcall", .canonical = "!vmcall"},
    {.name = "doc_pid_490_core_2", .text = "!vmcall pid 490 core 2", PID490, .core = CC_NUM(2), .canonical = "!vmcall pid 0x490 core 0x2"},
    {.name = "doc_pid_400", .text = "!vmcall pid 400", .pid = CC_NUM(0x400), .canonical = "!vmcall pid 0x400"},
    {.name = "doc_pid_490_code", .text = "!vmcall pid 490 code {90 90 90}", PID490, .actions = CC_CODE, .code = "90 90 90 C3", .canonical = "!vmcall pid 0x490 code {90 90 90 C3}"},
    {.name = "doc_pid_490_code_condition", .text = "!vmcall pid 490 code {90 90 90} condition {90 90 90}", PID490, .condition = "90 90 90 C3", .actions = CC_CODE, .code = "90 90 90 C3", .canonical = "!vmcall pid 0x490 condition {90 90 90 C3} code {90 90 90 C3}"},
    {.name = "doc_pid_490_asm_code_asm_condition", .text = "!vmcall pid 490 asm code {nop; nop; nop} asm condition {nop; nop; nop}", .code = "90 90 90 C3", .condition = "90 90 90 C3", PID490, .actions = CC_CODE, .flags = ASM_BOTH, .asm_condition = "nop; nop; nop", .asm_code = "nop; nop; nop", .canonical = "!vmcall pid 0x490 asm condition {nop; nop; nop} asm code {nop; nop; nop}"},
    {.name = "doc_script_printf_context", .text = "!vmcall script { printf(\"VMCALL executed with context: %llx\\n\", $context); }", .actions = CC_SCRIPT, .flags = SCRIPT_FLAGS, .script = " printf(\"VMCALL executed with context: %llx\\n\", $context); ", .canonical = "!vmcall script { printf(\"VMCALL executed with context: %llx\\n\", $context); }"},
    {.name = "doc_condition_rdx_0x1000_and_code_hdbg", .text = "!vmcall condition {48 8B 59 10 48 81 FB 00 10 00 00 74 05 48 31 C0 EB 07 48 C7 C0 01 00 00 00 C3} code {48 8B 5A 40 48 81 FB 48 44 42 47 74 02 EB 08 48 C7 42 40 48 44 42 32 C3}", .condition = "48 8B 59 10 48 81 FB 00 10 00 00 74 05 48 31 C0 EB 07 48 C7 C0 01 00 00 00 C3", .actions = CC_CODE, .code = "48 8B 5A 40 48 81 FB 48 44 42 47 74 02 EB 08 48 C7 42 40 48 44 42 32 C3", .canonical = "!vmcall condition {48 8B 59 10 48 81 FB 00 10 00 00 74 05 48 31 C0 EB 07 48 C7 C0 01 00 00 00 C3} code {48 8B 5A 40 48 81 FB 48 44 42 47 74 02 EB 08 48 C7 42 40 48 44 42 32 C3}"},
    {.name = "doc_every_option_of_the_current_form", .text = "!vmcall pid 490 core 2 imm yes sc on stage pre buffer 40 script {x=1;} asm condition {nop} asm code {nop} output {a, b}", .code = "90 C3", .condition = "90 C3", PID490, .core = CC_NUM(2), .sc = true, .buffer = 0x40, .actions = CC_SCRIPT_CODE, .flags = ASM_BOTH | SCRIPT_FLAGS, .asm_condition = "nop", .asm_code = "nop", .script = "x=1;", .outputs = "a,b", .canonical = "!vmcall pid 0x490 core 0x2 sc on buffer 0x40 asm condition {nop} script {x=1;} asm code {nop} output {a, b}"},

    /* ---- events ---- */
    {.name = "events_list", .text = "events", .kind = HD_COMMAND_EVENTS_LIST, .canonical = "events"},
    {.name = "events_enable_1", .text = "events e 1", .kind = HD_COMMAND_EVENTS_ENABLE, TAG(1), .canonical = "events e 0x1"},
    {.name = "events_disable_all", .text = "events d all", .kind = HD_COMMAND_EVENTS_DISABLE, .id = HD_TAG_ALL, .tag = HD_TAG_ALL, .canonical = "events d all"},
    {.name = "events_clear_decimal_10", .text = "events c 0n10", .kind = HD_COMMAND_EVENTS_CLEAR, TAG(10), .canonical = "events c 0xA"},
    {.name = "events_disable_hex_10", .text = "  events   d   10  ", .kind = HD_COMMAND_EVENTS_DISABLE, TAG(0x10), .canonical = "events d 0x10"},
    {.name = "events_id_0_is_tag_0x1000000", .text = "events d 0", .kind = HD_COMMAND_EVENTS_DISABLE, TAG(0), .canonical = "events d 0x0"},
    {.name = "events_id_largest", .text = "events e FFFFFFFFFEFFFFFE", .kind = HD_COMMAND_EVENTS_ENABLE, TAG(0xFFFFFFFFFEFFFFFEull), .canonical = "events e 0xFFFFFFFFFEFFFFFE"},
    {.name = "events_id_64bit_with_backtick", .text = "events c fffff800`4ed6f010", .kind = HD_COMMAND_EVENTS_CLEAR, TAG(0xFFFFF8004ED6F010ull), .canonical = "events c 0xFFFFF8004ED6F010"},
    {.name = "events_upper_case", .text = "EVENTS E ALL", .kind = HD_COMMAND_EVENTS_ENABLE, .id = HD_TAG_ALL, .tag = HD_TAG_ALL, .canonical = "events e all"},
    {.name = "events_sc_on", .text = "events sc on", .kind = HD_COMMAND_EVENTS_SC, .sc_on = true, .canonical = "events sc on"},
    {.name = "events_sc_off_mixed_case", .text = "Events Sc OFF", .kind = HD_COMMAND_EVENTS_SC, .canonical = "events sc off"},

    /* ---- numbers: hex by default, prefixes in either case, backticks anywhere ---- */
    PID_FORM("number_plain_hex", "490"),
    PID_FORM("number_0x", "0x490"),
    PID_FORM("number_0X", "0X490"),
    PID_FORM("number_x", "x490"),
    PID_FORM("number_X", "X490"),
    PID_FORM("number_backslash_x", "\\x490"),
    PID_FORM("number_backslash_X", "\\X490"),
    PID_FORM("number_0n", "0n1168"),
    PID_FORM("number_0N", "0N1168"),
    PID_FORM("number_n", "n1168"),
    PID_FORM("number_N", "N1168"),
    PID_FORM("number_backslash_n", "\\n1168"),
    PID_FORM("number_backslash_N", "\\N1168"),
    PID_FORM("number_backtick_inside", "4`90"),
    PID_FORM("number_backticks_around", "`490`"),
    PID_FORM("number_backticks_in_the_prefix", "0`x4`9`0"),
    PID_FORM("number_backtick_after_backslash", "\\`n1`168"),
    PID_FORM("number_leading_zeros", "00000490"),
    PID_FORM("number_0x_leading_zeros", "0x00000490"),
    {.name = "number_hex_digits_either_case", .text = "!vmcall pid aBcD", .pid = CC_NUM(0xABCD), .canonical = "!vmcall pid 0xABCD"},
    {.name = "number_zero", .text = "!vmcall pid 0", .pid = CC_NUM(0), .canonical = "!vmcall pid 0x0"},
    {.name = "number_32bit_max_minus_1", .text = "!vmcall pid FFFFFFFE", .pid = CC_NUM(0xFFFFFFFE), .canonical = "!vmcall pid 0xFFFFFFFE"},
    {.name = "number_32bit_max_is_all", .text = "!vmcall pid 0xFFFFFFFF", .canonical = "!vmcall"},
    {.name = "number_32bit_max_decimal", .text = "!vmcall pid 0n4294967295", .canonical = "!vmcall"},
    {.name = "pid_all", .text = "!vmcall pid all", .canonical = "!vmcall"},
    {.name = "pid_ALL", .text = "!vmcall pid ALL", .canonical = "!vmcall"},
    {.name = "core_all", .text = "!vmcall core all", .canonical = "!vmcall"},
    {.name = "core_ffffffff", .text = "!vmcall core Ffffffff", .canonical = "!vmcall"},
    {.name = "core_decimal", .text = "!vmcall core 0n31", .core = CC_NUM(31), .canonical = "!vmcall core 0x1F"},
    {.name = "core_backslash_x", .text = "!vmcall core \\x1f", .core = CC_NUM(31), .canonical = "!vmcall core 0x1F"},
    {.name = "buffer_largest", .text = "!vmcall buffer 100000", .buffer = 0x100000, .canonical = "!vmcall buffer 0x100000"},
    {.name = "buffer_decimal", .text = "!vmcall buffer 0n4096", .buffer = 0x1000, .canonical = "!vmcall buffer 0x1000"},
    {.name = "buffer_zero_is_the_default", .text = "!vmcall buffer 0", .canonical = "!vmcall"},
    {.name = "buffer_goes_to_the_code_action", .text = "!vmcall buffer 40 code {90}", .buffer = 0x40, .actions = CC_CODE, .code = "90 C3", .canonical = "!vmcall buffer 0x40 code {90 C3}"},

    /* ---- keywords in any case and any order ---- */
    {.name = "keywords_upper_case", .text = "!VMCALL PID 490 CORE 2 CODE {90}", PID490, .core = CC_NUM(2), .actions = CC_CODE, .code = "90 C3", .canonical = "!vmcall pid 0x490 core 0x2 code {90 C3}"},
    {.name = "keywords_mixed_case", .text = "!vmCall Stage POST Imm NO", .stage = HD_STAGE_POST, .imm_no = true, .canonical = "!vmcall imm no stage post"},
    {.name = "options_any_order", .text = "!vmcall code {90} core 2 pid 490", PID490, .core = CC_NUM(2), .actions = CC_CODE, .code = "90 C3", .canonical = "!vmcall pid 0x490 core 0x2 code {90 C3}"},
    {.name = "options_every_one_reversed", .text = "!vmcall output {o} code {90} condition {91} buffer 8 stage pre sc on imm yes core 1 pid 2", .pid = CC_NUM(2), .core = CC_NUM(1), .sc = true, .buffer = 8, .condition = "91 C3", .actions = CC_CODE, .code = "90 C3", .outputs = "o", .canonical = "!vmcall pid 0x2 core 0x1 sc on buffer 0x8 condition {91 C3} code {90 C3} output {o}"},
    {.name = "blanks_between_tokens", .text = "\t!vmcall\r\n pid  490\v\fcore\t2 ", PID490, .core = CC_NUM(2), .canonical = "!vmcall pid 0x490 core 0x2"},
    {.name = "brace_touching_keyword", .text = "!vmcall code{90}condition{91}", .condition = "91 C3", .actions = CC_CODE, .code = "90 C3", .canonical = "!vmcall condition {91 C3} code {90 C3}"},
    {.name = "imm_no", .text = "!vmcall imm no", .imm_no = true, .canonical = "!vmcall imm no"},
    {.name = "imm_yes_is_the_default", .text = "!vmcall imm YES", .canonical = "!vmcall"},
    {.name = "sc_on", .text = "!vmcall sc on", .sc = true, .canonical = "!vmcall sc on"},
    {.name = "sc_off_is_the_default", .text = "!vmcall sc off", .canonical = "!vmcall"},
    {.name = "stage_pre_is_the_default", .text = "!vmcall stage pre", .canonical = "!vmcall"},
    {.name = "stage_post", .text = "!vmcall stage post", .stage = HD_STAGE_POST, .canonical = "!vmcall stage post"},
    {.name = "stage_all", .text = "!vmcall stage all", .stage = HD_STAGE_ALL, .canonical = "!vmcall stage all"},
    {.name = "sc_on_with_stage_pre", .text = "!vmcall stage pre sc on", .sc = true, .canonical = "!vmcall sc on"},
    {.name = "sc_off_with_stage_all", .text = "!vmcall sc off stage all", .stage = HD_STAGE_ALL, .canonical = "!vmcall stage all"},
    {.name = "imm_no_code_all_actions_not_immediate", .text = "!vmcall imm no buffer 40 script {x=1;} code {90}", .imm_no = true, .buffer = 0x40, .actions = CC_SCRIPT_CODE, .code = "90 C3", .flags = SCRIPT_FLAGS, .script = "x=1;", .canonical = "!vmcall imm no buffer 0x40 script {x=1;} code {90 C3}"},

    /* ---- hex bodies ---- */
    CODE_FORM("hex_spaced", "90 90 90", "90 90 90 C3"),
    CODE_FORM("hex_packed", "909090", "90 90 90 C3"),
    {.name = "hex_0x", .text = "!vmcall code {0x909090}", .actions = CC_CODE, .code = "90 90 90 C3", .canonical = "!vmcall code {90 90 90 C3}"},
    {.name = "hex_0X", .text = "!vmcall code {0X9090}", .actions = CC_CODE, .code = "90 90 C3", .canonical = "!vmcall code {90 90 C3}"},
    {.name = "hex_backslash_x", .text = "!vmcall code {\\x90\\x90\\x90}", .actions = CC_CODE, .code = "90 90 90 C3", .canonical = "!vmcall code {90 90 90 C3}"},
    {.name = "hex_backslash_X", .text = "!vmcall code {\\X90\\X91}", .actions = CC_CODE, .code = "90 91 C3", .canonical = "!vmcall code {90 91 C3}"},
    {.name = "hex_mixed_words", .text = "!vmcall code {0x90 0X91 \\x92 93}", .actions = CC_CODE, .code = "90 91 92 93 C3", .canonical = "!vmcall code {90 91 92 93 C3}"},
    {.name = "hex_0x_then_backslash_x", .text = "!vmcall code {0x90\\x91}", .actions = CC_CODE, .code = "90 91 C3", .canonical = "!vmcall code {90 91 C3}"},
    {.name = "hex_newlines_and_tabs", .text = "!vmcall code {\t90\r\n90 \n}", .actions = CC_CODE, .code = "90 90 C3", .canonical = "!vmcall code {90 90 C3}"},
    {.name = "hex_ret_present_none_added", .text = "!vmcall code {48 31 C0\n      C3}", .actions = CC_CODE, .code = "48 31 C0 C3", .canonical = "!vmcall code {48 31 C0 C3}"},
    CODE_FORM("hex_odd_digits_leading_zero", "123", "01 23 C3"),
    {.name = "hex_odd_digits_per_word", .text = "!vmcall code {90 9 90}", .actions = CC_CODE, .code = "90 09 90 C3", .canonical = "!vmcall code {90 09 90 C3}"},
    {.name = "hex_odd_digits_per_group", .text = "!vmcall code {\\x90\\x9}", .actions = CC_CODE, .code = "90 09 C3", .canonical = "!vmcall code {90 09 C3}"},
    {.name = "hex_0x_one_digit", .text = "!vmcall code {0x9}", .actions = CC_CODE, .code = "09 C3", .canonical = "!vmcall code {09 C3}"},
    {.name = "hex_one_zero_digit", .text = "!vmcall code {0}", .actions = CC_CODE, .code = "00 C3", .canonical = "!vmcall code {00 C3}"},
    CODE_FORM("hex_ret_alone", "C3", "C3"),
    {.name = "hex_ret_lower_case", .text = "!vmcall code {c3}", .actions = CC_CODE, .code = "C3", .canonical = "!vmcall code {C3}"},
    {.name = "hex_ret_packed_at_the_end", .text = "!vmcall code {90c3}", .actions = CC_CODE, .code = "90 C3", .canonical = "!vmcall code {90 C3}"},
    CODE_FORM("hex_ret_not_last_gets_one", "C3 90", "C3 90 C3"),
    {.name = "hex_digits_either_case", .text = "!vmcall code {aB cD}", .actions = CC_CODE, .code = "AB CD C3", .canonical = "!vmcall code {AB CD C3}"},
    {.name = "hex_condition_backslash_x", .text = "!vmcall condition {\\x48\\x31\\xC0}", .condition = "48 31 C0 C3", .canonical = "!vmcall condition {48 31 C0 C3}"},
    {.name = "hex_condition_alone_gets_break", .text = "!vmcall condition {90}", .condition = "90 C3", .canonical = "!vmcall condition {90 C3}"},
    {.name = "hex_code_65535_bytes_plus_ret", .text = "!vmcall code {<<65535*90>>}", .actions = CC_CODE, .code = "<<65535*90 >>C3", .canonical = "!vmcall code {<<65535*90 >>C3}"},
    {.name = "hex_code_65536_bytes_ending_in_ret", .text = "!vmcall code {<<65535*90>>c3}", .actions = CC_CODE, .code = "<<65535*90 >>C3", .canonical = "!vmcall code {<<65535*90 >>C3}"},
    {.name = "hex_condition_65536_rets", .text = "!vmcall condition {<<65536*C3>>}", .condition = "<<65535*C3 >>C3", .canonical = "!vmcall condition {<<65535*C3 >>C3}"},

    /* ---- asm, script and output bodies ---- */
    {.name = "asm_applies_to_the_next_keyword", .text = "!vmcall asm condition {nop} code {90}", .condition = "90 C3", .actions = CC_CODE, .code = "90 C3", .flags = HD_COMMAND_ASM_CONDITION, .asm_condition = "nop", .canonical = "!vmcall asm condition {nop} code {90 C3}"},
    {.name = "asm_code_with_hex_condition", .text = "!vmcall condition {90} ASM CODE {nop}", .code = "90 C3", .condition = "90 C3", .actions = CC_CODE, .flags = HD_COMMAND_ASM_CODE, .asm_code = "nop", .canonical = "!vmcall condition {90 C3} asm code {nop}"},
    {.name = "asm_body_verbatim_multiline", .text = "!vmcall asm condition {\n  cmp rdx, 0x1000\n  sete al\n}", .condition = "48 81 FA 00 10 00 00 0F 94 C0 C3", .flags = HD_COMMAND_ASM_CONDITION, .asm_condition = "\n  cmp rdx, 0x1000\n  sete al\n", .canonical = "!vmcall asm condition {\n  cmp rdx, 0x1000\n  sete al\n}"},
    {.name = "asm_code_then_script", .text = "!vmcall asm   code {l: jmp l} script {y=2;}", .code = "EB FE C3", .actions = CC_CODE_SCRIPT, .flags = HD_COMMAND_ASM_CODE | SCRIPT_FLAGS, .asm_code = "l: jmp l", .script = "y=2;", .canonical = "!vmcall asm code {l: jmp l} script {y=2;}"},
    {.name = "script_then_code", .text = "!vmcall script {x=1;} code {90}", .actions = CC_SCRIPT_CODE, .code = "90 C3", .flags = SCRIPT_FLAGS, .script = "x=1;", .canonical = "!vmcall script {x=1;} code {90 C3}"},
    {.name = "code_then_script", .text = "!vmcall code {90} script {x=1;}", .actions = CC_CODE_SCRIPT, .code = "90 C3", .flags = SCRIPT_FLAGS, .script = "x=1;", .canonical = "!vmcall code {90 C3} script {x=1;}"},
    {.name = "script_nested_braces_and_strings", .text = "!vmcall script {if (@rax == 1) { printf(\"}{\\\"\"); }}", .actions = CC_SCRIPT, .flags = SCRIPT_FLAGS, .script = "if (@rax == 1) { printf(\"}{\\\"\"); }", .canonical = "!vmcall script {if (@rax == 1) { printf(\"}{\\\"\"); }}"},
    {.name = "script_multiline", .text = "!vmcall script {\n  printf(\"a\");\n  printf(\"b\");\n}", .actions = CC_SCRIPT, .flags = SCRIPT_FLAGS, .script = "\n  printf(\"a\");\n  printf(\"b\");\n", .canonical = "!vmcall script {\n  printf(\"a\");\n  printf(\"b\");\n}"},
    {.name = "script_filter_hyperdbg_style", .text = "!vmcall pid 4 script { if (@rax == 1234 && $pid == 4) { event_sc(1); } }", .pid = CC_NUM(4), .actions = CC_SCRIPT, .flags = SCRIPT_FLAGS, .script = " if (@rax == 1234 && $pid == 4) { event_sc(1); } ", .canonical = "!vmcall pid 0x4 script { if (@rax == 1234 && $pid == 4) { event_sc(1); } }"},
    {.name = "steps_decimal_with_a_script", .text = "!vmcall steps 0n500 script {x=1;}", .steps = 0x1F4, .actions = CC_SCRIPT, .flags = SCRIPT_FLAGS, .script = "x=1;", .canonical = "!vmcall steps 0x1F4 script {x=1;}"},
    {.name = "steps_maximum_any_case", .text = "!vmcall script {x=1;} STEPS 1000000", .steps = 0x1000000, .actions = CC_SCRIPT, .flags = SCRIPT_FLAGS, .script = "x=1;", .canonical = "!vmcall steps 0x1000000 script {x=1;}"},
    {.name = "script_file", .text = "!vmcall script {file:C:\\scripts\\vmcall.ds}", .actions = CC_SCRIPT, .flags = FILE_FLAGS, .script = "C:\\scripts\\vmcall.ds", NO_FILE, .canonical = "!vmcall script {file:C:\\scripts\\vmcall.ds}"},
    {.name = "script_file_any_case_blanks_trimmed", .text = "!vmcall script {  File:  /tmp/a b.ds \n}", .actions = CC_SCRIPT, .flags = FILE_FLAGS, .script = "/tmp/a b.ds", NO_FILE, .canonical = "!vmcall script {file:/tmp/a b.ds}"},
    {.name = "output_one", .text = "!vmcall output {a}", .outputs = "a", .canonical = "!vmcall output {a}"},
    {.name = "output_doc_names", .text = "!vmcall output {MyOutput1, file2}", .outputs = "MyOutput1,file2", .canonical = "!vmcall output {MyOutput1, file2}"},
    {.name = "output_blanks_around_names", .text = "!vmcall output { a ,b\n,c }", .outputs = "a,b,c", .canonical = "!vmcall output {a, b, c}"},
    {.name = "output_five", .text = "!vmcall output {a,b,c,d,e}", .outputs = "a,b,c,d,e", .canonical = "!vmcall output {a, b, c, d, e}"},
    {.name = "output_name_63_characters", .text = "!vmcall output {<<63*x>>}", .outputs = "<<63*x>>", .canonical = "!vmcall output {<<63*x>>}"},
    {.name = "output_with_imm_yes", .text = "!vmcall imm yes output {tcp_1.2.3.4-80}", .outputs = "tcp_1.2.3.4-80", .canonical = "!vmcall output {tcp_1.2.3.4-80}"},

    /* ---- hdevent's extension: nr, deny, max_hits ---- */
    {.name = "nr_one_number", .text = "!vmcall nr 10", .nr_first = CC_NUM(0x10), .canonical = "!vmcall nr 0x10"},
    {.name = "nr_range_decimal", .text = "!vmcall NR 0n16-0n31", .nr_first = CC_NUM(16), .nr_last = 31, .canonical = "!vmcall nr 0x10-0x1F"},
    {.name = "nr_whole_range", .text = "!vmcall nr 0-ffffffffffffffff", .nr_first = CC_NUM(0), .nr_last = 0xFFFFFFFFFFFFFFFFull, .canonical = "!vmcall nr 0x0-0xFFFFFFFFFFFFFFFF"},
    {.name = "nr_with_filters_and_code", .text = "!vmcall pid 490 nr 5 core 1 code {90}", .pid = CC_NUM(0x490), .core = CC_NUM(1), .nr_first = CC_NUM(5), .actions = CC_CODE, .code = "90 C3", .canonical = "!vmcall pid 0x490 core 0x1 code {90 C3} nr 0x5"},
    {.name = "deny_ud_alone", .text = "!vmcall nr 5 deny ud", .nr_first = CC_NUM(5), .deny = HD_DENY_UD, .actions = CC_NONE, .canonical = "!vmcall nr 0x5 deny ud"},
    {.name = "deny_rax", .text = "!vmcall deny RAX=0n42", .deny = HD_DENY_RAX, .deny_rax = 42, .actions = CC_NONE, .canonical = "!vmcall deny rax=0x2A"},
    {.name = "deny_after_code", .text = "!vmcall code {90} deny rax=0", .deny = HD_DENY_RAX, .actions = CC_CODE, .code = "90 C3", .canonical = "!vmcall code {90 C3} deny rax=0x0"},
    {.name = "max_hits", .text = "!vmcall max_hits 0n10", .max_hits = 10, .canonical = "!vmcall max_hits 0xA"},
    {.name = "all_three", .text = "!vmcall max_hits 1 deny ud nr 1-2", .nr_first = CC_NUM(1), .nr_last = 2, .deny = HD_DENY_UD, .max_hits = 1, .actions = CC_NONE, .canonical = "!vmcall nr 0x1-0x2 deny ud max_hits 0x1"},
    ERR("err_nr_missing", "!vmcall nr", 9, "nr", "missing value: " M_NR),
    ERR("err_nr_range_backwards", "!vmcall nr 20-10", 12, "20-10", "the range ends below its start: " M_NR),
    ERR("err_nr_bad_last", "!vmcall nr 10-zz", 15, "zz", M_NR),
    ERR("err_nr_twice", "!vmcall nr 1 nr 2", 14, "nr", "nr given twice (first at column 9): give each option once"),
    ERR("err_deny_unknown", "!vmcall deny gp", 14, "gp", M_DENY),
    ERR("err_deny_rax_empty", "!vmcall deny rax=", 14, "rax=", "no value after rax=: " M_DENY),
    ERR("err_deny_with_stage_post", "!vmcall deny ud stage post", 23, "post", "deny needs stage pre: the VMCALL can only be refused before it is handled (deny at column 14, stage post at column 23)"),
    ERR("err_max_hits_zero", "!vmcall max_hits 0", 18, "0", "max_hits 0 would never run: " M_MAX_HITS),

    /* ---- errors: the command word ---- */
    ERR("err_empty", "", 1, "", "empty command: " M_COMMAND),
    ERR("err_blank", "   \t", 5, "", "empty command: " M_COMMAND),
    ERR("err_newline", "\n", 2, "", "empty command: " M_COMMAND),
    ERR("err_unknown_command", "!monitor rw", 1, "!monitor", "unknown command: " M_COMMAND),
    ERR("err_vmcall_without_bang", "vmcall pid 1", 1, "vmcall", "unknown command: the event command is !vmcall"),
    ERR("err_VMCALL_without_bang", "  VMCALL", 3, "VMCALL", "unknown command: the event command is !vmcall"),
    ERR("err_command_in_braces", "{!vmcall}", 1, "{!vmcall}", "unknown command: " M_COMMAND),
    ERR("err_vmcall2", "!vmcall2", 1, "!vmcall2", "unknown command: " M_COMMAND),
    ERR("err_event_singular", "event", 1, "event", "unknown command: " M_COMMAND),
    ERR("err_text_too_long", "!vmcall script {<<1048570*x>>}", 0, "", "command longer than 1048576 bytes"),

    /* ---- errors: options and values ---- */
    ERR("err_unknown_option", "!vmcall foo 1", 9, "foo", M_OPTION),
    ERR("err_number_without_option", "!vmcall 490", 9, "490", M_OPTION),
    ERR("err_extra_value", "!vmcall pid 1 2", 15, "2", M_OPTION),
    ERR("err_stray_body", "!vmcall {90}", 9, "{90}", M_STRAY_BODY),
    ERR("err_second_body", "!vmcall code {90} {91}", 19, "{91}", M_STRAY_BODY),
    ERR("err_missing_pid", "!vmcall pid", 9, "pid", "missing value: " M_PID),
    ERR("err_missing_core", "!vmcall pid 1 core", 15, "core", "missing value: " M_CORE),
    ERR("err_missing_imm", "!vmcall imm", 9, "imm", "missing value: " M_IMM),
    ERR("err_missing_sc", "!vmcall SC", 9, "SC", "missing value: " M_SC),
    ERR("err_missing_stage", "!vmcall stage", 9, "stage", "missing value: " M_STAGE),
    ERR("err_missing_buffer", "!vmcall buffer  ", 9, "buffer", "missing value: " M_BUFFER),
    ERR("err_missing_condition", "!vmcall condition", 9, "condition", "missing value: " M_CONDITION),
    ERR("err_missing_code", "!vmcall code", 9, "code", "missing value: " M_CODE),
    ERR("err_missing_asm_condition", "!vmcall asm  condition", 9, "asm  condition", "missing value: " M_ASM_CONDITION),
    ERR("err_missing_asm_code", "!vmcall ASM Code", 9, "ASM Code", "missing value: " M_ASM_CODE),
    ERR("err_missing_script", "!vmcall script", 9, "script", "missing value: " M_SCRIPT),
    ERR("err_missing_output", "!vmcall output", 9, "output", "missing value: " M_OUTPUT),
    ERR("err_missing_steps", "!vmcall script {x=1;} steps", 23, "steps", "missing value: " M_STEPS),

    /* ---- errors: steps ---- */
    ERR("err_steps_without_script", "!vmcall steps 10", 9, "steps", "steps limits the instructions of a script run: give it with script {...}"),
    ERR("err_steps_zero", "!vmcall steps 0 script {x=1;}", 15, "0", "a step budget of 0 runs nothing: " M_STEPS),
    ERR("err_steps_too_large", "!vmcall steps 1000001 script {x=1;}", 15, "1000001", "too large, the most is 0x1000000: " M_STEPS),
    ERR("err_steps_not_a_number", "!vmcall steps many script {x=1;}", 15, "many", M_STEPS),
    ERR("err_steps_no_digits", "!vmcall steps 0n script {x=1;}", 15, "0n", "no digits: " M_STEPS),
    ERR("err_steps_body", "!vmcall steps {10} script {x=1;}", 15, "{10}", "a {...} body is not a number: " M_STEPS),

    /* ---- errors: a script that does not compile, at its token, with its own line and column ---- */
    SCRIPT_ERR("err_script_unknown_function", "!vmcall script { foo(1); }", 18, "foo", "script line 1, column 2: unknown function 'foo': " M_FUNCTIONS),
    SCRIPT_ERR("err_script_third_line", "!vmcall script {\n  x = 1;\n  y = x +;\n}", 36, ";", "script line 3, column 10: expected a value: a number, a name, .global, @register, $pseudo-register, a call or ( ... )"),
    ERR("err_asm_alone", "!vmcall asm", 9, "asm", "missing 'condition' or 'code': " M_ASM),
    ERR("err_asm_script", "!vmcall asm script {x}", 13, "script", M_ASM),
    ERR("err_asm_body", "!vmcall asm {nop}", 13, "{nop}", M_ASM),
    ERR("err_imm_on", "!vmcall imm on", 13, "on", M_IMM),
    ERR("err_imm_body", "!vmcall imm {yes}", 13, "{yes}", M_IMM),
    ERR("err_sc_yes", "!vmcall sc yes", 12, "yes", M_SC),
    ERR("err_stage_both", "!vmcall stage both", 15, "both", M_STAGE),
    ERR("err_stage_body", "!vmcall stage {pre}", 15, "{pre}", M_STAGE),
    ERR("err_condition_not_a_body", "!vmcall condition 90", 19, "90", "expected a {...} body: " M_CONDITION),
    ERR("err_code_not_a_body", "!vmcall code 9090", 14, "9090", "expected a {...} body: " M_CODE),
    ERR("err_asm_condition_not_a_body", "!vmcall asm condition nop", 23, "nop", "expected a {...} body: " M_ASM_CONDITION),
    ERR("err_asm_code_not_a_body", "!vmcall asm code nop", 18, "nop", "expected a {...} body: " M_ASM_CODE),
    ERR("err_script_not_a_body", "!vmcall script x", 16, "x", "expected a {...} body: " M_SCRIPT),
    ERR("err_output_not_a_body", "!vmcall output a", 16, "a", "expected a {...} body: " M_OUTPUT),
    ERR("err_asm_code_empty", "!vmcall asm code { }", 18, "{ }", "empty body: " M_ASM_CODE),
    ERR("err_asm_condition_empty", "!vmcall asm condition {}", 23, "{}", "empty body: " M_ASM_CONDITION),
    /* assembly errors point into the body (the assembler's own errors: test_asm_errors.c) */
    ERR("err_asm_code_size_mismatch", "!vmcall asm code {mov rax, bl}", 19, "mov rax, bl", "asm code: operand size mismatch: rax is 64-bit, bl is 8-bit"),
    ERR("err_asm_condition_second_line", "!vmcall asm condition {xor eax, eax\n  jne nowhere}", 43, "nowhere", "asm condition: undefined label: no 'nowhere:' in the text"),
    ERR("err_asm_code_only_semicolons", "!vmcall asm code { ; }", 19, "", "asm code: no instruction: the text is empty"),
    ERR("err_script_empty", "!vmcall script { }", 16, "{ }", "empty script: " M_SCRIPT),
    ERR("err_script_newline_only", "!vmcall script {\n}", 16, "{ }", "empty script: " M_SCRIPT),
    ERR("err_script_file_no_path", "!vmcall script {file:}", 16, "{file:}", "no path after 'file:': " M_SCRIPT),
    ERR("err_script_file_blank_path", "!vmcall script { FILE:  \n }", 16, "{ FILE:    }", "no path after 'file:': " M_SCRIPT),

    /* ---- errors: numbers (every pid error says pids are hex and 0n makes decimal) ---- */
    ERR("err_pid_too_large", "!vmcall pid 100000000", 13, "100000000", M_RANGE32 M_PID),
    ERR("err_pid_0x_too_large", "!vmcall pid 0x100000000", 13, "0x100000000", M_RANGE32 M_PID),
    ERR("err_pid_decimal_too_large", "!vmcall pid 0n4294967296", 13, "0n4294967296", M_RANGE32 M_PID),
    ERR("err_pid_64bit_address", "!vmcall pid fffff800`4ed6f010", 13, "fffff800`4ed6f010", M_RANGE32 M_PID),
    ERR("err_pid_trailing_x", "!vmcall pid 490x", 13, "490x", M_PID),
    ERR("err_pid_g", "!vmcall pid 12g", 13, "12g", M_PID),
    ERR("err_pid_negative", "!vmcall pid -1", 13, "-1", M_PID),
    ERR("err_pid_comma", "!vmcall pid 1,000", 13, "1,000", M_PID),
    ERR("err_pid_decimal_with_hex_digit", "!vmcall pid 0n12a", 13, "0n12a", M_PID),
    ERR("err_pid_bad_digit_beats_range", "!vmcall pid 100000000z", 13, "100000000z", M_PID),
    ERR("err_pid_backslash_q", "!vmcall pid \\q1", 13, "\\q1", M_PID),
    ERR("err_pid_0x_alone", "!vmcall pid 0x", 13, "0x", "no digits: " M_PID),
    ERR("err_pid_0n_alone", "!vmcall pid 0N", 13, "0N", "no digits: " M_PID),
    ERR("err_pid_x_alone", "!vmcall pid x", 13, "x", "no digits: " M_PID),
    ERR("err_pid_backslash_alone", "!vmcall pid \\", 13, "\\", "no digits: " M_PID),
    ERR("err_pid_backslash_n_alone", "!vmcall pid \\n", 13, "\\n", "no digits: " M_PID),
    ERR("err_pid_backticks_only", "!vmcall pid ``", 13, "``", "no digits: " M_PID),
    ERR("err_pid_body", "!vmcall pid {490}", 13, "{490}", "a {...} body is not a number: " M_PID),
    ERR("err_pid_control_characters", "!vmcall pid 1\x7f\x01", 13, "1  ", M_PID),
    ERR("err_core_too_large", "!vmcall core 100000000", 14, "100000000", M_RANGE32 M_CORE),
    ERR("err_core_word", "!vmcall core two", 14, "two", M_CORE),
    ERR("err_core_no_digits", "!vmcall core 0n", 14, "0n", "no digits: " M_CORE),
    ERR("err_core_body", "!vmcall core {1}", 14, "{1}", "a {...} body is not a number: " M_CORE),
    ERR("err_buffer_too_large", "!vmcall buffer 100001", 16, "100001", "too large, the most is 0x100000: " M_BUFFER),
    ERR("err_buffer_all", "!vmcall buffer all", 16, "all", M_BUFFER),
    ERR("err_buffer_no_digits", "!vmcall buffer \\x", 16, "\\x", "no digits: " M_BUFFER),
    ERR("err_buffer_body", "!vmcall buffer {10}", 16, "{10}", "a {...} body is not a number: " M_BUFFER),

    /* ---- errors: hex bodies ---- */
    ERR("err_hex_empty", "!vmcall code {}", 14, "{}", M_EMPTY_HEX("code")),
    ERR("err_hex_blank", "!vmcall code { }", 14, "{ }", M_EMPTY_HEX("code")),
    ERR("err_hex_condition_newline", "!vmcall condition {\n}", 19, "{ }", M_EMPTY_HEX("condition")),
    ERR("err_hex_not_hex", "!vmcall code {90 zz}", 18, "zz", M_HEX("code")),
    ERR("err_hex_commas", "!vmcall code {90,91}", 15, "90,91", M_HEX("code")),
    ERR("err_hex_backtick", "!vmcall code {90`90}", 15, "90`90", M_HEX("code")),
    ERR("err_hex_assembly", "!vmcall code {nop}", 15, "nop", M_HEX("code")),
    ERR("err_hex_x_without_backslash", "!vmcall condition {\\x90x90}", 20, "\\x90x90", M_HEX("condition")),
    ERR("err_hex_0x_alone", "!vmcall code {0x}", 15, "0x", M_PREFIX("code")),
    ERR("err_hex_backslash_x_alone", "!vmcall code {90 \\x}", 18, "\\x", M_PREFIX("code")),
    ERR("err_hex_trailing_backslash_x", "!vmcall code {0x90\\x}", 15, "0x90\\x", M_PREFIX("code")),
    ERR("err_hex_condition_0x_then_space", "!vmcall condition {0x 90}", 20, "0x", M_PREFIX("condition")),
    {.name = "err_hex_code_too_long", .text = "!vmcall code {<<65536*90>>}", .column = 14, .token = "{<<29*90>>9...", .length = 131074, .message = M_TOO_LONG("code")},
    {.name = "err_hex_code_too_long_with_ret", .text = "!vmcall code {<<65537*C3>>}", .column = 14, .token = "{<<29*C3>>C...", .length = 131076, .message = M_TOO_LONG("code")},
    {.name = "err_hex_condition_too_long", .text = "!vmcall condition {<<65536*90>>}", .column = 19, .token = "{<<29*90>>9...", .length = 131074, .message = M_TOO_LONG("condition")},

    /* ---- errors: outputs ---- */
    ERR("err_output_empty", "!vmcall output {}", 16, "{}", "empty output list: " M_OUTPUT),
    ERR("err_output_blank", "!vmcall output { }", 16, "{ }", "empty output list: " M_OUTPUT),
    ERR("err_output_empty_name", "!vmcall output {a,,b}", 19, ",", "empty output name: " M_OUTPUT),
    ERR("err_output_empty_last_name", "!vmcall output {a, }", 20, "}", "empty output name: " M_OUTPUT),
    ERR("err_output_empty_first_name", "!vmcall output {,a}", 17, ",", "empty output name: " M_OUTPUT),
    ERR("err_output_two_words", "!vmcall output {a b}", 17, "a b", "an output name is one word; separate names with commas: " M_OUTPUT),
    ERR("err_output_quoted", "!vmcall output {a, \"b\"}", 20, "\"", M_OUTPUT_CHAR("'\"'")),
    ERR("err_output_braced", "!vmcall output {a, {b}}", 20, "{", M_OUTPUT_CHAR("'{'")),
    ERR("err_output_colon", "!vmcall output {tcp:1.2.3.4:80}", 20, ":", M_OUTPUT_CHAR("':'")),
    ERR("err_output_twice", "!vmcall output {a, b, a}", 23, "a", "output name listed twice: " M_OUTPUT),
    ERR("err_output_six", "!vmcall output {a,b,c,d,e,f}", 27, "f", "more than 5 output names: events forward to at most 5 output sources"),
    ERR("err_output_seven", "!vmcall output {a, b, c, d, e, f, g}", 32, "f", "more than 5 output names: events forward to at most 5 output sources"),
    {.name = "err_output_name_64", .text = "!vmcall output {<<64*x>>}", .column = 17, .token = "<<60*x>>...", .length = 64, .message = "output name longer than 63 characters"},

    /* ---- errors: each option once ---- */
    ERR("err_twice_pid", "!vmcall pid 1 pid 2", 15, "pid", M_TWICE("pid", 9)),
    ERR("err_twice_core_any_case", "!vmcall core 1 PID 2 Core 1", 22, "Core", M_TWICE("core", 9)),
    ERR("err_twice_imm", "!vmcall imm yes imm yes", 17, "imm", M_TWICE("imm", 9)),
    ERR("err_twice_sc", "!vmcall sc off sc on", 16, "sc", M_TWICE("sc", 9)),
    ERR("err_twice_stage", "!vmcall stage pre stage pre", 19, "stage", M_TWICE("stage", 9)),
    ERR("err_twice_buffer", "!vmcall buffer 1 buffer 2", 18, "buffer", M_TWICE("buffer", 9)),
    ERR("err_twice_condition", "!vmcall condition {90} condition {91}", 24, "condition", M_TWICE("condition", 9)),
    ERR("err_twice_code_then_asm_code", "!vmcall code {90} asm code {nop}", 19, "asm code", M_TWICE("code", 9)),
    ERR("err_twice_asm_condition_then_condition", "!vmcall asm condition {nop} condition {90}", 29, "condition", M_TWICE("condition", 9)),
    ERR("err_twice_asm_code", "!vmcall asm code {a} asm code {b}", 22, "asm code", M_TWICE("code", 9)),
    ERR("err_twice_script", "!vmcall script {x=1;} script {b}", 23, "script", M_TWICE("script", 9)),
    ERR("err_twice_steps", "!vmcall steps 1 steps 2 script {x=1;}", 17, "steps", M_TWICE("steps", 9)),
    ERR("err_twice_output", "!vmcall output {a} output {b}", 20, "output", M_TWICE("output", 9)),

    /* ---- errors: cross-checks, at the later of the two options ---- */
    ERR("err_sc_on_stage_post", "!vmcall sc on stage post", 21, "post", M_SC_POST(12, "post", 21)),
    ERR("err_sc_on_stage_all", "!vmcall sc on stage all", 21, "all", M_SC_POST(12, "all", 21)),
    ERR("err_stage_all_sc_on", "!vmcall stage all sc on", 22, "on", M_SC_POST(22, "all", 15)),
    ERR("err_imm_no_output", "!vmcall imm no output {a}", 16, "output", M_IMM_OUTPUT(13, 16)),
    ERR("err_output_imm_no", "!vmcall output {a} imm no", 24, "no", M_IMM_OUTPUT(24, 9)),
    ERR("err_value_error_before_cross_check", "!vmcall sc on stage post pid x", 30, "x", "no digits: " M_PID),

    /* ---- errors: braces and strings ---- */
    ERR("err_unterminated_body", "!vmcall code {90 90", 14, "{90 90", M_UNTERMINATED),
    ERR("err_unterminated_nested", "!vmcall script {a {b}", 16, "{a {b}", M_UNTERMINATED),
    ERR("err_unterminated_after_good_options", "!vmcall pid 1 code {90", 20, "{90", M_UNTERMINATED),
    {.name = "err_unterminated_long_token", .text = "!vmcall code {<<70*9>>", .column = 14, .token = "{<<59*9>>...", .length = 71, .message = M_UNTERMINATED},
    ERR("err_unmatched_close", "!vmcall pid 1 }", 15, "}", M_UNMATCHED),
    ERR("err_unmatched_close_touching", "!vmcall pid 1}", 14, "}", M_UNMATCHED),
    ERR("err_unmatched_close_first", "} !vmcall", 1, "}", M_UNMATCHED),
    ERR("err_unmatched_close_after_body", "!vmcall code {90}}", 18, "}", M_UNMATCHED),
    ERR("err_unmatched_close_as_value", "!vmcall pid }", 13, "}", M_UNMATCHED),
    ERR("err_unmatched_close_after_asm", "!vmcall asm }", 13, "}", M_UNMATCHED),
    ERR("err_unterminated_string", "!vmcall script {printf(\"}); }", 24, "\"}); }", M_UNTERMINATED_STRING),
    ERR("err_unterminated_string_escaped_quote", "!vmcall script {\"\\\"}", 17, "\"\\\"}", M_UNTERMINATED_STRING),

    /* ---- errors: events ---- */
    ERR("err_events_unknown_action", "events x", 8, "x", "unknown events action: " M_EVENTS),
    ERR("err_events_all_without_action", "events all", 8, "all", "unknown events action: " M_EVENTS),
    ERR("err_events_number_without_action", "events 1", 8, "1", "unknown events action: " M_EVENTS),
    ERR("err_events_body", "events {e}", 8, "{e}", "unknown events action: " M_EVENTS),
    ERR("err_events_missing_id", "events e", 8, "e", "missing event ID: " M_ID),
    ERR("err_events_missing_id_upper", "events D", 8, "D", "missing event ID: " M_ID),
    ERR("err_events_bad_id", "events e 1z", 10, "1z", M_ID),
    ERR("err_events_id_no_digits", "events d 0n", 10, "0n", "no digits: " M_ID),
    ERR("err_events_id_body", "events c {1}", 10, "{1}", "a {...} body is not a number: " M_ID),
    ERR("err_events_id_too_large", "events e FFFFFFFFFEFFFFFF", 10, "FFFFFFFFFEFFFFFF", "too large, the most is 0xFFFFFFFFFEFFFFFE: " M_ID),
    ERR("err_events_id_above_64bit", "events e 10000000000000000", 10, "10000000000000000", "too large, the most is 0xFFFFFFFFFEFFFFFE: " M_ID),
    ERR("err_events_extra", "events e 1 2", 12, "2", "unexpected text after the command: events e|d|c takes one event ID or 'all'"),
    ERR("err_events_all_all", "events e all all", 14, "all", "unexpected text after the command: events e|d|c takes one event ID or 'all'"),
    ERR("err_events_sc_missing", "events sc", 8, "sc", "missing value: " M_EVENTS_SC),
    ERR("err_events_sc_yes", "events sc yes", 11, "yes", M_EVENTS_SC),
    ERR("err_events_sc_extra", "events sc on off", 14, "off", "unexpected text after the command: events sc on|off"),
    ERR("err_events_unmatched_close", "events }", 8, "}", M_UNMATCHED),
    ERR("err_events_unmatched_close_as_id", "events e }", 10, "}", M_UNMATCHED),
    ERR("err_events_unmatched_close_as_sc", "events sc }", 11, "}", M_UNMATCHED),
    ERR("err_events_unmatched_close_at_end", "events e 1 }", 12, "}", M_UNMATCHED),
};
/* clang-format on */

const unsigned command_case_count = sizeof(command_cases) / sizeof(command_cases[0]);
