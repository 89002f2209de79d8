/* SPDX-License-Identifier: MIT */
/*
 * The kernel-object check's controls (check-kernel-object.sh --expect-fail): compiled as user
 * space compiles, each form below must be caught, so a check that stopped seeing a red zone or
 * a GOT access fails the test instead of passing it.
 */
extern int control_external;

/* A leaf with locals and no call: at -O2 it keeps them below rsp (the red zone). */
long control_leaf(long a, long b)
{
    volatile long t[4];
    t[0] = a;
    t[1] = b;
    t[2] = a ^ b;
    t[3] = a + b;
    return t[0] + t[1] + t[2] + t[3];
}

/* With -fPIC an external variable is reached through the GOT (R_X86_64_REX_GOTPCRELX). */
int control_read_external(void)
{
    return control_external;
}

/* An address as a value: the small model makes it a zero-extended 32-bit immediate
 * (R_X86_64_32, only right below 4 GiB), the kernel model a sign-extended one (R_X86_64_32S). */
int *control_address(void)
{
    return &control_external;
}
