# SPDX-License-Identifier: MIT
# The mingw-w64 cross build of the Windows driver and the Windows CLI (no WDK needed).
#
#   make -f backends/windows-wdk/mingw.mk SRC=<repo> O=<out dir> [-j2] [TARGETS]
#
# Targets (all under O):
#   novmx/hdevent.sys   the driver with every privileged instruction compiled out
#                       (HDEVENT_NO_VMX): device, IOCTLs, DPCs, pool; runs under Wine
#   vmx/hdevent.sys     the driver with the shared VMX layer (only when backends/vmx has
#                       sources; `make ... vmx` fails with a message otherwise)
#   hdevent.exe         the device subcommands of the hdevent tool (add, events, read,
#                       selftest-vmcall), without Zydis
#   core/libhdevent_core.a   the core as compiled into the driver (for the no-fork check)
# Default: novmx/hdevent.sys and hdevent.exe, plus vmx/hdevent.sys when the layer exists.
#
# The core is compiled from the same libhdevent/core sources (the same glob as the top-level
# CMakeLists.txt) with the kernel flags below; nothing is copied.

SRC ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/../..)
ifeq ($(O),)
$(error set O=<output directory>, e.g. make -f backends/windows-wdk/mingw.mk O=build/windows-wdk)
endif
CROSS ?= x86_64-w64-mingw32-
CC := $(CROSS)gcc
AR := $(CROSS)ar

WDK_DIR := $(SRC)/backends/windows-wdk
VMX_DIR := $(SRC)/backends/vmx

