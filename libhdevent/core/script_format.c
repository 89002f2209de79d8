/* SPDX-License-Identifier: MIT */
/*
 * printf formats of scripts, without libc: the one parser the verifier counts conversions
 * with and the VM formats with, so a format the verifier accepted is exactly one the VM
 * prints. Conversions: %llx %llX %llu %lld (64 bits), %x %X %u %d (the low 32 bits, as C
 * passes an int), %c (the low byte), %p ("0x" and lower-case hex), %%. No flags, widths or
 * precisions: the compiler refuses them with a message, the verifier with a status.
 */
#include "internal/script.h"

enum conv {
    CONV_NONE,    /* not a conversion */
    CONV_PERCENT, /* %% */
    CONV_HEX64,
    CONV_HEX64_UPPER,
    CONV_DEC64U,
    CONV_DEC64,
    CONV_HEX32,
    CONV_HEX32_UPPER,
    CONV_DEC32U,
    CONV_DEC32,
    CONV_CHAR,
    CONV_POINTER,
};

/* The conversion starting at @p (just past a '%', @left bytes readable); *len = its bytes. */
static enum conv conversion(const char *p, size_t left, uint32_t *len)
{
    char c = left ? p[0] : '\0';

    *len = 1;
    if (c == 'l' && left >= 3 && p[1] == 'l') {
        *len = 3;
        switch (p[2]) {
        case 'x':
            return CONV_HEX64;
        case 'X':
            return CONV_HEX64_UPPER;
        case 'u':
            return CONV_DEC64U;
        case 'd':
            return CONV_DEC64;
        default:
            return CONV_NONE;
        }
    }
    switch (c) {
    case '%':
        return CONV_PERCENT;
    case 'x':
        return CONV_HEX32;
    case 'X':
        return CONV_HEX32_UPPER;
    case 'u':
        return CONV_DEC32U;
    case 'd':
        return CONV_DEC32;
    case 'c':
        return CONV_CHAR;
    case 'p':
        return CONV_POINTER;
    default:
        return CONV_NONE;
    }
}

int32_t hd__script_format_count(const char *fmt, size_t max)
{
    int32_t count = 0;

    for (size_t i = 0; i < max; i++) {
        uint32_t len;
        enum conv c;
        if (fmt[i] == '\0')
            return count;
        if (fmt[i] != '%')
            continue;
        c = conversion(fmt + i + 1, max - i - 1, &len);
        if (c == CONV_NONE)
            return -1;
        if (c != CONV_PERCENT)
            count++;
        i += len;
    }
    return -1; /* no NUL within max */
}

uint32_t hd__script_decimal(char *out, uint64_t v)
{
    char tmp[20];
    uint32_t n = 0, k = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        out[k++] = tmp[--n];
    out[k] = '\0';
    return k;
}

/* Where formatted text goes: the bytes that fit, and the full length. */
struct sink {
    char *out;
    uint32_t cap;
    uint32_t len;
};

static void put(struct sink *s, const char *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++, s->len++)
        if (s->len < s->cap)
            s->out[s->len] = p[i];
}

static void put_hex(struct sink *s, uint64_t v, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[16];
    uint32_t n = 0;
    do {
        tmp[15 - n++] = digits[v & 0xF];
        v >>= 4;
    } while (v);
    put(s, tmp + 16 - n, n);
}

static void put_signed(struct sink *s, int64_t v)
{
    char tmp[21];
    /* The magnitude in unsigned arithmetic: -INT64_MIN does not fit int64_t. */
    uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        put(s, "-", 1);
    put(s, tmp, hd__script_decimal(tmp, m));
}

static void put_conversion(struct sink *s, enum conv c, uint64_t v)
{
    char tmp[21];
    char ch;

    switch (c) {
    case CONV_HEX64:
    case CONV_HEX64_UPPER:
        put_hex(s, v, c == CONV_HEX64_UPPER);
        break;
    case CONV_HEX32:
    case CONV_HEX32_UPPER:
        put_hex(s, (uint32_t)v, c == CONV_HEX32_UPPER);
        break;
    case CONV_DEC64U:
        put(s, tmp, hd__script_decimal(tmp, v));
        break;
    case CONV_DEC32U:
        put(s, tmp, hd__script_decimal(tmp, (uint32_t)v));
        break;
    case CONV_DEC64:
        put_signed(s, (int64_t)v);
        break;
    case CONV_DEC32:
        put_signed(s, (int32_t)(uint32_t)v);
        break;
    case CONV_CHAR:
        ch = (char)(uint8_t)v;
        put(s, &ch, 1);
        break;
    case CONV_POINTER:
        put(s, "0x", 2);
        put_hex(s, v, false);
        break;
    default:
        break;
    }
}

/* The format was verified (hd__script_format_count() counted its conversions): it ends in a
 * NUL and every '%' starts one of ours, so this never reads past it. */
uint32_t hd__script_format(char *out, uint32_t cap, const char *fmt, const uint64_t *args)
{
    struct sink s = {out, cap, 0};
    uint32_t arg = 0;

    for (const char *p = fmt; *p; p++) {
        uint32_t len;
        enum conv c;
        if (*p != '%') {
            put(&s, p, 1);
            continue;
        }
        c = conversion(p + 1, 3, &len);
        if (c == CONV_PERCENT)
            put(&s, "%", 1);
        else
            put_conversion(&s, c, args[arg++]);
        p += len;
    }
    return s.len;
}
