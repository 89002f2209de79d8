/* SPDX-License-Identifier: MIT */
/*
 * hdevent-demo — VMCALL event hooks on the host backend, end to end.
 *
 * Registers four events through the C API, each listed with the HyperDbg command it stands
 * for (a native hook has none: its text gives the options and names the C function):
 *
 *   #0  HyperDbg's documentation example: raw condition (guest rdx == 0x1000) and raw custom
 *       code (guest r8 'HDBG' 0x47424448 -> 'HDB2' 0x32424448), on every core and pid;
 *   #1  a native C hook: answers the plugin's hypercall 0x7001 itself (rax = calls seen on
 *       this core), short-circuits it, and sends a message through its pre-allocated buffer;
 *   #2  a pid filter, `!vmcall pid 490`: no code, so its action is a break (the host records it);
 *   #3  a core filter and stage post, `!vmcall core 2 stage post ...`: raw code that sends the
 *       guest's rax *after* the default handling as an 8-byte message.
 *
 * Then it takes simulated VMCALL exits on four cores with hd_host_vmcall() and prints, for
 * each, what fired and which registers changed; then the messages, and the `events` listing
 * with the per-event counters. Run it with `make demo`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdevent/host.h>

#define CORES 4u
#define EVENTS 4u         /* registered by register_events(), tags first .. first + 3 */
#define PLUGIN_CALL 0x7001u /* the hypercall number our native hook answers */
#define HDBG 0x47424448ull  /* 'HDBG' */

/* Print the failing call and its status, and leave. */
#define TRY(expr)                                                                               \
    do {                                                                                        \
        enum hd_status st_ = (expr);                                                            \
        if (HD_FAILED(st_)) {                                                                   \
            fprintf(stderr, "hdevent-demo: %s: %s (%s)\n", #expr, hd_status_str(st_),           \
                    hd_status_name(st_));                                                       \
            exit(EXIT_FAILURE);                                                                 \
        }                                                                                       \
    } while (0)

/* ---- the events' code ------------------------------------------------------------------ */

/* HyperDbg's documented condition: mov rbx,[rcx+0x10]; cmp rbx,0x1000; ... (rdx == 0x1000). */
static const uint8_t doc_condition[] = {
    0x48, 0x8B, 0x59, 0x10, 0x48, 0x81, 0xFB, 0x00, 0x10, 0x00, 0x00, 0x74, 0x05,
    0x48, 0x31, 0xC0, 0xEB, 0x07, 0x48, 0xC7, 0xC0, 0x01, 0x00, 0x00, 0x00, 0xC3,
};

/* HyperDbg's documented custom code: if r8 ([rdx+0x40]) == 'HDBG', set it to 'HDB2'. */
static const uint8_t doc_code[] = {
    0x48, 0x8B, 0x5A, 0x40, 0x48, 0x81, 0xFB, 0x48, 0x44, 0x42, 0x47, 0x74,
    0x02, 0xEB, 0x08, 0x48, 0xC7, 0x42, 0x40, 0x48, 0x44, 0x42, 0x32, 0xC3,
};

/* mov rax,[rdx] (guest rax); mov [rcx],rax (into the buffer); mov rax,rcx; ret: a message. */
static const uint8_t rax_to_buffer[] = {0x48, 0x8B, 0x02, 0x48, 0x89, 0x01, 0x48, 0x89, 0xC8, 0xC3};

/* What the native hook sends; the reader decodes it. Binary, so the hook formats nothing. */
struct call_msg {
    uint32_t pid;
    uint32_t core;
    uint64_t calls;
};

/* Native hook state: one counter per core, so no two cores write the same slot. */
struct plugin {
    uint64_t calls[CORES];
};

static uint64_t is_plugin_call(struct hd_hook *hook)
{
    return hook->regs->rcx == PLUGIN_CALL;
}

static void *answer_plugin_call(struct hd_hook *hook)
{
    struct plugin *plugin = hook->user;
    struct call_msg *msg = hook->buffer; /* this core's buffer, sizeof(struct call_msg) bytes */
    uint64_t n = ++plugin->calls[hook->vcpu->core];

    hook->regs->rax = n;        /* our answer to the guest... */
    hook->short_circuit = true; /* ...so the default handling must not overwrite it */
    msg->pid = hook->vcpu->pid;
    msg->core = hook->vcpu->core;
    msg->calls = n;
    return msg; /* the message: from here to the end of the buffer */
}

/* ---- registration ---------------------------------------------------------------------- */

