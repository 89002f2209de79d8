/* SPDX-License-Identifier: MIT */
/*
 * hd_host_recording_next (host.h): the exits of a recording — the scenario `hdevent record`
 * writes on a kernel backend and `hdevent run --record` on the host — read back as
 * struct hd_exit_record, so that a plugin's own test drives them through hd_host_vmcall()
 * against its native hooks. Each exit is a `vmcall` line (the registers before) and the
 * `expect` line after it (fired IDs, short-circuit, the registers after); the commands and
 * comments around them are skipped: the test registers its own events.
 */
#include <hdevent/host.h>

#include <stdio.h>
#include <string.h>

#define ALL_REGS ((1u << HD_GUEST_REG_COUNT) - 1u)

struct cursor {
    const char *text;
    size_t *pos;
    uint32_t *line;
    char *why;
    size_t why_size;
};

static enum hd_status fail(struct cursor *c, const char *what, const char *word, size_t len)
{
    if (c->why && c->why_size)
        snprintf(c->why, c->why_size, "line %u: %s%s%.*s%s", (unsigned)*c->line, what,
                 word ? " ('" : "", word ? (int)(len > 40 ? 40 : len) : 0, word ? word : "",
                 word ? "')" : "");
    return HD_ERR_INVALID_ARGUMENT;
}

/* The next line: [*start, *end) without its newline; false at the end of the text. */
static bool next_line(struct cursor *c, const char **start, size_t *len)
{
    const char *p = c->text + *c->pos, *nl;

    if (!*p)
        return false;
    nl = strchr(p, '\n');
    *start = p;
    *len = nl ? (size_t)(nl - p) : strlen(p);
    *c->pos += *len + (nl ? 1 : 0);
    (*c->line)++;
    while (*len && (*start)[*len - 1] == '\r')
        (*len)--;
    return true;
}

/* A number as the writer writes it and scenarios take it: hex (with or without 0x), or
 * decimal after 0n; the whole of [p, p + len), at most @max. (The host backend does not link
 * the command parser, whose hd_command_number() takes more forms.) */
