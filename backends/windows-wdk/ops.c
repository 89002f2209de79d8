/* SPDX-License-Identifier: MIT */
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
#ifdef HDEVENT_NO_VMX
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL,
               "hdevent: VMX-off test build: administrators are checked at open only\n");
#endif
    if (!hd_nt_token_is_admin)
        DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL,
                   "hdevent: SeTokenIsAdmin missing: nobody can be checked for administrators\n");
}

/*
 * The device hands ring-0 code execution to whoever registers raw code, and IoCreateDevice's
 * default security lets every user open it: opening needs an administrator's token (the
 * requester's, impersonation included), and so does every request that changes state, since a
 * handle can be inherited or duplicated into a process that is not an administrator's.
 *
 * Every Windows kernel has SeTokenIsAdmin and gives a token: where either is missing the
 * driver that virtualizes refuses (fails closed). Wine loads only the VMX-off build, the
 * plumbing test (tests/e2e/wine), whose ntoskrnl may lack SeTokenIsAdmin or answer no for
 * every device control: that build checks the open only, and says so in the log at load.
 */
static bool token_is_admin(PACCESS_TOKEN token)
{
    if (!hd_nt_token_is_admin || !token) {
#ifdef HDEVENT_NO_VMX
        return true;
#else
        return false;
#endif
    }
    return hd_nt_token_is_admin(token) != FALSE;
}

bool hd_nt_caller_is_admin(PIO_STACK_LOCATION sl)
{
    PSECURITY_SUBJECT_CONTEXT subject;

    if (!sl->Parameters.Create.SecurityContext ||
        !sl->Parameters.Create.SecurityContext->AccessState)
        return token_is_admin(NULL);
    subject = &sl->Parameters.Create.SecurityContext->AccessState->SubjectSecurityContext;
    return token_is_admin(subject->ClientToken ? subject->ClientToken : subject->PrimaryToken);
}

bool hd_nt_requester_is_admin(void)
{
    SECURITY_SUBJECT_CONTEXT subject;
    bool admin;

#ifdef HDEVENT_NO_VMX
    /* Wine's SeTokenIsAdmin says no for the requester of every device control: the plumbing
     * test build checks at open only. */
    return true;
#endif
    SeCaptureSubjectContext(&subject);
    admin = token_is_admin(subject.ClientToken ? subject.ClientToken : subject.PrimaryToken);
    SeReleaseSubjectContext(&subject);
    return admin;
}

void *hd_nt_pool_alloc(SIZE_T size)
{
    if (hd_nt_pool2)
        return hd_nt_pool2(HD_NT_POOL_FLAG_NON_PAGED, size, HD_NT_POOL_TAG);
    return ExAllocatePoolWithTag(HD_NT_POOL_NX, size, HD_NT_POOL_TAG);
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

/*
 * Raw code memory is W^X, as the Linux arena's: the pages come from MmAllocatePagesForMdl
 * with no mapping of their own; the code is copied in through a temporary read-write,
 * no-execute mapping that is then removed, and the pages are mapped once more and made
 * read+execute only (MmProtectMdlSystemAddress). No writable mapping of raw code remains
 * while it can run. (The executable pool HyperDbg uses is writable too.) Under HVCI the kernel
 * refuses the execute protection: NULL here, HD_ERR_NO_MEMORY to the caller.
 *
 * The first 16 bytes of the pages keep the MDL for the free; the code follows, 16-byte
 * aligned.
 */
struct hd_nt_exec_header {
    PMDL mdl;
    uint64_t reserved;
};

static void exec_pages_free(PMDL mdl)
{
    MmFreePagesFromMdl(mdl);
    ExFreePool(mdl);
}

#ifdef HDEVENT_NO_VMX
/*
 * Wine's ntoskrnl has no MmAllocatePagesForMdl (a stub), and Wine loads only the VMX-off
 * plumbing-test build: that build alone falls back to the executable pool, writable like
 * HyperDbg's (a header with a NULL MDL marks it). The driver that virtualizes never does.
 */
static bool exec_alloc_pool(const void *code, size_t size, void **out)
{
    uint8_t *p = ExAllocatePoolWithTag(HD_NT_POOL_EXECUTE,
                                       sizeof(struct hd_nt_exec_header) + size, HD_NT_POOL_TAG);
    if (!p)
        return false;
    ((struct hd_nt_exec_header *)p)->mdl = NULL;
    RtlCopyMemory(p + sizeof(struct hd_nt_exec_header), code, size);
    *out = p + sizeof(struct hd_nt_exec_header);
    return true;
}
#define EXEC_FALLBACK(code, size, out) exec_alloc_pool(code, size, out)
#else
#define EXEC_FALLBACK(code, size, out) false
#endif

static bool op_exec_alloc(void *user, const void *code, size_t size, void **out)
{
    PHYSICAL_ADDRESS low, high, skip;
    SIZE_T total = sizeof(struct hd_nt_exec_header) + size;
    uint8_t *rw, *rx;
    PMDL mdl;

    (void)user;
    low.QuadPart = 0;
    high.QuadPart = -1;
    skip.QuadPart = 0;
    mdl = MmAllocatePagesForMdl(low, high, skip, total);
    if (!mdl)
        return EXEC_FALLBACK(code, size, out);
    if (MmGetMdlByteCount(mdl) < total) { /* fewer pages than asked: the call may do that */
        exec_pages_free(mdl);
        return false;
    }
    rw = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE,
                                      NormalPagePriority | HD_NT_MDL_NO_EXECUTE);
    if (!rw) {
        exec_pages_free(mdl);
        return false;
    }
    ((struct hd_nt_exec_header *)rw)->mdl = mdl;
    RtlCopyMemory(rw + sizeof(struct hd_nt_exec_header), code, size);
    MmUnmapLockedPages(rw, mdl);
    rx = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE,
                                      NormalPagePriority);
    if (!rx) {
        exec_pages_free(mdl);
        return false;
    }
    if (!NT_SUCCESS(MmProtectMdlSystemAddress(mdl, PAGE_EXECUTE_READ))) {
        MmUnmapLockedPages(rx, mdl);
        exec_pages_free(mdl);
        return false;
    }
    *out = rx + sizeof(struct hd_nt_exec_header); /* x86: fetch is coherent with stores */
    return true;
}

static void op_exec_free(void *user, void *code, size_t size)
{
    uint8_t *rx = (uint8_t *)code - sizeof(struct hd_nt_exec_header);
    PMDL mdl = ((const struct hd_nt_exec_header *)rx)->mdl;

    (void)user;
    (void)size;
    if (!mdl) { /* the VMX-off build's pool fallback */
        hd_nt_pool_free(rx);
        return;
    }
    MmUnmapLockedPages(rx, mdl);
    exec_pages_free(mdl);
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
