/* SPDX-License-Identifier: MIT */
/*
 * What the files of hdevent.ko share: the engine, the backend ops, the device.
 */
#ifndef HDEVENT_KMOD_INTERNAL_H
#define HDEVENT_KMOD_INTERNAL_H

#include <hdevent/hdevent.h>

/* The module's one engine; NULL before init and after exit. */
extern struct hd_engine *hd_kmod_engine;

/* kmod_ops.c: the backend ops (allocation, executable memory, log, lock, IPIs). */
void hd_kmod_ops_init(struct hd_backend_ops *ops);
/* printk with the module's prefix, at KERN_INFO / KERN_WARNING / KERN_ERR. */
void hd_kmod_log(enum hd_log_level level, const char *message);

/* kmod_exec.c: executable memory in the module's own text (kmod_arena.S). */
int hd_kmod_exec_init(void);
void hd_kmod_exec_exit(void);
bool hd_kmod_exec_alloc(void *user, const void *code, size_t size, void **out);
void hd_kmod_exec_free(void *user, void *code, size_t size);
size_t hd_kmod_exec_used_bytes(void);
size_t hd_kmod_exec_arena_bytes(void);

/* kmod_vmx.c (built when backends/vmx exists): vmx=on. */
int hd_kmod_vmx_start(struct hd_engine *engine);
void hd_kmod_vmx_stop(void);

/* kmod_device.c: /dev/hdevent. */
int hd_kmod_device_init(void);
void hd_kmod_device_exit(void);

#endif /* HDEVENT_KMOD_INTERNAL_H */
