/*
 * The Windows services behind struct hd_backend_ops (backend.h), and the run-here service the
 * self-test IOCTL needs (struct hd_wire_caller, wire.h). Thin glue: no event logic here.
 */
#include "nt_compat.h"

/* ---- pool -------------------------------------------------------------------------------- */

/*
 * ExAllocatePool2 exists from Windows 10 2004 on and is the non-deprecated call; older kernels
 * (and Wine) only have ExAllocatePoolWithTag. Neither the mingw-w64 headers nor its import
 * library know ExAllocatePool2, so it is looked up once at load time and the driver still
 * loads on kernels that lack it.
 */
typedef PVOID(NTAPI *hd_nt_pool2_fn)(ULONG64 flags, SIZE_T size, ULONG tag);
static hd_nt_pool2_fn hd_nt_pool2;

/* SeTokenIsAdmin: in every Windows kernel since XP, but not in Wine's ntoskrnl. */
typedef BOOLEAN(NTAPI *hd_nt_token_is_admin_fn)(PACCESS_TOKEN token);
static hd_nt_token_is_admin_fn hd_nt_token_is_admin;

void hd_nt_init(void)
{
    UNICODE_STRING name;

    RtlInitUnicodeString(&name, L"ExAllocatePool2");
    hd_nt_pool2 = (hd_nt_pool2_fn)MmGetSystemRoutineAddress(&name);
    RtlInitUnicodeString(&name, L"SeTokenIsAdmin");
    hd_nt_token_is_admin = (hd_nt_token_is_admin_fn)MmGetSystemRoutineAddress(&name);
    if (!hd_nt_token_is_admin)
        DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL,
                   "hdevent: SeTokenIsAdmin missing: the device cannot check for administrators\n");
}

/*
 * The device hands ring-0 code execution to whoever registers raw code, and IoCreateDevice's
 * default security lets every user open it: opening therefore needs an administrator's token
 * (the requester's, impersonation included). Without SeTokenIsAdmin (Wine) nothing is checked.
 */
bool hd_nt_caller_is_admin(PIO_STACK_LOCATION sl)
{
    PSECURITY_SUBJECT_CONTEXT subject;
    PACCESS_TOKEN token;

    if (!hd_nt_token_is_admin)
        return true;
    if (!sl->Parameters.Create.SecurityContext ||
        !sl->Parameters.Create.SecurityContext->AccessState)
        return false;
    subject = &sl->Parameters.Create.SecurityContext->AccessState->SubjectSecurityContext;
    token = subject->ClientToken ? subject->ClientToken : subject->PrimaryToken;
    return token && hd_nt_token_is_admin(token);
}

void *hd_nt_pool_alloc(SIZE_T size)
{
    if (hd_nt_pool2)
        return hd_nt_pool2(HD_NT_POOL_FLAG_NON_PAGED, size, HD_NT_POOL_TAG);
    return ExAllocatePoolWithTag(HD_NT_POOL_NX, size, HD_NT_POOL_TAG);
}

/*
 * Raw conditions and custom code run from here, so this pool must be executable (HyperDbg
 * allocates it non-executable since v0.18, and its raw code then faults). The executable
 * pool is writable too: W^X per page is not available from the pool, and under HVCI the
 * kernel refuses executable pool outright (NULL here, HD_ERR_NO_MEMORY to the caller).
 */
void *hd_nt_pool_alloc_exec(SIZE_T size)
{
    if (hd_nt_pool2)
        return hd_nt_pool2(HD_NT_POOL_FLAG_NON_PAGED_EXECUTE, size, HD_NT_POOL_TAG);
    return ExAllocatePoolWithTag(HD_NT_POOL_EXECUTE, size, HD_NT_POOL_TAG);
}

void hd_nt_pool_free(void *p)
{
    ExFreePoolWithTag(p, HD_NT_POOL_TAG);
}

/* ---- ops --------------------------------------------------------------------------------- */

static void *op_alloc(void *user, size_t size)
{
    (void)user;
    return hd_nt_pool_alloc(size ? size : 1); /* pool blocks are 16-byte aligned on x64 */
}

static void op_free(void *user, void *p)
{
    (void)user;
    hd_nt_pool_free(p);
}

static bool op_exec_alloc(void *user, const void *code, size_t size, void **out)
{
    void *p = hd_nt_pool_alloc_exec(size);

    (void)user;
    if (!p)
        return false;
    RtlCopyMemory(p, code, size); /* x86 keeps instruction fetch coherent with stores */
    *out = p;
    return true;
}

