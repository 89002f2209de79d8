/* SPDX-License-Identifier: MIT */
/*
 * deny_exec_memfd memfd|mapping COMMAND [ARGS...]: run COMMAND as on a kernel that refuses
 * the host backend's executable memfd (tests/unit/deny_exec_memfd.h): `memfd` makes
 * memfd_create() fail with EACCES (vm.memfd_noexec = 2), `mapping` a read+execute MAP_SHARED
 * mmap() with EPERM. For cli.run_scenarios_own_pages: `hdevent run` must give the same
 * output on pages of its own, under its own seccomp filter.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../unit/deny_exec_memfd.h"

int main(int argc, char **argv)
{
    enum deny_exec_memfd how;

    if (argc < 3 || (strcmp(argv[1], "memfd") != 0 && strcmp(argv[1], "mapping") != 0)) {
        fprintf(stderr, "usage: %s memfd|mapping COMMAND [ARGS...]\n", argv[0]);
        return 2;
    }
    how = strcmp(argv[1], "memfd") == 0 ? DENY_MEMFD_CREATE : DENY_SHARED_EXEC;
    if (deny_exec_memfd(how) != 0) {
        perror("deny_exec_memfd: seccomp");
        return 125;
    }
    execvp(argv[2], argv + 2);
    perror("deny_exec_memfd: exec");
    return 127;
}
