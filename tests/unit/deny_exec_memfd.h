/* SPDX-License-Identifier: MIT */
/*
 * What a kernel with vm.memfd_noexec = 2 (Linux 6.3 and later) or a seccomp filter does to
 * the host backend's code memfd, made here on any kernel with a seccomp filter of our own
 * (a classic BPF program, no libseccomp): memfd_create() fails with EACCES, or a read+execute
 * MAP_SHARED mmap() fails with EPERM. For the host's fallback to pages of its own
 * (backends/host/exec_pages.c). The filter stays for the life of the process and its
 * children, so tests install it in a forked child.
 */
#ifndef HDEVENT_TEST_DENY_EXEC_MEMFD_H
#define HDEVENT_TEST_DENY_EXEC_MEMFD_H

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

enum deny_exec_memfd {
    DENY_MEMFD_CREATE,  /* memfd_create(): EACCES, as vm.memfd_noexec = 2 answers MFD_EXEC */
    DENY_SHARED_EXEC,   /* mmap(PROT_EXEC, MAP_SHARED): EPERM, as a noexec mount answers */
};

/* Install the filter for @how; 0, or -1 (errno) when the kernel refused it. */
static inline int deny_exec_memfd(enum deny_exec_memfd how)
{
#define ARG_LOW(i) (offsetof(struct seccomp_data, args) + 8u * (i)) /* little endian */
    struct sock_filter memfd[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_memfd_create, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_filter shared_exec[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 7),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 0, 5),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(2)), /* prot */
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(3)), /* flags */
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_SHARED, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
#undef ARG_LOW
    struct sock_fprog prog = how == DENY_MEMFD_CREATE
                                 ? (struct sock_fprog){sizeof(memfd) / sizeof(memfd[0]), memfd}
                                 : (struct sock_fprog){sizeof(shared_exec) / sizeof(shared_exec[0]),
                                                       shared_exec};

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

#endif /* HDEVENT_TEST_DENY_EXEC_MEMFD_H */
