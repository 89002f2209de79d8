/* SPDX-License-Identifier: MIT */
/*
 * hd_guest_reg_index() (regs.h), the inverse of hd_guest_reg_name(): every name of every index
 * round-trips; the name is pointer + length and the function reads no byte past it; the match
 * is exact and lower case only (the stricter of what its callers took: `hdevent run --nr-reg`
 * folds case itself); NULL, length 0, prefixes, longer words and other registers' names are -1.
 */
#include "helpers.h"

#include <ctype.h>
#include <stdio.h>

/* Every index's name, as a C string and as the first bytes of a longer word. */
static void reg_index_round_trips_every_name(void **state)
{
    (void)state;
    for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++) {
        const char *name = hd_guest_reg_name(i);
        char word[16];

        assert_int_equal(hd_guest_reg_index(name, strlen(name)), (int)i);
        snprintf(word, sizeof(word), "%s=0x10", name);
        assert_int_equal(hd_guest_reg_index(word, strlen(name)), (int)i);
        assert_string_equal(hd_guest_reg_name((unsigned)hd_guest_reg_index(word, strlen(name))),
                            name);
    }
}

/*
 * A name at the very end of its buffer, no NUL after it: heap blocks of exactly the name's
 * size, so ASan (build-asan) reports any read past the length.
 */
static void reg_index_reads_only_len_bytes(void **state)
{
    (void)state;
    for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++) {
        size_t len = strlen(hd_guest_reg_name(i));
        char *exact = malloc(len);

        assert_non_null(exact);
        memcpy(exact, hd_guest_reg_name(i), len);
        assert_int_equal(hd_guest_reg_index(exact, len), (int)i);
        assert_int_equal(hd_guest_reg_index(exact, len - 1), -1); /* "ra", "r1", "r" */
        free(exact);
    }
}

static void reg_index_shorter_and_longer(void **state)
{
    (void)state;
    /* Shorter: a prefix is no register, unless the prefix is one ("r8" of "r8d"). */
    assert_int_equal(hd_guest_reg_index("rax", 2), -1);
    assert_int_equal(hd_guest_reg_index("r10", 2), -1);
    assert_int_equal(hd_guest_reg_index("r10", 1), -1);
    assert_int_equal(hd_guest_reg_index("r8d", 2), 8);
    /* Longer: the length counts, a NUL inside it included. */
    assert_int_equal(hd_guest_reg_index("rax ", 4), -1);
    assert_int_equal(hd_guest_reg_index("raxx", 4), -1);
    assert_int_equal(hd_guest_reg_index("r100", 4), -1);
    assert_int_equal(hd_guest_reg_index("r8d", 3), -1);
    assert_int_equal(hd_guest_reg_index("rax\0", 4), -1);
    assert_int_equal(hd_guest_reg_index("r8\0", 3), -1);
}

static void reg_index_unknown_names(void **state)
{
    (void)state;
    static const char *const unknown[] = {"eax", "ax",  "al", "rip", "rflags", "r16", "r7",
                                          "r0",  "xmm0", "sp", "rs",  "x",      " rax", "rax=",
                                          "\xe2" "ax"};
    for (size_t k = 0; k < sizeof(unknown) / sizeof(unknown[0]); k++)
        assert_int_equal(hd_guest_reg_index(unknown[k], strlen(unknown[k])), -1);
}

static void reg_index_null_and_empty(void **state)
{
    (void)state;
    assert_int_equal(hd_guest_reg_index(NULL, 0), -1);
    assert_int_equal(hd_guest_reg_index(NULL, 3), -1);
    assert_int_equal(hd_guest_reg_index("rax", 0), -1);
    assert_int_equal(hd_guest_reg_index("", 0), -1);
}

/* Lower case only: "RAX", "Rax", "R8" name nothing (hdevent run --nr-reg folds case itself). */
static void reg_index_refuses_upper_case(void **state)
{
    (void)state;
    for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++) {
        const char *name = hd_guest_reg_name(i);
        size_t len = strlen(name);
        char upper[4], first[4];

        for (size_t k = 0; k < len; k++)
            upper[k] = (char)toupper((unsigned char)name[k]);
        memcpy(first, name, len);
        first[0] = 'R';
        assert_int_equal(hd_guest_reg_index(upper, len), -1);
        assert_int_equal(hd_guest_reg_index(first, len), -1);
    }
    assert_int_equal(hd_guest_reg_index("rAx", 3), -1);
}

/*
 * Every string of 0 to 3 bytes over the bytes register names are made of, their upper case,
 * NUL and a few others, against the plain definition: equal length, equal bytes.
 */
static void reg_index_matches_exactly_the_names(void **state)
{
    (void)state;
    static const char alphabet[] = "r0123456789abcdxipsRABX=\0";
    const size_t n = sizeof(alphabet) - 1; /* the NUL listed, not the terminator */
    unsigned found = 0;

    for (size_t len = 0; len <= 3; len++) {
        size_t combos = 1;
        for (size_t k = 0; k < len; k++)
            combos *= n;
        for (size_t c = 0; c < combos; c++) {
            char s[3];
            size_t v = c;
            int want = -1;

            for (size_t k = 0; k < len; k++, v /= n)
                s[k] = alphabet[v % n];
            for (unsigned i = 0; i < HD_GUEST_REG_COUNT; i++)
                if (strlen(hd_guest_reg_name(i)) == len && !memcmp(s, hd_guest_reg_name(i), len))
                    want = (int)i;
            assert_int_equal(hd_guest_reg_index(s, len), want);
            found += want >= 0;
        }
    }
    assert_int_equal(found, HD_GUEST_REG_COUNT); /* the alphabet spells all 16 */
}

/* docs/c-api.md ("Registers by name") quotes this example. */
static void reg_index_doc_example(void **state)
{
    (void)state;
    struct hd_guest_regs regs = {0};
    const char *word = "rdx=0x10"; /* a word of a longer line: no NUL after the name */

    int reg = hd_guest_reg_index(word, (size_t)(strchr(word, '=') - word));
    if (reg < 0)
        fail_msg("'%s': not a register", word);
    *hd_guest_reg(&regs, (unsigned)reg) = 0x10;

    assert_int_equal(reg, 2);
    assert_int_equal(regs.rdx, 0x10);
    assert_int_equal(hd_guest_reg_index("r15", 3), 15);
    assert_int_equal(hd_guest_reg_index("RAX", 3), -1); /* lower case only */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reg_index_round_trips_every_name),
        cmocka_unit_test(reg_index_reads_only_len_bytes),
        cmocka_unit_test(reg_index_shorter_and_longer),
        cmocka_unit_test(reg_index_unknown_names),
        cmocka_unit_test(reg_index_null_and_empty),
        cmocka_unit_test(reg_index_refuses_upper_case),
        cmocka_unit_test(reg_index_matches_exactly_the_names),
        cmocka_unit_test(reg_index_doc_example),
    };
    return cmocka_run_group_tests_name("hd_guest_reg_index", tests, NULL, NULL);
}
