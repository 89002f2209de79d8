/* SPDX-License-Identifier: MIT */
/*
 * tests/conformance/wire_cases.h — the wire conformance table: one row per buffer sent to
 * hd_wire_ioctl(), how its bytes are made, and the wire code it must get.
 *
 * A row starts from a valid base buffer written by hand at HyperDbg's offsets (never through
 * the structs in wire.h), applies up to four little-endian patches, then grows the buffer
 * (zero bytes) or cuts it. The runner (wire_conformance.c) sends it to a fresh engine holding
 * the fixture events below and checks the code and, for a rejection, that nothing changed.
 */
#ifndef HDEVENT_TESTS_CONFORMANCE_WIRE_CASES_H
#define HDEVENT_TESTS_CONFORMANCE_WIRE_CASES_H

#include <hdevent/wire.h>

/* ---- the fixture every row runs against (4 cores) ---- */

/** Registered, enabled, one break action. */
#define WC_TAG_OLD 0x1000005ull
/** Registered with HD_EVENT_MAX_ACTIONS break actions. */
#define WC_TAG_FULL 0x1000006ull
/** Registered, then cleared: never to be used again. */
#define WC_TAG_CLEARED 0x1000003ull
/** The tag base buffers register: above every tag given out. */
#define WC_TAG_NEW 0x1000010ull
/** No event ever had it. */
#define WC_TAG_UNKNOWN 0x1000099ull

/** Valid buffers a row starts from. */
enum wc_base {
    WC_EVENT,         /* 168 bytes: all cores/pids, enabled, pre, Tag WC_TAG_NEW, no condition */
    WC_EVENT_COND,    /* WC_EVENT + HyperDbg's doc condition (26 bytes) */
    WC_EVENT_NOPS,    /* WC_EVENT + `nops` bytes of 0x90 (last one 0xC3 when `ret`) */
    WC_ACTION_BREAK,  /* 32 bytes: break, for WC_TAG_OLD, imm 1 */
    WC_ACTION_CODE,   /* 32 + HyperDbg's doc custom code (24 bytes), for WC_TAG_OLD */
    WC_ACTION_NOPS,   /* 32 + `nops` bytes of 0x90 (last one 0xC3 when `ret`) */
    WC_ACTION_SCRIPT, /* 32 + an 84-byte script (wire_cases.c: SCRIPT), for WC_TAG_OLD */
    WC_MODIFY,        /* 24 bytes: disable WC_TAG_OLD */
    WC_FLUSH,         /* no input */
};

/** Little-endian write of `width` bytes (1, 2, 4 or 8) at `off`; width 0 ends the list. */
struct wc_patch {
    uint32_t off;
    uint32_t width;
    uint64_t value;
};

/** What a row expects of the engine afterwards. */
enum wc_effect {
    WC_NOTHING,   /* a rejection: events, their states and live allocations as before */
    WC_CHANGES,   /* a valid control row: the request took effect */
    WC_UNCHANGED, /* a valid row that changes nothing by nature (query, flush) */
};

struct wire_case {
    const char *name;
    enum wc_base base;
    /** IOCTL code; 0 takes the base's own. */
    uint32_t ioctl;
    struct wc_patch patch[6];
    /** Bytes added at the end (> 0) or cut (< 0) after patching. */
    int32_t resize;
    /** For WC_*_NOPS: payload bytes, and whether the last is a RET. */
    uint32_t nops;
    bool ret;
    /** Send a NULL input pointer with the built length. */
    bool null_input;
    /** Output length; 0 means "enough" (64 bytes). Use WC_OUT_NONE for 0. */
    int32_t out_len;
    /** hd_wire_ioctl's status: HD_OK when a result is written. */
    enum hd_status status;
    /** The wire code: in the result / KernelStatus, or hd_wire_error_from_status(status). */
    uint32_t expect;
    enum wc_effect effect;
};

#define WC_OUT_NONE (-1)

extern const struct wire_case wire_cases[];
extern const unsigned wire_case_count;

/**
 * Build the bytes of @p c into @p buf (capacity @p cap); returns the length.
 * Aborts if they do not fit (the table is wrong).
 */
size_t wc_build(const struct wire_case *c, uint8_t *buf, size_t cap);

/** The IOCTL code row @p c sends. */
uint32_t wc_ioctl(const struct wire_case *c);

#endif /* HDEVENT_TESTS_CONFORMANCE_WIRE_CASES_H */
