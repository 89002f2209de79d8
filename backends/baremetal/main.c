/* SPDX-License-Identifier: MIT */
/*
 * main.c — the bare-metal backend: CPU tables, the hdevent backend ops and the VMX glue,
 * events registered from the embedded `hdevent encode` files through hd_wire_ioctl(), then
 * VMLAUNCH into the guest (guest.c).
 */
#include "bm.h"

#include <hdevent/vmx.h>
#include <hdevent/wire.h>
#include <hdevent/wire_device.h>

#include "internal/le.h"

volatile uint32_t bm_current_pid;
volatile uint64_t bm_breaks;
struct hd_vmx_cpu *bm_cpu;
struct hd_engine *bm_engine;
static uint64_t bm_exit_count;

/* ---- CPU tables: TSS (host TR must not be 0) and a 64-bit IDT ------------------------------ */

struct bm_tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

static struct bm_tss bm_tss;
static uint64_t bm_idt[256 * 2] __attribute__((aligned(16)));
static uint8_t bm_ring0_stack[16384] __attribute__((aligned(16)));

static void idt_set(unsigned vector, uint64_t handler, unsigned dpl)
{
    bm_idt[vector * 2] = (handler & 0xFFFF) | (0x08ull << 16) |
                         ((uint64_t)(0x8E | dpl << 5) << 40) | ((handler >> 16 & 0xFFFF) << 48);
    bm_idt[vector * 2 + 1] = handler >> 32;
}

static void bm_cpu_init(void)
{
    uint64_t base = (uint64_t)(uintptr_t)&bm_tss, limit = sizeof(bm_tss) - 1;
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) idtr = {sizeof(bm_idt) - 1, (uint64_t)(uintptr_t)bm_idt};

    bm_tss.rsp[0] = (uint64_t)(uintptr_t)(bm_ring0_stack + sizeof(bm_ring0_stack));
    bm_tss.iomap_base = sizeof(bm_tss); /* no I/O bitmap: IOPL decides */
    bm_gdt[5] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
                ((limit >> 16 & 0xF) << 48) | ((base >> 24 & 0xFF) << 56);
    bm_gdt[6] = base >> 32;
    __asm__ volatile("ltr %w0" : : "r"(0x28));
    for (unsigned v = 0; v < 32; v++)
        idt_set(v, bm_vec_table[v], 0);
    idt_set(0x80, (uint64_t)(uintptr_t)bm_user_return, 3);
    __asm__ volatile("lidt %0" : : "m"(idtr));

    /* CR4.OSXSAVE when the CPU has XSAVE, so the guest can execute XSETBV (an exit). */
    {
        uint32_t a, b, c, d;
        uint64_t cr4;
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
        if (c & (1u << 26)) {
            __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
            __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | (1ull << 18)));
        }
    }
}

struct bm_trap bm_trap;

/* Vectors that push an error code (SDM 6.3.1). */
static bool has_error_code(uint64_t v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

uint64_t bm_exception(uint64_t vector, uint64_t *frame)
{
    bool err = has_error_code(vector);
    if (bm_trap.armed && vector == bm_trap.vector) {
        uint64_t *iret = frame + (err ? 1 : 0); /* RIP, CS, RFLAGS, RSP, SS */
        bm_trap.armed = false;
        bm_trap.seen++;
        bm_trap.rip = iret[0];
        bm_trap.error = err ? frame[0] : 0;
        iret[0] += bm_trap.skip;
        iret[2] &= ~0x100ull; /* TF: one #DB is all a single-step test wants */
        return err ? 16 : 8;
    }
    bm_puts("\nEXCEPTION vector=");
    bm_dec(vector);
    bm_puts(" frame=");
    for (int i = 0; i < 4; i++) {
        bm_hex(frame[i]);
        bm_putc(' ');
    }
    bm_puts("\nhdevent-bochs: FAILED\n");
    bm_shutdown();
}

/* ---- hdevent backend ops ----------------------------------------------------------------- */

static void *op_alloc(void *user, size_t size)
{
    (void)user;
    return bm_arena_alloc(size, 16);
}

static void op_free(void *user, void *ptr)
{
    (void)user;
    (void)ptr; /* arena: see lib.c */
}

/* Identity-mapped, no NX anywhere: arena memory is executable, and nobody writes it after
 * the copy (the W^X the core asks for holds by construction). */
static bool op_exec_alloc(void *user, const void *code, size_t size, void **out)
{
    void *p = bm_arena_alloc(size, 16);
    (void)user;
    if (!p)
        return false;
    memcpy(p, code, size);
    *out = p;
    return true;
}

static void op_exec_free(void *user, void *code, size_t size)
{
    (void)user;
    (void)code;
    (void)size;
}

static uint32_t op_core_count(void *user)
{
    (void)user;
    return 1;
}

static uint32_t op_current_pid(void *user)
{
    (void)user;
    return bm_current_pid;
}

static void op_log(void *user, enum hd_log_level level, const char *message)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    (void)user;
    bm_puts("log ");
    bm_puts(names[level & 3]);
    bm_puts(": ");
    bm_puts(message);
    bm_putc('\n');
}

