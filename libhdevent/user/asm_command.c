/* SPDX-License-Identifier: MIT */
/*
 * asm_command.c — the `asm condition {…}` and `asm code {…}` bodies of a command
 * (command_vmcall.c): assembled (hdevent/asm.h) and given the RET that raw code gets, so
 * that from here on they are bytes like any hex body: validated, encoded, registered.
 *
 * A RET (C3) is appended unless the body's last statement already is one. Unlike a hex
 * body, whose last byte is all there is to look at, an assembled body knows where its
 * instructions start: `add bl, 0xC3` ends in the byte C3 but is no return, and gets one.
 *
 * Builds without Zydis (HDEVENT_NO_ZYDIS: the device-only CLIs) do not compile this file in;
 * there the bodies stay text and hd_command_check_supported() says so.
 */
#include "asm_internal.h"
#include "command_internal.h"

#include <stdlib.h>
#include <string.h>

static bool ends_in_ret(const struct hd_asm_result *r)
{
    for (uint32_t i = r->line_count; i > 0; i--) {
        const struct hd_asm_line *l = &r->lines[i - 1];
        if (l->size)
            return l->size == 1 && r->bytes[l->offset] == 0xC3;
    }
    return false;
}

enum hd_status hd__asm_command_body(const struct cmd_lexer *lx, const struct cmd_token *brace,
                                    const char *what, uint8_t **code, uint32_t *size,
                                    struct hd_command_error *err)
{
    const char *body = brace->p + 1;
    struct hd_asm_result r;
    struct hd_asm_error ae;
    enum hd_status st = hd_asm_assemble(body, brace->len - 2, &r, &ae);
    uint32_t n;
    uint8_t *buf;

    if (st == HD_ERR_NO_MEMORY)
        return hd__cmd_no_memory(err);
    if (st != HD_OK)
        return hd__cmd_fail(lx, err, body + ae.offset, ae.length, "asm %s: %s", what, ae.message);
    n = r.size + (ends_in_ret(&r) ? 0 : 1);
    if (n > HD_CODE_MAX_BYTES) {
        hd_asm_free(&r);
        return cmd_fail_tok(lx, err, brace,
                            "too long: asm %s holds at most %u bytes, the appended RET included",
                            what, HD_CODE_MAX_BYTES);
    }
    buf = malloc(n);
    if (!buf) {
        hd_asm_free(&r);
        return hd__cmd_no_memory(err);
    }
    if (r.size)
        memcpy(buf, r.bytes, r.size);
    buf[n - 1] = 0xC3;
    hd_asm_free(&r);
    *code = buf;
    *size = n;
    return HD_OK;
}
