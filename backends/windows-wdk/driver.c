/* SPDX-License-Identifier: MIT */
/*
 * hdevent.sys — the WDM driver: DriverEntry and unload, the device \Device\hdevent with the
 * symbolic link \\.\hdevent (opened by administrators only), and its IRPs. Every IOCTL goes
 * whole to hd_wire_device_ioctl(): this file checks the transfer method and hands over the
 * lengths the I/O manager reports; it never looks inside a buffer (docs/backends/windows.md).
 */
#include "nt_compat.h"

static struct hd_engine *hd_nt_engine;
static PDEVICE_OBJECT hd_nt_device;
static UNICODE_STRING hd_nt_link;

static NTSTATUS hd_nt_complete(PIRP irp, NTSTATUS status, ULONG_PTR information)
{
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

/* Translate the core's status; the wire code of a rejection travels in the output instead. */
static NTSTATUS hd_nt_status(enum hd_status st)
{
    switch (st) {
    case HD_OK:
        return STATUS_SUCCESS;
    case HD_ERR_BUFFER_TOO_SMALL:
        return STATUS_BUFFER_TOO_SMALL;
    case HD_ERR_UNKNOWN_IOCTL:
        return STATUS_INVALID_DEVICE_REQUEST;
    default:
        return STATUS_INVALID_PARAMETER;
    }
}

static NTSTATUS NTAPI hd_nt_create(PDEVICE_OBJECT device, PIRP irp)
{
    (void)device;
    if (!hd_nt_caller_is_admin(IoGetCurrentIrpStackLocation(irp)))
        return hd_nt_complete(irp, STATUS_ACCESS_DENIED, 0);
    return hd_nt_complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI hd_nt_close(PDEVICE_OBJECT device, PIRP irp)
{
    (void)device;
    return hd_nt_complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI hd_nt_device_control(PDEVICE_OBJECT device, PIRP irp)
{
    PIO_STACK_LOCATION sl = IoGetCurrentIrpStackLocation(irp);
    ULONG code = sl->Parameters.DeviceIoControl.IoControlCode;
    ULONG in_len = sl->Parameters.DeviceIoControl.InputBufferLength;
    ULONG out_len = sl->Parameters.DeviceIoControl.OutputBufferLength;
    void *buf = irp->AssociatedIrp.SystemBuffer;
    struct hd_wire_caller caller;
    size_t written = 0;
    NTSTATUS status;

    (void)device;
    /*
     * Only METHOD_BUFFERED codes have a SystemBuffer (max(in, out) bytes, in and out sharing
     * it, which hd_wire_device_ioctl allows). Any other method's buffers are user addresses,
     * so such codes are refused before anything is touched.
     */
    if ((code & 3u) != METHOD_BUFFERED)
        return hd_nt_complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    /*
     * A handle opened by an administrator may be inherited or duplicated into a process that
     * is not one, and HyperDbg's codes say FILE_ANY_ACCESS (changing them would break its
     * clients), so the I/O manager checks nothing per request: every request but the event
     * list changes state (registers code, runs hooks, consumes messages) and is checked
     * against the requester's own token, here, in its thread.
     */
    if (code != HD_IOCTL_LIST_EVENTS && !hd_nt_requester_is_admin())
        return hd_nt_complete(irp, STATUS_ACCESS_DENIED, 0);
    if (!buf && (in_len || out_len))
        return hd_nt_complete(irp, STATUS_INVALID_PARAMETER, 0);

    hd_nt_caller_fill(&caller);
    status = hd_nt_status(hd_wire_device_ioctl(hd_nt_engine, &caller, code, in_len ? buf : NULL,
                                               in_len, out_len ? buf : NULL, out_len,
                                               &written));
    /* An error status returns no data to the caller: Information must then be 0. */
    return hd_nt_complete(irp, status, NT_SUCCESS(status) ? written : 0);
}

static VOID NTAPI hd_nt_unload(PDRIVER_OBJECT driver)
{
    (void)driver;
    /* No new IRP can arrive once the device is gone; then leave VMX, then free the events. */
    IoDeleteSymbolicLink(&hd_nt_link);
    IoDeleteDevice(hd_nt_device);
#ifndef HDEVENT_NO_VMX
    hd_nt_vmx_stop();
#endif
    hd_engine_destroy(hd_nt_engine);
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "hdevent: unloaded\n");
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path);

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path)
{
    struct hd_backend_ops ops;
    UNICODE_STRING name;
    enum hd_status st;
    NTSTATUS status;

    (void)registry_path;
    hd_nt_init();
    hd_nt_ops_fill(&ops);
    st = hd_engine_create(&ops, NULL, &hd_nt_engine);
    if (st != HD_OK) {
        DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "hdevent: engine: %s\n",
                   hd_status_str(st));
        return st == HD_ERR_NO_MEMORY ? STATUS_INSUFFICIENT_RESOURCES : STATUS_UNSUCCESSFUL;
    }

    RtlInitUnicodeString(&name, L"\\Device\\hdevent");
    status = IoCreateDevice(driver, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &hd_nt_device);
    if (!NT_SUCCESS(status))
        goto fail_engine;
    RtlInitUnicodeString(&hd_nt_link, L"\\DosDevices\\hdevent");
    status = IoCreateSymbolicLink(&hd_nt_link, &name);
    if (!NT_SUCCESS(status))
        goto fail_device;

#ifndef HDEVENT_NO_VMX
    status = hd_nt_vmx_start(hd_nt_engine);
    if (!NT_SUCCESS(status))
        goto fail_link;
#endif

    driver->MajorFunction[IRP_MJ_CREATE] = hd_nt_create;
    driver->MajorFunction[IRP_MJ_CLOSE] = hd_nt_close;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = hd_nt_device_control;
    driver->DriverUnload = hd_nt_unload;
    hd_nt_device->Flags &= ~DO_DEVICE_INITIALIZING;
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "hdevent: loaded, %lu cores, vmx %s\n",
               (unsigned long)hd_engine_core_count(hd_nt_engine),
#ifndef HDEVENT_NO_VMX
               "on"
#else
               "off"
#endif
    );
    return STATUS_SUCCESS;

#ifndef HDEVENT_NO_VMX
fail_link:
    IoDeleteSymbolicLink(&hd_nt_link);
#endif
fail_device:
    IoDeleteDevice(hd_nt_device);
fail_engine:
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "hdevent: load failed: 0x%08lx\n",
               (unsigned long)status);
    hd_engine_destroy(hd_nt_engine);
    return status;
}
