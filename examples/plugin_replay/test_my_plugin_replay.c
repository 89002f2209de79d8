/* SPDX-License-Identifier: MIT */
/*
 * The exits a real machine recorded (`hdevent record`, with the plugin's script twin loaded:
 * recorded.scenario), replayed against the C plugin on the host: every exit must come out as
 * it did there — the registers after, the short-circuit, the events that fired.
 *
 *     test_my_plugin_replay recorded.scenario
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdevent/host.h>

#include "my_plugin.h"

static const char *recording_path;

struct fx {
    struct hd_host *host;
    struct hd_engine *engine;
    char *recording;
};

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long n;

    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (text = malloc((size_t)n + 1)) && fread(text, 1, (size_t)n, f) == (size_t)n)
        text[n] = '\0';
    else {
        free(text);
        text = NULL;
    }
    if (f)
        fclose(f);
    return text;
}

static int setup(void **state)
{
    static struct fx f;
    struct hd_host_config config = {.cores = 2}; /* the machine's: the file's first line */

    f.recording = read_all(recording_path);
    if (!f.recording || hd_host_create(&config, &f.host) != HD_OK ||
        hd_engine_create(hd_host_ops(f.host), NULL, &f.engine) != HD_OK)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    hd_engine_destroy(f->engine);
    assert_int_equal(hd_host_live_allocations(f->host), 0);
    hd_host_destroy(f->host);
    free(f->recording);
    return 0;
}

/* Replay every exit of the recording; @return how many came out differently. */
static unsigned replay(struct fx *f, unsigned *exits)
{
    struct hd_exit_record r;
    size_t pos = 0;
    uint32_t line = 0;
    unsigned differ = 0;
    char why[200];
    enum hd_status st;

    *exits = 0;
    while ((st = hd_host_recording_next(f->recording, &pos, &line, &r, why, sizeof(why))) ==
           HD_OK) {
        struct hd_guest_regs regs = r.before;
        struct hd_vcpu vcpu;
        struct hd_exit exit;
        bool sc;

        hd_host_vcpu_init(&vcpu, &regs, r.core, r.pid);
        vcpu.cpl = r.cpl;
        assert_int_equal(hd_host_vmcall(f->host, f->engine, &vcpu, &exit), HD_OK);
        sc = (exit.pre.flags & HD_VERDICT_SHORT_CIRCUIT) != 0;
        /* after=unknown: a two-call exit whose registers after were not recorded */
        if ((!(r.flags & HD_RECORD_AFTER_UNKNOWN) && memcmp(&regs, &r.after, sizeof(regs))) ||
            sc != ((r.flags & HD_RECORD_SHORT_CIRCUIT) != 0) ||
            exit.pre.fired + exit.post.fired != r.fired_count) {
            print_message("line %u: the exit differs (rax 0x%llx, recorded 0x%llx)\n",
                          (unsigned)line, (unsigned long long)regs.rax,
                          (unsigned long long)r.after.rax);
            differ++;
        }
        (*exits)++;
    }
    if (st != HD_EMPTY)
        fail_msg("%s: %s", recording_path, why);
    return differ;
}

static void the_plugin_does_what_the_machine_did(void **state)
{
    struct fx *f = *state;
    unsigned exits;

    assert_int_equal(my_plugin_register(f->engine, 0x490, NULL), HD_OK);
    assert_int_equal(replay(f, &exits), 0);
    assert_true(exits >= 4);
}

/* The replay can fail: the plugin registered for another process misses every answer. */
static void a_plugin_for_another_pid_differs(void **state)
{
    struct fx *f = *state;
    unsigned exits;

    assert_int_equal(my_plugin_register(f->engine, 0x491, NULL), HD_OK);
    assert_true(replay(f, &exits) > 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_plugin_does_what_the_machine_did, setup, teardown),
        cmocka_unit_test_setup_teardown(a_plugin_for_another_pid_differs, setup, teardown),
    };
    if (argc != 2) {
        fprintf(stderr, "usage: %s RECORDING\n", argv[0]);
        return 2;
    }
    recording_path = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
