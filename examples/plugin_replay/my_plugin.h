/* SPDX-License-Identifier: MIT */
/* The plugin of docs/host-backend.md: answer hypercall 0x7001 with rax = 42. */
#ifndef MY_PLUGIN_H
#define MY_PLUGIN_H

#include <hdevent/hdevent.h>

/* Register the plugin's event: answer hypercall 0x7001 from pid @p pid with rax = 42. */
enum hd_status my_plugin_register(struct hd_engine *engine, uint32_t pid, uint64_t *tag);

#endif