CORE_SRCS := $(sort $(wildcard $(SRC)/libhdevent/core/*.c)) \
             $(sort $(wildcard $(SRC)/libhdevent/core/arch/x86_64/*.S))
DRV_SRCS := $(WDK_DIR)/driver.c $(WDK_DIR)/ops.c $(WDK_DIR)/mem.c
VMX_SRCS := $(sort $(wildcard $(VMX_DIR)/*.c) $(wildcard $(VMX_DIR)/*.S))

# Kernel code: no SSE/AVX anywhere (-mgeneral-regs-only: the exit handler must not touch the
# guest's vector registers), no red zone, no stack probes (___chkstk_ms is not in ntoskrnl),
# no stack protector (no __security_cookie), no builtins turned into libc calls we lack.
KCFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-builtin \
           -fno-stack-protector -fno-strict-aliasing -mno-red-zone -mgeneral-regs-only \
           -mno-stack-arg-probe -D_AMD64_ -DNTDDI_VERSION=0x0A000000 -D_WIN32_WINNT=0x0A00 \
           -I$(SRC)/include -I$(SRC)/libhdevent/core
# mingw-w64 keeps the DDK headers in include/ddk/, beside the lib/ that holds libntoskrnl.a;
# the WDK has them on its own path.
ifndef DDK_INC
DDK_INC := $(abspath $(dir $(shell $(CC) -print-file-name=libntoskrnl.a))../include/ddk)
endif
# The DDK headers use a few GNU forms (unnamed unions in macros, __asm__ in inlines).
DRV_CFLAGS := $(filter-out -std=c11,$(KCFLAGS)) -std=gnu11 -isystem $(DDK_INC) -I$(WDK_DIR) -I$(VMX_DIR)
LDFLAGS_SYS := -shared -nostdlib -nostartfiles -Wl,--subsystem,native \
               -Wl,--entry,DriverEntry -Wl,--dynamicbase -Wl,--nxcompat \
               -Wl,--enable-reloc-section -Wl,--exclude-all-symbols \
               -Wl,--major-subsystem-version,10 -Wl,--minor-subsystem-version,0 \
               -Wl,--major-os-version,10 -Wl,--minor-os-version,0
LIBS_SYS := -lntoskrnl -lhal -lgcc

# The Windows CLI: device subcommands only, no Zydis (Debian has no mingw Zydis); the script
# compiler, so that `hdevent add '!vmcall script {...}'` sends bytecode.
CLI_DIR := $(SRC)/tools/hdevent
CLI_SRCS := $(CLI_DIR)/main.c $(CLI_DIR)/device_cli.c $(CLI_DIR)/cmd_add.c \
            $(CLI_DIR)/cmd_events.c $(CLI_DIR)/cmd_read.c $(CLI_DIR)/cmd_selftest.c \
            $(CLI_DIR)/cmd_record.c $(CLI_DIR)/record_scenario.c $(CLI_DIR)/record_dump.c \
            $(CLI_DIR)/cli_util.c $(CLI_DIR)/cli_options.c $(CLI_DIR)/cli_input.c \
            $(CLI_DIR)/cli_command.c $(CLI_DIR)/cli_message.c $(CLI_DIR)/device_win32.c \
            $(sort $(wildcard $(SRC)/libhdevent/user/command*.c)) \
            $(sort $(wildcard $(SRC)/libhdevent/user/script*.c)) \
            $(SRC)/libhdevent/user/wire_encode.c $(SRC)/libhdevent/user/wire_replies.c
UCFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -D__USE_MINGW_ANSI_STDIO=1 \
           -DHDEVENT_CLI_DEVICE_ONLY -DHDEVENT_CLI_HAVE_DEVICE -DHDEVENT_NO_ZYDIS \
           '-DHDEVENT_BUILD_TYPE="mingw-w64 -O2"' -I$(O)/include \
           -I$(SRC)/include -I$(SRC)/libhdevent/core -I$(SRC)/libhdevent/user
UCORE_CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -ffreestanding -mgeneral-regs-only \
                -fno-strict-aliasing -I$(SRC)/include -I$(SRC)/libhdevent/core

obj = $(patsubst $(SRC)/%,$(O)/$(1)/%.o,$(2))

CORE_OBJS := $(call obj,core,$(CORE_SRCS))
UCORE_OBJS := $(call obj,core-user,$(CORE_SRCS))
NOVMX_OBJS := $(call obj,novmx,$(DRV_SRCS))
VMX_OBJS := $(call obj,vmx,$(DRV_SRCS) $(VMX_SRCS) $(wildcard $(WDK_DIR)/vmx_glue.c))
CLI_OBJS := $(call obj,cli,$(CLI_SRCS))

.PHONY: all novmx vmx exe core
DEFAULT := novmx exe core $(if $(VMX_SRCS),vmx)
all: $(DEFAULT)
novmx: $(O)/novmx/hdevent.sys
exe: $(O)/hdevent.exe
core: $(O)/core/libhdevent_core.a
ifneq ($(VMX_SRCS),)
vmx: $(O)/vmx/hdevent.sys
else
vmx:
	@echo "mingw.mk: backends/vmx has no sources yet: no VMX build" >&2; exit 1
endif

$(O)/core/libhdevent_core.a: $(CORE_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(O)/core-user/libhdevent_core.a: $(UCORE_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(O)/novmx/hdevent.sys: $(NOVMX_OBJS) $(O)/core/libhdevent_core.a
	$(CC) $(LDFLAGS_SYS) -o $@ $(NOVMX_OBJS) $(O)/core/libhdevent_core.a $(LIBS_SYS)

$(O)/vmx/hdevent.sys: $(VMX_OBJS) $(O)/core/libhdevent_core.a
	$(CC) $(LDFLAGS_SYS) -o $@ $(VMX_OBJS) $(O)/core/libhdevent_core.a $(LIBS_SYS)

$(O)/hdevent.exe: $(CLI_OBJS) $(O)/core-user/libhdevent_core.a
	$(CC) -o $@ $(CLI_OBJS) $(O)/core-user/libhdevent_core.a

$(O)/core/%.c.o: $(SRC)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@
$(O)/core/%.S.o: $(SRC)/%.S
	@mkdir -p $(dir $@)
	$(CC) -D_AMD64_ -MMD -MP -c $< -o $@
$(O)/core-user/%.c.o: $(SRC)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(UCORE_CFLAGS) -MMD -MP -c $< -o $@
$(O)/core-user/%.S.o: $(SRC)/%.S
	@mkdir -p $(dir $@)
	$(CC) -MMD -MP -c $< -o $@
$(O)/novmx/%.c.o: $(SRC)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(DRV_CFLAGS) -DHDEVENT_NO_VMX -fno-tree-loop-distribute-patterns -MMD -MP -c $< -o $@
$(O)/vmx/%.c.o: $(SRC)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(DRV_CFLAGS) -fno-tree-loop-distribute-patterns -MMD -MP -c $< -o $@
$(O)/vmx/%.S.o: $(SRC)/%.S
	@mkdir -p $(dir $@)
	$(CC) -D_AMD64_ -I$(SRC)/include -I$(VMX_DIR) -MMD -MP -c $< -o $@
# <hdevent/version.h> as CMake makes it (cmake/version-header.sh), for `hdevent.exe --version`.
$(O)/include/hdevent/version.h: $(SRC)/CMakeLists.txt $(SRC)/cmake/version.h.in
	sh $(SRC)/cmake/version-header.sh $(SRC) $@
$(O)/cli/%.c.o: $(SRC)/%.c | $(O)/include/hdevent/version.h
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(O) -name '*.d' 2>/dev/null)
