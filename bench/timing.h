/* SPDX-License-Identifier: MIT */
/*
 * Timing and cache control: fenced rdtsc, the calibrated cost of an empty region, the L2
 * sweep for the l3 state, clflush for the dram state, and percentiles.
 */
#ifndef HDEVENT_BENCH_TIMING_H
#define HDEVENT_BENCH_TIMING_H

#include <stddef.h>
#include <stdint.h>

/*
 * Start of a region: lfence keeps rdtsc from running before earlier instructions finish, and
 * the second lfence keeps the region's instructions from starting before rdtsc.
 */
static inline uint64_t bench_tsc_begin(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi)::"memory");
    return (uint64_t)hi << 32 | lo;
}

/* End of a region: rdtscp waits for the region's instructions; lfence holds later ones back. */
static inline uint64_t bench_tsc_end(void)
{
    uint32_t lo, hi, aux;
    __asm__ __volatile__("rdtscp\n\tlfence" : "=a"(lo), "=d"(hi), "=c"(aux)::"memory");
    return (uint64_t)hi << 32 | lo;
}

/* Median cost of an empty region (subtracted from every sample). */
uint64_t bench_calibrate(uint32_t rounds);

/* TSC ticks per second, measured against CLOCK_MONOTONIC_RAW over @ms milliseconds. */
double bench_tsc_hz(unsigned ms);

/* Size of this CPU's L2 (bytes), from sysfs; 1 MiB when unknown. */
size_t bench_l2_bytes(void);

/* Prepare / run / free the l3 state's sweep: reads every line of a buffer 2x L2. */
int bench_sweep_init(void);
void bench_sweep(void);
void bench_sweep_free(void);

/* clflush every line of [p, p + n). Fence with bench_flush_done() after a batch. */
void bench_flush(const void *p, size_t n);
void bench_flush_done(void);

/* Sort @v and return the value at percentile @pct (0..100). */
uint64_t bench_percentile(uint64_t *v, size_t n, double pct);
void bench_sort(uint64_t *v, size_t n);

/* Pin the calling thread to CPU @cpu (-1: any online CPU); returns 0 or -1 (with errno). */
int bench_pin(int cpu);
int bench_online_cpus(void);

#endif /* HDEVENT_BENCH_TIMING_H */
