/* SPDX-License-Identifier: MIT */
/*
 * The core's leaf services: memory from the backend, the writer lock, log lines and hex
 * formatting, and a growable array of pointers. Every other core file builds on these;
 * alloc.c depends on nothing but the engine's copy of the backend ops.
 */
#ifndef HDEVENT_INTERNAL_ALLOC_H
#define HDEVENT_INTERNAL_ALLOC_H

#include <hdevent/backend.h>
#include <hdevent/status.h>

#include "compiler.h"

struct hd_engine;

/* Backend memory; writer context only (the dispatch path never allocates). */
void *hd__alloc(struct hd_engine *e, size_t size);
void *hd__zalloc(struct hd_engine *e, size_t size);
void hd__free(struct hd_engine *e, void *p); /* NULL is ignored */

/* The backend's writer lock (no-ops without one: the caller serializes writers). */
void hd__writer_lock(struct hd_engine *e);
void hd__writer_unlock(struct hd_engine *e);

/* One log line joined from @parts (NULL-terminated), without libc; dropped without a log op. */
void hd__log_parts(struct hd_engine *e, enum hd_log_level level, const char *const *parts);
/* "<what> 0x<tag>: <status sentence>" (no tag when @tag is 0: registration has none yet). */
void hd__log_refusal(struct hd_engine *e, const char *what, uint64_t tag, enum hd_status st);
/* "0x" and @value in upper-case hex, at least @min_digits digits; returns @out. */
const char *hd__format_hex(char out[19], uint64_t value, unsigned min_digits);

/*
 * A growable array of object pointers (the registry's events, an event's actions). Writers
 * grow it by copying, never in place, so a failed writer call can put the old one back.
 */
struct hd_ptrs {
    void **at;
    uint32_t count;
    uint32_t capacity;
};

/*
 * Append @item, growing into a new array when full; *@before receives what to restore on a
 * later failure (hd__ptrs_undo) or to release on success (hd__ptrs_commit). On failure here
 * @p is unchanged. @return HD_OK, HD_ERR_NO_MEMORY, HD_ERR_TOO_LARGE (2^31 items).
 */
enum hd_status hd__ptrs_append(struct hd_engine *e, struct hd_ptrs *p, void *item,
                               struct hd_ptrs *before);
void hd__ptrs_commit(struct hd_engine *e, struct hd_ptrs *p, const struct hd_ptrs *before);
void hd__ptrs_undo(struct hd_engine *e, struct hd_ptrs *p, const struct hd_ptrs *before);
/* Remove the item at @index, keeping the order of the others (never allocates). */
void hd__ptrs_remove(struct hd_ptrs *p, uint32_t index);

#endif /* HDEVENT_INTERNAL_ALLOC_H */