static void op_on_break(void *user, const struct hd_break_info *info)
{
    (void)user;
    bm_breaks++;
    bm_puts("break tag=");
    bm_hex(info->tag);
    bm_puts(info->stage == HD_STAGE_POST ? " stage=post" : " stage=pre");
    bm_puts(" core=");
    bm_dec(info->vcpu->core);
    bm_puts(" pid=");
    bm_hex(info->vcpu->pid);
    bm_puts(" count=");
    bm_dec(bm_breaks);
    bm_putc('\n');
}

/* The events' FILEs (events.S): name, buffers and command text, for registration and for
 * naming tags. */
struct bm_event_file {
    const char *name;
    const uint8_t *data;
    uint64_t size;
    const char *command; /* the events.list line's command, NUL-terminated */
};
extern const struct bm_event_file bm_event_files[];

static uint64_t file_tag(const struct bm_event_file *f)
{
    uint64_t t = 0;
    for (int i = 0; i < 8 && f->size >= 96; i++)
        t |= (uint64_t)f->data[88 + i] << (8 * i); /* DEBUGGER_GENERAL_EVENT_DETAIL.Tag */
    return t;
}

static const char *event_name(uint64_t tag)
{
    for (const struct bm_event_file *f = bm_event_files; f->name; f++)
        if (file_tag(f) == tag)
            return f->name;
    return "?";
}

/* Dispatch path: one line per action that ran, so the demo shows what fired for each VMCALL. */
static void op_on_action(void *user, const struct hd_action_info *info)
{
    static const char *const types[] = {"break", "script", "code", "native"};
    (void)user;
    bm_puts("  action ");
    bm_puts(event_name(info->tag));
    bm_puts(" tag=");
    bm_hex(info->tag);
    bm_puts(" #");
    bm_dec(info->index);
    bm_putc(' ');
    bm_puts(types[info->type & 3]);
    bm_puts(info->stage == HD_STAGE_POST ? " post" : " pre");
    if (info->vcpu->flags & HD_VCPU_PROTECTED)
        bm_puts(" (protected: register writes discarded)");
    bm_putc('\n');
}

/* ---- VMX glue ---------------------------------------------------------------------------- */

static void *glue_page_alloc(void *user, size_t pages)
{
    (void)user;
    return bm_arena_alloc(pages * 4096, 4096);
}

static void glue_page_free(void *user, void *va, size_t pages)
{
    (void)user;
    (void)va;
    (void)pages;
}

static uint64_t glue_virt_to_phys(void *user, const void *va)
{
    (void)user;
    return (uint64_t)(uintptr_t)va; /* identity map */
}

static uint32_t glue_current_pid(void *user, struct hd_vmx_cpu *cpu)
{
    (void)user;
    (void)cpu;
    return bm_current_pid; /* the guest sets it before each VMCALL */
}

static void glue_log(void *user, const char *line)
{
    op_log(user, HD_LOG_INFO, line);
}

static void glue_fatal(void *user, struct hd_vmx_cpu *cpu, const struct hd_vmx_exit *ex)
{
    (void)user;
    (void)cpu;
    bm_puts("\nFATAL vmx exit: ");
    bm_puts(ex->what);
    bm_puts(" reason=");
    bm_hex(ex->reason);
    bm_puts(" qualification=");
    bm_hex(ex->qualification);
    bm_puts(" rip=");
    bm_hex(ex->guest_rip);
    bm_puts(" vm-instruction-error=");
    bm_dec(ex->instruction_error);
    bm_puts("\nhdevent-bochs: FAILED\n");
    bm_shutdown();
}

/* The modify IOCTL, as a debugger front end would send `events d|e|c ID` (docs/wire.md). */
static uint64_t bm_modify(uint64_t tag, uint32_t type)
{
    uint8_t buf[HD_WIRE_MODIFY_SIZE] = {0};
    size_t written = 0;
    uint64_t status = 0;
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(tag >> (8 * i));
    for (int i = 0; i < 4; i++)
        buf[16 + i] = (uint8_t)(type >> (8 * i));
    if (hd_wire_ioctl(bm_engine, HD_IOCTL_MODIFY_EVENTS, buf, sizeof(buf), buf, sizeof(buf),
                      &written) != HD_OK || written != sizeof(buf))
        return ~0ull - 1;
    for (int i = 0; i < 8; i++)
        status |= (uint64_t)buf[8 + i] << (8 * i);
    return status;
}

