/* SPDX-License-Identifier: MIT */
/*
 * fatal_mode.c — linked only into hdevent-bochs-fatal.img (build-image.sh): the guest
 * provokes an exit the VMX layer must not resume (guest.c, provoke_triple_fault).
 */
const int bm_fatal_mode = 1;
