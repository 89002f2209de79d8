/* SPDX-License-Identifier: MIT */
/* Timing and cache control for the benchmark (see timing.h). */
#define _GNU_SOURCE
#include "timing.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * The sweep's own state, on a 128-byte block of its own. The L2 prefetcher fetches lines in
 * 128-byte pairs, and each sweep ends with a store to the sink: next to it the linker had put
 * hdbg's trigger pointer (same line) and armed flag (the pair's other line), so every l3
 * sample found them warm while hd's engine line came from L3.
 */
static struct {
    uint8_t *buf;
    size_t len;
    volatile uint64_t sink;
} __attribute__((__aligned__(128))) sweep;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void bench_sort(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_u64);
}

uint64_t bench_percentile(uint64_t *v, size_t n, double pct)
{
    size_t i;
    if (n == 0)
        return 0;
    bench_sort(v, n);
    i = (size_t)(pct / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

uint64_t bench_calibrate(uint32_t rounds)
{
    uint64_t *v = malloc(rounds * sizeof(*v)), m;
    if (!v)
        return 0;
    for (uint32_t i = 0; i < rounds; i++) {
        uint64_t t0 = bench_tsc_begin();
        uint64_t t1 = bench_tsc_end();
        v[i] = t1 - t0;
    }
    m = bench_percentile(v, rounds, 50);
    free(v);
    return m;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

double bench_tsc_hz(unsigned ms)
{
    double n0 = now_ns(), n1;
    uint64_t t0 = bench_tsc_begin(), t1;
    do
        n1 = now_ns();
    while (n1 - n0 < ms * 1e6);
    t1 = bench_tsc_end();
    return (double)(t1 - t0) / ((n1 - n0) / 1e9);
}

size_t bench_l2_bytes(void)
{
    FILE *f = fopen("/sys/devices/system/cpu/cpu0/cache/index2/size", "r");
    unsigned long v = 0;
    char unit = 0;
    if (f) {
        if (fscanf(f, "%lu%c", &v, &unit) < 1)
            v = 0;
        fclose(f);
    }
    if (unit == 'K')
        v *= 1024;
    else if (unit == 'M')
        v *= 1024 * 1024;
    return v ? (size_t)v : (size_t)1 << 20;
}

int bench_sweep_init(void)
{
    sweep.len = 2 * bench_l2_bytes();
    if (posix_memalign((void **)&sweep.buf, 4096, sweep.len) != 0)
        return -1;
    memset(sweep.buf, 1, sweep.len);
    return 0;
}

void bench_sweep(void)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < sweep.len; i += 64)
        sum += sweep.buf[i];
    sweep.sink = sum;
}

void bench_sweep_free(void)
{
    free(sweep.buf);
    sweep.buf = NULL;
}

void bench_flush(const void *p, size_t n)
{
    const uint8_t *a = (const uint8_t *)((uintptr_t)p & ~(uintptr_t)63);
    const uint8_t *end = (const uint8_t *)p + n;
    for (; a < end; a += 64)
        __asm__ __volatile__("clflush (%0)" ::"r"(a) : "memory");
}

void bench_flush_done(void)
{
    __asm__ __volatile__("mfence" ::: "memory");
}

int bench_pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cpu < 0)
        for (int c = 0; c < bench_online_cpus() && c < CPU_SETSIZE; c++)
            CPU_SET(c, &set);
    else
        CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}

int bench_online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