static uint64_t register_events(struct hd_engine *engine, struct plugin *plugin)
{
    struct hd_event_desc d;
    struct hd_action_desc a;
    uint64_t tag, first;

    /* #0: HyperDbg's doc condition + custom code, all cores, all pids. */
    hd_event_desc_init(&d);
    d.condition.kind = HD_CONDITION_RAW;
    d.condition.code = doc_condition;
    d.condition.code_size = sizeof(doc_condition);
    hd_action_desc_init(&a, HD_ACTION_CODE);
    a.code = doc_code;
    a.code_size = sizeof(doc_code);
    d.actions = &a;
    d.action_count = 1;
    d.command = "!vmcall condition {48 8B 59 10 48 81 FB 00 10 00 00 74 05 48 31 C0 EB 07 "
                "48 C7 C0 01 00 00 00 C3} code {48 8B 5A 40 48 81 FB 48 44 42 47 74 02 EB 08 "
                "48 C7 42 40 48 44 42 32 C3}";
    TRY(hd_event_register(engine, &d, &first));

    /* #1: native condition + native action with a per-core buffer; short-circuits itself. */
    hd_event_desc_init(&d);
    d.condition.kind = HD_CONDITION_NATIVE;
    d.condition.fn = is_plugin_call;
    hd_action_desc_init(&a, HD_ACTION_NATIVE);
    a.fn = answer_plugin_call;
    a.user = plugin;
    a.buffer_size = sizeof(struct call_msg);
    d.actions = &a;
    d.action_count = 1;
    /* A native hook has no HyperDbg command: the text gives the options and names the C. */
    d.command = "!vmcall buffer 10 (native C: answer_plugin_call)";
    TRY(hd_event_register(engine, &d, &tag));

    /* #2: pid 0x490; no code and no script, so the action is a break, as in HyperDbg. */
    hd_event_desc_init(&d);
    d.pid = 0x490;
    hd_action_desc_init(&a, HD_ACTION_BREAK);
    d.actions = &a;
    d.action_count = 1;
    d.command = "!vmcall pid 490";
    TRY(hd_event_register(engine, &d, &tag));

    /* #3: core 2, after the default handling; the code returns its buffer: a message. */
    hd_event_desc_init(&d);
    d.core = 2;
    d.stage = HD_STAGE_POST;
    hd_action_desc_init(&a, HD_ACTION_CODE);
    a.code = rax_to_buffer;
    a.code_size = sizeof(rax_to_buffer);
    a.buffer_size = 8;
    d.actions = &a;
    d.action_count = 1;
    d.command = "!vmcall core 2 stage post buffer 8 code {48 8B 02 48 89 01 48 89 C8 C3}";
    TRY(hd_event_register(engine, &d, &tag));
    return first;
}

/* ---- exits ----------------------------------------------------------------------------- */

struct scenario {
    const char *what;
    uint32_t core;
    uint32_t pid;
    struct hd_guest_regs regs;
    const char *note; /* printed under the exit when no register changed */
};

/* Events whose condition held (or that have none) since the counters were last sampled. */
struct sample {
    uint64_t fired[EVENTS];
};

static void sample_counters(struct hd_engine *engine, uint64_t first, uint32_t core,
                            struct sample *out)
{
    for (uint32_t i = 0; i < EVENTS; i++) {
        struct hd_event_counters c;
        TRY(hd_event_counters(engine, first + i, core, &c));
        out->fired[i] = c.hits - c.condition_false;
    }
}

static void take_exit(struct hd_host *host, struct hd_engine *engine, uint64_t first,
                      unsigned number, const struct scenario *sc)
{
    struct hd_guest_regs regs = sc->regs, before = sc->regs;
    struct hd_vcpu vcpu;
    struct hd_exit x;
    struct sample s0, s1;
    uint32_t breaks = hd_host_break_count(host);
    char fired[64] = "", post[32] = "-";
    size_t len = 0;
    unsigned changed = 0;

    hd_host_vcpu_init(&vcpu, &regs, sc->core, sc->pid);
    sample_counters(engine, first, sc->core, &s0);
    TRY(hd_host_vmcall(host, engine, &vcpu, &x));
    sample_counters(engine, first, sc->core, &s1);

    for (uint32_t i = 0; i < EVENTS; i++)
        if (s1.fired[i] != s0.fired[i])
            len += (size_t)snprintf(fired + len, sizeof(fired) - len, " #%u", i);
    if (x.post_ran)
        snprintf(post, sizeof(post), "%u", x.post.fired);

    printf("[%u] core %u  pid 0x%-4x %s\n", number, sc->core, sc->pid, sc->what);
    printf("    fired%s (pre %u, post %s)%s%s%s\n", len ? fired : " none", x.pre.fired, post,
           hd_host_break_count(host) != breaks ? "; break recorded" : "",
           x.pre.flags & HD_VERDICT_SHORT_CIRCUIT ? "; short-circuit: default handling skipped"
                                                   : "",
           x.pre.flags & HD_VERDICT_PROTECTED ? "; PROTECTED: hooks ran, changes discarded" : "");
    for (unsigned r = 0; r < HD_GUEST_REG_COUNT; r++) {
        uint64_t was = *hd_guest_reg(&before, r), now = *hd_guest_reg(&regs, r);
        if (was != now) {
            printf("    %-3s: 0x%" PRIx64 " -> 0x%" PRIx64 "%s\n", hd_guest_reg_name(r), was,
                   now, r == 0 && x.default_handled ? "   (default handling)" : "");
            changed++;
        }
    }
    if (!changed)
        printf("    no register changed%s%s\n", sc->note ? ": " : "", sc->note ? sc->note : "");
}

/* ---- reports --------------------------------------------------------------------------- */

