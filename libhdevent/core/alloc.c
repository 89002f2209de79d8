/* SPDX-License-Identifier: MIT */
/*
 * The leaf of the writer side: backend memory, the writer lock, log lines, hex formatting and
 * the pointer arrays writers grow. Nothing here knows about events or snapshots.
 */
#include "internal/engine.h"

void *hd__alloc(struct hd_engine *e, size_t size)
{
    return e->ops.alloc(e->ops.user, size);
}

void *hd__zalloc(struct hd_engine *e, size_t size)
{
    void *p = hd__alloc(e, size);
    if (p)
        hd_memset(p, 0, size);
    return p;
}

void hd__free(struct hd_engine *e, void *p)
{
    if (p)
        e->ops.free(e->ops.user, p);
}

void hd__writer_lock(struct hd_engine *e)
{
    if (e->ops.lock)
        e->ops.lock(e->ops.user);
}

void hd__writer_unlock(struct hd_engine *e)
{
    if (e->ops.unlock)
        e->ops.unlock(e->ops.user);
}

const char *hd__format_hex(char out[19], uint64_t value, unsigned min_digits)
{
    size_t k = 2;
    out[0] = '0';
    out[1] = 'x';
    for (int shift = 60; shift >= 0; shift -= 4)
        if (value >> shift || (unsigned)shift < 4 * min_digits || shift == 0)
            out[k++] = "0123456789ABCDEF"[(value >> shift) & 0xFu];
    out[k] = '\0';
    return out;
}

void hd__log_parts(struct hd_engine *e, enum hd_log_level level, const char *const *parts)
{
    char line[256];
    size_t n = 0;

    if (!e->ops.log)
        return;
    for (; *parts; parts++)
        for (const char *p = *parts; *p && n + 1 < sizeof(line); p++)
            line[n++] = *p;
    line[n] = '\0';
    e->ops.log(e->ops.user, level, line);
}

void hd__log_refusal(struct hd_engine *e, const char *what, uint64_t tag, enum hd_status st)
{
    char hex[19];
    const char *parts[] = {what, tag ? " " : "", tag ? hd__format_hex(hex, tag, 1) : "", ": ",
                           hd_status_str(st), NULL};
    hd__log_parts(e, HD_LOG_WARN, parts);
}

/* ---- pointer arrays --------------------------------------------------------------------- */

enum hd_status hd__ptrs_append(struct hd_engine *e, struct hd_ptrs *p, void *item,
                               struct hd_ptrs *before)
{
    *before = *p;
    if (p->count == p->capacity) {
        uint32_t cap = p->capacity ? p->capacity * 2 : 4;
        void **grown;
        if (p->capacity >= 0x80000000u)
            return HD_ERR_TOO_LARGE;
        grown = hd__alloc(e, (size_t)cap * sizeof(void *));
        if (!grown)
            return HD_ERR_NO_MEMORY;
        if (p->count)
            hd_memcpy(grown, p->at, (size_t)p->count * sizeof(void *));
        p->at = grown;
        p->capacity = cap;
    }
    p->at[p->count++] = item;
    return HD_OK;
}

void hd__ptrs_commit(struct hd_engine *e, struct hd_ptrs *p, const struct hd_ptrs *before)
{
    if (p->at != before->at)
        hd__free(e, before->at); /* grown: the old array goes */
}

void hd__ptrs_undo(struct hd_engine *e, struct hd_ptrs *p, const struct hd_ptrs *before)
{
    if (p->at != before->at)
        hd__free(e, p->at); /* grown: the copy goes, the old array comes back */
    *p = *before;
}

void hd__ptrs_remove(struct hd_ptrs *p, uint32_t index)
{
    p->count--;
    for (uint32_t k = index; k < p->count; k++)
        p->at[k] = p->at[k + 1];
}
