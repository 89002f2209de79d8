/* SPDX-License-Identifier: MIT */
/*
 * hd_versioned_copy() (backend.h): the one copy rule of hdevent's versioned contracts
 * (hd_backend_ops, hd_vmx_glue). A caller compiled against an older, smaller layout gets its
 * missing members as zero; a newer, larger one has the members this library does not know
 * ignored; one below the oldest accepted layout is refused and nothing is written.
 */
#include "helpers.h"

#include <hdevent/vmx.h>

struct v2 {
    uint32_t size;
    uint32_t version;
    void *a;
    void *b; /* appended in "version 2" */
};

static void older_caller_gets_zero_members(void **state)
{
    (void)state;
    struct v2 src = {.size = offsetof(struct v2, b), .version = 1, .a = &src, .b = &src};
    struct v2 dst;
    memset(&dst, 0x5A, sizeof(dst));
    assert_true(hd_versioned_copy(&dst, sizeof(dst), &src, offsetof(struct v2, b)));
    assert_ptr_equal(dst.a, &src);
    assert_null(dst.b); /* past the caller's size: NULL, never the caller's stack */
}

static void newer_caller_is_cut_to_what_we_know(void **state)
{
    (void)state;
    struct {
        struct v2 known;
        void *future;
    } src = {{sizeof(src), 3, &src, &src}, &src};
    struct v2 dst;
    assert_true(hd_versioned_copy(&dst, sizeof(dst), &src, offsetof(struct v2, b)));
    assert_ptr_equal(dst.b, &src);
    assert_int_equal(dst.size, sizeof(src)); /* the caller's size, as given */
}

static void below_the_oldest_layout_is_refused(void **state)
{
    (void)state;
    struct v2 src = {.size = offsetof(struct v2, a), .version = 1};
    struct v2 dst = {.size = 77};
    assert_false(hd_versioned_copy(&dst, sizeof(dst), &src, offsetof(struct v2, b)));
    assert_int_equal(dst.size, 77);
    assert_false(hd_versioned_copy(&dst, sizeof(dst), NULL, 0));
}

/* The two contracts use it with their version-1 sizes. */
static void contracts_name_their_oldest_layout(void **state)
{
    (void)state;
    assert_true(HD_BACKEND_OPS_V1_SIZE < sizeof(struct hd_backend_ops));
    assert_int_equal(HD_VMX_GLUE_V1_SIZE, offsetof(struct hd_vmx_glue, host_cr3));
    assert_int_equal(HD_VMX_GLUE_VERSION, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(older_caller_gets_zero_members),
        cmocka_unit_test(newer_caller_is_cut_to_what_we_know),
        cmocka_unit_test(below_the_oldest_layout_is_refused),
        cmocka_unit_test(contracts_name_their_oldest_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
