/* SPDX-License-Identifier: MIT */
/*
 * `script {file:PATH}`: the parser never reads the file; hd_command_load_script() reads and
 * compiles it, and hd_command_load_script_text() compiles text its caller read (a sandbox:
 * `hdevent run` reads its scenario's files before its seccomp filter). A compile error names
 * the `script` keyword in the command and the line and column in the file; nothing happens to
 * commands without a script file, or to one already loaded.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#include "command_helpers.h"

#include <stdlib.h>
#include <unistd.h>

/* A temporary file holding @p text; its path in @p path (PATH_MAX-free: a fixed template). */
static void temp_file(char path[64], const char *text)
{
    int fd;
    snprintf(path, 64, "/tmp/hdevent-script-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static struct hd_command parse_file_command(const char *path)
{
    char text[128];
    snprintf(text, sizeof(text), "!vmcall pid 4 script {file:%s}", path);
    return parse_ok(text);
}

static void script_action_has(const struct hd_command *c, const struct hd_script_program *p)
{
    assert_int_equal(c->event.action_count, 1);
    assert_int_equal(c->event.actions[0].type, HD_ACTION_SCRIPT);
    assert_ptr_equal(c->event.actions[0].script, p->code);
    assert_int_equal(c->event.actions[0].script_size, p->size);
    assert_int_equal(hd_script_verify(p->code, p->size, NULL), HD_OK);
}

static void load_script_reads_and_compiles_the_file(void **state)
{
    (void)state;
    char path[64];
    struct hd_command_error e;
    struct hd_command c;

    temp_file(path, "// a comment\nprintf(\"%llx\\n\", @rax);\n");
    c = parse_file_command(path);
    assert_null(c.script_program.code); /* the parser touched no file */
    assert_int_equal(hd_command_check_supported(&c, &e), HD_ERR_NOT_SUPPORTED);
    assert_int_equal(hd_command_load_script(&c, &e), HD_OK);
    script_action_has(&c, &c.script_program);
    assert_int_equal(hd_command_check_supported(&c, &e), HD_OK);
    /* Loaded once: a second call changes nothing, even with the file gone. */
    const uint8_t *code = c.script_program.code;
    unlink(path);
    assert_int_equal(hd_command_load_script(&c, &e), HD_OK);
    assert_ptr_equal(c.script_program.code, code);
    hd_command_free(&c);
}

static void load_script_reports_the_line_and_column_in_the_file(void **state)
{
    (void)state;
    char path[64];
    struct hd_command_error e;
    struct hd_command c;

    temp_file(path, "x = 1;\n\ny = nosuch(x);\n");
    c = parse_file_command(path);
    assert_int_equal(hd_command_load_script(&c, &e), HD_ERR_SCRIPT_COMPILE);
    assert_int_equal(e.column, 15); /* the `script` keyword */
    assert_string_equal(e.token, "script");
    assert_int_equal(e.script_line, 3);
    assert_int_equal(e.script_column, 5);
    assert_non_null(strstr(e.message, "line 3, column 5 of /tmp/hdevent-script-"));
    /* The compiler's whole message, not cut short by the path before it. */
    assert_non_null(strstr(e.message, "interlocked_* and rdtsc"));
    assert_null(c.script_program.code);
    assert_int_equal(c.event.actions[0].script_size, 0);
    unlink(path);
    hd_command_free(&c);
}

static void load_script_names_a_file_it_cannot_read(void **state)
{
    (void)state;
    struct hd_command_error e;
    struct hd_command c = parse_file_command("/nonexistent/x.ds");
    assert_int_equal(hd_command_load_script(&c, &e), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(e.column, 15);
    assert_int_equal(e.script_line, 0);
    assert_non_null(strstr(e.message, "cannot read the script file /nonexistent/x.ds"));
    hd_command_free(&c);
}

static void load_script_text_compiles_what_the_caller_read(void **state)
{
    (void)state;
    static const char text[] = "print(@rbx); // no NUL needed";
    struct hd_command_error e;
    struct hd_command c = parse_file_command("never/read.ds");

    assert_int_equal(hd_command_load_script_text(&c, text, strlen(text), &e), HD_OK);
    script_action_has(&c, &c.script_program);
    assert_int_equal(hd_command_check_supported(&c, &e), HD_OK);
    hd_command_free(&c);

    /* An empty file is an empty script: it compiles. */
    c = parse_file_command("empty.ds");
    assert_int_equal(hd_command_load_script_text(&c, NULL, 0, &e), HD_OK);
    script_action_has(&c, &c.script_program);
    hd_command_free(&c);
}

static void load_script_text_reports_errors_as_the_file_would(void **state)
{
    (void)state;
    static const char text[] = "n = 1;\nm = (n;\n";
    struct hd_command_error e;
    struct hd_command c = parse_file_command("bad.ds");

    assert_int_equal(hd_command_load_script_text(&c, text, strlen(text), &e),
                     HD_ERR_SCRIPT_COMPILE);
    assert_int_equal(e.column, 15);
    assert_int_equal(e.script_line, 2);
    assert_non_null(strstr(e.message, "line 2, column "));
    assert_non_null(strstr(e.message, "of bad.ds: "));
    assert_null(c.script_program.code);
    /* A NUL inside the text is refused, not taken for its end. */
    assert_int_equal(hd_command_load_script_text(&c, "x = 1;\0y", 8, &e), HD_ERR_SCRIPT_COMPILE);
    assert_null(c.script_program.code);
    /* Bad arguments. */
    assert_int_equal(hd_command_load_script_text(&c, NULL, 3, &e), HD_ERR_INVALID_ARGUMENT);
    assert_int_equal(hd_command_load_script_text(NULL, "x = 1;", 6, &e), HD_ERR_INVALID_ARGUMENT);
    hd_command_free(&c);
}

static void commands_without_a_script_file_are_left_alone(void **state)
{
    (void)state;
    struct hd_command_error e;
    struct hd_command c = parse_ok("!vmcall script {x = 2;}");
    const uint8_t *code = c.script_program.code;

    assert_non_null(code); /* compiled by the parser */
    assert_int_equal(hd_command_load_script_text(&c, "y = 3;", 6, &e), HD_OK);
    assert_int_equal(hd_command_load_script(&c, &e), HD_OK);
    assert_ptr_equal(c.script_program.code, code);
    hd_command_free(&c);

    c = parse_ok("events d 1");
    assert_int_equal(hd_command_load_script_text(&c, "y = 3;", 6, &e), HD_OK);
    assert_int_equal(hd_command_load_script(&c, &e), HD_OK);
    assert_int_equal(hd_command_load_script(NULL, &e), HD_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(load_script_reads_and_compiles_the_file),
        cmocka_unit_test(load_script_reports_the_line_and_column_in_the_file),
        cmocka_unit_test(load_script_names_a_file_it_cannot_read),
        cmocka_unit_test(load_script_text_compiles_what_the_caller_read),
        cmocka_unit_test(load_script_text_reports_errors_as_the_file_would),
        cmocka_unit_test(commands_without_a_script_file_are_left_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
