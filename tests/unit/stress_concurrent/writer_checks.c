/* SPDX-License-Identifier: MIT */
/*
 * What the writer of test_stress_concurrent.c checks between its changes, while the cores
 * dispatch: the messages the raw code produced, the registry as hd_event_next() reports it
 * against the writer's model, and counters that may only grow.
 */
#include <stdio.h>
#include <string.h>

#include "stress_concurrent.h"

/* Read a few messages: each is a raw code buffer holding the producing core's r13. */
void read_messages(struct writer *w, unsigned max)
{
    struct hd_message_info info;
    uint8_t data[128];
    while (max-- && hd_message_read(g_engine, &info, data, sizeof(data)) == HD_OK) {
        uint64_t word;
        bool zero = true;
        memcpy(&word, data, 8);
        for (uint32_t k = 8; k < info.size && k < sizeof(data); k++)
            zero &= data[k] == 0;
        if (info.truncated || info.size < 8 || info.size > 64 || !zero ||
            word >> 48 != R13_MARK || (word >> 32 & 0xFFFF) != info.core ||
            info.tag < HD_TAG_BASE + 1 || info.tag >= w->next_tag)
            w->bad_messages++;
        w->messages++;
    }
}

/* The registry as the engine reports it equals the writer's model. */
bool walk_registry(struct writer *w)
{
    struct hd_event_info info;
    uint64_t after = 0;
    uint32_t seen = 0;
    enum hd_status st;
    bool perm_seen = false;

    while ((st = hd_event_next(g_engine, after, &info)) == HD_OK) {
        WCHECK(info.tag > after, "hd_event_next not in tag order");
        after = info.tag;
        if (info.tag == g_perm_tag) {
            WCHECK(info.enabled && info.action_count == 1, "permanent event changed");
            perm_seen = true;
            continue;
        }
        uint32_t i;
        for (i = 0; i < w->count && w->ev[i].tag != info.tag; i++)
            ;
        WCHECK(i < w->count, "registry holds %#llx, which was cleared",
               (unsigned long long)info.tag);
        WCHECK(info.enabled == w->ev[i].enabled && info.action_count == w->ev[i].actions &&
                   info.stage == w->ev[i].stage && info.core == w->ev[i].core &&
                   info.pid == w->ev[i].pid && info.short_circuit == w->ev[i].sc &&
                   info.condition == HD_CONDITION_NATIVE,
               "event %#llx differs from the model", (unsigned long long)info.tag);
        seen++;
    }
    WCHECK(st == HD_EMPTY, "hd_event_next: %s", hd_status_name(st));
    WCHECK(perm_seen, "the permanent event is gone");
    WCHECK(seen == w->count, "registry holds %u churned events, model %u", seen, w->count);
    w->walks++;
    return true;
}

/* Counters and queue statistics read while the cores write them: only ever growing. */
bool read_counters(struct writer *w, uint32_t i)
{
    struct hd_event_counters k, all;
    struct hd_message_stats ms;
    uint64_t sum = 0;
    for (uint32_t c = 0; c < CORES; c++) {
        WCHECK(hd_event_counters(g_engine, g_perm_tag, c, &k) == HD_OK, "counters");
        WCHECK(k.hits >= w->perm_hits_seen[c] && k.condition_false == 0,
               "core %u: permanent hits went from %llu to %llu", c,
               (unsigned long long)w->perm_hits_seen[c], (unsigned long long)k.hits);
        w->perm_hits_seen[c] = k.hits;
        sum += k.hits;
        WCHECK(hd_message_stats(g_engine, c, &ms) == HD_OK && ms.queued <= 64, "stats");
    }
    WCHECK(hd_event_counters(g_engine, g_perm_tag, HD_ALL, &all) == HD_OK && all.hits >= sum,
           "summed counters went back");
    if (w->count) {
        WCHECK(hd_event_counters(g_engine, w->ev[i % w->count].tag, HD_ALL, &k) == HD_OK &&
                   k.condition_false <= k.hits,
               "counters of %#llx", (unsigned long long)w->ev[i % w->count].tag);
    }
    w->counter_reads++;
    return true;
}