static bool number(const char *p, size_t len, uint64_t max, uint64_t *out)
{
    unsigned base = 16;
    uint64_t v = 0;

    if (len > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X' || p[1] == 'n' || p[1] == 'N')) {
        base = p[1] == 'n' || p[1] == 'N' ? 10 : 16;
        p += 2;
        len -= 2;
    }
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned d = p[i] >= '0' && p[i] <= '9'   ? (unsigned)(p[i] - '0')
                     : p[i] >= 'a' && p[i] <= 'f' ? (unsigned)(p[i] - 'a' + 10)
                     : p[i] >= 'A' && p[i] <= 'F' ? (unsigned)(p[i] - 'A' + 10)
                                                  : 99;
        if (d >= base || v > (max - d) / base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

static bool starts(const char *p, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len >= n && !memcmp(p, word, n) && (len == n || p[n] == ' ' || p[n] == '\t');
}

/* fired=[1,3]: the IDs as tags (the replay numbers its events from HD_TAG_BASE). */
static enum hd_status fired_list(struct cursor *c, const char *v, size_t len,
                                 struct hd_exit_record *out)
{
    size_t i = 1;

    if (len < 2 || v[0] != '[' || v[len - 1] != ']')
        return fail(c, "fired= takes [ID,ID,...]", v, len);
    if (v[len - 2] == ',')
        return fail(c, "fired=: decimal event IDs", v, len);
    out->fired_count = 0;
    while (i < len - 1) {
        size_t j = i;
        uint64_t id;
        while (j < len - 1 && v[j] != ',')
            j++;
        /* the IDs are decimal, as `events` shows them and the writer writes them */
        id = 0;
        for (size_t k = i; k < j; k++) {
            if (v[k] < '0' || v[k] > '9' || id > (0xFFFFFFFFu - HD_TAG_BASE) / 10)
                return fail(c, "fired=: decimal event IDs", v + i, j - i);
            id = id * 10 + (uint64_t)(v[k] - '0');
        }
        if (j == i || id > 0xFFFFFFFFu - HD_TAG_BASE)
            return fail(c, "fired=: decimal event IDs", v + i, j - i);
        if (out->fired_count < HD_RECORD_FIRED_MAX)
            out->fired[out->fired_count] = HD_TAG_BASE + id;
        out->fired_count++;
        i = j + 1;
    }
    return HD_OK;
}

/*
 * The key=value words of a vmcall (@expect false) or expect line after its keyword into @out;
 * @seen gets a bit per register given.
 */
static enum hd_status words(struct cursor *c, const char *p, size_t len, bool expect,
                            struct hd_exit_record *out, uint32_t *seen)
{
    size_t i = 0;
    bool count_given = false;
    uint32_t listed = 0;

    while (i < len) {
        size_t start, eq, end;
        uint64_t v;
        int r;

        while (i < len && (p[i] == ' ' || p[i] == '\t'))
            i++;
        if (i == len)
            break;
        start = i;
        while (i < len && p[i] != ' ' && p[i] != '\t')
            i++;
        end = i;
        for (eq = start; eq < end && p[eq] != '='; eq++)
            ;
        if (eq == end || eq == start)
            return fail(c, "words are key=value", p + start, end - start);
        if (expect && eq - start == 5 && !memcmp(p + start, "fired", 5)) {
            HD_CHECK(fired_list(c, p + eq + 1, end - eq - 1, out));
            listed = out->fired_count;
            continue;
        }
        if (expect && eq - start == 5 && !memcmp(p + start, "after", 5)) {
            if (end - eq - 1 != 7 || memcmp(p + eq + 1, "unknown", 7))
                return fail(c, "after= is unknown", p + start, end - start);
            out->flags |= HD_RECORD_AFTER_UNKNOWN;
            continue;
        }
        if (expect && eq - start == 13 && !memcmp(p + start, "short_circuit", 13)) {
            if (end - eq - 1 == 4 && !memcmp(p + eq + 1, "true", 4))
                out->flags |= HD_RECORD_SHORT_CIRCUIT;
            else if (end - eq - 1 != 5 || memcmp(p + eq + 1, "false", 5))
                return fail(c, "short_circuit= is true or false", p + start, end - start);
            continue;
        }
        if (!number(p + eq + 1, end - eq - 1, UINT64_MAX, &v))
            return fail(c, "not a number (hex, or 0n decimal)", p + start, end - start);
        r = hd_guest_reg_index(p + start, eq - start);
        if (r >= 0) {
            *hd_guest_reg(expect ? &out->after : &out->before, (unsigned)r) = v;
            *seen |= 1u << r;
        } else if (!expect && eq - start == 4 && !memcmp(p + start, "core", 4) &&
                   v <= UINT32_MAX) {
            out->core = (uint32_t)v;
        } else if (!expect && eq - start == 3 && !memcmp(p + start, "pid", 3) &&
                   v <= UINT32_MAX) {
            out->pid = (uint32_t)v;
        } else if (!expect && eq - start == 3 && !memcmp(p + start, "cpl", 3) && v <= 3) {
            out->cpl = (uint8_t)v;
        } else if (expect && eq - start == 11 && !memcmp(p + start, "fired_count", 11) &&
                   v <= UINT32_MAX) {
            out->fired_count = (uint32_t)v;
            count_given = true;
        } else {
            return fail(c, "unknown word or value out of range", p + start, end - start);
        }
    }
    if (count_given && out->fired_count < listed)
        return fail(c, "fired_count= is below the IDs listed", NULL, 0);
    return HD_OK;
}

enum hd_status hd_host_recording_next(const char *text, size_t *pos, uint32_t *line,
                                      struct hd_exit_record *out, char *why, size_t why_size)
{
    struct cursor c = {text, pos, line, why, why_size};
    struct hd_exit_record r;
    const char *p;
    size_t len;
    uint32_t seen = 0;

    if (!text || !pos || !line || !out || *pos > strlen(text))
        return HD_ERR_INVALID_ARGUMENT;
    if (why && why_size)
        why[0] = '\0';
    for (;;) { /* skip to the next exit: commands, comments and blank lines are not exits */
        if (!next_line(&c, &p, &len))
            return HD_EMPTY;
        if (starts(p, len, "expect"))
            return fail(&c, "an expect line without the vmcall line before it", NULL, 0);
        if (starts(p, len, "vmcall"))
            break;
    }
    memset(&r, 0, sizeof(r));
    r.insn_len = 3;
    HD_CHECK(words(&c, p + 6, len - 6, false, &r, &seen));
    do {
        if (!next_line(&c, &p, &len))
            return fail(&c, "the recording ends after a vmcall line without its expect line",
                        NULL, 0);
    } while (len == 0 || p[0] == '#');
    if (!starts(p, len, "expect"))
        return fail(&c, "a vmcall line is followed by its expect line, not", p, len);
    seen = 0;
    HD_CHECK(words(&c, p + 6, len - 6, true, &r, &seen));
    if ((r.flags & HD_RECORD_AFTER_UNKNOWN) && seen)
        return fail(&c, "after=unknown: the registers after the exit were not recorded, so the "
                        "expect line names none", NULL, 0);
    if (!(r.flags & HD_RECORD_AFTER_UNKNOWN) && seen != ALL_REGS)
        return fail(&c, "an expect line of a recording names every register rax= ... r15=, "
                        "or says after=unknown", NULL, 0);
    *out = r;
    return HD_OK;
}