/* The messages queued so far (what scripts printed, run errors, custom code's buffers), one
 * line each, "message <event>: <text>", as a debugger front end would read them. */
static uint64_t bm_messages(void)
{
    static char text[1024];
    struct hd_message_info info;
    uint64_t count = 0;

    while (hd_message_read(bm_engine, &info, text, sizeof(text) - 1) == HD_OK) {
        uint32_t n = info.size < sizeof(text) - 1 ? info.size : (uint32_t)sizeof(text) - 1;
        text[n] = '\0';
        if (n && text[n - 1] == '\n')
            text[n - 1] = '\0'; /* a printf's own newline ends the line */
        bm_puts("message ");
        bm_puts(event_name(info.tag));
        bm_puts(info.kind == HD_MESSAGE_SCRIPT_ERROR ? " (script error): " : ": ");
        bm_puts(text);
        bm_putc('\n');
        count++;
    }
    return count;
}

/* Default VMCALL handling (skipped when a hook short-circuits). Own hypercalls are this
 * image's services; any other VMCALL gets the visible effect documented in bm.h. */
static void glue_vmcall_default(void *user, struct hd_vmx_cpu *cpu, struct hd_vcpu *v)
{
    struct hd_guest_regs *r = v->regs;
    (void)user;
    (void)cpu;
    if (!(v->flags & HD_VCPU_PROTECTED)) {
        if (bm_shared_default) { /* a recording window: the handling `hdevent run` replays */
            hd_vmcall_default(NULL, v);
            return;
        }
        r->rax = BM_DEFAULT_RAX;
        r->r14 = r->r13;
        return;
    }
    switch (r->rcx) {
    case BM_HC_PING:
        r->rax = BM_PING_REPLY;
        break;
    case BM_HC_MODIFY:
        r->rax = bm_modify(r->rdx, (uint32_t)r->r8);
        break;
    case BM_HC_BREAKS:
        r->rax = bm_breaks;
        break;
    case BM_HC_MESSAGES:
        r->rax = bm_messages();
        break;
    case BM_HC_RECORD:
        r->rax = bm_record_window(r->rdx != 0);
        break;
    default:
        r->rax = ~0ull;
        break;
    }
}

static void glue_vmcall_done(void *user, struct hd_vmx_cpu *cpu, const struct hd_vcpu *v,
                             uint32_t flags, uint32_t fired)
{
    (void)user;
    (void)cpu;
    bm_puts("exit ");
    bm_dec(++bm_exit_count);
    bm_puts(": VMCALL core=");
    bm_dec(v->core);
    bm_puts(" pid=");
    bm_hex(v->pid);
    bm_puts(" cpl=");
    bm_dec(v->cpl);
    bm_puts(" len=");
    bm_dec(v->insn_len);
    bm_puts(" fired=");
    bm_dec(fired);
    if (flags & HD_VERDICT_SHORT_CIRCUIT)
        bm_puts(" short-circuit");
    if (flags & HD_VERDICT_POST)
        bm_puts(" post");
    if (flags & HD_VERDICT_BREAK)
        bm_puts(" break");
    if (flags & HD_VERDICT_PROTECTED)
        bm_puts(" protected");
    if (flags & HD_VERDICT_DENY_UD)
        bm_puts(" deny-ud"); /* the layer injects #UD next, RIP not advanced */
    bm_putc('\n');
}

/* ---- events: the files `hdevent encode` wrote at build time (events.S) --------------------- */

/* The command text of a registered event, through HD_IOCTL_EVENT_COMMAND as `hdevent add`
 * sends it, so the engine keeps it and the recorder dump (record.c) can name the events. */
static void bm_keep_command(const struct bm_event_file *f)
{
    static uint8_t req[HD_WIRE_EVENT_COMMAND_SIZE + HD_COMMAND_MAX_BYTES];
    uint8_t out[HD_WIRE_EVENT_COMMAND_REPLY_SIZE];
    size_t len = 0, written = 0;
    uint64_t tag = file_tag(f);
    enum hd_status st;

    while (f->command[len] && len < HD_COMMAND_MAX_BYTES)
        len++;
    hd__le_wr64(req, 0, tag);
    hd__le_wr32(req, 8, HD_WIRE_COMMAND_SET);
    hd__le_wr32(req, 12, (uint32_t)len);
    memcpy(req + HD_WIRE_EVENT_COMMAND_SIZE, f->command, len);
    st = hd_wire_device_ioctl(bm_engine, NULL, HD_IOCTL_EVENT_COMMAND, req,
                              HD_WIRE_EVENT_COMMAND_SIZE + len, out, sizeof(out), &written);
    if (st != HD_OK || written < sizeof(out) || hd__le_rd32(out, 0) != (uint32_t)HD_WIRE_SUCCESS) {
        bm_puts("register ");
        bm_puts(f->name);
        bm_puts(": command text refused\n");
    }
}