static void print_messages(struct hd_engine *engine, uint64_t first)
{
    struct hd_message_info info;
    uint8_t data[64];
    enum hd_status st;

    printf("\nmessages (hd_message_read: oldest of each core, cores in turn)\n");
    while ((st = hd_message_read(engine, &info, data, sizeof(data))) == HD_OK) {
        printf("  core %u  #%" PRIu64 "  ", info.core, (uint64_t)HD_EVENT_ID(info.tag));
        if (info.tag == first + 1 && info.size == sizeof(struct call_msg)) {
            struct call_msg m;
            memcpy(&m, data, sizeof(m));
            printf("plugin call %" PRIu64 " on core %u from pid 0x%x\n", m.calls, m.core, m.pid);
        } else if (info.tag == first + 3 && info.size == 8) {
            uint64_t rax;
            memcpy(&rax, data, sizeof(rax));
            printf("rax after default handling = 0x%" PRIx64 "\n", rax);
        } else {
            printf("%u bytes\n", info.size);
        }
    }
    TRY(st);
}

static void print_events(struct hd_engine *engine)
{
    struct hd_event_info info;
    uint64_t after = 0;
    enum hd_status st;

    printf("\nevents (hd_event_next + hd_event_counters summed over cores)\n");
    printf("  id  state     hits  cond=0  command\n");
    while ((st = hd_event_next(engine, after, &info)) == HD_OK) {
        struct hd_event_counters c;
        char command[59]; /* the first 58 bytes are shown */
        TRY(hd_event_counters(engine, info.tag, HD_ALL, &c));
        TRY(hd_event_command(engine, info.tag, command, sizeof(command), NULL));
        printf("  %-2" PRIu64 "  %-8s  %4" PRIu64 "  %6" PRIu64 "  %s%s\n",
               (uint64_t)HD_EVENT_ID(info.tag), info.enabled ? "enabled" : "disabled", c.hits,
               c.condition_false, command, info.command_length > 58 ? "..." : "");
        after = info.tag;
    }
    TRY(st);
}

int main(void)
{
    /* rcx carries the call number, rdx/r8 the arguments, as in HyperDbg's hypercalls. */
    static const struct scenario exits[] = {
        {.what = "rdx=0x1000 r8='HDBG'", .core = 0, .pid = 0x490,
         .regs = {.rdx = 0x1000, .r8 = HDBG}},
        {.what = "rdx=0x1000 r8='HDBG' (another pid)", .core = 1, .pid = 0x4,
         .regs = {.rdx = 0x1000, .r8 = HDBG}},
        {.what = "rcx=0x7001 (the plugin's call)", .core = 1, .pid = 0x490,
         .regs = {.rcx = PLUGIN_CALL}},
        {.what = "rcx=0x7001 on core 2: short-circuited, so no post pass", .core = 2,
         .pid = 0x490, .regs = {.rcx = PLUGIN_CALL}},
        {.what = "rcx=0x10 on core 2", .core = 2, .pid = 0x8, .regs = {.rcx = 0x10}},
        {.what = "own hypercall (HyperDbg magic), rdx=0x1000 r8='HDBG'",
         .core = 3, .pid = 0x490,
         .regs = {.rcx = 0x1, .rdx = 0x1000, .r8 = HDBG, .r10 = HD_HYPERDBG_MAGIC_R10,
                  .r11 = HD_HYPERDBG_MAGIC_R11, .r12 = HD_HYPERDBG_MAGIC_R12},
         .note = "#0 rewrote r8 on a copy; rax = 0 from the default handling"},
    };
    const struct hd_host_config config = {.cores = CORES};
    static struct plugin plugin;
    struct hd_host *host;
    struct hd_engine *engine;
    uint64_t first, live;

    TRY(hd_host_create(&config, &host));
    TRY(hd_engine_create(hd_host_ops(host), NULL, &engine));
    first = register_events(engine, &plugin);

    printf("hdevent demo: %u events on a host backend with %u simulated cores\n", EVENTS,
           hd_engine_core_count(engine));
    printf("  #0 doc condition (rdx == 0x1000) + doc code (r8 'HDBG' -> 'HDB2'), any core/pid\n");
    printf("  #1 native hook: answers rcx=0x7001 (rax = calls on this core), sc, message\n");
    printf("  #2 pid 0x490: break\n");
    printf("  #3 core 2, stage post: raw code sends rax after default handling\n");
    printf("  default handling: rax = 0xfffffffffffffc18 (-1000, ENOSYS); own hypercalls rax = 0\n");
    printf("\nVMCALL exits (hd_host_vmcall: pre pass, default handling, post pass, rip += 3)\n");
    for (unsigned i = 0; i < sizeof(exits) / sizeof(exits[0]); i++)
        take_exit(host, engine, first, i + 1, &exits[i]);

    print_messages(engine, first);

    printf("\nevents d 2   (hd_event_disable)\n");
    TRY(hd_event_disable(engine, first + 2));
    print_events(engine);

    hd_engine_destroy(engine);
    live = hd_host_live_allocations(host);
    hd_host_destroy(host);
    printf("\nengine destroyed; host allocations still live: %" PRIu64 "\n", live);
    return live == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
