/* SPDX-License-Identifier: MIT */
/*
 * asm_names.c — the names an assembly statement uses.
 *
 * Mnemonics and registers come from Zydis's own string tables (ZydisMnemonicGetString,
 * ZydisRegisterGetString), so every instruction Zydis can encode has its name here and no
 * list is kept by hand. Zydis names each condition once (jz, jnbe, setnl, cmovb); people also
 * write its synonyms (je, ja, setge, cmovc), so a name that is not in Zydis's table is tried
 * again with each synonym of its condition suffix — the x86 condition codes, not mnemonics.
 * Besides those: `movabs` (mov's 64-bit immediate / 64-bit address forms), `retf` (ret far),
 * `retn`, `xlatb` and `wait`, spellings of Zydis's ret, xlat and fwait; and registers
 * `st(0)`..`st(7)`, MASM's spelling of Zydis's st0..st7.
 */
#include "asm_internal.h"

#include <string.h>

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* True if the @p n bytes at @p p spell @p name (lower case), ignoring case. */
static bool same(const char *p, uint32_t n, const char *name)
{
    uint32_t i = 0;

    for (; i < n && name[i]; i++)
        if (lower(p[i]) != name[i])
            return false;
    return i == n && name[i] == '\0';
}

static ZydisMnemonic zydis_mnemonic(const char *p, uint32_t n)
{
    for (int m = ZYDIS_MNEMONIC_INVALID + 1; m <= ZYDIS_MNEMONIC_MAX_VALUE; m++) {
        const char *s = ZydisMnemonicGetString((ZydisMnemonic)m);
        if (s && s[0] == lower(p[0]) && same(p, n, s))
            return (ZydisMnemonic)m;
    }
    return ZYDIS_MNEMONIC_INVALID;
}

/* Condition suffixes that name the same condition; the first of each group is one x86
 * manuals use, the others its synonyms. */
static const char *const cc_groups[][3] = {
    {"z", "e", NULL},      {"nz", "ne", NULL},   {"b", "c", "nae"}, {"nb", "nc", "ae"},
    {"be", "na", NULL},    {"nbe", "a", NULL},   {"l", "nge", NULL}, {"nl", "ge", NULL},
    {"le", "ng", NULL},    {"nle", "g", NULL},   {"p", "pe", NULL}, {"np", "po", NULL},
};

/* Families whose names end in a condition suffix. */
static const char *const cc_families[] = {"j", "set", "cmov", "fcmov", "loop"};

static ZydisMnemonic condition_synonym(const char *p, uint32_t n)
{
    char name[24];

    for (size_t f = 0; f < sizeof(cc_families) / sizeof(cc_families[0]); f++) {
        size_t fl = strlen(cc_families[f]);
        if (n <= fl || !same(p, (uint32_t)fl, cc_families[f]))
            continue;
        for (size_t g = 0; g < sizeof(cc_groups) / sizeof(cc_groups[0]); g++) {
            bool in_group = false;
            for (int k = 0; k < 3 && cc_groups[g][k]; k++)
                in_group |= same(p + fl, n - (uint32_t)fl, cc_groups[g][k]);
            for (int k = 0; in_group && k < 3 && cc_groups[g][k]; k++) {
                size_t sl = strlen(cc_groups[g][k]);
                if (fl + sl >= sizeof(name))
                    continue;
                memcpy(name, cc_families[f], fl);
                memcpy(name + fl, cc_groups[g][k], sl);
                ZydisMnemonic m = zydis_mnemonic(name, (uint32_t)(fl + sl));
                if (m != ZYDIS_MNEMONIC_INVALID)
                    return m;
            }
        }
    }
    return ZYDIS_MNEMONIC_INVALID;
}

ZydisMnemonic hd__asm_mnemonic(const char *p, uint32_t n, bool *movabs)
{
    static const struct {
        const char *alias, *name;
    } spellings[] = {{"movabs", "mov"}, {"retn", "ret"}, {"xlatb", "xlat"}, {"wait", "fwait"}};
    ZydisMnemonic m;

    *movabs = false;
    if (n == 0 || n > 32)
        return ZYDIS_MNEMONIC_INVALID;
    m = zydis_mnemonic(p, n);
    if (m != ZYDIS_MNEMONIC_INVALID)
        return m;
    for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        if (same(p, n, spellings[i].alias)) {
            *movabs = i == 0;
            return zydis_mnemonic(spellings[i].name, (uint32_t)strlen(spellings[i].name));
        }
    }
    return condition_synonym(p, n);
}

ZydisRegister hd__asm_register(const char *p, uint32_t n)
{
    if (n == 5 && same(p, 3, "st(") && p[4] == ')') { /* st(3) is st3 */
        char st[3] = {'s', 't', p[3]};
        return hd__asm_register(st, 3);
    }
    if (n == 0 || n > 16)
        return ZYDIS_REGISTER_NONE;
    for (int r = ZYDIS_REGISTER_NONE + 1; r <= ZYDIS_REGISTER_MAX_VALUE; r++) {
        const char *s = ZydisRegisterGetString((ZydisRegister)r);
        if (s && same(p, n, s))
            return (ZydisRegister)r;
    }
    return ZYDIS_REGISTER_NONE;
}

ZydisInstructionAttributes hd__asm_prefix(const char *p, uint32_t n)
{
    static const struct {
        const char *name;
        ZydisInstructionAttributes flag;
    } prefixes[] = {
        {"lock", ZYDIS_ATTRIB_HAS_LOCK},         {"rep", ZYDIS_ATTRIB_HAS_REP},
        {"repe", ZYDIS_ATTRIB_HAS_REPE},         {"repz", ZYDIS_ATTRIB_HAS_REPE},
        {"repne", ZYDIS_ATTRIB_HAS_REPNE},       {"repnz", ZYDIS_ATTRIB_HAS_REPNE},
        {"bnd", ZYDIS_ATTRIB_HAS_BND},           {"notrack", ZYDIS_ATTRIB_HAS_NOTRACK},
        {"xacquire", ZYDIS_ATTRIB_HAS_XACQUIRE}, {"xrelease", ZYDIS_ATTRIB_HAS_XRELEASE},
    };
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (same(p, n, prefixes[i].name))
            return prefixes[i].flag;
    return 0;
}

/* The size words Zydis's Intel formatter prints, and their sizes in bytes. */
static const struct {
    const char *name;
    uint16_t bytes;
} size_words[] = {
    {"byte", 1},   {"word", 2},     {"dword", 4},    {"fword", 6},    {"qword", 8},
    {"tbyte", 10}, {"xmmword", 16}, {"ymmword", 32}, {"zmmword", 64},
};

uint16_t hd__asm_size_word(const char *p, uint32_t n)
{
    for (size_t i = 0; i < sizeof(size_words) / sizeof(size_words[0]); i++)
        if (same(p, n, size_words[i].name))
            return size_words[i].bytes;
    return 0;
}

const char *hd__asm_size_name(uint16_t bytes)
{
    for (size_t i = 0; i < sizeof(size_words) / sizeof(size_words[0]); i++)
        if (size_words[i].bytes == bytes)
            return size_words[i].name;
    return NULL;
}

bool hd__asm_reserved(const char *p, uint32_t n)
{
    return hd__asm_register(p, n) != ZYDIS_REGISTER_NONE || hd__asm_size_word(p, n) ||
           same(p, n, "ptr") || same(p, n, "short") || same(p, n, "near") || same(p, n, "far");
}
