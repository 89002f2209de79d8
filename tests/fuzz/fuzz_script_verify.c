/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_script_verify.c — libFuzzer harness for the bytecode verifier (the core's
 * hd_script_verify(), what registration and the wire decoder run on bytes from user mode).
 *
 * Input: arbitrary bytes, taken as bytecode (in a heap block of exactly their length, so ASan
 * catches a read past it). Invariants checked (abort on failure):
 *
 *   refused: one of the verifier's statuses (HD_ERR_SCRIPT_HEADER … _PRINTF); `where` is the
 *     header for the header, size and global-table rules and an instruction for the opcode,
 *     operand and printf rules; hd_script_disasm() refuses it with the same status and writes
 *     nothing; registering it as a script action fails with that status too, leaving nothing
 *     allocated.
 *   accepted: the sections add up to exactly the input's size; the disassembler lists it;
 *     it registers and runs (script_fuzz.h, run_program(): two exits on the host backend, only
 *     prints and run errors left, nothing leaked). This is the promise that a verified program
 *     cannot make the VM touch anything outside its own state: ASan watches every access.
 *
 * Built with -DHD_FUZZ_SEEDS instead, the same file is a program that compiles every script
 * text in a directory (tests/fuzz/seeds/script-compile) into a seed corpus of valid bytecode:
 * `fuzz_script_seeds TEXTDIR OUTDIR`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdevent/script_bytecode.h>

#define FUZZ_NAME "fuzz_script_verify"
#include "script_fuzz.h"

#ifndef HD_FUZZ_SEEDS

static bool verifier_status(enum hd_status st)
{
    return st == HD_ERR_SCRIPT_HEADER || st == HD_ERR_SCRIPT_SIZE || st == HD_ERR_SCRIPT_STACK ||
           st == HD_ERR_SCRIPT_GLOBALS || st == HD_ERR_SCRIPT_OPCODE ||
           st == HD_ERR_SCRIPT_OPERAND || st == HD_ERR_SCRIPT_JUMP || st == HD_ERR_SCRIPT_PRINTF;
}

static void check_refused(const uint8_t *code, size_t size, enum hd_status st,
                          const struct hd_script_info *info)
{
    char out[8];
    size_t length = 1234;

    CHECK(verifier_status(st));
    if (st == HD_ERR_SCRIPT_HEADER || st == HD_ERR_SCRIPT_SIZE || st == HD_ERR_SCRIPT_GLOBALS)
        CHECK(info->where == HD_SCRIPT_WHERE_HEADER);
    if (st == HD_ERR_SCRIPT_OPCODE || st == HD_ERR_SCRIPT_OPERAND || st == HD_ERR_SCRIPT_PRINTF)
        CHECK(info->where < info->insn_count);
    memset(out, 'x', sizeof(out));
    CHECK(hd_script_disasm(code, size, out, sizeof(out), &length) == st);
    CHECK(out[0] == '\0' || out[0] == 'x');
    if (size > 0) /* no bytes at all: registration says HD_ERR_EMPTY_CODE first */
        CHECK(run_program(code, (uint32_t)size) == st);
}

static void check_accepted(const uint8_t *code, size_t size, const struct hd_script_info *info)
{
    size_t length = 0, again = 0;
    char *listing;

    CHECK((uint64_t)HD_SCRIPT_HEADER_SIZE + (uint64_t)HD_SCRIPT_INSN_SIZE * info->insn_count +
              8ull * info->const_count + 4ull * info->global_count + info->string_bytes ==
          size);
    CHECK(info->insn_count >= 1 && info->local_count <= info->slot_count);
    CHECK(hd_script_disasm(code, size, NULL, 0, &length) == HD_ERR_BUFFER_TOO_SMALL);
    listing = malloc(length + 1);
    CHECK(listing != NULL);
    CHECK(hd_script_disasm(code, size, listing, length + 1, &again) == HD_OK);
    CHECK(again == length && strlen(listing) == length);
    free(listing);
    CHECK(run_program(code, (uint32_t)size) == HD_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hd_script_info info;
    uint8_t *code = malloc(size ? size : 1);
    enum hd_status st;

    CHECK(code != NULL);
    if (size)
        memcpy(code, data, size);
    memset(&info, 0xA5, sizeof(info));
    st = hd_script_verify(code, size, &info);
    if (st == HD_OK)
        check_accepted(code, size, &info);
    else
        check_refused(code, size, st, &info);
    free(code);
    return 0;
}

#else /* HD_FUZZ_SEEDS: compile a directory of script texts into bytecode seeds */

#include <dirent.h>

int main(int argc, char **argv)
{
    DIR *dir;
    struct dirent *ent;
    unsigned written = 0, refused = 0;

    if (argc != 3 || !(dir = opendir(argv[1]))) {
        fprintf(stderr, "usage: %s TEXTDIR OUTDIR\n", argv[0]);
        return 2;
    }
    while ((ent = readdir(dir)) != NULL) {
        char path[4096];
        struct hd_script_program p;
        struct hd_script_error e;
        FILE *f;
        if (ent->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", argv[1], ent->d_name);
        if (hd_script_compile_file(path, &p, &e) != HD_OK) {
            refused++; /* the text corpus holds errors on purpose */
            continue;
        }
        snprintf(path, sizeof(path), "%s/seed-%s", argv[2], ent->d_name);
        f = fopen(path, "wb");
        if (!f || fwrite(p.code, 1, p.size, f) != p.size || fclose(f) != 0) {
            fprintf(stderr, "%s: cannot write %s\n", argv[0], path);
            return 1;
        }
        hd_script_program_free(&p);
        written++;
    }
    closedir(dir);
    printf("%u bytecode seeds written to %s (%u texts do not compile)\n", written, argv[2],
           refused);
    return written ? 0 : 1;
}

#endif