/* One FILE = the event buffer, then its action buffers, back to back (docs/cli.md). Only the
 * size fields are read here, to find where each buffer ends; hd_wire_ioctl() validates all. */
static void bm_register_file(const struct bm_event_file *f)
{
    uint8_t out[HD_WIRE_RESULT_SIZE];
    size_t at = 0, len, written;
    uint32_t code = 0;
    unsigned actions = 0;

    while (at < f->size) {
        size_t left = (size_t)f->size - at;
        bool event = at == 0;
        size_t head = event ? HD_WIRE_EVENT_SIZE : HD_WIRE_ACTION_SIZE;
        if (left < head) {
            bm_puts("register ");
            bm_puts(f->name);
            bm_puts(": truncated buffer\n");
            return;
        }
        len = head + (event ? hd__le_rd32(f->data, at + 160)
                            : (size_t)hd__le_rd32(f->data, at + 20) +
                                  hd__le_rd32(f->data, at + 24));
        if (len > left) {
            bm_puts("register ");
            bm_puts(f->name);
            bm_puts(": size field past the end of the file\n");
            return;
        }
        if (hd_wire_ioctl(bm_engine, event ? HD_IOCTL_REGISTER_EVENT : HD_IOCTL_ADD_ACTION,
                          f->data + at, len, out, sizeof(out), &written) != HD_OK ||
            !out[0]) {
            code = hd__le_rd32(out, 4);
            bm_puts("register ");
            bm_puts(f->name);
            bm_puts(": ");
            bm_puts(event ? "event rejected, wire error " : "action rejected, wire error ");
            bm_hex(code);
            bm_puts(" ");
            bm_puts(hd_wire_error_name(code));
            bm_putc('\n');
            return;
        }
        actions += !event;
        at += len;
    }
    bm_keep_command(f);
    bm_puts("register ");
    bm_puts(f->name);
    bm_puts(": ok, ");
    bm_dec(actions);
    bm_puts(" action(s)\n");
}

/* ---- main -------------------------------------------------------------------------------- */

void bm_main(void)
{
    struct hd_backend_ops ops;
    struct hd_vmx_glue glue;
    enum hd_status st;
    unsigned failed;

    bm_puts("hdevent-bochs: long mode\n");
    bm_cpu_init();

    hd_backend_ops_init(&ops);
    ops.alloc = op_alloc;
    ops.free = op_free;
    ops.exec_alloc = op_exec_alloc;
    ops.exec_free = op_exec_free;
    ops.core_count = op_core_count;
    ops.current_pid = op_current_pid;
    ops.log = op_log;
    ops.on_break = op_on_break;
    ops.on_action = op_on_action;
    if ((st = hd_engine_create(&ops, NULL, &bm_engine)) != HD_OK) {
        bm_puts("hd_engine_create: ");
        bm_puts(hd_status_str(st));
        bm_puts("\nhdevent-bochs: FAILED\n");
        bm_shutdown();
    }

    hd_vmx_glue_init(&glue);
    glue.page_alloc = glue_page_alloc;
    glue.page_free = glue_page_free;
    glue.virt_to_phys = glue_virt_to_phys;
    glue.current_pid = glue_current_pid;
    glue.vmcall_default = glue_vmcall_default;
    glue.vmcall_done = glue_vmcall_done;
    glue.log = glue_log;
    glue.fatal = glue_fatal;
    if ((st = hd_vmx_cpu_create(&glue, bm_engine, 0, &bm_cpu)) != HD_OK ||
        (st = hd_vmx_cpu_on(bm_cpu)) != HD_OK) {
        hd_vmx_cpu_log_flush(bm_cpu); /* NULL-safe: what VMXON/VMCS setup logged */
        bm_puts("vmx: ");
        bm_puts(hd_status_str(st));
        bm_puts("\nhdevent-bochs: FAILED\n");
        bm_shutdown();
    }
    bm_puts("vmx: VMXON ok, VMCS ready\n");

    /* In VMX root now: the same route as a kernel's IOCTL handler. */
    for (const struct bm_event_file *f = bm_event_files; f->name; f++)
        bm_register_file(f);

    if ((st = hd_vmx_cpu_start(bm_cpu)) != HD_OK) {
        hd_vmx_cpu_log_flush(bm_cpu);
        bm_puts("vmx: VMLAUNCH failed\nhdevent-bochs: FAILED\n");
        bm_shutdown();
    }
    bm_puts("guest: running in VMX non-root operation\n");
    failed = bm_guest_main();
    bm_puts(failed ? "hdevent-bochs: FAILED\n" : "hdevent-bochs: all cases passed\n");
    bm_shutdown();
}