static void op_exec_free(void *user, void *code, size_t size)
{
    (void)user;
    (void)size;
    hd_nt_pool_free(code);
}

uint32_t hd_nt_core_count(void)
{
    /* Every group, and every processor that may ever be present (hot-added ones too): the
     * core index is KeGetCurrentProcessorNumberEx's system-wide index, which can reach past
     * the active count (sparse groups, hot-add), so the engine's per-core arrays are sized by
     * the maximum. */
    return KeQueryMaximumProcessorCountEx(ALL_PROCESSOR_GROUPS);
}

static uint32_t op_core_count(void *user)
{
    (void)user;
    return hd_nt_core_count();
}

static uint32_t op_current_pid(void *user)
{
    (void)user;
    return (uint32_t)(ULONG_PTR)PsGetCurrentProcessId();
}

static void op_log(void *user, enum hd_log_level level, const char *message)
{
    static const ULONG levels[] = {DPFLTR_ERROR_LEVEL, DPFLTR_WARNING_LEVEL, DPFLTR_INFO_LEVEL,
                                   DPFLTR_TRACE_LEVEL};
    (void)user;
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, levels[(unsigned)level & 3u], "hdevent: %s\n", message);
}

/*
 * Writers sleep-wait on a kernel mutex: it keeps the thread at PASSIVE_LEVEL (a fast or
 * guarded mutex would raise it to APC_LEVEL), so KeGenericCallDpc may be called under it.
 */
static KMUTEX hd_nt_writer_mutex;

static void op_lock(void *user)
{
    (void)user;
    KeWaitForSingleObject(&hd_nt_writer_mutex, Executive, KernelMode, FALSE, NULL);
}

static void op_unlock(void *user)
{
    (void)user;
    KeReleaseMutex(&hd_nt_writer_mutex, FALSE);
}

struct hd_nt_every_core {
    void (*fn)(void *arg, uint32_t core);
    void *arg;
};

/*
 * A generic-call DPC runs on every processor at DISPATCH_LEVEL. A core inside a VM exit has
 * interrupts off, so this DPC cannot run there: that is what run_on_every_core promises.
 */
static VOID NTAPI hd_nt_every_core_dpc(PKDPC dpc, PVOID context, PVOID sys1, PVOID sys2)
{
    struct hd_nt_every_core *e = context;

    (void)dpc;
    e->fn(e->arg, KeGetCurrentProcessorNumberEx(NULL));
    KeSignalCallDpcSynchronize(sys2);
    KeSignalCallDpcDone(sys1);
}

static void op_run_on_every_core(void *user, void (*fn)(void *arg, uint32_t core), void *arg)
{
    struct hd_nt_every_core e = {fn, arg};

    (void)user;
    KeGenericCallDpc(hd_nt_every_core_dpc, &e); /* returns when every processor has run it */
}

void hd_nt_ops_fill(struct hd_backend_ops *ops)
{
    KeInitializeMutex(&hd_nt_writer_mutex, 0);
    hd_backend_ops_init(ops);
    ops->alloc = op_alloc;
    ops->free = op_free;
    ops->exec_alloc = op_exec_alloc;
    ops->exec_free = op_exec_free;
    ops->core_count = op_core_count;
    ops->current_pid = op_current_pid;
    ops->log = op_log;
    ops->run_on_every_core = op_run_on_every_core;
    ops->lock = op_lock;
    ops->unlock = op_unlock;
    /* on_break NULL: no kernel debugger to enter from VMX root; HD_VERDICT_BREAK says it. */
}

/* ---- the self-test's caller ---------------------------------------------------------------- */

/*
 * The self-test runs one synthetic exit on this core as an exit handler would: HIGH_LEVEL
 * masks every maskable interrupt and pins the thread (the core index is read after raising).
 */
static void hd_nt_run_here(void *user, void (*fn)(void *arg, uint32_t core), void *arg)
{
    KIRQL old;

    (void)user;
    KeRaiseIrql(HIGH_LEVEL, &old);
    fn(arg, KeGetCurrentProcessorNumberEx(NULL));
    KeLowerIrql(old);
}

void hd_nt_caller_fill(struct hd_wire_caller *caller)
{
    /* IRP_MJ_DEVICE_CONTROL of a top-level driver runs in the caller's thread. */
    caller->pid = (uint32_t)(ULONG_PTR)PsGetCurrentProcessId();
    caller->user = NULL;
    caller->run_here = hd_nt_run_here;
}
