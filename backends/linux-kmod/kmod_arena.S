/* SPDX-License-Identifier: MIT */
/*
 * The executable arena: raw conditions and custom code run from here (kmod_exec.c).
 *
 * Linux 6.1 exports no way to make memory executable (set_memory_x, module_alloc and
 * __vmalloc_node_range are not exported, vmap forces NX). The module's own text is executable
 * and read-only once loaded, so the arena is part of it: page-aligned INT3 bytes in an "ax"
 * section. kmod_exec.c writes code through a separate read-write, non-executable alias of the
 * same pages; no address is ever writable and executable at once.
 *
 * objtool accepts the INT3 fill: trap instructions outside any function are not "unreachable".
 */
#ifndef HD_KMOD_EXEC_ARENA_BYTES
#define HD_KMOD_EXEC_ARENA_BYTES (256 * 1024)
#endif

    .section .text.hdevent_exec_arena, "ax", @progbits
    .balign 4096
    .globl hd_kmod_exec_arena
hd_kmod_exec_arena:
    .fill HD_KMOD_EXEC_ARENA_BYTES, 1, 0xcc
    .globl hd_kmod_exec_arena_end
hd_kmod_exec_arena_end:
    .balign 4096
